import { describe, expect, it } from 'vitest';
import {
  matchesPattern,
  needs,
  parseCheckFlags,
  parseDuration,
  parseLevels,
  parseQueueLimit,
  parseWorkersPattern,
} from '../../../src/engine/health/thresholds.js';
import { UsageError } from '../../../src/errors.js';

describe('parseDuration', () => {
  it.each([
    ['90', 90],
    ['90s', 90],
    ['2m', 120],
    ['1h30m', 5400],
    ['1.5h', 5400],
    ['500ms', 0.5],
    ['2d', 172_800],
    [' 10M ', 600],
    ['1m30s', 90],
  ])('%s is %d seconds', (text, seconds) => {
    expect(parseDuration(text, '--window')).toBe(seconds);
  });

  it.each(['', 'ten', '5x', 'm5', '1h 30m', '-5s', '5s!'])('refuses %j, naming the flag', (text) => {
    expect(() => parseDuration(text, '--window')).toThrow(UsageError);
    expect(() => parseDuration(text, '--window')).toThrow(/^--window: /);
  });

  it('refuses zero unless allowed', () => {
    expect(() => parseDuration('0s', '--listen')).toThrow('--listen: the duration must be more than 0, got "0s"');
    expect(parseDuration('0', '--max-stuck', true)).toBe(0);
  });
});

describe('parseLevels', () => {
  it('one value is the critical level alone', () => {
    expect(parseLevels('2', 'min-workers')).toEqual({ warning: null, critical: 2 });
    expect(parseLevels('10%', 'max-failure-rate')).toEqual({ warning: null, critical: 10 });
    expect(parseLevels('2m', 'max-silence')).toEqual({ warning: null, critical: 120 });
  });

  it('two values are WARN:CRIT', () => {
    expect(parseLevels('3:2', 'min-workers')).toEqual({ warning: 3, critical: 2 });
    expect(parseLevels('5%:10%', 'max-failure-rate')).toEqual({ warning: 5, critical: 10 });
    expect(parseLevels('5:10', 'max-failure-rate')).toEqual({ warning: 5, critical: 10 });
    expect(parseLevels('0.5%:1.5%', 'max-failure-rate')).toEqual({ warning: 0.5, critical: 1.5 });
    expect(parseLevels('10m:30m', 'max-stuck')).toEqual({ warning: 600, critical: 1800 });
    expect(parseLevels('10:50', 'max-failures')).toEqual({ warning: 10, critical: 50 });
    expect(parseLevels('4:4', 'max-failures')).toEqual({ warning: 4, critical: 4 });
  });

  it('refuses levels the wrong way round, saying which way they go', () => {
    expect(() => parseLevels('10%:5%', 'max-failure-rate')).toThrow(
      '--max-failure-rate: the warning level (10%) must not be above the critical one (5%); the syntax is WARN:CRIT',
    );
    expect(() => parseLevels('2:3', 'min-workers')).toThrow(
      '--min-workers: the warning level (2) must not be below the critical one (3); the syntax is WARN:CRIT',
    );
    expect(() => parseLevels('5m:1m', 'max-silence')).toThrow(
      '--max-silence: the warning level (300s) must not be above the critical one (60s); the syntax is WARN:CRIT',
    );
  });

  it.each([
    ['min-workers', '1:2:3', /^--min-workers: expected CRIT or WARN:CRIT \(e\.g\. 3:2\)/],
    ['min-workers', ':2', /^--min-workers: expected CRIT or WARN:CRIT/],
    ['min-workers', '2.5', /^--min-workers: expected a whole number ≥ 0, got "2.5"/],
    ['max-failures', '-1', /^--max-failures: expected a whole number ≥ 0, got "-1"/],
    ['max-failure-rate', '101%', /^--max-failure-rate: expected a percentage from 0% to 100%, got "101%"/],
    ['max-failure-rate', 'five', /^--max-failure-rate: expected a percentage/],
    ['max-stuck', '10', null],
  ] as const)('%s %s', (kind, text, error) => {
    if (error === null) expect(parseLevels(text, kind)).toEqual({ warning: null, critical: 10 });
    else expect(() => parseLevels(text, kind)).toThrow(error);
  });
});

describe('parseQueueLimit', () => {
  it('splits the queue name at the last =', () => {
    expect(parseQueueLimit('celery=1000')).toEqual({ kind: 'max-queue', queue: 'celery', levels: { warning: null, critical: 1000 } });
    expect(parseQueueLimit('celery=1000:5000')).toEqual({ kind: 'max-queue', queue: 'celery', levels: { warning: 1000, critical: 5000 } });
    expect(parseQueueLimit('a=b=7')).toEqual({ kind: 'max-queue', queue: 'a=b', levels: { warning: null, critical: 7 } });
    expect(parseQueueLimit('tasks:high=3')).toEqual({ kind: 'max-queue', queue: 'tasks:high', levels: { warning: null, critical: 3 } });
  });

  it('names the queue in level errors and asks for QUEUE= when it is missing', () => {
    expect(() => parseQueueLimit('celery=5000:1000')).toThrow(
      '--max-queue celery: the warning level (5000) must not be above the critical one (1000); the syntax is WARN:CRIT',
    );
    expect(() => parseQueueLimit('1000')).toThrow(/^--max-queue: expected QUEUE=CRIT or QUEUE=WARN:CRIT/);
    expect(() => parseQueueLimit('=1000')).toThrow(/^--max-queue: expected QUEUE=CRIT/);
  });
});

describe('workers pattern', () => {
  it('matches, negates, and refuses a bad regex', () => {
    const p = parseWorkersPattern('^email@');
    expect(matchesPattern(p, 'email@host')).toBe(true);
    expect(matchesPattern(p, 'celery@host')).toBe(false);
    const n = parseWorkersPattern('!^email@');
    expect(matchesPattern(n, 'email@host')).toBe(false);
    expect(matchesPattern(n, 'celery@host')).toBe(true);
    expect(matchesPattern(parseWorkersPattern(undefined), 'x@y')).toBe(true);
    expect(() => parseWorkersPattern('(')).toThrow(/^--workers-pattern: invalid regular expression "\("/);
  });
});

describe('parseCheckFlags', () => {
  it('collects every threshold in a fixed order, with the window', () => {
    const plan = parseCheckFlags({
      maxHeartbeatAge: '30s',
      maxStuck: '10m:30m',
      maxSilence: '2m',
      maxQueue: ['celery=1000:5000', 'email=10'],
      maxFailures: '5',
      maxFailureRate: '5%:10%',
      minWorkers: '3:2',
      workersPattern: '^w',
      window: '15m',
    });
    expect(plan.thresholds).toEqual([
      { kind: 'min-workers', levels: { warning: 3, critical: 2 } },
      { kind: 'max-failure-rate', levels: { warning: 5, critical: 10 } },
      { kind: 'max-failures', levels: { warning: null, critical: 5 } },
      { kind: 'max-queue', queue: 'celery', levels: { warning: 1000, critical: 5000 } },
      { kind: 'max-queue', queue: 'email', levels: { warning: null, critical: 10 } },
      { kind: 'max-silence', levels: { warning: null, critical: 120 } },
      { kind: 'max-stuck', levels: { warning: 600, critical: 1800 } },
      { kind: 'max-heartbeat-age', levels: { warning: null, critical: 30 } },
    ]);
    expect(plan.windowSeconds).toBe(900);
    expect(plan.workersPattern?.source).toBe('^w');
    expect(needs(plan, 'max-queue')).toBe(true);
  });

  it('defaults the window to 10 minutes', () => {
    const plan = parseCheckFlags({ maxFailures: '1' });
    expect(plan.windowSeconds).toBe(600);
    expect(plan.workersPattern).toBeNull();
    expect(needs(plan, 'min-workers')).toBe(false);
  });

  it('needs at least one threshold', () => {
    expect(() => parseCheckFlags({ window: '5m' })).toThrow(/^check: give at least one threshold: --min-workers/);
  });

  it('reads a comma list of queues as that many queues, repeated or not', () => {
    const plan = parseCheckFlags({ maxQueue: ['celery=1000,email=0', 'bulk=5:9'] });
    expect(plan.thresholds).toEqual([
      { kind: 'max-queue', queue: 'celery', levels: { warning: null, critical: 1000 } },
      { kind: 'max-queue', queue: 'email', levels: { warning: null, critical: 0 } },
      { kind: 'max-queue', queue: 'bulk', levels: { warning: 5, critical: 9 } },
    ]);
    expect(() => parseCheckFlags({ maxQueue: ['celery=1,=2'] })).toThrow(/^--max-queue: expected QUEUE=CRIT/);
    expect(() => parseCheckFlags({ maxQueue: ['celery=1,celery=2'] })).toThrow('--max-queue: queue celery is given twice');
  });

  it('refuses a queue given twice and a pattern nothing uses', () => {
    expect(() => parseCheckFlags({ maxQueue: ['a=1', 'a=2'] })).toThrow('--max-queue: queue a is given twice');
    expect(() => parseCheckFlags({ maxFailures: '1', workersPattern: 'x' })).toThrow(
      '--workers-pattern applies to --min-workers and --max-heartbeat-age: give one of them',
    );
  });

  it('checks the window', () => {
    expect(() => parseCheckFlags({ maxFailures: '1', window: 'soon' })).toThrow(/^--window: expected a duration/);
  });
});

import { describe, expect, it } from 'vitest';
import { unmeasured, type Measurements, type Perf } from '../../src/engine/health/health.js';
import { allUnknown, evaluate } from '../../src/engine/health/evaluate.js';
import { parseCheckFlags } from '../../src/engine/health/thresholds.js';
import { perfData, perfLabel, perfNumber, statusLine, unknownLine } from '../../src/format/nagios.js';

const perf = (over: Partial<Perf>): Perf => ({
  label: 'x',
  value: 1,
  uom: '',
  levels: { warning: null, critical: 2 },
  direction: 'max',
  min: 0,
  max: null,
  ...over,
});

describe('performance data', () => {
  it('numbers: at most 3 decimals, no trailing zeros', () => {
    expect(perfNumber(7.142857)).toBe('7.143');
    expect(perfNumber(5)).toBe('5');
    expect(perfNumber(1.5)).toBe('1.5');
    expect(perfNumber(0.0001)).toBe('0');
    expect(perfNumber(1e21)).toBe('1000000000000000000000');
  });

  it('labels: plain as is, others quoted, = replaced, quotes doubled', () => {
    expect(perfLabel('queue_celery')).toBe('queue_celery');
    expect(perfLabel('queue_my queue')).toBe("'queue_my queue'");
    expect(perfLabel("queue_it's")).toBe("'queue_it''s'");
    expect(perfLabel('queue_a=b')).toBe('queue_a_b');
    expect(perfLabel('queue_a|b')).toBe('queue_a_b');
  });

  it('max thresholds as N, min thresholds as N:, trailing empty fields dropped', () => {
    expect(perfData(perf({ label: 'failure_rate', value: 7.14, uom: '%', levels: { warning: 5, critical: 10 }, max: 100 }))).toBe(
      'failure_rate=7.14%;5;10;0;100',
    );
    expect(perfData(perf({ label: 'workers', value: 1, direction: 'min', levels: { warning: 3, critical: 2 } }))).toBe('workers=1;3:;2:;0');
    expect(perfData(perf({ label: 'workers', value: 1, direction: 'min', levels: { warning: null, critical: 2 } }))).toBe('workers=1;;2:;0');
    expect(perfData(perf({ label: 'silence', value: null, uom: 's', levels: { warning: 60, critical: 300 } }))).toBe('silence=U;60;300;0');
    expect(perfData(perf({ min: null }))).toBe('x=1;;2');
  });
});

describe('status line', () => {
  it('the issue example: problems first, perfdata per threshold', () => {
    const plan = parseCheckFlags({ minWorkers: '2', maxFailureRate: '5%:10%', maxQueue: ['celery=1000'] });
    const m: Measurements = {
      workers: { ok: true, alive: ['w1@h'], known: 2 },
      failures: { ok: true, failures: 3, finished: 42, windowSeconds: 600, note: null },
      queues: new Map([['celery', { ok: true, messages: 12, consumers: 1 }]]),
    };
    expect(statusLine(evaluate(plan, m))).toBe(
      'CLEARLY CRITICAL - 1/2 workers alive, failure rate 7.1% (10m), queue celery 12 messages | workers=1;;2:;0 failure_rate=7.143%;5;10;0;100 queue_celery=12;;1000;0',
    );
  });

  it('OK findings keep threshold order; WARNING before UNKNOWN before OK', () => {
    const plan = parseCheckFlags({ minWorkers: '1', maxFailures: '1:5', maxSilence: '1m' });
    const m: Measurements = {
      workers: { ok: true, alive: ['a@h', 'b@h'], known: 2 },
      failures: { ok: true, failures: 2, finished: 9, windowSeconds: 600, note: null },
      silence: unmeasured('lost the broker'),
    };
    expect(statusLine(evaluate(plan, m))).toBe(
      'CLEARLY WARNING - 2 failures (10m), silence unknown (lost the broker), 2 workers alive | workers=2;;1:;0 failures=2;1;5;0 silence=U;;60;0',
    );
  });

  it('all OK', () => {
    const plan = parseCheckFlags({ maxSilence: '30s:1m', maxHeartbeatAge: '10s' });
    const m: Measurements = {
      silence: { ok: true, seconds: 0.4, bound: 'exact', note: null },
      heartbeat: { ok: true, workers: [{ hostname: 'a@h', ageSeconds: 1.25, bound: 'exact' }] },
    };
    expect(statusLine(evaluate(plan, m))).toBe(
      'CLEARLY OK - last event 0.4s ago, heartbeats 1.3s old | silence=0.4s;30;60;0 heartbeat_age=1.25s;;10;0',
    );
  });

  it('one shared reason is said once (server or broker unreachable)', () => {
    const plan = parseCheckFlags({ minWorkers: '1', maxQueue: ['celery=5'] });
    expect(statusLine(allUnknown(plan, 'no clearly server at localhost:12223 (connection refused)'))).toBe(
      'CLEARLY UNKNOWN - no clearly server at localhost:12223 (connection refused) | workers=U;;1:;0 queue_celery=U;;5;0',
    );
  });

  it('a | or a newline in a finding cannot break the line', () => {
    const plan = parseCheckFlags({ maxQueue: ['a|b=5'] });
    const line = statusLine(evaluate(plan, { queues: new Map([['a|b', unmeasured('bad\nthing')]]) }));
    expect(line).toBe('CLEARLY UNKNOWN - queue a/b unknown (bad thing) | queue_a_b=U;;5;0');
  });

  it('usage errors', () => {
    expect(unknownLine('Unknown argument: bogus')).toBe('CLEARLY UNKNOWN - Unknown argument: bogus');
  });
});

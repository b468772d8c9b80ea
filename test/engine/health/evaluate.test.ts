import { describe, expect, it } from 'vitest';
import { unmeasured, type InFlightTask, type Measurements, type Verdict } from '../../../src/engine/health/health.js';
import { allUnknown, evaluate } from '../../../src/engine/health/evaluate.js';
import { lostFromTasks } from '../../../src/engine/health/measure.js';
import { parseCheckFlags, type CheckFlags } from '../../../src/engine/health/thresholds.js';

/** Evaluate one flag set against measurements; the only verdict. */
function verdict(flags: CheckFlags, m: Measurements): Verdict {
  const result = evaluate(parseCheckFlags(flags), m);
  expect(result.verdicts).toHaveLength(1);
  return result.verdicts[0]!;
}

const brief = (v: Verdict) => ({ status: v.status, value: v.value, bound: v.bound, summary: v.summary, reason: v.reason });

describe('min-workers', () => {
  const seen = (alive: string[], known: number | null = null): Measurements => ({ workers: { ok: true, alive, known } });
  it('OK, WARNING, CRITICAL, UNKNOWN', () => {
    expect(brief(verdict({ minWorkers: '3:2' }, seen(['a@h', 'b@h', 'c@h'], 4)))).toEqual({
      status: 'OK',
      value: 3,
      bound: 'exact',
      summary: '3 workers alive',
      reason: '3 live workers of 4 known: a@h, b@h, c@h',
    });
    expect(brief(verdict({ minWorkers: '3:2' }, seen(['a@h', 'b@h'])))).toEqual({
      status: 'WARNING',
      value: 2,
      bound: 'exact',
      summary: '2/3 workers alive',
      reason: '2 live workers: a@h, b@h',
    });
    expect(brief(verdict({ minWorkers: '2' }, seen(['a@h'], 2)))).toEqual({
      status: 'CRITICAL',
      value: 1,
      bound: 'exact',
      summary: '1/2 workers alive',
      reason: '1 live worker of 2 known: a@h',
    });
    expect(brief(verdict({ minWorkers: '1' }, { workers: unmeasured('no clearly server at x:1') }))).toEqual({
      status: 'UNKNOWN',
      value: null,
      bound: null,
      summary: 'workers unknown (no clearly server at x:1)',
      reason: 'no clearly server at x:1',
    });
  });

  it('names the pattern when workers are missing', () => {
    const v = verdict({ minWorkers: '1', workersPattern: '^email@' }, seen([], 0));
    expect(v.summary).toBe('0/1 workers alive matching /^email@/');
    expect(v.reason).toBe('0 live workers matching /^email@/ of 0 known');
  });

  it('a measurement the source did not take is UNKNOWN, never OK', () => {
    expect(brief(verdict({ minWorkers: '1' }, {}))).toMatchObject({ status: 'UNKNOWN', summary: 'workers unknown (not measured by this source)' });
  });
});

describe('failure rate and count', () => {
  const failures = (f: number, finished: number, note: string | null = null): Measurements => ({
    failures: { ok: true, failures: f, finished, windowSeconds: 600, note },
  });
  it('rate: OK, WARNING, CRITICAL, UNKNOWN', () => {
    expect(brief(verdict({ maxFailureRate: '5%:10%' }, failures(1, 50)))).toEqual({
      status: 'OK',
      value: 2,
      bound: 'exact',
      summary: 'failure rate 2.0% (10m)',
      reason: '1 of 50 finished tasks failed in the last 10m',
    });
    expect(verdict({ maxFailureRate: '5%:10%' }, failures(3, 42)).status).toBe('WARNING');
    expect(brief(verdict({ maxFailureRate: '5%:10%', window: '1h' }, failures(7, 10, 'the server has been up only 5m 00s of the 1h window')))).toEqual({
      status: 'CRITICAL',
      value: 70,
      bound: 'exact',
      summary: 'failure rate 70.0% (1h)',
      reason: '7 of 10 finished tasks failed in the last 1h; the server has been up only 5m 00s of the 1h window',
    });
    expect(verdict({ maxFailureRate: '5%' }, { failures: unmeasured('the broker keeps no history') }).summary).toBe(
      'failure rate unknown (the broker keeps no history)',
    );
  });

  it('rate with nothing finished is 0%', () => {
    expect(brief(verdict({ maxFailureRate: '5%' }, failures(0, 0)))).toMatchObject({
      status: 'OK',
      value: 0,
      reason: 'no task finished in the last 10m',
    });
  });

  it('count: OK, WARNING, CRITICAL, UNKNOWN', () => {
    expect(verdict({ maxFailures: '2:5' }, failures(2, 9)).status).toBe('OK');
    expect(brief(verdict({ maxFailures: '2:5' }, failures(3, 9)))).toEqual({
      status: 'WARNING',
      value: 3,
      bound: 'exact',
      summary: '3 failures (10m)',
      reason: '3 tasks failed in the last 10m',
    });
    expect(verdict({ maxFailures: '2:5' }, failures(6, 9)).status).toBe('CRITICAL');
    expect(verdict({ maxFailures: '0' }, failures(1, 9)).summary).toBe('1 failure (10m)');
    expect(verdict({ maxFailures: '2' }, { failures: unmeasured('x') }).status).toBe('UNKNOWN');
  });
});

describe('max-queue', () => {
  const queues = (entries: [string, number, number | null][]): Measurements => ({
    queues: new Map(entries.map(([q, messages, consumers]) => [q, { ok: true, messages, consumers }] as const)),
  });
  it('OK, WARNING, CRITICAL, UNKNOWN', () => {
    expect(brief(verdict({ maxQueue: ['celery=1000:5000'] }, queues([['celery', 1000, 2]])))).toEqual({
      status: 'OK',
      value: 1000,
      bound: 'exact',
      summary: 'queue celery 1000 messages',
      reason: '1000 messages waiting in celery, 2 consumers',
    });
    expect(verdict({ maxQueue: ['celery=1000:5000'] }, queues([['celery', 1001, null]])).status).toBe('WARNING');
    expect(brief(verdict({ maxQueue: ['celery=10'] }, queues([['celery', 11, null]])))).toMatchObject({
      status: 'CRITICAL',
      summary: 'queue celery 11 messages',
      reason: '11 messages waiting in celery',
    });
    const missing = new Map([['celery', unmeasured('queue celery does not exist on the broker')]]);
    expect(verdict({ maxQueue: ['celery=10'] }, { queues: missing }).summary).toBe(
      'queue celery unknown (queue celery does not exist on the broker)',
    );
    expect(verdict({ maxQueue: ['other=10'] }, queues([['celery', 1, null]])).status).toBe('UNKNOWN');
  });

  it('each queue gets its own verdict', () => {
    const result = evaluate(parseCheckFlags({ maxQueue: ['a=5', 'b=5'] }), queues([['a', 1, 0], ['b', 9, 0]]));
    expect(result.verdicts.map((v) => [v.summary, v.status])).toEqual([
      ['queue a 1 message', 'OK'],
      ['queue b 9 messages', 'CRITICAL'],
    ]);
    expect(result.status).toBe('CRITICAL');
    expect(result.exitCode).toBe(2);
  });
});

describe('max-silence', () => {
  const silence = (seconds: number, bound: 'exact' | 'more-than' | 'at-least', note: string | null = null): Measurements => ({
    silence: { ok: true, seconds, bound, note },
  });
  it('OK, WARNING, CRITICAL, UNKNOWN', () => {
    expect(brief(verdict({ maxSilence: '1m:5m' }, silence(1.83, 'exact')))).toEqual({
      status: 'OK',
      value: 1.83,
      bound: 'exact',
      summary: 'last event 1.8s ago',
      reason: 'last event 1.8s ago',
    });
    expect(verdict({ maxSilence: '1m:5m' }, silence(61, 'exact')).summary).toBe('no event for 1m 01s');
    expect(verdict({ maxSilence: '1m:5m' }, silence(61, 'exact')).status).toBe('WARNING');
    expect(brief(verdict({ maxSilence: '3s' }, silence(3, 'more-than', 'listened 3s to redis://x')))).toEqual({
      status: 'CRITICAL',
      value: 3,
      bound: 'more-than',
      summary: 'no event for over 3s',
      reason: 'no event for over 3s; listened 3s to redis://x',
    });
    expect(brief(verdict({ maxSilence: '2m' }, silence(5, 'at-least')))).toEqual({
      status: 'UNKNOWN',
      value: 5,
      bound: 'at-least',
      summary: 'silence unknown (no event for at least 5s, which does not tell whether it passed 2m)',
      reason: 'no event for at least 5s, which does not tell whether it passed 2m',
    });
    expect(verdict({ maxSilence: '2m' }, { silence: unmeasured('lost') }).status).toBe('UNKNOWN');
  });
});

describe('max-stuck', () => {
  const task = (uuid: string, ageSeconds: number, state: 'STARTED' | 'RECEIVED' = 'STARTED'): InFlightTask => ({
    uuid,
    name: 'tasks.slow',
    state,
    worker: 'w1@h',
    ageSeconds,
  });
  const stuck = (tasks: InFlightTask[], undated = 0, waiting = 0): Measurements => ({
    stuck: { ok: true, oldest: tasks.slice(0, 10), ages: tasks.map((t) => t.ageSeconds), undated, waiting, note: null },
  });
  it('OK, WARNING, CRITICAL, UNKNOWN', () => {
    expect(brief(verdict({ maxStuck: '10m:30m' }, stuck([task('u1', 12)])))).toEqual({
      status: 'OK',
      value: 12,
      bound: 'exact',
      summary: 'no task stuck (oldest running 12s)',
      reason: '1 task running (or held with a pool slot free), none for longer than 10m',
    });
    expect(verdict({ maxStuck: '10m' }, stuck([])).summary).toBe('no task stuck (nothing running)');
    expect(brief(verdict({ maxStuck: '10m:30m' }, stuck([task('u1', 700), task('u2', 650), task('u3', 5)])))).toEqual({
      status: 'WARNING',
      value: 700,
      bound: 'exact',
      summary: '2 tasks stuck over 10m (oldest 11m 40s)',
      reason: 'oldest: STARTED tasks.slow u1 on w1@h for 11m 40s',
    });
    expect(brief(verdict({ maxStuck: '10m:30m' }, stuck([task('u1', 1801), task('u2', 700)])))).toMatchObject({
      status: 'CRITICAL',
      summary: '1 task stuck over 30m (oldest 30m 01s)',
    });
    // Tasks held with a free slot since an unknown moment, and queueing ones, do not make it UNKNOWN.
    expect(brief(verdict({ maxStuck: '10m' }, stuck([task('u1', 3)], 2, 5)))).toEqual({
      status: 'OK',
      value: 3,
      bound: 'exact',
      summary: 'no task stuck (oldest running 3s)',
      reason:
        '1 task running (or held with a pool slot free), none for longer than 10m; 2 tasks are held by a worker with a pool slot free, ' +
        'since a moment the broker does not say (a clearly server knows); 5 tasks wait behind busy pool slots or for an ETA (queueing, not stuck)',
    });
    expect(verdict({ maxStuck: '10m' }, stuck([task('u1', 601)], 2)).status).toBe('CRITICAL');
  });
});

describe('max-heartbeat-age', () => {
  it('OK, WARNING, CRITICAL, UNKNOWN', () => {
    const hb = (...workers: [string, number, 'exact' | 'more-than'][]): Measurements => ({
      heartbeat: { ok: true, workers: workers.map(([hostname, ageSeconds, bound]) => ({ hostname, ageSeconds, bound })) },
    });
    expect(brief(verdict({ maxHeartbeatAge: '30s:1m' }, hb(['a@h', 1.2, 'exact'], ['b@h', 2.5, 'exact'])))).toEqual({
      status: 'OK',
      value: 2.5,
      bound: 'exact',
      summary: 'heartbeats 2.5s old',
      reason: 'the stalest of 2 live workers is b@h, heard from 2.5s ago',
    });
    expect(brief(verdict({ maxHeartbeatAge: '30s:1m' }, hb(['a@h', 45, 'exact'])))).toEqual({
      status: 'WARNING',
      value: 45,
      bound: 'exact',
      summary: 'heartbeat of a@h 45s old',
      reason: 'a@h was last heard from 45s ago',
    });
    expect(verdict({ maxHeartbeatAge: '5s' }, hb(['a@h', 1, 'exact'], ['b@h', 6, 'more-than'])).summary).toBe(
      'heartbeat of b@h over 6s old',
    );
    expect(verdict({ maxHeartbeatAge: '5s' }, hb(['a@h', 1, 'exact'], ['b@h', 6, 'more-than'])).status).toBe('CRITICAL');
    expect(brief(verdict({ maxHeartbeatAge: '30s' }, hb(['a@h', 1, 'exact'], ['b@h', 5, 'more-than'])))).toMatchObject({
      status: 'UNKNOWN',
      bound: 'more-than',
      summary: 'heartbeat age unknown (no heartbeat from b@h for over 5s, which does not tell whether it passed 30s)',
    });
    expect(verdict({ maxHeartbeatAge: '30s' }, hb()).summary).toBe('heartbeat age unknown (no live worker to measure)');
  });
});

describe('evaluate', () => {
  it('combines verdicts: the worst status and its exit code', () => {
    const plan = parseCheckFlags({ minWorkers: '2', maxFailureRate: '5%:10%' });
    const result = evaluate(plan, {
      workers: { ok: true, alive: ['a@h'], known: 2 },
      failures: { ok: true, failures: 3, finished: 42, windowSeconds: 600, note: null },
    });
    expect(result.verdicts.map((v) => v.status)).toEqual(['CRITICAL', 'WARNING']);
    expect(result.status).toBe('CRITICAL');
    expect(result.exitCode).toBe(2);
  });

  it('allUnknown makes every threshold UNKNOWN with the one reason', () => {
    const plan = parseCheckFlags({ minWorkers: '2', maxQueue: ['celery=5'], maxSilence: '1m' });
    const result = allUnknown(plan, 'cannot reach the broker');
    expect(result.status).toBe('UNKNOWN');
    expect(result.exitCode).toBe(3);
    expect(result.verdicts.map((v) => v.reason)).toEqual(['cannot reach the broker', 'cannot reach the broker', 'cannot reach the broker']);
  });
});

describe('max-lost', () => {
  const lostTask = (uuid: string, lostAt: number) =>
    ({ uuid, name: 'reports.build', state: 'STARTED', worker: 'w1@h', timestamp: 1, lost: true as const, lost_at: lostAt });
  it('counts lost tasks (others skipped), names the longest lost, OK / WARNING / CRITICAL / UNKNOWN', () => {
    const tasks = [lostTask('a', 900), { ...lostTask('b', 0), lost: undefined }, lostTask('c', 700)];
    const m: Measurements = { lost: { ok: true, ...lostFromTasks(tasks, 1000) } };
    expect(m.lost?.ok && m.lost.oldest.map((t) => [t.uuid, t.ageSeconds])).toEqual([['c', 300], ['a', 100]]);
    expect(brief(verdict({ maxLost: '0:5' }, m))).toEqual({
      status: 'WARNING',
      value: 2,
      bound: 'exact',
      summary: '2 lost tasks',
      reason: '2 tasks were left on a worker that went offline; longest: STARTED reports.build c on w1@h, lost 5m 00s ago (clearly tasks --lost lists them)',
    });
    expect(verdict({ maxLost: '1' }, m).status).toBe('CRITICAL');
    expect(verdict({ maxLost: '2' }, m).status).toBe('OK');
    expect(brief(verdict({ maxLost: '0' }, { lost: { ok: true, ...lostFromTasks([], 1000) } }))).toMatchObject({
      status: 'OK',
      value: 0,
      summary: '0 lost tasks',
      reason: 'no task was left RECEIVED or STARTED on a worker that went offline',
    });
    expect(verdict({ maxLost: '0' }, { lost: unmeasured('no server') }).status).toBe('UNKNOWN');
    expect(verdict({ maxLost: '0' }, {}).status).toBe('UNKNOWN');
  });

  it('parses as a count and is listed among the thresholds', () => {
    expect(parseCheckFlags({ maxLost: '1:3' }).thresholds).toEqual([{ kind: 'max-lost', levels: { warning: 1, critical: 3 } }]);
    expect(() => parseCheckFlags({ maxLost: '1m' })).toThrow(/--max-lost: expected a whole number/);
    expect(() => parseCheckFlags({})).toThrow(/--max-lost or --max-events-off/);
  });
});

describe('max-events-off', () => {
  it('counts workers without events and names them with the fix', () => {
    const m: Measurements = { eventsOff: { ok: true, workers: ['w2@h (task-events-off)'], judged: 3, note: null } };
    expect(brief(verdict({ maxEventsOff: '0' }, m))).toEqual({
      status: 'CRITICAL',
      value: 1,
      bound: 'exact',
      summary: '1 worker without events',
      reason: 'w2@h (task-events-off): their tasks do not show in any monitor; start them with -E (or worker_send_task_events = True), or run clearly enable-events',
    });
    expect(verdict({ maxEventsOff: '1' }, m).status).toBe('OK');
    expect(verdict({ maxEventsOff: '0' }, { eventsOff: { ok: true, workers: [], judged: 2, note: null } }).summary).toBe('every worker sends events');
    expect(verdict({ maxEventsOff: '0' }, {}).status).toBe('UNKNOWN');
  });
});

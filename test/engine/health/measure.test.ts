import { describe, expect, it } from 'vitest';
import type { TaskInfo } from '../../../src/engine/control/replies.js';
import {
  brokerLost,
  failuresFromTasks,
  heartbeatFromRecords,
  historyNote,
  idleHolders,
  silenceFromServer,
  stuckFromInspect,
  stuckFromTasks,
  workersFromRecords,
  type TaskTimes,
} from '../../../src/engine/health/measure.js';
import { parseWorkersPattern } from '../../../src/engine/health/thresholds.js';

const NOW = 10_000;

function task(uuid: string, state: string, times: Partial<TaskTimes> = {}): TaskTimes {
  return {
    uuid,
    name: 'tasks.x',
    state,
    worker: 'w1@h',
    timestamp: times.timestamp ?? NOW - 1,
    received: null,
    started: null,
    succeeded: null,
    failed: null,
    rejected: null,
    ...times,
  };
}

describe('failuresFromTasks', () => {
  it('counts failures and finished tasks whose final event is inside the window', () => {
    const tasks = [
      task('s1', 'SUCCESS', { succeeded: NOW - 10 }),
      task('s2', 'SUCCESS', { succeeded: NOW - 700 }), // before the window
      task('f1', 'FAILURE', { failed: NOW - 599 }),
      task('f2', 'FAILURE', { failed: NOW - 601 }), // before the window
      task('f3', 'FAILURE', { timestamp: NOW - 5 }), // no failed time: the task's own
      task('r1', 'REVOKED', { timestamp: NOW - 5 }), // not counted either way
      task('x1', 'STARTED', { started: NOW - 5 }),
    ];
    expect(failuresFromTasks(tasks, NOW, 600, 'a note')).toEqual({ failures: 2, finished: 3, windowSeconds: 600, note: 'a note' });
  });

  it('nothing finished', () => {
    expect(failuresFromTasks([], NOW, 60)).toEqual({ failures: 0, finished: 0, windowSeconds: 60, note: null });
  });
});

describe('historyNote', () => {
  it('says when the history is shorter than the window or tasks were evicted', () => {
    expect(historyNote(3600, 600, 0, 10000)).toBeNull();
    expect(historyNote(180, 600, 0, 10000)).toBe('the server has been up only 3m 00s of the 10m window');
    expect(historyNote(3600, 600, 12, 10000)).toBe(
      'the server forgot 12 older tasks (it keeps 10000: see its --max-tasks), some may have been in the window',
    );
  });
});

describe('stuckFromTasks', () => {
  it('lists STARTED and RECEIVED tasks oldest first, skipping finished and rejected ones', () => {
    const s = stuckFromTasks(
      [
        task('a', 'STARTED', { started: NOW - 30 }),
        task('b', 'RECEIVED', { received: NOW - 300, worker: 'idle@h' }),
        task('c', 'SUCCESS', { succeeded: NOW - 1 }),
        // Celery's State leaves a rejected task in STARTED: it is over, not stuck.
        task('d', 'STARTED', { started: NOW - 900, rejected: NOW - 899 }),
        task('e', 'STARTED', { timestamp: NOW - 60 }),
      ],
      NOW,
    );
    expect(s.ages).toEqual([300, 60, 30]);
    expect(s.undated).toBe(0);
    expect(s.waiting).toBe(0);
    expect(s.oldest.map((t) => [t.uuid, t.state, t.ageSeconds])).toEqual([
      ['b', 'RECEIVED', 300],
      ['e', 'STARTED', 60],
      ['a', 'STARTED', 30],
    ]);
  });

  it('a task prefetched behind busy slots is queueing, not stuck (2 running, 5 waiting: 2 may be stuck)', () => {
    const running = [task('r1', 'STARTED', { started: NOW - 15 }), task('r2', 'STARTED', { started: NOW - 14 })];
    const prefetched = Array.from({ length: 5 }, (_, i) => task(`p${i}`, 'RECEIVED', { received: NOW - 15 }));
    const s = stuckFromTasks([...running, ...prefetched], NOW);
    expect(s.oldest.map((t) => t.uuid)).toEqual(['r1', 'r2']);
    expect(s.ages).toEqual([15, 14]);
    expect(s.waiting).toBe(5);
  });

  it('a RECEIVED task on an idle worker waits since that worker last finished a task, or its ETA', () => {
    const s = stuckFromTasks(
      [
        task('old', 'RECEIVED', { received: NOW - 600, worker: 'w2@h' }),
        task('eta-past', 'RECEIVED', { received: NOW - 900, worker: 'w3@h', eta: new Date((NOW - 100) * 1000).toISOString() }),
        task('eta-ahead', 'RECEIVED', { received: NOW - 900, worker: 'w3@h', eta: '2999-01-01T00:00:00.000000+00:00' }),
      ],
      NOW,
      null,
      new Map([['w2@h', NOW - 20]]),
    );
    expect(s.oldest.map((t) => [t.uuid, t.ageSeconds])).toEqual([
      ['eta-past', 100],
      ['old', 20],
    ]);
    expect(s.waiting).toBe(1);
  });

  it('idleHolders: the workers holding RECEIVED tasks while running nothing', () => {
    expect(
      idleHolders([
        task('a', 'STARTED', { worker: 'busy@h' }),
        task('b', 'RECEIVED', { worker: 'busy@h' }),
        task('c', 'RECEIVED', { worker: 'idle@h' }),
        task('d', 'RECEIVED', { worker: 'idle@h' }),
        task('e', 'RECEIVED', { worker: 'gone@h', rejected: NOW }),
      ]),
    ).toEqual(['idle@h']);
  });

  it('lists at most 10 but keeps every age', () => {
    const many = Array.from({ length: 15 }, (_, i) => task(`t${i}`, 'STARTED', { started: NOW - i }));
    const s = stuckFromTasks(many, NOW);
    expect(s.oldest).toHaveLength(10);
    expect(s.ages).toHaveLength(15);
    expect(s.oldest[0]?.uuid).toBe('t14');
  });
});

describe('stuckFromInspect', () => {
  const info = (id: string, timeStart: number | null, hostname = 'w1@h'): TaskInfo => ({
    id,
    name: 'tasks.slow',
    args: [3],
    kwargs: {},
    type: 'tasks.slow',
    hostname,
    timeStart,
    acknowledged: true,
    workerPid: 1,
    deliveryInfo: null,
  });
  it('active tasks are dated by time_start; reserved ones behind a full pool wait, with a free slot are undated', () => {
    const active = [info('a', NOW - 12.5), info('b', null), info('c', NOW - 3, 'w2@h')];
    const reserved = [info('r1', null), info('r2', null), info('r3', null, 'w2@h'), info('r4', null, 'w3@h')];
    // w1: 2 running of 2 (full); w2: 1 of 4 (a slot free); w3: pool unknown, running nothing.
    const pools = new Map([['w1@h', 2], ['w2@h', 4]]);
    expect(stuckFromInspect(active, reserved, pools, NOW)).toEqual({
      oldest: [
        { uuid: 'a', name: 'tasks.slow', state: 'STARTED', worker: 'w1@h', ageSeconds: 12.5 },
        { uuid: 'c', name: 'tasks.slow', state: 'STARTED', worker: 'w2@h', ageSeconds: 3 },
      ],
      ages: [12.5, 3],
      undated: 3,
      waiting: 2,
      note: null,
    });
  });

  it('a worker whose pool size is unknown but runs something: its reserved tasks wait', () => {
    expect(stuckFromInspect([info('a', NOW - 1)], [info('r', null)], new Map(), NOW)).toMatchObject({ undated: 0, waiting: 1 });
  });
});

describe('workers and heartbeats from worker records', () => {
  const records = [
    { hostname: 'email@h', alive: true, last_seen: NOW - 2 },
    { hostname: 'celery@h', alive: true, last_seen: NOW - 1 },
    { hostname: 'old@h', alive: false, last_seen: NOW - 900 },
  ];
  it('alive ones that match, sorted, of the known matching ones', () => {
    expect(workersFromRecords(records, null)).toEqual({ alive: ['celery@h', 'email@h'], known: 3 });
    expect(workersFromRecords(records, parseWorkersPattern('^email@'))).toEqual({ alive: ['email@h'], known: 1 });
    expect(workersFromRecords(records, parseWorkersPattern('!^email@'))).toEqual({ alive: ['celery@h'], known: 2 });
  });

  it('heartbeat ages of live matching workers', () => {
    expect(heartbeatFromRecords(records, null, NOW)).toEqual({
      workers: [
        { hostname: 'celery@h', ageSeconds: 1, bound: 'exact' },
        { hostname: 'email@h', ageSeconds: 2, bound: 'exact' },
      ],
    });
  });
});

describe('silence from a server', () => {
  const stats = { events_processed: 10, consumer_lag_seconds: 3.5, uptime_seconds: 100, broker_state: 'connected', broker: 'redis://x/0' };
  it('the age of the newest event', () => {
    expect(silenceFromServer(stats)).toEqual({ ok: true, seconds: 3.5, bound: 'exact', note: null });
  });

  it('no event since start: at least the uptime', () => {
    expect(silenceFromServer({ ...stats, events_processed: 0, consumer_lag_seconds: 0 })).toEqual({
      ok: true,
      seconds: 100,
      bound: 'at-least',
      note: 'the server has heard no event since it started 1m 40s ago',
    });
  });

  it('a server without its broker cannot tell', () => {
    const lost = { ok: false, reason: 'the server is not connected to its broker redis://x/0 (reconnecting): its live view is stale' };
    expect(silenceFromServer({ ...stats, broker_state: 'reconnecting' })).toEqual(lost);
    expect(brokerLost({ broker_state: 'reconnecting', broker: 'redis://x/0' })).toEqual(lost);
    expect(brokerLost({ broker_state: 'connected', broker: 'redis://x/0' })).toBeNull();
  });
});

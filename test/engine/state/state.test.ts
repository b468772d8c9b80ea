import { describe, expect, it } from 'vitest';
import type { OtherEvent, TaskEvent, TaskSubject, WorkerEvent, WorkerSubject } from '../../../src/engine/events/types.js';
import type { Change, TaskState } from '../../../src/engine/model.js';
import { State } from '../../../src/engine/state/state.js';

const U = 'aaaaaaaa-0000-4000-8000-000000000001';

function tev(subject: TaskSubject, timestamp: number, over: Partial<TaskEvent> = {}): TaskEvent {
  return {
    kind: 'task', type: `task-${subject}`, subject, uuid: U,
    hostname: subject === 'sent' ? 'gen1@client' : 'w1@host', timestamp, clock: 1, pid: 1, utcoffset: 0,
    name: undefined, args: undefined, kwargs: undefined, retries: undefined, root_id: undefined,
    parent_id: undefined, eta: undefined, expires: undefined, queue: undefined, exchange: undefined,
    routing_key: undefined, result: undefined, runtime: undefined, exception: undefined, traceback: undefined,
    terminated: undefined, signum: undefined, expired: undefined, requeue: undefined,
    ...over,
  };
}

function wev(subject: WorkerSubject, timestamp: number, over: Partial<WorkerEvent> = {}): WorkerEvent {
  return {
    kind: 'worker', type: `worker-${subject}`, subject, hostname: 'w1@host', timestamp, clock: 1, pid: 9,
    utcoffset: 0, freq: 2, active: 1, processed: 5, loadavg: [0.5, 0.4, 0.3], sw_ident: 'py-celery',
    sw_ver: '5.2.6', sw_sys: 'Linux',
    ...over,
  };
}

/** Changes as short strings: `task:STATE,STATE` / `worker:host:STATUS`. */
function brief(changes: Change[]): string[] {
  return changes.map((c) =>
    c.kind === 'task' ? `task:${c.states.join(',')}` : `worker:${c.worker.hostname}:${c.status}`,
  );
}

const fresh = (): State => new State({ maxTasks: 100, maxWorkers: 10 });

describe('State: tasks', () => {
  it('reports the states to show per event, generated ones included, never backwards', () => {
    const s = fresh();
    s.apply(wev('online', 0), 0);
    // PROTOCOL §5 observed retry order, then an earlier attempt's retried delivered after SUCCESS.
    const seq: [TaskSubject, Partial<TaskEvent>, number][] = [
      ['sent', {}, 1], ['received', {}, 2], ['started', {}, 3], ['sent', { retries: 1 }, 4], ['received', { retries: 1 }, 5],
      ['retried', {}, 6], ['started', {}, 7], ['received', { retries: 2 }, 8], ['sent', { retries: 2 }, 9], ['retried', {}, 10],
      ['started', {}, 11], ['succeeded', { result: '1' }, 12], ['retried', {}, 10.5],
    ];
    const out = seq.map(([subject, over, t], i) => brief(s.apply(tev(subject, t, over), i + 1)));
    expect(out).toEqual([
      ['task:PENDING'], ['task:RECEIVED'], ['task:STARTED'], ['task:'], ['task:'], ['task:RETRY'],
      ['task:RECEIVED,STARTED'], ['task:'], ['task:'], ['task:RETRY'], ['task:RECEIVED,STARTED'],
      // The late retried moves nothing, but Celery's State moves to RETRY: SUCCESS is shown again
      // (its record now says celery_state RETRY).
      ['task:SUCCESS'], ['task:SUCCESS'],
    ]);
    // Celery's State moved back to RETRY; clearly's state and display stay at SUCCESS.
    expect(s.getTask(U)).toMatchObject({ state: 'SUCCESS', celeryState: 'RETRY', shown: 'SUCCESS', retries: 2, result: '1' });
    // A retry later in time than the success is a new attempt: it moves the task, and the display.
    expect(brief(s.apply(tev('retried', 13), 14))).toEqual(['task:RETRY']);
    expect(s.getTask(U)).toMatchObject({ state: 'RETRY', celeryState: 'RETRY', shown: 'RETRY' });
  });

  it('a first-seen SUCCESS shows RECEIVED, STARTED, SUCCESS; a late sent that fills in fields shows SUCCESS again', () => {
    const s = fresh();
    const [, done] = s.apply(tev('succeeded', 5, { result: '3' }), 5);
    expect(done?.kind === 'task' && done.states).toEqual(['RECEIVED', 'STARTED', 'SUCCESS']);
    const late = s.apply(tev('sent', 1, { name: 'tasks.add', routing_key: 'rk' }), 6);
    expect(late).toHaveLength(1);
    const c = late[0];
    expect(c?.kind === 'task' && c.states).toEqual(['SUCCESS']);
    expect(c?.kind === 'task' && c.event?.subject).toBe('sent');
    expect(s.getTask(U)).toMatchObject({ state: 'SUCCESS', shown: 'SUCCESS', name: 'tasks.add', routing_key: 'rk', client: 'gen1@client' });
  });

  it('an event that moves nothing and changes nothing shown shows nothing', () => {
    const s = fresh();
    s.apply(tev('received', 1, { name: 'tasks.add' }), 1);
    s.apply(tev('started', 2), 2);
    const again = s.apply(tev('started', 2), 3);
    expect(again.flatMap((c) => (c.kind === 'task' ? c.states : ['worker']))).toEqual([]);
  });

  it('a task revoked as expired before its task-sent arrived is shown again with its name', () => {
    const s = fresh();
    const first = s.apply(tev('revoked', 2, { expired: true, terminated: false, signum: null }), 2);
    const firstStates = first.flatMap((c) => (c.kind === 'task' ? c.states : []));
    expect(firstStates.at(-1)).toBe('REVOKED');
    expect(s.getTask(U)?.name).toBeNull();
    const late = s.apply(tev('sent', 1, { name: 'tasks.add', args: '(5, 5)' }), 3);
    expect(late.flatMap((c) => (c.kind === 'task' ? c.states : []))).toEqual(['REVOKED']);
    expect(s.getTask(U)).toMatchObject({ state: 'REVOKED', shown: 'REVOKED', name: 'tasks.add', args: '(5, 5)', sent: 1 });
  });

  it('a late event after a final state that changes nothing shown shows nothing', () => {
    const s = fresh();
    s.apply(tev('sent', 1, { name: 'tasks.add' }), 1);
    s.apply(tev('succeeded', 3, { result: '3' }), 3);
    // The same task-sent delivered twice (a redelivery): nothing new to show.
    const dup = s.apply(tev('sent', 1, { name: 'tasks.add' }), 4);
    expect(dup.flatMap((c) => (c.kind === 'task' ? c.states : []))).toEqual([]);
  });

  it('an expired revoke without receipt shows PENDING then REVOKED', () => {
    const s = fresh();
    const shown = [tev('sent', 1), tev('revoked', 2, { expired: true, terminated: false, signum: null })]
      .flatMap((e) => s.apply(e, 2))
      .flatMap((c) => (c.kind === 'task' ? c.states : []));
    expect(shown).toEqual(['PENDING', 'REVOKED']);
  });

  it('a rejected task ends REJECTED, on screen too, where Celery keeps it STARTED', () => {
    const s = fresh();
    const out = [tev('received', 1), tev('started', 2), tev('rejected', 3)].map((e) => brief(s.apply(e, 3)));
    expect(out).toEqual([['worker:w1@host:ONLINE', 'task:RECEIVED'], ['task:STARTED'], ['task:REJECTED']]);
    expect(s.getTask(U)).toMatchObject({ state: 'REJECTED', celeryState: 'STARTED', shown: 'REJECTED', rejected: 3 });
  });

  it('tasks() lists the most recently updated first', () => {
    const s = fresh();
    for (const u of ['a', 'b', 'c']) s.apply(tev('received', 1, { uuid: u }), 1);
    s.apply(tev('started', 2, { uuid: 'a' }), 2);
    expect([...s.tasks()].map((t) => t.uuid)).toEqual(['a', 'c', 'b']);
  });

  it('stays within maxTasks, evicting finished tasks first, and counts it', () => {
    const s = new State({ maxTasks: 2, maxWorkers: 10 });
    s.apply(tev('received', 1, { uuid: 'running' }), 1);
    s.apply(tev('succeeded', 2, { uuid: 'done' }), 2);
    s.apply(tev('received', 3, { uuid: 'new' }), 3);
    expect([s.taskCount, s.evictedTasks]).toEqual([2, 1]);
    expect(s.getTask('done')).toBeUndefined();
    expect(s.getTask('running')?.state).toBe('RECEIVED');
  });
});

describe('State: workers', () => {
  it('online, heartbeats, offline at once', () => {
    const s = fresh();
    expect(brief(s.apply(wev('online', 0), 0))).toEqual(['worker:w1@host:ONLINE']);
    expect(brief(s.apply(wev('heartbeat', 2), 2))).toEqual(['worker:w1@host:HEARTBEAT']);
    expect(brief(s.apply(wev('offline', 3), 3))).toEqual(['worker:w1@host:OFFLINE']);
    expect(s.getWorker('w1@host')?.alive).toBe(false);
    expect(s.expire(100)).toEqual([]);
  });

  it('a heartbeat from an unknown worker reports ONLINE first', () => {
    const s = fresh();
    const out = s.apply(wev('heartbeat', 1), 1);
    expect(brief(out)).toEqual(['worker:w1@host:ONLINE', 'worker:w1@host:HEARTBEAT']);
    expect(out.every((c) => c.kind === 'worker' && c.event?.subject === 'heartbeat')).toBe(true);
  });

  it('a killed worker goes OFFLINE once after 2×freq; its next heartbeat brings it back ONLINE', () => {
    const s = fresh();
    s.apply(wev('online', 0, { freq: 2 }), 100);
    expect(s.expire(103.9)).toEqual([]);
    const gone = s.expire(104);
    expect(gone.map((c) => c.kind === 'worker' && [c.worker.hostname, c.status, c.event])).toEqual([['w1@host', 'OFFLINE', null]]);
    expect(s.expire(200)).toEqual([]);
    expect(brief(s.apply(wev('heartbeat', 1), 300))).toEqual(['worker:w1@host:ONLINE', 'worker:w1@host:HEARTBEAT']);
  });

  it('task events keep a worker alive, and revive a worker considered gone', () => {
    const s = fresh();
    s.apply(wev('online', 0, { freq: 2 }), 100);
    s.apply(tev('received', 1, { uuid: 'x' }), 103);
    expect(s.expire(106)).toEqual([]);
    // x was RECEIVED on it: lost (state/lost.ts), until its next event.
    expect(brief(s.expire(107))).toEqual(['worker:w1@host:OFFLINE', 'task:RECEIVED']);
    expect(s.getTask('x')?.lost).toBe(true);
    const back = s.apply(tev('started', 2, { uuid: 'x' }), 110);
    expect(brief(back)).toEqual(['worker:w1@host:ONLINE', 'task:STARTED']);
    expect(back[0]?.kind === 'worker' && back[0].event).toBeNull();
  });

  it('a worker whose window ran out with no expire() tick is reported OFFLINE, then ONLINE', () => {
    const s = fresh();
    s.apply(wev('online', 0, { freq: 2 }), 100);
    expect(brief(s.apply(wev('heartbeat', 1), 110))).toEqual([
      'worker:w1@host:OFFLINE', 'worker:w1@host:ONLINE', 'worker:w1@host:HEARTBEAT',
    ]);
    expect(brief(s.apply(wev('offline', 2), 120))).toEqual(['worker:w1@host:OFFLINE']);
  });

  it('task-sent comes from a client: it creates no worker and sets task.client', () => {
    const s = fresh();
    expect(brief(s.apply(tev('sent', 1), 1))).toEqual(['task:PENDING']);
    expect(s.workerCount).toBe(0);
    expect(s.getTask(U)).toMatchObject({ client: 'gen1@client', worker: null });
    s.apply(tev('received', 2), 2);
    expect([...s.workers()].map((w) => w.hostname)).toEqual(['w1@host']);
    expect(s.getTask(U)).toMatchObject({ client: 'gen1@client', worker: 'w1@host' });
  });

  it('a control-induced heartbeat keeps active/processed/loadavg, takes its freq', () => {
    const s = fresh();
    s.apply(wev('heartbeat', 1), 1);
    s.apply(wev('heartbeat', 2, { freq: 5, active: undefined, processed: undefined, loadavg: undefined, clock: 8 }), 2);
    expect(s.getWorker('w1@host')).toMatchObject({ freq: 5, active: 1, processed: 5, loadavg: [0.5, 0.4, 0.3], clock: 8 });
  });

  it('stays within maxWorkers, evicting offline ones first', () => {
    const s = new State({ maxTasks: 10, maxWorkers: 2 });
    s.apply(wev('online', 0, { hostname: 'a' }), 1);
    s.apply(wev('online', 0, { hostname: 'b' }), 2);
    s.apply(wev('offline', 0, { hostname: 'b' }), 3);
    s.apply(wev('online', 0, { hostname: 'c' }), 4);
    expect([...s.workers()].map((w) => w.hostname)).toEqual(['a', 'c']);
    expect([s.workerCount, s.evictedWorkers]).toEqual([2, 1]);
  });
});

describe('State: other', () => {
  it('an OtherEvent changes nothing', () => {
    const s = fresh();
    const other: OtherEvent = { kind: 'other', type: 'worker-foo', hostname: 'w1@host', timestamp: 1, fields: {} };
    expect(s.apply(other, 1)).toEqual([]);
    expect([s.taskCount, s.workerCount]).toEqual([0, 0]);
  });

  it('tasksCreated counts task entries, not distinct tasks: evicted or cleared and seen again counts again', () => {
    const s = new State({ maxTasks: 2, maxWorkers: 10 });
    for (const u of ['a', 'b', 'a', 'c']) s.apply(tev('succeeded', 1, { uuid: u }), 1); // c evicts a
    expect([s.tasksCreated, s.taskCount, s.evictedTasks]).toEqual([3, 2, 1]);
    s.apply(tev('succeeded', 2, { uuid: 'a' }), 2); // a again: a new entry (evicts b)
    expect([s.tasksCreated, s.taskCount, s.evictedTasks]).toEqual([4, 2, 2]);
    s.clear();
    expect(s.tasksCreated).toBe(4); // kept across clear(), unlike the eviction counter
    s.apply(tev('succeeded', 3, { uuid: 'c' }), 3);
    s.apply(tev('succeeded', 3, { uuid: 'c' }), 3); // same entry: not counted twice
    expect([s.tasksCreated, s.taskCount, s.evictedTasks]).toEqual([5, 1, 0]);
  });

  it('clear() forgets everything', () => {
    const s = new State({ maxTasks: 1, maxWorkers: 10 });
    s.apply(tev('succeeded', 1, { uuid: 'a' }), 1);
    s.apply(tev('succeeded', 1, { uuid: 'b' }), 1);
    s.clear();
    expect([s.taskCount, s.workerCount, s.evictedTasks, s.evictedWorkers, [...s.tasks()]]).toEqual([0, 0, 0, 0, []]);
    const states: TaskState[] = [];
    for (const c of s.apply(tev('succeeded', 2, { uuid: 'a' }), 2)) if (c.kind === 'task') states.push(...c.states);
    expect(states).toEqual(['RECEIVED', 'STARTED', 'SUCCESS']);
  });
  it("carries Celery's task.hostname on each change: a late task-received keeps the previous event's host", () => {
    const s = fresh();
    const host = (ev: TaskEvent): (string | null)[] => s.apply(ev, ev.timestamp).flatMap((c) => (c.kind === 'task' ? [c.hostname] : []));
    // In order: every event's own hostname (task-sent's is the publisher's).
    expect(host(tev('sent', 1, { uuid: 'a', hostname: 'web@1' }))).toEqual(['web@1']);
    expect(host(tev('received', 2, { uuid: 'a', hostname: 'w1@host' }))).toEqual(['w1@host']);
    // Redelivered to w2 after w1 started it: Celery merges no hostname from a late task-received.
    expect(host(tev('started', 3, { uuid: 'b', hostname: 'w1@host' }))).toEqual(['w1@host']);
    expect(host(tev('received', 2, { uuid: 'b', hostname: 'w2@host' }))).toEqual(['w1@host']);
    // A late task-sent merges its hostname: the late task-received after it keeps the publisher's.
    expect(host(tev('started', 3, { uuid: 'c', hostname: 'w1@host' }))).toEqual(['w1@host']);
    expect(host(tev('sent', 1, { uuid: 'c', hostname: 'web@1' }))).toEqual(['web@1']);
    expect(host(tev('received', 2, { uuid: 'c', hostname: 'w2@host' }))).toEqual(['web@1']);
    // Any other late event merges its hostname (Celery keeps no merge_rules for it).
    expect(host(tev('succeeded', 5, { uuid: 'd', hostname: 'w1@host' }))).toEqual(['w1@host']);
    expect(host(tev('started', 4, { uuid: 'd', hostname: 'w2@host' }))).toEqual(['w2@host']);
  });
});

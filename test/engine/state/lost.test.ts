import { describe, expect, it } from 'vitest';
import type { TaskEvent, TaskSubject, WorkerEvent, WorkerSubject } from '../../../src/engine/events/types.js';
import type { Change } from '../../../src/engine/model.js';
import { State } from '../../../src/engine/state/state.js';
import { taskSentMissing } from '../../../src/engine/state/events-status.js';

function tev(subject: TaskSubject, uuid: string, timestamp: number, hostname = 'w1@host', over: Partial<TaskEvent> = {}): TaskEvent {
  return {
    kind: 'task', type: `task-${subject}`, subject, uuid,
    hostname: subject === 'sent' ? 'gen1@client' : hostname, timestamp, clock: 1, pid: 1, utcoffset: 0,
    name: 'tasks.slow', args: undefined, kwargs: undefined, retries: undefined, root_id: undefined,
    parent_id: undefined, eta: undefined, expires: undefined, queue: undefined, exchange: undefined,
    routing_key: undefined, result: undefined, runtime: undefined, exception: undefined, traceback: undefined,
    terminated: undefined, signum: undefined, expired: undefined, requeue: undefined,
    ...over,
  };
}

function wev(subject: WorkerSubject, timestamp: number, hostname = 'w1@host'): WorkerEvent {
  return {
    kind: 'worker', type: `worker-${subject}`, subject, hostname, timestamp, clock: 1, pid: 9,
    utcoffset: 0, freq: 2, active: 1, processed: 5, loadavg: [0.5, 0.4, 0.3], sw_ident: 'py-celery',
    sw_ver: '5.2.6', sw_sys: 'Linux',
  };
}

/** `worker:host:STATUS`, `task:uuid:STATES:lost` (lost changes carry no event). */
function brief(changes: Change[]): string[] {
  return changes.map((c) =>
    c.kind === 'task'
      ? `task:${c.task.uuid}:${c.states.join(',')}${c.event === null ? ':lost' : ''}`
      : `worker:${c.worker.hostname}:${c.status}`,
  );
}

/** w1 runs `a` (STARTED) and holds `b` (RECEIVED); `c` succeeded on w1, `d` runs on w2, `e` was only sent. */
function cluster(): State {
  const s = new State({ maxTasks: 100, maxWorkers: 10 });
  s.apply(wev('online', 0), 100);
  s.apply(wev('online', 0, 'w2@host'), 100);
  s.apply(tev('received', 'a', 1), 101);
  s.apply(tev('started', 'a', 2), 101);
  s.apply(tev('received', 'b', 3), 101);
  s.apply(tev('received', 'c', 3), 101);
  s.apply(tev('started', 'c', 3), 101);
  s.apply(tev('succeeded', 'c', 4), 101);
  s.apply(tev('received', 'd', 4, 'w2@host'), 101);
  s.apply(tev('started', 'd', 4, 'w2@host'), 101);
  s.apply(tev('sent', 'e', 4), 101);
  return s;
}

describe('lost tasks', () => {
  it('a clean shutdown marks what was RECEIVED or STARTED on that worker lost, at the time passed in, each as a change', () => {
    const s = cluster();
    const out = s.apply(wev('offline', 5), 102.5);
    expect(brief(out)).toEqual(['worker:w1@host:OFFLINE', 'task:a:STARTED:lost', 'task:b:RECEIVED:lost']);
    expect(s.getTask('a')).toMatchObject({ state: 'STARTED', lost: true, lostAt: 102.5 });
    expect(s.getTask('b')).toMatchObject({ state: 'RECEIVED', lost: true, lostAt: 102.5 });
    for (const u of ['c', 'd', 'e']) expect(s.getTask(u)).toMatchObject({ lost: false, lostAt: null });
  });

  it('heartbeat expiry (a SIGKILLed worker) marks them too, once', () => {
    const s = cluster();
    s.apply(wev('heartbeat', 5, 'w2@host'), 104);
    // w1 last heard at 101, freq 2: gone after 105.
    expect(brief(s.expire(104.9))).toEqual([]);
    expect(brief(s.expire(105.5))).toEqual(['worker:w1@host:OFFLINE', 'task:a:STARTED:lost', 'task:b:RECEIVED:lost']);
    expect(s.getTask('a')?.lostAt).toBe(105.5);
    expect(brief(s.expire(200))).toEqual(['worker:w2@host:OFFLINE', 'task:d:STARTED:lost']);
    // Already lost: not again.
    expect(s.apply(wev('offline', 9), 201).filter((c) => c.kind === 'task')).toEqual([]);
  });

  it('a worker whose window ran out without a tick loses its tasks before its next event brings it back', () => {
    const s = cluster();
    expect(brief(s.apply(wev('heartbeat', 50), 150))).toEqual([
      'worker:w1@host:OFFLINE',
      'task:a:STARTED:lost',
      'task:b:RECEIVED:lost',
      'worker:w1@host:ONLINE',
      'worker:w1@host:HEARTBEAT',
    ]);
    expect(s.getTask('a')?.lost).toBe(true);
  });

  it('a later event of the task clears the mark and shows the task again, even one that moves nothing', () => {
    const s = cluster();
    s.apply(wev('offline', 5), 102.5);
    // A restarted worker gets the message again (acks_late): RECEIVED ranks below STARTED, so the
    // state stays; the mark goes, and the task is shown again for it.
    const again = s.apply(tev('received', 'a', 10, 'w3@host'), 110);
    expect(brief(again)).toEqual(['worker:w3@host:ONLINE', 'task:a:STARTED']);
    expect(s.getTask('a')).toMatchObject({ lost: false, lostAt: null, worker: 'w3@host' });
    expect(brief(s.apply(tev('succeeded', 'a', 11, 'w3@host'), 111))).toEqual(['task:a:SUCCESS']);
  });

  it("the publisher's task-sent does not clear it: it says nothing about who holds the task", () => {
    const s = cluster();
    s.apply(wev('offline', 5), 102.5);
    s.apply(tev('sent', 'b', 1), 103);
    expect(s.getTask('b')?.lost).toBe(true);
  });

  it('a lost task becomes the most recently updated (queries list it first)', () => {
    const s = cluster();
    s.apply(wev('offline', 5), 102.5);
    expect([...s.tasks()].slice(0, 2).map((t) => t.uuid).sort()).toEqual(['a', 'b']);
  });

  it("prefork's WorkerLostError FAILURE stays what it is: the worker going offline later does not mark it lost", () => {
    const s = cluster();
    const exception = "WorkerLostError('Worker exited prematurely: signal 9 (SIGKILL) Job: 0.')";
    s.apply(tev('failed', 'a', 5, 'w1@host', { exception }), 102);
    const out = s.apply(wev('offline', 6), 103);
    expect(brief(out)).toEqual(['worker:w1@host:OFFLINE', 'task:b:RECEIVED:lost']);
    expect(s.getTask('a')).toMatchObject({ state: 'FAILURE', exception, lost: false, lostAt: null });
  });

  it('a requeued rejection (back in its queue) is not lost', () => {
    const s = cluster();
    s.apply(tev('rejected', 'b', 4, 'w1@host', { requeue: true }), 101);
    s.apply(wev('offline', 5), 102.5);
    expect(s.getTask('b')?.lost).toBe(false);
  });
});

describe('events off, as the reducer sees it', () => {
  it('a worker whose processed count rises with no task event from it has task events off; one that sends them is on', async () => {
    const { eventsStatus, workerEventsSeen, eventsOffNotice } = await import('../../../src/engine/state/events-status.js');
    const s = new State({ maxTasks: 10, maxWorkers: 10 });
    const hb = (host: string, t: number, processed: number): WorkerEvent => ({ ...wev('heartbeat', t, host), processed });
    s.apply(hb('off@h', 1, 10), 100);
    s.apply(hb('on@h', 1, 10), 100);
    s.apply(tev('received', 'x', 2, 'on@h'), 101);
    s.apply(hb('off@h', 3, 14), 102);
    s.apply(hb('on@h', 3, 11), 102);
    const off = s.getWorker('off@h')!;
    const v = eventsStatus(workerEventsSeen(off, 103));
    expect(v).toEqual({ status: 'task-events-off', reason: 'it finished 4 tasks (its heartbeats say) and sent no task event' });
    expect(eventsStatus(workerEventsSeen(s.getWorker('on@h')!, 103)).status).toBe('on');
    expect(eventsOffNotice('off@h', v, false)).toMatch(/^off@h sends no task events: .*Fix: start the worker with -E/);
    expect(eventsOffNotice('on@h', eventsStatus(workerEventsSeen(s.getWorker('on@h')!, 103)), false)).toBeNull();
  });

  it('counts how tasks first appear: by task-sent or at a worker', () => {
    const s = new State({ maxTasks: 10, maxWorkers: 10 });
    s.apply(tev('sent', 'a', 1), 1);
    s.apply(tev('received', 'a', 2), 2);
    s.apply(tev('received', 'b', 2), 2);
    s.apply(tev('started', 'c', 2), 2);
    expect([s.firstSent, s.firstReceived]).toEqual([1, 1]);
  });

  it("counts the publishers' task-sent events, late ones too, and not the tap's copies", () => {
    const s = new State({ maxTasks: 10, maxWorkers: 10 });
    // The worker's task-received overtook the publisher's task-sent: first seen at RECEIVED, still sent.
    s.apply(tev('received', 'a', 2), 2);
    s.apply(tev('sent', 'a', 1), 3);
    s.applyTapped(tev('sent', 'b', 4), 4);
    expect([s.firstSent, s.firstReceived, s.sentEvents, s.tappedApplied, s.publishersSent]).toEqual([1, 1, 2, 1, 1]);
    expect(taskSentMissing(s.publishersSent, 3)).toBe(false);
    expect(taskSentMissing(0, 3)).toBe(true);
    expect(taskSentMissing(0, 2)).toBe(false);
  });

  describe('after a restart from the store', () => {
    /** What a store kept of `cluster()`: its tasks and workers, put back into a fresh State. */
    function restored(at: number): { s: State; out: Change[] } {
      const old = cluster();
      const s = new State({ maxTasks: 100, maxWorkers: 10 });
      for (const t of [...old.tasks()].reverse()) s.restoreTask({ ...t });
      const out: Change[] = [];
      for (const w of old.workers()) out.push(...s.restoreWorker({ ...w }, at));
      return { s, out };
    }

    it('a worker that died while the server was down (window ran out) goes OFFLINE and its tasks lost, as changes', () => {
      // Both workers last heard at 101, freq 2: their window ends at 105.
      const { s, out } = restored(200);
      expect(brief(out)).toEqual([
        'worker:w1@host:OFFLINE', 'task:a:STARTED:lost', 'task:b:RECEIVED:lost',
        'worker:w2@host:OFFLINE', 'task:d:STARTED:lost',
      ]);
      expect(s.getTask('a')).toMatchObject({ state: 'STARTED', lost: true, lostAt: 200 });
      expect(s.getWorker('w1@host')?.alive).toBe(false);
      for (const u of ['c', 'e']) expect(s.getTask(u)).toMatchObject({ lost: false });
    });

    it('a worker still in its window stays alive; the expiry after the restart loses its tasks', () => {
      const { s, out } = restored(103);
      expect(out).toEqual([]);
      expect(s.getWorker('w1@host')?.alive).toBe(true);
      expect(s.getTask('a')).toMatchObject({ lost: false });
      expect(brief(s.expire(106))).toEqual([
        'worker:w1@host:OFFLINE', 'task:a:STARTED:lost', 'task:b:RECEIVED:lost',
        'worker:w2@host:OFFLINE', 'task:d:STARTED:lost',
      ]);
    });

    it('a worker already OFFLINE in the store changes nothing (its tasks were marked when it went)', () => {
      const old = cluster();
      old.apply(wev('offline', 5), 102.5);
      const s = new State({ maxTasks: 100, maxWorkers: 10 });
      for (const t of [...old.tasks()].reverse()) s.restoreTask({ ...t });
      const out = [...old.workers()].flatMap((w) => s.restoreWorker({ ...w }, 300));
      expect(brief(out)).toEqual(['worker:w2@host:OFFLINE', 'task:d:STARTED:lost']);
      expect(s.getTask('a')).toMatchObject({ lost: true, lostAt: 102.5 });
    });
  });
});

import { describe, expect, it } from 'vitest';
import type { TaskEvent, TaskSubject } from '../../../src/engine/events/types.js';
import { type Task, newTask } from '../../../src/engine/model.js';
import { applyTaskEvent, isLateForCelery, precedence, stateOf } from '../../../src/engine/state/task-state.js';

const UUID = 'd054e983-0000-4000-8000-000000000001';

/** A task event with every key present, as the decoder builds them. */
function ev(subject: TaskSubject | 'other', timestamp: number, over: Partial<TaskEvent> = {}): TaskEvent {
  return {
    kind: 'task',
    type: `task-${subject}`,
    subject,
    uuid: UUID,
    hostname: subject === 'sent' ? 'gen1@client' : 'w1@host',
    timestamp,
    clock: Math.round(timestamp),
    pid: 1,
    utcoffset: 0,
    name: undefined,
    args: undefined,
    kwargs: undefined,
    retries: undefined,
    root_id: undefined,
    parent_id: undefined,
    eta: undefined,
    expires: undefined,
    queue: undefined,
    exchange: undefined,
    routing_key: undefined,
    result: undefined,
    runtime: undefined,
    exception: undefined,
    traceback: undefined,
    terminated: undefined,
    signum: undefined,
    expired: undefined,
    requeue: undefined,
    ...over,
  };
}

const SENT = {
  name: 'tasks.add',
  args: '(1, 2)',
  kwargs: '{}',
  retries: 0,
  root_id: UUID,
  parent_id: null,
  eta: null,
  expires: null,
  queue: 'celery',
  exchange: '',
  routing_key: 'celery',
};
const RECEIVED = {
  name: 'tasks.add',
  args: '(1, 2)',
  kwargs: '{}',
  retries: 0,
  root_id: UUID,
  parent_id: null,
  eta: null,
  expires: null,
};

function run(...events: TaskEvent[]): { task: Task; states: string[] } {
  const task = newTask(UUID);
  const states = events.map((e) => applyTaskEvent(task, e));
  return { task, states };
}

describe('precedence (celery.states.PRECEDENCE)', () => {
  it('ranks states as Celery does, custom states between FAILURE and REVOKED', () => {
    const order = ['SUCCESS', 'FAILURE', 'PROGRESS', 'REVOKED', 'STARTED', 'RECEIVED', 'REJECTED', 'RETRY', 'PENDING'];
    expect(order.map(precedence)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('isLateForCelery: lower-ranked incoming is late, RETRY on either side never is', () => {
    expect(isLateForCelery('RECEIVED', 'STARTED')).toBe(true);
    expect(isLateForCelery('PENDING', 'SUCCESS')).toBe(true);
    expect(isLateForCelery('FAILURE', 'SUCCESS')).toBe(true);
    expect(isLateForCelery('STARTED', 'STARTED')).toBe(false);
    expect(isLateForCelery('SUCCESS', 'FAILURE')).toBe(false);
    expect(isLateForCelery('RETRY', 'SUCCESS')).toBe(false);
    expect(isLateForCelery('PENDING', 'RETRY')).toBe(false);
  });
});

describe('stateOf (TASK_EVENT_TO_STATE)', () => {
  it('maps each subject, and a custom task-foo to FOO', () => {
    const subjects = ['sent', 'received', 'started', 'succeeded', 'failed', 'retried', 'revoked', 'rejected'] as const;
    expect(subjects.map((s) => stateOf(ev(s, 1)))).toEqual([
      'PENDING', 'RECEIVED', 'STARTED', 'SUCCESS', 'FAILURE', 'RETRY', 'REVOKED', 'REJECTED',
    ]);
    expect(stateOf(ev('other', 1, { type: 'task-progress' }))).toBe('PROGRESS');
    expect(stateOf(ev('other', 1, { type: 'task-foo-bar' }))).toBe('FOO-BAR');
  });
});

describe('applyTaskEvent', () => {
  it('starts PENDING like Celery and walks an in-order life, setting task.<subject> each time', () => {
    expect(newTask(UUID).state).toBe('PENDING');
    const { task, states } = run(
      ev('sent', 10, SENT),
      ev('received', 11, RECEIVED),
      ev('started', 12),
      ev('succeeded', 13, { result: '3', runtime: 0.5 }),
    );
    expect(states).toEqual(['PENDING', 'RECEIVED', 'STARTED', 'SUCCESS']);
    expect(task).toMatchObject({
      state: 'SUCCESS', timestamp: 13, clock: 13, name: 'tasks.add', args: '(1, 2)', result: '3', runtime: 0.5,
      sent: 10, received: 11, started: 12, succeeded: 13, worker: 'w1@host', client: 'gen1@client',
      routing_key: 'celery', exchange: '', queue: 'celery', root_id: UUID, parent_id: null,
    });
  });

  it('a late task-received (after started) merges only the merge_rules fields', () => {
    const { task, states } = run(
      ev('started', 20),
      ev('received', 15, { ...RECEIVED, retries: 1, eta: '2026-01-01T00:00:00+00:00', hostname: 'w2@host', queue: 'q9' }),
    );
    expect(states).toEqual(['STARTED', 'STARTED']);
    expect(task).toMatchObject({
      state: 'STARTED', timestamp: 20, clock: 20, received: 15, started: 20,
      name: 'tasks.add', args: '(1, 2)', kwargs: '{}', retries: 1, eta: '2026-01-01T00:00:00+00:00',
      // Not in merge_rules: not merged.
      queue: null,
      // Celery sets task.worker before the merge, late or not.
      worker: 'w2@host',
    });
  });

  it('a late task-sent (after success) merges all its fields but the state', () => {
    const { task, states } = run(
      ev('received', 11, RECEIVED),
      ev('started', 12),
      ev('succeeded', 13, { result: '3', runtime: 0.5 }),
      ev('sent', 10, { ...SENT, exchange: 'ex', routing_key: 'rk.x', queue: 'q2', clock: 4 }),
    );
    expect(states).toEqual(['RECEIVED', 'STARTED', 'SUCCESS', 'SUCCESS']);
    expect(task).toMatchObject({
      state: 'SUCCESS', result: '3', sent: 10, succeeded: 13,
      // Celery's __dict__.update(fields) takes the late event's timestamp and clock too.
      timestamp: 10, clock: 4,
      exchange: 'ex', routing_key: 'rk.x', queue: 'q2', client: 'gen1@client', worker: 'w1@host',
    });
  });

  it('follows the observed retry order: RETRY always applies and is always overwritten', () => {
    // PROTOCOL §5: sent, received, started, sent, received, retried, started, received, sent,
    // retried, started, succeeded.
    const { task, states } = run(
      ev('sent', 1, SENT),
      ev('received', 2, RECEIVED),
      ev('started', 3),
      ev('sent', 4, { ...SENT, retries: 1, parent_id: UUID, eta: 'e1', hostname: 'gen7@child' }),
      ev('received', 5, { ...RECEIVED, retries: 1, parent_id: UUID, eta: 'e1' }),
      ev('retried', 6, { exception: "ValueError('flaky attempt 0')", traceback: 'tb0' }),
      ev('started', 7),
      ev('received', 8, { ...RECEIVED, retries: 2, parent_id: UUID, eta: 'e2' }),
      ev('sent', 9, { ...SENT, retries: 2, parent_id: UUID, eta: 'e2', hostname: 'gen8@child' }),
      ev('retried', 10, { exception: "ValueError('flaky attempt 1')", traceback: 'tb1' }),
      ev('started', 11),
      ev('succeeded', 12, { result: "'ok'", runtime: 0.1 }),
    );
    expect(states).toEqual([
      'PENDING', 'RECEIVED', 'STARTED', 'STARTED', 'STARTED', 'RETRY', 'STARTED', 'STARTED', 'STARTED', 'RETRY',
      'STARTED', 'SUCCESS',
    ]);
    expect(task).toMatchObject({
      state: 'SUCCESS', retries: 2, parent_id: UUID, eta: 'e2', exception: "ValueError('flaky attempt 1')",
      client: 'gen8@child', sent: 9, received: 8, started: 11, retried: 10, succeeded: 12, timestamp: 12,
    });
  });

  it('correction b: a RETRY older than the SUCCESS is late (Celery lets it overwrite), its fields merged', () => {
    const { task } = run(ev('succeeded', 5, { result: '1' }), ev('retried', 4, { exception: 'E()' }));
    expect(task).toMatchObject({ state: 'SUCCESS', celeryState: 'RETRY', exception: 'E()', retried: 4, timestamp: 4 });
  });

  it('correction b: a retry later in time than a failure does move the task (Celery rule)', () => {
    const { task } = run(ev('failed', 5, { exception: 'E()' }), ev('retried', 6, { exception: 'E2()' }));
    expect(task).toMatchObject({ state: 'RETRY', celeryState: 'RETRY', finishedAt: null });
  });

  it('correction b: an earlier attempt delivered after the last one never moves the SUCCESS back', () => {
    // Attempt 1 on w1 (received 1, started 2, retried 3), attempt 2 on w2 (received 4 .. succeeded 6);
    // w1's buffer is flushed after w2's.
    const { task, states } = run(
      ev('received', 4, { ...RECEIVED, retries: 1, hostname: 'w2@host' }),
      ev('started', 5, { hostname: 'w2@host' }),
      ev('succeeded', 6, { result: '1', hostname: 'w2@host' }),
      ev('received', 1, RECEIVED),
      ev('started', 2),
      ev('retried', 3, { exception: 'E()' }),
    );
    expect(states).toEqual(['RECEIVED', 'STARTED', 'SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);
    // Celery: the RETRY overwrites, and stays.
    expect(task).toMatchObject({ state: 'SUCCESS', celeryState: 'RETRY', finishedAt: 6, succeeded: 6 });
  });

  it('correction a: a rejected task ends REJECTED (Celery keeps it STARTED), a requeued one does not', () => {
    const { task, states } = run(ev('received', 1, RECEIVED), ev('started', 2), ev('rejected', 3, { requeue: false }));
    expect(states).toEqual(['RECEIVED', 'STARTED', 'REJECTED']);
    expect(task).toMatchObject({ state: 'REJECTED', celeryState: 'STARTED', rejected: 3, timestamp: 3, clock: 3, requeue: false, finishedAt: 3 });
    const requeued = run(ev('received', 1, RECEIVED), ev('started', 2), ev('rejected', 3, { requeue: true }));
    expect(requeued.task).toMatchObject({ state: 'STARTED', celeryState: 'STARTED', rejected: 3, finishedAt: null });
  });

  it('correction a: a final REJECTED ranks with REVOKED: later STARTED/RECEIVED are late, SUCCESS is not', () => {
    const a = run(ev('rejected', 3, { requeue: false }), ev('started', 4), ev('received', 5, RECEIVED));
    expect(a.task).toMatchObject({ state: 'REJECTED', celeryState: 'STARTED' });
    const b = run(ev('rejected', 3, { requeue: false }), ev('succeeded', 4, { result: '1' }));
    expect(b.task).toMatchObject({ state: 'SUCCESS', celeryState: 'SUCCESS' });
  });

  it('correction a: a requeued rejection seen first is left by the next delivery', () => {
    const { task, states } = run(ev('rejected', 3, { requeue: true }), ev('received', 4, RECEIVED), ev('started', 5));
    expect(states).toEqual(['REJECTED', 'RECEIVED', 'STARTED']);
    expect(task).toMatchObject({ state: 'STARTED', celeryState: 'STARTED', requeue: true });
  });

  it('an expired task is revoked without ever being received', () => {
    const { task, states } = run(
      ev('sent', 1, { ...SENT, expires: '2026-01-01T00:00:01+00:00' }),
      ev('revoked', 2, { terminated: false, signum: null, expired: true }),
    );
    expect(states).toEqual(['PENDING', 'REVOKED']);
    expect(task).toMatchObject({
      state: 'REVOKED', received: null, started: null, revoked: 2, expired: true, terminated: false, signum: null,
      expires: '2026-01-01T00:00:01+00:00', worker: 'w1@host', client: 'gen1@client',
    });
  });

  it('FAILURE after SUCCESS is late (fields merged), SUCCESS after FAILURE wins', () => {
    const a = run(ev('succeeded', 5, { result: '1' }), ev('failed', 6, { exception: 'E()', traceback: 'tb' }));
    expect(a.task).toMatchObject({ state: 'SUCCESS', exception: 'E()', traceback: 'tb', failed: 6, timestamp: 6 });
    const b = run(ev('failed', 5, { exception: 'E()' }), ev('succeeded', 6, { result: '1' }));
    expect(b.task).toMatchObject({ state: 'SUCCESS', exception: 'E()', result: '1', timestamp: 6 });
  });

  it('custom task-foo gives state FOO, outranks STARTED, yields to SUCCESS, and sets no timestamp field', () => {
    const { task, states } = run(
      ev('started', 1),
      ev('other', 2, { type: 'task-progress' }),
      ev('started', 3),
      ev('succeeded', 4, { result: '1' }),
    );
    expect(states).toEqual(['STARTED', 'PROGRESS', 'PROGRESS', 'SUCCESS']);
    expect(task.started).toBe(3);
    expect(Object.keys(task)).not.toContain('progress');
  });

  it('fields an event does not carry are kept', () => {
    const { task } = run(ev('received', 1, RECEIVED), ev('started', 2), ev('failed', 3, { exception: 'X()' }));
    expect(task).toMatchObject({ name: 'tasks.add', args: '(1, 2)', kwargs: '{}', exception: 'X()', result: null });
  });
});

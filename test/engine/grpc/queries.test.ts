import { describe, expect, it } from 'vitest';
import type { TaskEvent, TaskSubject, WorkerEvent } from '../../../src/engine/events/types.js';
import {
  compileTaskQuery,
  compileWorkerQuery,
  queryTasks,
  queryWorkers,
} from '../../../src/engine/grpc/queries.js';
import { State } from '../../../src/engine/state/state.js';
import { UsageError } from '../../../src/errors.js';

const T0 = 1_800_000_000;
let clock = 0;

function task(subject: TaskSubject, uuid: string, extra: Partial<TaskEvent> = {}): TaskEvent {
  clock++;
  return {
    kind: 'task',
    type: `task-${subject}`,
    subject,
    uuid,
    hostname: 'w1@alpha',
    timestamp: T0 + clock,
    clock,
    pid: 1,
    utcoffset: 0,
    ...extra,
  };
}

function worker(subject: 'online' | 'offline', hostname: string): WorkerEvent {
  return { kind: 'worker', type: `worker-${subject}`, subject, hostname, timestamp: T0, clock: 1, pid: 1, utcoffset: 0 };
}

/** Five tasks, applied in this order (so the update order newest-first is e, d, c, b, a). */
function sample(): State {
  const s = new State({ maxTasks: 100, maxWorkers: 10 });
  const events = [
    task('received', 'a', { name: 'tasks.add', routing_key: 'celery' }),
    task('received', 'b', { name: 'email.send', routing_key: 'mail' }),
    task('received', 'c', { name: 'tasks.fail', hostname: 'w2@beta' }),
    task('failed', 'c', { hostname: 'w2@beta', exception: 'Boom()' }),
    task('succeeded', 'a', { result: '3' }),
    task('received', 'd', { name: 'email.send' }),
    task('failed', 'd', { exception: 'SMTPError()' }),
    task('sent', 'e', { name: 'tasks.add', hostname: 'gen1@client' }),
  ];
  for (const e of events) s.apply(e, T0 + 1);
  return s;
}

const uuids = (s: State, q: Parameters<typeof compileTaskQuery>[0]) => queryTasks(s, compileTaskQuery(q)).map((t) => t.uuid);

describe('task queries', () => {
  it('returns every stored task newest first by default', () => {
    expect(uuids(sample(), {})).toEqual(['e', 'd', 'a', 'c', 'b']);
  });

  it('filters by state (current state), pattern and worker, combinable and negatable', () => {
    const s = sample();
    expect(uuids(s, { filter: { states: ['FAILURE'] } })).toEqual(['d', 'c']);
    expect(uuids(s, { filter: { states: ['!FAILURE'] } })).toEqual(['e', 'a', 'b']);
    expect(uuids(s, { filter: { pattern: '^email' } })).toEqual(['d', 'b']);
    expect(uuids(s, { filter: { pattern: '^email', states: ['FAILURE'] } })).toEqual(['d']);
    expect(uuids(s, { filter: { pattern: 'mail' } })).toEqual(['d', 'b']); // name or routing key
    expect(uuids(s, { filter: { worker: 'beta' } })).toEqual(['c']);
    expect(uuids(s, { filter: { worker: '!beta', states: ['SUCCESS', 'FAILURE'] } })).toEqual(['d', 'a']);
  });

  it('--retried: tasks that ever retried, whatever their state now (--state judges the current one)', () => {
    const s = sample();
    s.apply(task('received', 'r1', { name: 'tasks.flaky' }), T0 + 2);
    s.apply(task('retried', 'r1', { exception: 'Retry()' }), T0 + 2);
    s.apply(task('succeeded', 'r1', { result: '1' }), T0 + 2);
    // Only a redelivery says it retried (its task-retried event was missed).
    s.apply(task('received', 'r2', { name: 'tasks.flaky', retries: 2 }), T0 + 2);
    s.apply(task('failed', 'r2', { exception: 'Boom()' }), T0 + 2);
    expect(uuids(s, { filter: { states: ['RETRY'] } })).toEqual([]);
    expect(uuids(s, { retried: true })).toEqual(['r2', 'r1']);
    expect(uuids(s, { retried: true, filter: { states: ['SUCCESS'] } })).toEqual(['r1']);
    expect(uuids(s, { retried: true, limit: 1 })).toEqual(['r2']);
    expect(uuids(s, { retried: false })).toHaveLength(7);
  });

  it('limits newest first, or oldest first when asked', () => {
    const s = sample();
    expect(uuids(s, { limit: 2 })).toEqual(['e', 'd']);
    expect(uuids(s, { limit: 2, oldest_first: true })).toEqual(['b', 'c']);
    expect(uuids(s, { oldest_first: true })).toEqual(['b', 'c', 'a', 'd', 'e']);
    expect(uuids(s, { limit: 0 })).toHaveLength(5);
    expect(uuids(s, { limit: 1, filter: { states: ['FAILURE'] }, oldest_first: true })).toEqual(['c']);
  });

  it('refuses a negative limit, a bad regex and an unknown state with a message', () => {
    expect(() => compileTaskQuery({ limit: -1 })).toThrow(new UsageError('limit must be a whole number ≥ 0 (0 = no limit), got -1'));
    expect(() => compileTaskQuery({ filter: { pattern: '(' } })).toThrow(UsageError);
    // Once, in our words: V8's own "Invalid regular expression: /(/: " prefix is not repeated.
    expect(() => compileTaskQuery({ filter: { pattern: '(' } })).toThrow(new UsageError('--pattern: invalid regular expression "(": Unterminated group'));
    expect(() => compileTaskQuery({ filter: { states: ['DONE'] } })).toThrow(/unknown state "DONE"/);
    expect(() => compileTaskQuery({ filter: { worker: '[' } })).toThrow(/--worker: invalid regular expression/);
    expect(() => compileTaskQuery({ filter: { states: ['FAILURE', 'ONLINE'] } })).toThrow(/^--state: ONLINE is a worker state; task states: PENDING, /);
  });
});

describe('worker queries', () => {
  function workers(): State {
    const s = new State({ maxTasks: 10, maxWorkers: 10 });
    s.apply(worker('online', 'w1@alpha'), T0);
    s.apply(worker('online', 'w2@beta'), T0);
    s.apply(worker('online', 'w3@alpha'), T0);
    s.apply(worker('offline', 'w3@alpha'), T0);
    return s;
  }
  const hosts = (s: State, q: Parameters<typeof compileWorkerQuery>[0]) =>
    queryWorkers(s, compileWorkerQuery(q)).map((w) => w.hostname);

  it('returns stored workers first seen first, by hostname pattern (negatable) and liveness', () => {
    const s = workers();
    expect(hosts(s, {})).toEqual(['w1@alpha', 'w2@beta', 'w3@alpha']);
    expect(hosts(s, { pattern: 'alpha' })).toEqual(['w1@alpha', 'w3@alpha']);
    expect(hosts(s, { pattern: '!alpha' })).toEqual(['w2@beta']);
    expect(hosts(s, { alive_only: true })).toEqual(['w1@alpha', 'w2@beta']);
    expect(hosts(s, { pattern: 'alpha', alive_only: true })).toEqual(['w1@alpha']);
  });

  it('refuses a bad regex with a message', () => {
    expect(() => compileWorkerQuery({ pattern: '!(' })).toThrow(/^pattern: invalid regular expression "\("/);
  });
});

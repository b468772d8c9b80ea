/**
 * The store writer against a store that fails on demand: one row per task per batch however many
 * changes it had, changes held (newest snapshot kept) while the store fails, the failure and the
 * recovery each said once, the backlog bounded with the oldest dropped and counted.
 */
import { describe, expect, it } from 'vitest';
import type { TaskEvent, TaskSubject } from '../../../src/engine/events/types.js';
import { State } from '../../../src/engine/state/state.js';
import type { Store, WriteBatch } from '../../../src/engine/store/store.js';
import { StoreWriter } from '../../../src/engine/store/writer.js';

class FlakyStore {
  readonly kind = 'sqlite' as const;
  readonly location = '/tmp/fake.sqlite';
  failing = false;
  readonly batches: WriteBatch[] = [];
  write(batch: WriteBatch): Promise<void> {
    if (this.failing) return Promise.reject(new Error('disk full'));
    this.batches.push(batch);
    return Promise.resolve();
  }
}

function ev(subject: TaskSubject, uuid: string, t: number): TaskEvent {
  return { kind: 'task', type: `task-${subject}`, subject, uuid, hostname: 'w1@h', timestamp: t, clock: 0, pid: 1, utcoffset: 0, name: 'a.b' } as TaskEvent;
}

function setUp(maxBacklog = 1000, maxTasks = 10_000) {
  const store = new FlakyStore();
  const logs: string[] = [];
  const writer = new StoreWriter({
    store: store as unknown as Store,
    broker: 'redis://h/0',
    results: { get: () => undefined },
    maxBacklog,
    log: (m) => logs.push(m),
  });
  const state = new State({ maxTasks, maxWorkers: 10 });
  const apply = (e: TaskEvent): void => {
    for (const ch of state.apply(e, e.timestamp)) writer.onChange(ch);
  };
  return { store, logs, writer, apply, state };
}

describe('StoreWriter', () => {
  it('writes one row per task per batch, its latest state', async () => {
    const { store, writer, apply } = setUp();
    apply(ev('received', 'a', 1));
    apply(ev('started', 'a', 2));
    apply(ev('succeeded', 'a', 3));
    apply(ev('received', 'b', 4));
    await writer.flush();
    expect(store.batches).toHaveLength(1);
    expect(store.batches[0]!.tasks.map((r) => [r.uuid, r.state])).toEqual([['a', 'SUCCESS'], ['b', 'RECEIVED']]);
    expect(store.batches[0]!.names).toEqual(['a.b']);
    expect(writer.stats).toMatchObject({ written: 2, backlog: 0, state: 'ok' });
    await writer.flush();
    expect(store.batches).toHaveLength(1); // nothing new: no empty write
  });

  it('a batch is in the order of last change, as memory lists tasks (the store numbers rows so)', async () => {
    const { store, writer, apply } = setUp();
    apply(ev('received', 'c', 5));
    apply(ev('received', 'd', 6));
    apply(ev('started', 'c', 7));
    await writer.flush();
    expect(store.batches[0]!.tasks.map((r) => r.uuid)).toEqual(['d', 'c']);
  });

  it('holds changes while the store fails, says so once, and writes the newest snapshot when it is back', async () => {
    const { store, logs, writer, apply } = setUp();
    store.failing = true;
    apply(ev('received', 'a', 1));
    await writer.flush();
    apply(ev('started', 'a', 2));
    apply(ev('received', 'b', 3));
    await writer.flush(); // within the backoff: held, not tried
    expect(writer.stats).toMatchObject({ backlog: 2, state: 'failing', dropped: 0 });
    expect(logs).toEqual(['cannot write to the store /tmp/fake.sqlite (disk full); holding changes (up to 1000 tasks) and retrying']);
    store.failing = false;
    await new Promise((r) => setTimeout(r, 600)); // past the first backoff step (500 ms)
    await writer.flush();
    expect(store.batches).toHaveLength(1);
    expect(store.batches[0]!.tasks.map((r) => [r.uuid, r.state]).sort()).toEqual([['a', 'STARTED'], ['b', 'RECEIVED']]);
    expect(logs[1]).toBe('the store /tmp/fake.sqlite is writable again; wrote what was held');
    expect(writer.stats).toMatchObject({ backlog: 0, state: 'ok', written: 2 });
  });

  it('keeps at most maxBacklog tasks while failing: the oldest go, counted, said once', async () => {
    const { store, logs, writer, apply } = setUp(3);
    store.failing = true;
    for (let i = 0; i < 5; i++) apply(ev('received', `t${i}`, i));
    await writer.flush();
    expect(writer.stats).toMatchObject({ backlog: 3, dropped: 2 });
    for (let i = 5; i < 7; i++) apply(ev('received', `t${i}`, i));
    await writer.flush(); // within the backoff: held, two more dropped, not said again
    expect(writer.stats).toMatchObject({ backlog: 3, dropped: 4 });
    expect(logs.filter((l) => l.includes('could not be kept'))).toEqual([
      "the store's backlog is full (3 tasks, --store-backlog): the oldest changes could not be kept (counted in stats as store_dropped)",
    ]);
    store.failing = false;
    await writer.stop(); // a stop writes what is held whatever the backoff
    expect(store.batches.flatMap((b) => b.tasks.map((r) => r.uuid))).toEqual(['t4', 't5', 't6']);
    expect(logs.at(-1)).toBe('the store /tmp/fake.sqlite is writable again; wrote what was held; 4 task changes could not be kept (stats: store_dropped)');
  });

  it('a later outage says its own losses, and the full backlog again', async () => {
    const { store, logs, writer, apply } = setUp(1);
    store.failing = true;
    apply(ev('received', 'a', 1));
    apply(ev('received', 'b', 2));
    await writer.flush();
    store.failing = false;
    await writer.stop();
    store.failing = true;
    writer.start();
    apply(ev('received', 'c', 3));
    apply(ev('received', 'd', 4));
    apply(ev('received', 'e', 5));
    await writer.flush();
    store.failing = false;
    await writer.stop();
    expect(logs.filter((l) => l.includes('backlog is full'))).toHaveLength(2);
    expect(logs.filter((l) => l.includes('writable again'))).toEqual([
      'the store /tmp/fake.sqlite is writable again; wrote what was held; 1 task change could not be kept (stats: store_dropped)',
      'the store /tmp/fake.sqlite is writable again; wrote what was held; 2 task changes could not be kept (stats: store_dropped)',
    ]);
    expect(writer.stats.dropped).toBe(3);
  });

  it('a task memory evicted and heard of again within one window: the evicted row first, then the new one', async () => {
    const { store, writer, apply, state } = setUp(1000, 2);
    apply({ ...ev('received', 'a', 1), routing_key: 'q1' } as TaskEvent);
    apply(ev('received', 'b', 2));
    apply(ev('received', 'c', 3)); // memory holds 2: a goes
    expect(state.getTask('a')).toBeUndefined();
    apply({ ...ev('succeeded', 'a', 4), name: undefined } as unknown as TaskEvent); // a new entry, with only this event's fields
    await writer.flush();
    const rows = store.batches[0]!.tasks.filter((r) => r.uuid === 'a');
    expect(rows.map((r) => [r.state, r.name, r.routing_key])).toEqual([
      ['RECEIVED', 'a.b', 'q1'],
      ['SUCCESS', null, null],
    ]);
    expect(store.batches[0]!.tasks.map((r) => r.uuid).sort()).toEqual(['a', 'a', 'b', 'c']);
    expect(writer.stats).toMatchObject({ written: 4, backlog: 0 });
  });

  it('held while failing, both objects of an evicted task stay (the same object\'s newer snapshot replaces its own)', async () => {
    const { store, writer, apply } = setUp(1000, 2);
    store.failing = true;
    apply({ ...ev('received', 'a', 1), routing_key: 'q1' } as TaskEvent);
    await writer.flush(); // fails: a's first object held
    apply(ev('started', 'a', 2)); // the same object: replaces its held row
    apply(ev('received', 'b', 3));
    apply(ev('received', 'c', 4)); // a evicted
    apply({ ...ev('succeeded', 'a', 5), name: undefined } as unknown as TaskEvent);
    await writer.flush(); // within the backoff: held
    store.failing = false;
    await writer.stop();
    const rows = store.batches.flatMap((b) => b.tasks).filter((r) => r.uuid === 'a');
    expect(rows.map((r) => [r.state, r.routing_key])).toEqual([
      ['STARTED', 'q1'],
      ['SUCCESS', null],
    ]);
  });
});

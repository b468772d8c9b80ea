import { describe, expect, it } from 'vitest';
import type { TaskState } from '../../../src/engine/model.js';
import { TaskTable } from '../../../src/engine/table/task-table.js';

/** Upsert `uuid`, set its state, settle: what State does per event. */
function put(t: TaskTable, uuid: string, state: TaskState): void {
  const e = t.upsert(uuid);
  e.task.state = state;
  t.settle(e);
}
const uuids = (t: TaskTable): string[] => [...t.values()].map((x) => x.uuid);

describe('TaskTable', () => {
  it('creates a task once, PENDING, and finds it again', () => {
    const t = new TaskTable(10);
    const a = t.upsert('a');
    expect(a.task).toMatchObject({ uuid: 'a', state: 'PENDING', shown: null });
    expect(t.upsert('a')).toBe(a);
    expect(t.get('a')).toBe(a.task);
    expect(t.get('zz')).toBeUndefined();
    expect(t.size).toBe(1);
  });

  it('iterates most recently updated first', () => {
    const t = new TaskTable(10);
    put(t, 'a', 'RECEIVED');
    put(t, 'b', 'RECEIVED');
    put(t, 'c', 'RECEIVED');
    put(t, 'a', 'STARTED');
    expect(uuids(t)).toEqual(['a', 'c', 'b']);
    put(t, 'b', 'STARTED');
    put(t, 'b', 'SUCCESS');
    expect(uuids(t)).toEqual(['b', 'a', 'c']);
  });

  it('evicts the oldest finished task (by finish time) before any unfinished one', () => {
    const t = new TaskTable(4);
    put(t, 'running', 'STARTED');
    put(t, 'f1', 'STARTED');
    put(t, 'f2', 'STARTED');
    put(t, 'f3', 'STARTED');
    put(t, 'f2', 'SUCCESS');
    put(t, 'f1', 'FAILURE');
    put(t, 'f3', 'REVOKED');
    put(t, 'new1', 'RECEIVED');
    expect(t.get('f2')).toBeUndefined();
    put(t, 'new2', 'RECEIVED');
    expect(t.get('f1')).toBeUndefined();
    // A late event on a finished task does not change its place in the finish order.
    put(t, 'f3', 'REVOKED');
    put(t, 'new3', 'RECEIVED');
    expect(t.get('f3')).toBeUndefined();
    expect(uuids(t).sort()).toEqual(['new1', 'new2', 'new3', 'running']);
    expect(t.evicted).toBe(3);
  });

  it('then the oldest unfinished task by insertion, however recently updated', () => {
    const t = new TaskTable(3);
    put(t, 'a', 'RECEIVED');
    put(t, 'b', 'RECEIVED');
    put(t, 'c', 'RECEIVED');
    put(t, 'a', 'STARTED');
    put(t, 'd', 'PENDING');
    expect(uuids(t)).toEqual(['d', 'c', 'b']);
    expect([t.size, t.evicted]).toEqual([3, 1]);
  });

  it('counts REJECTED as finished, and a task leaving a terminal state as unfinished again', () => {
    const t = new TaskTable(3);
    put(t, 'a', 'SUCCESS');
    put(t, 'b', 'REJECTED');
    put(t, 'c', 'RECEIVED');
    put(t, 'a', 'RETRY'); // a late task-retried: Celery leaves SUCCESS
    put(t, 'd', 'RECEIVED');
    expect(t.get('b')).toBeUndefined();
    put(t, 'e', 'RECEIVED'); // nothing finished left: oldest unfinished by insertion is c
    expect(t.get('c')).toBeUndefined();
    put(t, 'f', 'RECEIVED'); // then a (back in the unfinished queue as if new), before d
    expect(t.get('a')).toBeUndefined();
    expect(uuids(t)).toEqual(['f', 'e', 'd']);
  });

  it('keeps the bound and the priority over 200k inserts through a table of 1000', () => {
    const t = new TaskTable(1000);
    for (let i = 0; i < 200_000; i++) put(t, `u${i}`, i % 2 === 0 ? 'SUCCESS' : 'STARTED');
    expect(t.size).toBe(1000);
    expect(t.evicted).toBe(199_000);
    // Unfinished ones outlive finished ones: only odd (STARTED) tasks remain.
    expect(uuids(t).every((u) => Number(u.slice(1)) % 2 === 1)).toBe(true);
  });

  it('clears, and refuses a capacity below 1', () => {
    const t = new TaskTable(1);
    put(t, 'a', 'SUCCESS');
    put(t, 'b', 'SUCCESS');
    t.clear();
    expect([t.size, t.evicted, uuids(t)]).toEqual([0, 0, []]);
    expect(() => new TaskTable(0)).toThrow(RangeError);
    expect(() => new TaskTable(1.5)).toThrow(RangeError);
  });
});

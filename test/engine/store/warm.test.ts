/**
 * What a starting server loads back: the newest tasks and, however old, those still on a worker
 * (RECEIVED, STARTED), at most --max-tasks in all, oldest first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newTask } from '../../../src/engine/model.js';
import { taskRow } from '../../../src/engine/store/rows.js';
import { SqliteDb } from '../../../src/engine/store/sqlite-db.js';
import type { Store } from '../../../src/engine/store/store.js';
import { warmRows } from '../../../src/engine/store/warm.js';

const dir = mkdtempSync(join(tmpdir(), 'clearly-warm-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('warmRows', () => {
  const db = new SqliteDb(join(dir, 'warm.sqlite'));
  const store = { recent: async (n: number) => db.recent(n), queryTasks: (q: Parameters<Store['queryTasks']>[0]) => db.queryTasks(q) } as unknown as Store;
  // Written in this order: a STARTED and a RECEIVED long ago, then 10 finished, then a PENDING.
  const states = ['STARTED', 'RECEIVED', ...Array.from({ length: 10 }, () => 'SUCCESS'), 'PENDING'];
  states.forEach((state, i) => {
    db.write({ tasks: [taskRow(Object.assign(newTask(`t${i}`), { state, celeryState: state, timestamp: i, finishedAt: state === 'SUCCESS' ? i : null }), 'b', undefined)], workers: [], names: [], counters: {} });
  });

  it('the ones on a worker however old, then the newest, oldest first, at most maxTasks', async () => {
    expect((await warmRows(store, 4)).map((r) => r.uuid)).toEqual(['t0', 't1', 't11', 't12']);
  });

  it('with room for all: every task, oldest first', async () => {
    expect((await warmRows(store, 100)).map((r) => r.uuid)).toEqual(states.map((_, i) => `t${i}`));
  });

  it('more on workers than memory holds: the newest of them', async () => {
    expect((await warmRows(store, 1)).map((r) => r.uuid)).toEqual(['t1']);
  });
});

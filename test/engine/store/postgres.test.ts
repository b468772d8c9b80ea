/**
 * The PostgreSQL store against a real PostgreSQL (a database of the test's own, test/helpers/postgres.ts):
 * the same answers as memory, the state rule in its upsert, the refusals.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskEvent, TaskSubject } from '../../../src/engine/events/types.js';
import { compileTaskQuery, queryTasks } from '../../../src/engine/grpc/queries.js';
import { newTask, type Task } from '../../../src/engine/model.js';
import { storeQuery } from '../../../src/engine/server/history.js';
import { applyTaskEvent } from '../../../src/engine/state/task-state.js';
import { PostgresStore } from '../../../src/engine/store/postgres.js';
import { taskFromRow, taskRow } from '../../../src/engine/store/rows.js';
import { markStatements, MIGRATIONS, SCHEMA_VERSION } from '../../../src/engine/store/schema.js';
import { StoreError, UnavailableError } from '../../../src/errors.js';
import { createTestDatabase, POSTGRES_ADMIN, type TestDatabase } from '../../helpers/postgres.js';
import { rng } from '../../helpers/rng.js';
import { filledState, lostRoundTrip, randomQueries, rowsInUpdateOrder } from './helpers.js';

const noWrites = { workers: [], names: [], counters: {} };
let db: TestDatabase;
let store: PostgresStore;
const state = filledState(20_000, 13);

beforeAll(async () => {
  db = await createTestDatabase('store');
  store = await PostgresStore.open(db.url, db.url);
  const rows = rowsInUpdateOrder(state);
  for (let i = 0; i < rows.length; i += 1000) await store.write({ tasks: rows.slice(i, i + 1000), ...noWrites });
}, 60_000);

afterAll(async () => {
  await store?.close();
  await db?.drop();
});

describe('queries over PostgreSQL give what memory gives', () => {
  it('holds every task', async () => {
    expect((await store.size()).tasks).toBe(state.taskCount);
  });

  it.each(randomQueries(state, 9, 60).map((q, i) => [i, q] as const))('random query %i', async (_i, { query, spec }) => {
    const want = queryTasks(state, spec).map((t) => t.uuid);
    const got = (await store.queryTasks(storeQuery(spec))).map((r) => r.uuid);
    expect({ query, got }).toEqual({ query, got: want });
  });
});

function ev(uuid: string, subject: TaskSubject, timestamp: number, over: Partial<TaskEvent> = {}): TaskEvent {
  return {
    kind: 'task', type: `task-${subject}`, subject, uuid, hostname: 'w1@h', timestamp, clock: 0, pid: 1, utcoffset: 0,
    name: undefined, args: undefined, kwargs: undefined, retries: undefined, root_id: undefined, parent_id: undefined,
    eta: undefined, expires: undefined, queue: undefined, exchange: undefined, routing_key: undefined, result: undefined,
    runtime: undefined, exception: undefined, traceback: undefined, terminated: undefined, signum: undefined,
    expired: undefined, requeue: undefined, ...over,
  };
}

describe('the state rule in the PostgreSQL upsert', () => {
  it('two writers interleaving their snapshots (concurrently, in one batch each) converge on the reducer\'s state', async () => {
    const rand = rng(21);
    const subjects: TaskSubject[] = ['sent', 'received', 'started', 'succeeded', 'failed', 'retried', 'revoked', 'rejected'];
    const finals = new Map<string, string>();
    const writers: Task[][][] = [[], []]; // writer -> rounds of snapshots
    for (let n = 0; n < 300; n++) {
      const uuid = `pg-${n}`;
      const events = Array.from({ length: 2 + Math.floor(rand() * 6) }, () =>
        ev(uuid, subjects[Math.floor(rand() * subjects.length)]!, Math.floor(rand() * 20), { requeue: rand() < 0.3 }),
      );
      const final = newTask(uuid);
      for (const e of events) applyTaskEvent(final, e);
      finals.set(uuid, final.state);
      for (const w of [0, 1]) {
        const t = newTask(uuid);
        let round = 0;
        for (const e of events) {
          applyTaskEvent(t, e);
          if (rand() < 0.5) (writers[w]![round++] ??= []).push({ ...t });
        }
        (writers[w]![round] ??= []).push({ ...t });
      }
    }
    // Both write their rounds at the same time: rows of one task collide inside concurrent transactions.
    await Promise.all(
      writers.map(async (rounds) => {
        for (const r of rounds) await store.write({ tasks: (r ?? []).map((t) => taskRow(t, 'b', undefined)), ...noWrites });
      }),
    );
    const wrong: string[] = [];
    for (const [uuid, want] of finals) {
      const row = await store.getTask(uuid);
      if (row?.state !== want) wrong.push(`${uuid}: ${row?.state} != ${want}`);
    }
    expect(wrong).toEqual([]);
  }, 60_000);
});

describe('text PostgreSQL cannot hold', () => {
  it('a NUL in args, a traceback or a worker name is written as U+FFFD instead of failing the batch', async () => {
    const t = newTask('nul-1');
    applyTaskEvent(t, ev('nul-1', 'received', 5, { name: 'a.b', args: "('x\u0000y',)" }));
    applyTaskEvent(t, ev('nul-1', 'failed', 6, { exception: 'E()', traceback: 'line\u0000' }));
    const ok = newTask('nul-2');
    applyTaskEvent(ok, ev('nul-2', 'received', 5, { name: 'a.b' }));
    await store.write({ tasks: [taskRow(t, 'b', undefined), taskRow(ok, 'b', undefined)], ...noWrites });
    const row = await store.getTask('nul-1');
    expect(row?.args).toBe("('x\uFFFDy',)");
    expect(row?.traceback).toBe('line\uFFFD');
    expect((await store.getTask('nul-2'))?.state).toBe('RECEIVED');
  });
});

describe('opening', () => {
  it('refuses a database whose tables are named like clearly\'s but are not a clearly store', async () => {
    const other = await createTestDatabase('other');
    const c = new pg.Client({ connectionString: other.url });
    await c.connect();
    await c.query('CREATE TABLE tasks (id serial primary key, title text)');
    await c.end();
    try {
      await expect(PostgresStore.open(other.url, 'postgres://x/other')).rejects.toThrow(StoreError);
      await expect(PostgresStore.open(other.url, 'postgres://x/other')).rejects.toThrow(/not a clearly store; clearly leaves them alone/);
    } finally {
      await other.drop();
    }
  });

  it('refuses a database written by a newer clearly (its schema version), and leaves it as it was', async () => {
    const newer = await createTestDatabase('newer');
    try {
      await (await PostgresStore.open(newer.url, 'postgres://x/newer')).close();
      const c = new pg.Client({ connectionString: newer.url });
      await c.connect();
      await c.query("UPDATE clearly_meta SET value = '99' WHERE key = 'schema_version'");
      const e = await PostgresStore.open(newer.url, 'postgres://x/newer').catch((x: unknown) => x);
      expect(e).toBeInstanceOf(StoreError);
      expect((e as StoreError).exitCode).toBe(65);
      expect((e as Error).message).toMatch(/postgres:\/\/x\/newer was written by a newer clearly \(store schema 99, this one knows up to \d+\): upgrade clearly/);
      const meta = await c.query<{ value: string }>("SELECT value FROM clearly_meta WHERE key = 'schema_version'");
      expect(meta.rows[0]?.value).toBe('99');
      await c.end();
    } finally {
      await newer.drop();
    }
  });

  it('a database that does not exist: the error says how to create it (clearly makes only its tables)', async () => {
    const url = new URL(POSTGRES_ADMIN);
    url.pathname = `/clearly_test_missing_${process.pid}`;
    const e = await PostgresStore.open(url.toString(), 'masked').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnavailableError);
    expect((e as Error).message).toContain(`does not exist: create it (createdb -h ${url.hostname}`);
    expect((e as Error).message).toContain(`clearly_test_missing_${process.pid}; clearly creates its tables, not the database), or check the URL in --store`);
  });

  it('a PostgreSQL that cannot be reached is UnavailableError (exit 69) naming the masked URL', async () => {
    const e = await PostgresStore.open('postgres://clearly:secret@127.0.0.1:1/none', 'postgres://clearly:****@127.0.0.1:1/none').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnavailableError);
    expect((e as UnavailableError).exitCode).toBe(69);
    expect((e as Error).message).toMatch(/^cannot use the PostgreSQL store postgres:\/\/clearly:\*\*\*\*@127\.0\.0\.1:1\/none: .*--store/);
    expect((e as Error).message).not.toContain('secret');
  });
});

describe('lost tasks', () => {
  it('keeps the mark and since when, lists lost tasks, a row behind keeps the mark, a later event clears it', async () => {
    // The database also holds the generator's tasks (some lost): only this test's.
    const lostQuery = storeQuery(compileTaskQuery({ lost: true, filter: { pattern: '^L[0-9]$' } }));
    const r = await lostRoundTrip((rows) => store.write({ tasks: rows, ...noWrites }), (u) => store.getTask(u), () => store.queryTasks(lostQuery));
    expect(r.marked).toMatchObject({ state: 'STARTED', lost: 1, lost_at: 5.5 });
    expect(r.listed).toEqual(['L1']);
    expect(r.behind).toMatchObject({ lost: 1, lost_at: 5.5 });
    expect(r.cleared).toMatchObject({ state: 'STARTED', worker: 'w2@h', lost: 0, lost_at: null });
    expect(r.listedAfter).toEqual([]);
  });
});

describe('the group of a tapped task (schema version 3)', () => {
  const grouped = (uuid: string): Task => ({
    ...newTask(uuid),
    name: 'tasks.add',
    tapped: { argsJson: '[1,2]', kwargsJson: '{}', body: null, group: 'grp-pg' },
  });

  it('round-trips through the database; a later row without one keeps it', async () => {
    await store.write({ tasks: [taskRow(grouped('pg-g-1'), 'b', undefined)], ...noWrites });
    const row = (await store.getTask('pg-g-1'))!;
    expect(row.group_id).toBe('grp-pg');
    expect(taskFromRow(row).tapped?.group).toBe('grp-pg');
    await store.write({ tasks: [taskRow({ ...newTask('pg-g-1'), name: 'tasks.add', events: 2 }, 'b', undefined)], ...noWrites });
    expect((await store.getTask('pg-g-1'))?.group_id).toBe('grp-pg');
  });

  it('migrates a version 2 database: its tasks are kept, without a group, and take one', async () => {
    expect(SCHEMA_VERSION).toBe(3);
    const v2 = await createTestDatabase('v2');
    try {
      const c = new pg.Client({ connectionString: v2.url });
      await c.connect();
      for (const sql of [...MIGRATIONS.postgres[0]!, ...MIGRATIONS.postgres[1]!, ...markStatements('postgres', 2)]) await c.query(sql);
      await c.query(
        `INSERT INTO tasks (uuid, name, state, celery_state, state_at, events, timestamp, retries, clock, broker, seq, search, args_json)
         VALUES ('old-2', 'tasks.add', 'PENDING', 'PENDING', 1, 1, 1, 0, 0, 'b', nextval('task_seq'), ''::tsvector, '[7]')`,
      );
      await expect(c.query('SELECT group_id FROM tasks')).rejects.toThrow(/group_id/);
      const s = await PostgresStore.open(v2.url, v2.url);
      try {
        expect(await s.getTask('old-2')).toMatchObject({ args_json: '[7]', group_id: null });
        await s.write({ tasks: [taskRow(grouped('old-2'), 'b', undefined)], ...noWrites });
        expect(await s.getTask('old-2')).toMatchObject({ args_json: '[1,2]', group_id: 'grp-pg' });
      } finally {
        await s.close();
      }
      const meta = await c.query<{ value: string }>("SELECT value FROM clearly_meta WHERE key = 'schema_version'");
      expect(meta.rows[0]?.value).toBe('3');
      await c.end();
    } finally {
      await v2.drop();
    }
  });
});

describe('one batch holding a uuid twice (a task memory evicted and heard of again)', () => {
  it('writes both in turn: the new entry finishes the task, the evicted one\'s fields stay', async () => {
    
    const old = newTask('twice-1');
    applyTaskEvent(old, ev('twice-1', 'received', 5, { name: 'a.b', args: '(1,)', routing_key: 'q1' }));
    applyTaskEvent(old, ev('twice-1', 'started', 6));
    const again = newTask('twice-1');
    applyTaskEvent(again, ev('twice-1', 'succeeded', 7, { name: undefined, result: '2' }));
    const other = newTask('twice-2');
    applyTaskEvent(other, ev('twice-2', 'received', 5, { name: 'c.d' }));
    await store.write({ tasks: [taskRow(old, 'b', undefined), taskRow(other, 'b', undefined), taskRow(again, 'b', undefined)], ...noWrites });
    const row = await store.getTask('twice-1');
    expect(row).toMatchObject({ state: 'SUCCESS', celery_state: 'SUCCESS', name: 'a.b', args: '(1,)', routing_key: 'q1', result: '2', started: 6, succeeded: 7 });
    expect((await store.getTask('twice-2'))?.state).toBe('RECEIVED');
    
  });
});

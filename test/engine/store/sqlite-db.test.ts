import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileTaskQuery, queryTasks } from '../../../src/engine/grpc/queries.js';
import { newTask, type Task } from '../../../src/engine/model.js';
import { storeQuery } from '../../../src/engine/server/history.js';
import { applyTaskEvent } from '../../../src/engine/state/task-state.js';
import { SqliteDb } from '../../../src/engine/store/sqlite-db.js';
import { taskFromRow, taskRow } from '../../../src/engine/store/rows.js';
import { markStatements, MIGRATIONS } from '../../../src/engine/store/schema.js';
import { StoreError } from '../../../src/errors.js';
import type { TaskEvent, TaskSubject } from '../../../src/engine/events/types.js';
import { rng } from '../../helpers/rng.js';
import { filledState, lostRoundTrip, randomQueries, rowsInUpdateOrder } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'clearly-sqlite-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fresh = (name: string): SqliteDb => new SqliteDb(join(dir, name));
const noWrites = { workers: [], names: [], counters: {} };

describe('opening', () => {
  it('creates the file 0600 in a 0700 directory, and opens it again', () => {
    const path = join(dir, 'made', 'deeper', 'store.sqlite');
    fresh('made/deeper/store.sqlite').close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'made', 'deeper')).mode & 0o777).toBe(0o700);
    new SqliteDb(path).close();
  });

  it('refuses a file that is not SQLite, and leaves it as it was', () => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'my precious notes\n');
    expect(() => new SqliteDb(path)).toThrow(StoreError);
    expect(() => new SqliteDb(path)).toThrow(/is not a clearly store.*--store/);
    expect(readFileSync(path, 'utf8')).toBe('my precious notes\n');
    try {
      new SqliteDb(path);
    } catch (e) {
      expect((e as StoreError).exitCode).toBe(65);
    }
  });

  it('refuses a corrupt store (an SQLite header, then garbage) with exit 65, and leaves it as it was', () => {
    const path = join(dir, 'corrupt.sqlite');
    fresh('corrupt.sqlite').close();
    const good = readFileSync(path);
    // Keep the 100-byte header, scramble the rest of the first page and every page after it.
    const bad = Buffer.from(good);
    for (let i = 100; i < bad.length; i++) bad[i] = (i * 131 + 7) & 0xff;
    writeFileSync(path, bad);
    let error: unknown;
    try {
      new SqliteDb(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).exitCode).toBe(65);
    expect((error as Error).message).toMatch(/corrupt\.sqlite is corrupt or not a clearly store.*--store/);
    expect(readFileSync(path).equals(bad)).toBe(true);
  });

  it("refuses another program's SQLite file, and one from a newer clearly", () => {
    const other = join(dir, 'other.sqlite');
    const db = new Database(other);
    db.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance REAL)');
    db.close();
    expect(() => new SqliteDb(other)).toThrow(/SQLite file of something else, not a clearly store/);
    const newer = join(dir, 'newer.sqlite');
    fresh('newer.sqlite').close();
    const raw = new Database(newer);
    raw.exec("UPDATE clearly_meta SET value = '99' WHERE key = 'schema_version'");
    raw.close();
    expect(() => new SqliteDb(newer)).toThrow(/written by a newer clearly \(store schema 99, this one knows up to 3\)/);
  });

  it('cannot create under a directory it may not write: exit 73 with the path and the fix', () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o500 });
    chmodSync(locked, 0o500);
    const path = join(locked, 'sub', 'store.sqlite');
    let error: unknown;
    try {
      new SqliteDb(path);
    } catch (e) {
      error = e;
    }
    // root may write anywhere: then the store simply opens.
    if (process.getuid?.() === 0) expect(error).toBeUndefined();
    else {
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).exitCode).toBe(73);
      expect((error as Error).message).toMatch(new RegExp(`cannot create the store ${path}.*--store`));
    }
  });
});

describe('queries over the store give what memory gives', () => {
  const state = filledState(30_000, 11);
  let db: SqliteDb;
  beforeAll(() => {
    db = fresh('queries.sqlite');
    const rows = rowsInUpdateOrder(state);
    for (let i = 0; i < rows.length; i += 1000) db.write({ tasks: rows.slice(i, i + 1000), ...noWrites });
  });
  afterAll(() => db.close());

  it('holds every task, with the reducer\'s own fields', () => {
    expect(db.size().tasks).toBe(state.taskCount);
    const t = [...state.tasks()][0]!;
    const row = db.getTask(t.uuid)!;
    expect([row.state, row.celery_state, row.finished_at]).toEqual([t.state, t.celeryState, t.finishedAt]);
  });

  it.each(randomQueries(state, 5, 150).map((q, i) => [i, q] as const))('random query %i', async (_i, { query, spec }) => {
    const want = queryTasks(state, spec).map((t) => t.uuid);
    const got = (await db.queryTasks(storeQuery(spec))).map((r) => r.uuid);
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

describe('the state rule in the upsert', () => {
  it('two writers that interleave their snapshots converge on the state the reducer reaches', () => {
    const db = fresh('converge.sqlite');
    const rand = rng(3);
    const subjects: TaskSubject[] = ['sent', 'received', 'started', 'succeeded', 'failed', 'retried', 'revoked', 'rejected'];
    let checked = 0;
    for (let n = 0; n < 400; n++) {
      const uuid = `u-${n}`;
      // A random event sequence (any order, any subjects), applied by two "servers".
      const events = Array.from({ length: 2 + Math.floor(rand() * 6) }, () =>
        ev(uuid, subjects[Math.floor(rand() * subjects.length)]!, Math.floor(rand() * 20), { requeue: rand() < 0.3 }),
      );
      const final = newTask(uuid);
      for (const e of events) applyTaskEvent(final, e);
      // Each writer writes its own snapshots in order (its final state last); the two interleave.
      const writers: Task[][] = [0, 1].map(() => {
        const t = newTask(uuid);
        const own: Task[] = [];
        for (const e of events) {
          applyTaskEvent(t, e);
          if (rand() < 0.5) own.push({ ...t });
        }
        own.push({ ...t });
        return own;
      });
      while (writers.some((w) => w.length > 0)) {
        const w = writers[writers[0]!.length === 0 ? 1 : writers[1]!.length === 0 ? 0 : rand() < 0.5 ? 0 : 1]!;
        db.write({ tasks: [taskRow(w.shift()!, 'b', undefined)], ...noWrites });
      }
      const row = db.getTask(uuid)!;
      expect({ uuid, events: events.map((e) => `${e.subject}@${e.timestamp}${e.requeue ? 'r' : ''}`), state: row.state }).toEqual({
        uuid,
        events: events.map((e) => `${e.subject}@${e.timestamp}${e.requeue ? 'r' : ''}`),
        state: final.state,
      });
      checked++;
    }
    expect(checked).toBe(400);
    db.close();
  });

  it('a late write of a task forgotten from memory merges its fields without moving a finished task back', () => {
    const db = fresh('late.sqlite');
    const done = newTask('t1');
    for (const e of [ev('t1', 'received', 1, { name: 'a' }), ev('t1', 'started', 2), ev('t1', 'succeeded', 3, { result: '1' })]) applyTaskEvent(done, e);
    db.write({ tasks: [taskRow(done, 'b', undefined)], ...noWrites });
    // Re-created in memory from an earlier attempt's retry, as a server that had evicted it would.
    const late = newTask('t1');
    applyTaskEvent(late, ev('t1', 'retried', 1.5, { exception: 'E()' }));
    db.write({ tasks: [taskRow(late, 'b', undefined)], ...noWrites });
    // A row that saw fewer events moves no state (neither clearly's nor Celery's); its fields merge.
    expect(db.getTask('t1')).toMatchObject({ state: 'SUCCESS', celery_state: 'SUCCESS', result: '1', exception: 'E()', retried: 1.5, succeeded: 3, events: 3 });
    db.close();
  });
});

describe('the state rule across an eviction and a missed final event', () => {
  it('a task forgotten while running and heard of again at its end finishes in the store, its fields kept', () => {
    const db = fresh('evicted.sqlite');
    const running = newTask('t2');
    for (const e of [ev('t2', 'sent', 1, { name: 'shop.email', routing_key: 'email' }), ev('t2', 'received', 2), ev('t2', 'started', 3)]) applyTaskEvent(running, e);
    db.write({ tasks: [taskRow(running, 'b', undefined)], ...noWrites });
    // Memory was full of running tasks: t2 was evicted, and its task-succeeded made a new entry.
    const again = newTask('t2');
    applyTaskEvent(again, ev('t2', 'succeeded', 9, { result: "'ok'" }));
    db.write({ tasks: [taskRow(again, 'b', undefined)], ...noWrites });
    // Celery's own state too: a reducer that never forgot t2 reaches SUCCESS (no `celery_state` differs).
    expect(db.getTask('t2')).toMatchObject({ state: 'SUCCESS', celery_state: 'SUCCESS', name: 'shop.email', routing_key: 'email', started: 3, succeeded: 9, result: "'ok'" });
    // A row behind that does not finish it moves neither (an older snapshot of another server).
    const behind = newTask('t2');
    applyTaskEvent(behind, ev('t2', 'received', 2));
    db.write({ tasks: [taskRow(behind, 'b', undefined)], ...noWrites });
    expect(db.getTask('t2')).toMatchObject({ state: 'SUCCESS', celery_state: 'SUCCESS' });
    db.close();
  });

  it('a server that missed the final event never moves a finished task back, however many events it saw', () => {
    const db = fresh('missed.sqlite');
    const a = newTask('t3');
    for (const e of [ev('t3', 'received', 1, { name: 'x' }), ev('t3', 'succeeded', 5)]) applyTaskEvent(a, e);
    db.write({ tasks: [taskRow(a, 'b', undefined)], ...noWrites });
    const b = newTask('t3');
    for (const e of [ev('t3', 'sent', 0.5), ev('t3', 'received', 1), ev('t3', 'started', 2)]) applyTaskEvent(b, e);
    db.write({ tasks: [taskRow(b, 'b', undefined)], ...noWrites });
    expect(db.getTask('t3')).toMatchObject({ state: 'SUCCESS', started: 2, succeeded: 5 });
    db.close();
  });
});

describe('retention', () => {
  it('prunes finished tasks past the retention first, then the oldest finished past --max-stored, unfinished last', () => {
    const db = fresh('prune.sqlite');
    const task = (uuid: string, state: string, finishedAt: number | null): Task =>
      Object.assign(newTask(uuid), { state, celeryState: state, finishedAt, timestamp: finishedAt ?? 50 });
    const rows = [
      task('old-done', 'SUCCESS', 10),
      task('old-running', 'STARTED', null),
      task('a', 'SUCCESS', 95),
      task('b', 'FAILURE', 96),
      task('c', 'STARTED', null),
      task('d', 'SUCCESS', 98),
    ].map((t) => taskRow(t, 'b', undefined));
    db.write({ tasks: rows, ...noWrites });
    expect(db.prune({ retentionSeconds: 50, maxStored: 100 }, 100)).toBe(1); // old-done
    expect(db.prune({ retentionSeconds: 1000, maxStored: 3 }, 100)).toBe(2); // a, b: the oldest finished
    expect(db.recent(10).map((r) => r.uuid).sort()).toEqual(['c', 'd', 'old-running']);
    expect(db.prune({ retentionSeconds: 1000, maxStored: 1 }, 100)).toBe(2); // d, then the oldest unfinished
    expect(db.recent(10).map((r) => r.uuid)).toEqual(['c']);
    expect(db.counters()['tasks_pruned']).toBe(5);
    expect(db.size().tasks).toBe(1);
    db.close();
  });
});

describe('lost tasks (schema version 2)', () => {
  it('keeps the mark and since when, lists lost tasks, a row behind keeps the mark, a later event clears it', async () => {
    const db = fresh('lost.sqlite');
    const lostQuery = storeQuery({ ...compileTaskQuery({ lost: true }) });
    const r = await lostRoundTrip((rows) => db.write({ tasks: rows, ...noWrites }), (u) => db.getTask(u), () => db.queryTasks(lostQuery));
    expect(r.marked).toMatchObject({ state: 'STARTED', lost: 1, lost_at: 5.5 });
    expect(taskFromRow(r.marked!)).toMatchObject({ lost: true, lostAt: 5.5 });
    expect(r.listed).toEqual(['L1']);
    expect(r.behind).toMatchObject({ lost: 1, lost_at: 5.5 });
    expect(r.cleared).toMatchObject({ state: 'STARTED', worker: 'w2@h', lost: 0, lost_at: null });
    expect(r.listedAfter).toEqual([]);
    db.close();
  });

  it('migrates a version 1 store: its tasks are kept, not lost, and can be marked', () => {
    const path = join(dir, 'v1.sqlite');
    const raw = new Database(path);
    for (const sql of MIGRATIONS.sqlite[0]!) raw.exec(sql);
    for (const sql of markStatements('sqlite', 1)) raw.exec(sql);
    const { lost: _l, lost_at: _a, args_json: _j, kwargs_json: _k, body: _b, group_id: _g, ...v1 } = taskRow(newTask('old-1'), 'b', undefined);
    const cols = Object.keys(v1);
    raw.prepare(`INSERT INTO tasks (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`).run(v1);
    raw.close();
    const db = new SqliteDb(path);
    expect(db.getTask('old-1')).toMatchObject({ state: 'PENDING', lost: 0, lost_at: null });
    const marked = { ...newTask('old-1'), lost: true, lostAt: 7 };
    db.write({ tasks: [taskRow(marked, 'b', undefined)], ...noWrites });
    expect(db.getTask('old-1')).toMatchObject({ lost: 1, lost_at: 7 });
    db.close();
    const version = new Database(path).prepare("SELECT value FROM clearly_meta WHERE key = 'schema_version'").get() as { value: string };
    expect(version.value).toBe('3');
  });
});

describe('the group of a tapped task (schema version 3)', () => {
  const grouped = (): Task => ({
    ...newTask('g-1'),
    name: 'tasks.add',
    tapped: { argsJson: '[1,2]', kwargsJson: '{}', body: null, group: 'grp-abc' },
  });

  it('round-trips through a row and the file: the task, and its record, keep their group; a later row without one keeps it', async () => {
    const { taskRecordFromRow } = await import('../../../src/format/message-records.js');
    const db = fresh('group.sqlite');
    expect(taskRow(grouped(), 'b', undefined).group_id).toBe('grp-abc');
    db.write({ tasks: [taskRow(grouped(), 'b', undefined)], ...noWrites });
    const row = db.getTask('g-1')!;
    expect(row.group_id).toBe('grp-abc');
    expect(taskFromRow(row).tapped).toEqual({ argsJson: '[1,2]', kwargsJson: '{}', body: null, group: 'grp-abc' });
    expect(taskRecordFromRow(row).group).toBe('grp-abc');
    // The task's events without the tap (a server that did not tap it): the stored group stays.
    const later = { ...newTask('g-1'), name: 'tasks.add', events: 2 };
    db.write({ tasks: [taskRow(later, 'b', undefined)], ...noWrites });
    expect(db.getTask('g-1')?.group_id).toBe('grp-abc');
    // An untapped task: no group, no tap fields.
    db.write({ tasks: [taskRow(newTask('g-none'), 'b', undefined)], ...noWrites });
    expect(db.getTask('g-none')?.group_id).toBeNull();
    expect(taskFromRow(db.getTask('g-none')!).tapped).toBeNull();
    db.close();
  });

  it('migrates a version 2 store: its tasks are kept, without a group, and take one', () => {
    const path = join(dir, 'v2.sqlite');
    const raw = new Database(path);
    for (const sql of [...MIGRATIONS.sqlite[0]!, ...MIGRATIONS.sqlite[1]!]) raw.exec(sql);
    for (const sql of markStatements('sqlite', 2)) raw.exec(sql);
    const { group_id: _g, ...v2 } = taskRow({ ...newTask('old-2'), tapped: { argsJson: '[7]', kwargsJson: null, body: null, group: null } }, 'b', undefined);
    const cols = Object.keys(v2);
    raw.prepare(`INSERT INTO tasks (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`).run(v2);
    expect(() => raw.prepare('SELECT group_id FROM tasks').all()).toThrow(/no such column/);
    raw.close();
    const db = new SqliteDb(path);
    expect(db.getTask('old-2')).toMatchObject({ args_json: '[7]', group_id: null });
    db.write({ tasks: [taskRow({ ...grouped(), uuid: 'old-2' }, 'b', undefined)], ...noWrites });
    expect(db.getTask('old-2')).toMatchObject({ args_json: '[1,2]', group_id: 'grp-abc' });
    db.close();
    const version = new Database(path).prepare("SELECT value FROM clearly_meta WHERE key = 'schema_version'").get() as { value: string };
    expect(version.value).toBe('3');
  });
});

describe('one batch holding a uuid twice (a task memory evicted and heard of again)', () => {
  it('writes both in turn: the new entry finishes the task, the evicted one\'s fields stay', () => {
    const db = fresh('twice.sqlite');
    const old = newTask('twice-1');
    applyTaskEvent(old, ev('twice-1', 'received', 5, { name: 'a.b', args: '(1,)', routing_key: 'q1' }));
    applyTaskEvent(old, ev('twice-1', 'started', 6));
    const again = newTask('twice-1');
    applyTaskEvent(again, ev('twice-1', 'succeeded', 7, { name: undefined, result: '2' }));
    const other = newTask('twice-2');
    applyTaskEvent(other, ev('twice-2', 'received', 5, { name: 'c.d' }));
    db.write({ tasks: [taskRow(old, 'b', undefined), taskRow(other, 'b', undefined), taskRow(again, 'b', undefined)], ...noWrites });
    const row = db.getTask('twice-1');
    expect(row).toMatchObject({ state: 'SUCCESS', celery_state: 'SUCCESS', name: 'a.b', args: '(1,)', routing_key: 'q1', result: '2', started: 6, succeeded: 7 });
    expect((db.getTask('twice-2'))?.state).toBe('RECEIVED');
    db.close();
  });
});

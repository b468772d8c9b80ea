/**
 * The embedded store itself: one SQLite file (better-sqlite3, synchronous), WAL mode, created 0600
 * in a 0700 directory. It runs inside the store's worker thread (sqlite-worker.ts), never on the
 * event path. Opening refuses, without touching it, a file that is not a clearly store or comes
 * from a newer clearly; two servers on one broker may share a file (busy timeout, and the state
 * rule in the upsert: rule-sql.ts).
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from '../../errors.js';
import { collect, pageSql, type StoreQuery } from './query.js';
import { TASK_COLUMNS, WORKER_COLUMNS, type TaskRow, type WorkerRow } from './rows.js';
import { upsertSet } from './rule-sql.js';
import { APP_MARK, markStatements, MIGRATIONS, SCHEMA_VERSION } from './schema.js';
import type { RetentionPolicy, StoreSize, WriteBatch } from './store.js';

const FIX = 'choose another file with --store PATH (or CLEARLY_STORE), or --store memory';
const SQLITE_MAGIC = 'SQLite format 3\0';
/** Rows deleted per statement while pruning, so a large prune never holds the file long. */
const PRUNE_CHUNK = 5_000;

type Db = Database.Database;

function cannotCreate(path: string, e: unknown): StoreError {
  const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  return new StoreError('CANT_CREATE', `cannot create the store ${path} (${why}): ${FIX}`, { cause: e });
}

/**
 * mkdir -p, 0700, one level at a time: Node's own `recursive` loops for ever where a parent
 * answers ENOENT to mkdir although it exists (under /proc, for one).
 */
function makeDirs(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) makeDirs(parent);
  mkdirSync(dir, { mode: 0o700 });
}

/** Creates the directory (0700) and an empty file (0600) if missing; refuses a file that is not SQLite. */
function prepareFile(path: string): void {
  try {
    makeDirs(dirname(path));
  } catch (e) {
    throw cannotCreate(path, e);
  }
  if (existsSync(path)) {
    if (statSync(path).size === 0) return;
    const head = Buffer.alloc(16);
    let fd: number | undefined;
    try {
      fd = openSync(path, 'r');
      readSync(fd, head, 0, 16, 0);
    } catch (e) {
      throw new StoreError('CANT_CREATE', `cannot read the store ${path} (${(e as NodeJS.ErrnoException).code ?? e}): ${FIX}`, { cause: e });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    if (head.toString('latin1') !== SQLITE_MAGIC) {
      throw new StoreError('DATA', `${path} is not a clearly store (not an SQLite file); clearly leaves it alone: ${FIX}`);
    }
    return;
  }
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (e) {
    // Another server sharing the file made it a moment ago: it is new and empty, or SQLite's now.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw cannotCreate(path, e);
  }
}

export class SqliteDb {
  private readonly db: Db;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly upsertTask: Database.Statement;
  private readonly upsertWorker: Database.Statement;
  private readonly addName: Database.Statement;
  private readonly addCounter: Database.Statement;
  private seq: number;

  constructor(readonly path: string) {
    prepareFile(path);
    try {
      this.db = new Database(path, { timeout: 5_000 });
    } catch (e) {
      throw cannotCreate(path, e);
    }
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.migrate();
    } catch (e) {
      this.db.close();
      if (e instanceof StoreError) throw e;
      const code = (e as { code?: string }).code;
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
        throw new StoreError('DATA', `${path} is corrupt or not a clearly store (${code}); clearly leaves it alone: ${FIX}`, { cause: e });
      }
      if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_IOERR') throw cannotCreate(path, e);
      throw e;
    }
    const taskCols = TASK_COLUMNS.join(', ');
    this.upsertTask = this.db.prepare(
      `INSERT INTO tasks (${taskCols}) VALUES (${TASK_COLUMNS.map((c) => `@${c}`).join(', ')}) ` +
        `ON CONFLICT (uuid) DO UPDATE SET ${upsertSet(TASK_COLUMNS, 'sqlite')}`,
    );
    this.upsertWorker = this.db.prepare(
      `INSERT INTO workers (${WORKER_COLUMNS.join(', ')}) VALUES (${WORKER_COLUMNS.map((c) => `@${c}`).join(', ')}) ` +
        `ON CONFLICT (hostname) DO UPDATE SET ${WORKER_COLUMNS.filter((c) => c !== 'hostname')
          .map((c) => `${c} = excluded.${c}`)
          .join(', ')}`,
    );
    this.addName = this.db.prepare('INSERT INTO task_names (name) VALUES (?) ON CONFLICT (name) DO NOTHING');
    this.addCounter = this.db.prepare(
      'INSERT INTO counters (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = value + excluded.value',
    );
    this.seq = Number((this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS s FROM tasks').get() as { s: number }).s);
  }

  /**
   * Brings the schema to SCHEMA_VERSION; refuses a file that is not clearly's or is newer. Under
   * the write lock from the first look (BEGIN IMMEDIATE, waiting out the busy timeout): two
   * servers starting on one new file at once would otherwise both find no schema and both create
   * it (the second failing on "table clearly_meta already exists").
   */
  private migrate(): void {
    this.db.transaction(() => this.migrateLocked()).immediate();
  }

  private migrateLocked(): void {
    const hasMeta = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'clearly_meta'").get() !== undefined;
    let version = 0;
    if (hasMeta) {
      const rows = this.db.prepare('SELECT key, value FROM clearly_meta').all() as { key: string; value: string }[];
      const meta = new Map(rows.map((r) => [r.key, r.value]));
      if (meta.get('app') !== APP_MARK) throw new StoreError('DATA', `${this.path} is not a clearly store; clearly leaves it alone: ${FIX}`);
      version = Number(meta.get('schema_version') ?? 0);
    } else {
      const tables = this.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
      if (tables.n > 0) throw new StoreError('DATA', `${this.path} is an SQLite file of something else, not a clearly store; clearly leaves it alone: ${FIX}`);
    }
    if (version > SCHEMA_VERSION) {
      throw new StoreError(
        'DATA',
        `${this.path} was written by a newer clearly (store schema ${version}, this one knows up to ${SCHEMA_VERSION}): upgrade clearly, or ${FIX}`,
      );
    }
    if (version === SCHEMA_VERSION) return;
    for (let v = version + 1; v <= SCHEMA_VERSION; v++) for (const sql of MIGRATIONS.sqlite[v - 1] ?? []) this.db.exec(sql);
    for (const sql of markStatements('sqlite', SCHEMA_VERSION)) this.db.exec(sql);
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      if (this.statements.size > 200) this.statements.clear();
      this.statements.set(sql, s);
    }
    return s;
  }

  write(batch: WriteBatch): void {
    this.db.transaction(() => {
      // Numbered inside the write's lock: another server sharing the file may have written since.
      this.seq = Math.max(this.seq, this.maxSeq());
      for (const row of batch.tasks) {
        row.seq = ++this.seq;
        this.upsertTask.run(row);
      }
      for (const w of batch.workers) this.upsertWorker.run(w);
      for (const n of batch.names) this.addName.run(n);
      const stored = batch.tasks.length;
      for (const [k, v] of Object.entries(batch.counters)) if (v !== 0) this.addCounter.run(k, v);
      if (stored > 0) this.addCounter.run('task_writes', stored);
    }).immediate();
  }

  private maxSeq(): number {
    return Number((this.stmt('SELECT COALESCE(MAX(seq), 0) AS s FROM tasks').get() as { s: number }).s);
  }

  queryPage(q: StoreQuery, afterSeq: number | null, rows: number): TaskRow[] {
    const page = pageSql(q, 'sqlite', afterSeq, rows);
    return this.stmt(page.sql).all(...page.params) as TaskRow[];
  }

  async queryTasks(q: StoreQuery): Promise<TaskRow[]> {
    return collect(q, 'sqlite', (page) => this.stmt(page.sql).all(...page.params) as TaskRow[]);
  }

  getTask(uuid: string): TaskRow | null {
    return (this.stmt('SELECT * FROM tasks WHERE uuid = ?').get(uuid) as TaskRow | undefined) ?? null;
  }

  changedSince(seq: number, limit: number): TaskRow[] {
    return this.stmt('SELECT * FROM tasks WHERE seq > ? ORDER BY seq ASC LIMIT ?').all(seq, limit) as TaskRow[];
  }

  recent(limit: number): TaskRow[] {
    return this.stmt('SELECT * FROM tasks ORDER BY seq DESC LIMIT ?').all(limit) as TaskRow[];
  }

  workers(): WorkerRow[] {
    return this.stmt('SELECT * FROM workers ORDER BY hostname').all() as WorkerRow[];
  }

  names(): string[] {
    return (this.stmt('SELECT name FROM task_names ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  }

  counters(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.stmt('SELECT key, value FROM counters').all() as { key: string; value: number }[]) out[r.key] = r.value;
    return out;
  }

  lastSeq(): number {
    return this.seq;
  }

  private stored(): number {
    return (this.stmt("SELECT COALESCE((SELECT value FROM counters WHERE key = 'tasks_stored'), 0) AS n").get() as { n: number }).n;
  }

  size(): StoreSize {
    const tasks = this.stored();
    let bytes = 0;
    for (const suffix of ['', '-wal', '-shm']) {
      try {
        bytes += statSync(this.path + suffix).size;
      } catch {
        // no such file (yet)
      }
    }
    return { tasks, bytes };
  }

  prune(policy: RetentionPolicy, now: number): number {
    let pruned = 0;
    const old = this.stmt(
      'DELETE FROM tasks WHERE rowid IN (SELECT rowid FROM tasks WHERE finished_at IS NOT NULL AND finished_at < ? LIMIT ?)',
    );
    for (;;) {
      const n = old.run(now - policy.retentionSeconds, PRUNE_CHUNK).changes;
      pruned += n;
      if (n < PRUNE_CHUNK) break;
    }
    let excess = this.stored() - policy.maxStored;
    // The oldest finished first, by last change; then, only if still over, the oldest unfinished.
    for (const which of ['finished_at IS NOT NULL', 'finished_at IS NULL']) {
      const del = this.stmt(`DELETE FROM tasks WHERE rowid IN (SELECT rowid FROM tasks WHERE ${which} ORDER BY seq ASC LIMIT ?)`);
      while (excess > 0) {
        const n = del.run(Math.min(excess, PRUNE_CHUNK)).changes;
        pruned += n;
        excess -= n;
        if (n === 0) break;
      }
    }
    if (pruned > 0) this.addCounter.run('tasks_pruned', pruned);
    return pruned;
  }

  clear(): void {
    this.db.transaction(() => {
      this.db.exec('DELETE FROM tasks; DELETE FROM workers; DELETE FROM task_names; DELETE FROM counters');
    })();
  }

  close(): void {
    this.db.close();
  }
}

/**
 * The store's schema, versioned: a `clearly_meta` table names the file as a clearly store and
 * holds `schema_version`; `MIGRATIONS[v]` takes a store from version v-1 to v, applied at start-up
 * in one transaction. A store written by a newer clearly (a version this binary does not know)
 * is refused, never touched. One list per dialect, the same tables and columns.
 */
import type { Dialect } from './rule-sql.js';

export const SCHEMA_VERSION = 3;
export const APP_MARK = 'clearly';

const SQLITE_V1 = [
  `CREATE TABLE clearly_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`,
  `CREATE TABLE tasks (
    uuid TEXT PRIMARY KEY, name TEXT, state TEXT NOT NULL, celery_state TEXT NOT NULL, state_at REAL NOT NULL,
    finished_at REAL, requeue INTEGER, events INTEGER NOT NULL, timestamp REAL NOT NULL, worker TEXT, client TEXT, retries INTEGER NOT NULL,
    args TEXT, kwargs TEXT, result TEXT, result_json TEXT, exception TEXT, traceback TEXT, runtime REAL, eta TEXT,
    expires TEXT, queue TEXT, exchange TEXT, routing_key TEXT, parent_id TEXT, root_id TEXT, clock INTEGER NOT NULL,
    sent REAL, received REAL, started REAL, succeeded REAL, failed REAL, retried REAL, revoked REAL, rejected REAL,
    terminated INTEGER, signum TEXT, expired INTEGER, broker TEXT NOT NULL, seq INTEGER NOT NULL)`,
  `CREATE UNIQUE INDEX tasks_seq ON tasks (seq)`,
  `CREATE INDEX tasks_state_seq ON tasks (state, seq)`,
  `CREATE INDEX tasks_name_seq ON tasks (name, seq)`,
  `CREATE INDEX tasks_timestamp ON tasks (timestamp)`,
  // Retention: the oldest finished first.
  `CREATE INDEX tasks_finished ON tasks (finished_at) WHERE finished_at IS NOT NULL`,
  // Full text over what a person searches for; kept in step by triggers. Its rowid is the task's
  // `seq` (the order of last change), so a search reads its matches newest first and stops at the
  // limit instead of sorting every match (query.ts); every change of a row moves its entry.
  `CREATE VIRTUAL TABLE tasks_fts USING fts5(name, args, kwargs, result, exception, content='tasks', content_rowid='seq', tokenize='unicode61')`,
  `CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO tasks_fts (rowid, name, args, kwargs, result, exception) VALUES (new.seq, new.name, new.args, new.kwargs, new.result, new.exception);
  END`,
  `CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, name, args, kwargs, result, exception) VALUES ('delete', old.seq, old.name, old.args, old.kwargs, old.result, old.exception);
  END`,
  `CREATE TRIGGER tasks_fts_update AFTER UPDATE OF seq, name, args, kwargs, result, exception ON tasks
    WHEN old.seq IS NOT new.seq OR old.name IS NOT new.name OR old.args IS NOT new.args OR old.kwargs IS NOT new.kwargs OR old.result IS NOT new.result OR old.exception IS NOT new.exception
  BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, name, args, kwargs, result, exception) VALUES ('delete', old.seq, old.name, old.args, old.kwargs, old.result, old.exception);
    INSERT INTO tasks_fts (rowid, name, args, kwargs, result, exception) VALUES (new.seq, new.name, new.args, new.kwargs, new.result, new.exception);
  END`,
  // How many tasks are stored, without counting millions of rows for each `stats`.
  `CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO counters (key, value) VALUES ('tasks_stored', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1;
  END`,
  `CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks BEGIN
    UPDATE counters SET value = value - 1 WHERE key = 'tasks_stored';
  END`,
  `CREATE TABLE workers (
    hostname TEXT PRIMARY KEY, pid INTEGER, freq REAL NOT NULL, active INTEGER, processed INTEGER, loadavg TEXT,
    sw_ident TEXT, sw_ver TEXT, sw_sys TEXT, clock INTEGER NOT NULL, timestamp REAL NOT NULL, last_seen REAL NOT NULL,
    alive INTEGER NOT NULL, broker TEXT NOT NULL)`,
  `CREATE TABLE task_names (name TEXT PRIMARY KEY)`,
];

const POSTGRES_V1 = [
  `CREATE TABLE clearly_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE SEQUENCE task_seq`,
  `CREATE TABLE tasks (
    uuid TEXT PRIMARY KEY, name TEXT, state TEXT NOT NULL, celery_state TEXT NOT NULL, state_at DOUBLE PRECISION NOT NULL,
    finished_at DOUBLE PRECISION, requeue SMALLINT, events INTEGER NOT NULL, timestamp DOUBLE PRECISION NOT NULL, worker TEXT, client TEXT,
    retries INTEGER NOT NULL, args TEXT, kwargs TEXT, result TEXT, result_json TEXT, exception TEXT, traceback TEXT,
    runtime DOUBLE PRECISION, eta TEXT, expires TEXT, queue TEXT, exchange TEXT, routing_key TEXT, parent_id TEXT,
    root_id TEXT, clock BIGINT NOT NULL, sent DOUBLE PRECISION, received DOUBLE PRECISION, started DOUBLE PRECISION,
    succeeded DOUBLE PRECISION, failed DOUBLE PRECISION, retried DOUBLE PRECISION, revoked DOUBLE PRECISION,
    rejected DOUBLE PRECISION, terminated SMALLINT, signum TEXT, expired SMALLINT, broker TEXT NOT NULL,
    seq BIGINT NOT NULL,
    search tsvector NOT NULL)`,
  `CREATE INDEX tasks_seq ON tasks (seq)`,
  `CREATE INDEX tasks_state_seq ON tasks (state, seq)`,
  `CREATE INDEX tasks_name_seq ON tasks (name text_pattern_ops, seq)`,
  `CREATE INDEX tasks_timestamp ON tasks (timestamp)`,
  `CREATE INDEX tasks_finished ON tasks (finished_at) WHERE finished_at IS NOT NULL`,
  `CREATE INDEX tasks_search ON tasks USING GIN (search)`,
  `CREATE TABLE workers (
    hostname TEXT PRIMARY KEY, pid BIGINT, freq DOUBLE PRECISION NOT NULL, active BIGINT, processed BIGINT, loadavg TEXT,
    sw_ident TEXT, sw_ver TEXT, sw_sys TEXT, clock BIGINT NOT NULL, timestamp DOUBLE PRECISION NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL, alive SMALLINT NOT NULL, broker TEXT NOT NULL)`,
  `CREATE TABLE task_names (name TEXT PRIMARY KEY)`,
  `CREATE TABLE counters (key TEXT PRIMARY KEY, value BIGINT NOT NULL)`,
];

/**
 * Version 2: lost tasks (state/lost.ts), a flag and since when, with an index to list them; and
 * what the task-message tap brings (tap/): the whole args/kwargs as JSON, an undecoded body.
 */
const SQLITE_V2 = [
  `ALTER TABLE tasks ADD COLUMN lost INTEGER NOT NULL DEFAULT 0`,
  `ALTER TABLE tasks ADD COLUMN lost_at REAL`,
  `ALTER TABLE tasks ADD COLUMN args_json TEXT`,
  `ALTER TABLE tasks ADD COLUMN kwargs_json TEXT`,
  `ALTER TABLE tasks ADD COLUMN body TEXT`,
  `CREATE INDEX tasks_lost_seq ON tasks (seq) WHERE lost = 1`,
];

const POSTGRES_V2 = [
  `ALTER TABLE tasks ADD COLUMN lost SMALLINT NOT NULL DEFAULT 0`,
  `ALTER TABLE tasks ADD COLUMN lost_at DOUBLE PRECISION`,
  `ALTER TABLE tasks ADD COLUMN args_json TEXT`,
  `ALTER TABLE tasks ADD COLUMN kwargs_json TEXT`,
  `ALTER TABLE tasks ADD COLUMN body TEXT`,
  `CREATE INDEX tasks_lost_seq ON tasks (seq) WHERE lost = 1`,
];

/**
 * Version 3: the group (or chord header) a tapped task was sent in (tap/decode.ts), `group` in
 * records; `group_id` as a column since GROUP is a keyword in both dialects.
 */
const SQLITE_V3 = [`ALTER TABLE tasks ADD COLUMN group_id TEXT`];
const POSTGRES_V3 = [`ALTER TABLE tasks ADD COLUMN group_id TEXT`];

/** `MIGRATIONS[d][v - 1]`: the statements from version v-1 to v (v = 1 creates everything). */
export const MIGRATIONS: Readonly<Record<Dialect, readonly (readonly string[])[]>> = {
  sqlite: [SQLITE_V1, SQLITE_V2, SQLITE_V3],
  postgres: [POSTGRES_V1, POSTGRES_V2, POSTGRES_V3],
};

/** The statements that mark a fresh store as clearly's, at `version`. */
export function markStatements(dialect: Dialect, version: number): string[] {
  const upsert =
    dialect === 'sqlite'
      ? (k: string, v: string) => `INSERT INTO clearly_meta (key, value) VALUES ('${k}', '${v}') ON CONFLICT (key) DO UPDATE SET value = excluded.value`
      : (k: string, v: string) => `INSERT INTO clearly_meta (key, value) VALUES ('${k}', '${v}') ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`;
  return [upsert('app', APP_MARK), upsert('schema_version', String(version))];
}

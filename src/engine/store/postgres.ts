/**
 * The store in PostgreSQL (node-postgres), for a team: several `clearly server`s (two on one
 * broker for availability, or one per broker) may write one database. They converge on one row per
 * task because every write is an upsert that applies the state rule in SQL (rule-sql.ts), rows in
 * uuid order (so concurrent writers lock in the same order), in multi-row statements.
 */
import pg from 'pg';
import { StoreError, UnavailableError } from '../../errors.js';
import { collect, pageSql, type StoreQuery } from './query.js';
import { TASK_COLUMNS, WORKER_COLUMNS, type TaskRow, type WorkerRow } from './rows.js';
import { upsertSet } from './rule-sql.js';
import { textWords } from '../table/search.js';
import { APP_MARK, markStatements, MIGRATIONS, SCHEMA_VERSION } from './schema.js';
import type { RetentionPolicy, Store, StoreSize, WriteBatch } from './store.js';

/** Rows per upsert statement (its parameters are one array per column, whatever the rows). */
const ROWS_PER_STATEMENT = 2000;
const PRUNE_CHUNK = 5_000;
const CONNECT_TIMEOUT_MS = 5_000;
/**
 * A statement that has not answered in this long fails (the connection is then discarded): a
 * database that went silent (its host gone, no reset) must not hold the writer for ever.
 */
const QUERY_TIMEOUT_MS = 60_000;
const FIX = 'check the URL in --store (CLEARLY_STORE), or use --store memory or a file path';

/**
 * PostgreSQL's text cannot hold U+0000 (a repr or traceback can): it becomes U+FFFD, the
 * replacement character, rather than failing the whole batch for ever.
 */
/** What to do about a failed connection: a missing database is created with createdb (clearly makes only its tables). */
function fixFor(e: unknown, url: string): string {
  if ((e as { code?: unknown })?.code !== '3D000') return FIX;
  const u = new URL(url);
  const opts = [u.hostname && `-h ${u.hostname}`, u.port && `-p ${u.port}`, u.username && `-U ${decodeURIComponent(u.username)}`].filter(Boolean).join(' ');
  return `create it (createdb ${opts}${opts ? ' ' : ''}${decodeURIComponent(u.pathname.slice(1))}; clearly creates its tables, not the database), or ${FIX}`;
}

function noNul<T>(v: T): T {
  return (typeof v === 'string' && v.includes('\u0000') ? v.replaceAll('\u0000', '\uFFFD') : v) as T;
}

/** int8 (seq, clock, counters) as numbers: they stay far below 2^53. */
const TYPES = {
  getTypeParser: (oid: number, format?: string) =>
    oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'),
};

const TASK_INSERT_COLUMNS = TASK_COLUMNS.join(', ');

/** Each task column's array type, for the unnest() of a batch. */
const PG_TYPE: Readonly<Record<(typeof TASK_COLUMNS)[number], string>> = {
  uuid: 'text', name: 'text', state: 'text', celery_state: 'text', state_at: 'float8', finished_at: 'float8', requeue: 'int2',
  events: 'int4', timestamp: 'float8', worker: 'text', client: 'text', retries: 'int4', args: 'text', kwargs: 'text',
  result: 'text', result_json: 'text', exception: 'text', traceback: 'text', runtime: 'float8', eta: 'text', expires: 'text',
  queue: 'text', exchange: 'text', routing_key: 'text', parent_id: 'text', root_id: 'text', clock: 'int8', sent: 'float8',
  received: 'float8', started: 'float8', succeeded: 'float8', failed: 'float8', retried: 'float8', revoked: 'float8',
  rejected: 'float8', terminated: 'int2', signum: 'text', expired: 'int2', broker: 'text', seq: 'int8',
  lost: 'int2', lost_at: 'float8', args_json: 'text', kwargs_json: 'text', body: 'text',
  group_id: 'text',
};

/**
 * The batch upsert: the columns as arrays, the words `--search` finds as a tsvector made from the
 * words clearly itself split (table/search.ts, as memory and SQLite split them), and the state
 * rule of rule-sql.ts on conflict. A task's words only accumulate (stripped of positions, so the
 * vector holds each word once): whatever text any version of the row had stays findable.
 */
const TASK_UPSERT =
  `INSERT INTO tasks (${TASK_INSERT_COLUMNS}, search) ` +
  `SELECT ${TASK_INSERT_COLUMNS}, strip(to_tsvector('simple', words)) FROM unnest(` +
  `${TASK_COLUMNS.map((c, i) => `$${i + 1}::${PG_TYPE[c]}[]`).join(', ')}, $${TASK_COLUMNS.length + 1}::text[]` +
  `) AS u(${TASK_INSERT_COLUMNS}, words) ` +
  `ON CONFLICT (uuid) DO UPDATE SET ${upsertSet(TASK_COLUMNS, 'postgres')}, search = tasks.search || EXCLUDED.search`;

/** The rows split so that no layer holds a uuid twice, each uuid's rows in their order. */
function layers(rows: readonly TaskRow[]): TaskRow[][] {
  const out: TaskRow[][] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    const n = seen.get(row.uuid) ?? 0;
    seen.set(row.uuid, n + 1);
    (out[n] ??= []).push(row);
  }
  return out;
}

/** The words of a row's searchable text (name, args, kwargs, result, exception), space-separated. */
function rowWords(r: TaskRow): string {
  return textWords([r.name, r.args, r.kwargs, r.result, r.exception].filter((x) => x !== null).join(' ')).join(' ');
}

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  private constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
  ) {}

  /** Connects and migrates; UnavailableError (exit 69) when the database cannot be reached. */
  static async open(url: string, masked: string): Promise<PostgresStore> {
    const pool = new pg.Pool({
      connectionString: url,
      max: 4,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      keepAlive: true,
      types: TYPES,
    });
    // A lost connection surfaces in the next call; an idle client's error must not crash the process.
    pool.on('error', () => {});
    const store = new PostgresStore(pool, masked);
    try {
      await store.migrate();
    } catch (e) {
      await pool.end().catch(() => undefined);
      if (e instanceof StoreError) throw e;
      throw new UnavailableError(`cannot use the PostgreSQL store ${masked}: ${(e as Error).message}: ${fixFor(e, url)}`, { cause: e });
    }
    return store;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Two servers starting at once: one migrates, the other waits and finds it done.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('clearly.schema'))");
      const meta = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'clearly_meta'");
      let version = 0;
      if ((meta.rows[0]?.n ?? 0) > 0) {
        const rows = await client.query<{ key: string; value: string }>('SELECT key, value FROM clearly_meta');
        const m = new Map(rows.rows.map((r) => [r.key, r.value]));
        if (m.get('app') !== APP_MARK) throw new StoreError('DATA', `${this.location} is not a clearly store (clearly_meta says otherwise): ${FIX}`);
        version = Number(m.get('schema_version') ?? 0);
      } else {
        const ours = await client.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN ('tasks', 'workers', 'task_names', 'counters')",
        );
        if ((ours.rows[0]?.n ?? 0) > 0) {
          throw new StoreError('DATA', `${this.location} has tables named like clearly's (tasks, workers…) that are not a clearly store; clearly leaves them alone: ${FIX}`);
        }
      }
      if (version > SCHEMA_VERSION) {
        throw new StoreError('DATA', `${this.location} was written by a newer clearly (store schema ${version}, this one knows up to ${SCHEMA_VERSION}): upgrade clearly`);
      }
      for (let v = version + 1; v <= SCHEMA_VERSION; v++) for (const sql of MIGRATIONS.postgres[v - 1] ?? []) await client.query(sql);
      if (version < SCHEMA_VERSION) for (const sql of markStatements('postgres', SCHEMA_VERSION)) await client.query(sql);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  async write(batch: WriteBatch): Promise<void> {
    const client = await this.pool.connect();
    let failed: Error | undefined;
    try {
      await client.query('BEGIN');
      // `seq` follows the batch's order (the order tasks last changed: "newest first" reads it),
      // so the numbers are taken first, in that order; the rows are then written in uuid order so
      // that two servers writing the same tasks lock them in the same order and never deadlock.
      const seqs = (
        await client.query<{ s: number }>("SELECT nextval('task_seq') AS s FROM generate_series(1, $1::int)", [batch.tasks.length])
      ).rows.map((r) => Number(r.s)).sort((a, b) => a - b);
      const seqOf = new Map<TaskRow, number>(batch.tasks.map((row, i) => [row, seqs[i]!]));
      // One statement may not touch a row twice: a uuid's second row (an evicted task's, then the
      // new one's) goes in the next layer, written after the first.
      for (const layer of layers(batch.tasks)) {
        const tasks = layer.sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));
        for (let i = 0; i < tasks.length; i += ROWS_PER_STATEMENT) {
          const chunk = tasks.slice(i, i + ROWS_PER_STATEMENT);
          // One array per column (unnest): ~41 parameters whatever the rows, parsed once.
          const params: unknown[] = TASK_COLUMNS.map((c) => chunk.map((row) => (c === 'seq' ? seqOf.get(row) : noNul(row[c]))));
          params.push(chunk.map((row) => noNul(rowWords(row))));
          await client.query(TASK_UPSERT, params);
        }
      }
      if (batch.workers.length > 0) {
        const params: unknown[] = [];
        const values = batch.workers.map((w) => `(${WORKER_COLUMNS.map((c) => (params.push(noNul(w[c])), `$${params.length}`)).join(', ')})`);
        const set = WORKER_COLUMNS.filter((c) => c !== 'hostname').map((c) => `${c} = EXCLUDED.${c}`).join(', ');
        await client.query(`INSERT INTO workers (${WORKER_COLUMNS.join(', ')}) VALUES ${values.join(', ')} ON CONFLICT (hostname) DO UPDATE SET ${set}`, params);
      }
      if (batch.names.length > 0) {
        await client.query('INSERT INTO task_names (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING', [batch.names.map(noNul)]);
      }
      const counters = Object.entries({ ...batch.counters, task_writes: batch.tasks.length }).filter(([, v]) => v !== 0);
      if (counters.length > 0) {
        await client.query(
          'INSERT INTO counters (key, value) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT (key) DO UPDATE SET value = counters.value + EXCLUDED.value',
          [counters.map(([k]) => k), counters.map(([, v]) => v)],
        );
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      failed = e as Error;
      throw e;
    } finally {
      // A client whose write failed may be on a dead connection: discarded, not reused.
      client.release(failed);
    }
  }

  private async rows<T extends object>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pool.query<T>(sql, params)).rows;
  }

  queryPage(q: StoreQuery, afterSeq: number | null, rows: number): Promise<TaskRow[]> {
    const page = pageSql(q, 'postgres', afterSeq, rows);
    return this.rows<TaskRow>(page.sql, page.params);
  }
  queryTasks(q: StoreQuery): Promise<TaskRow[]> {
    return collect(q, 'postgres', (page) => this.rows<TaskRow>(page.sql, page.params));
  }
  async getTask(uuid: string): Promise<TaskRow | null> {
    return (await this.rows<TaskRow>(`SELECT ${TASK_INSERT_COLUMNS} FROM tasks WHERE uuid = $1`, [uuid]))[0] ?? null;
  }
  changedSince(seq: number, limit: number): Promise<TaskRow[]> {
    return this.rows<TaskRow>(`SELECT ${TASK_INSERT_COLUMNS} FROM tasks WHERE seq > $1 ORDER BY seq ASC LIMIT $2`, [seq, limit]);
  }
  recent(limit: number): Promise<TaskRow[]> {
    return this.rows<TaskRow>(`SELECT ${TASK_INSERT_COLUMNS} FROM tasks ORDER BY seq DESC LIMIT $1`, [limit]);
  }
  workers(): Promise<WorkerRow[]> {
    return this.rows<WorkerRow>(`SELECT ${WORKER_COLUMNS.join(', ')} FROM workers ORDER BY hostname`);
  }
  async names(): Promise<string[]> {
    return (await this.rows<{ name: string }>('SELECT name FROM task_names ORDER BY name')).map((r) => r.name);
  }
  async counters(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const r of await this.rows<{ key: string; value: number }>('SELECT key, value FROM counters')) out[r.key] = r.value;
    return out;
  }
  async lastSeq(): Promise<number> {
    return (await this.rows<{ s: number | null }>('SELECT max(seq) AS s FROM tasks'))[0]?.s ?? 0;
  }

  /** The planner's estimate past 100,000 rows (counting millions would take seconds), exact below. */
  private async count(): Promise<number> {
    const est = (await this.rows<{ n: number }>("SELECT reltuples::bigint AS n FROM pg_class WHERE relname = 'tasks' AND relkind = 'r'"))[0]?.n ?? -1;
    if (est >= 100_000) return est;
    return (await this.rows<{ n: number }>('SELECT count(*)::bigint AS n FROM tasks'))[0]?.n ?? 0;
  }

  async size(): Promise<StoreSize> {
    const bytes = (await this.rows<{ b: number }>(
      "SELECT (pg_total_relation_size('tasks') + pg_total_relation_size('workers') + pg_total_relation_size('task_names'))::bigint AS b",
    ))[0]?.b;
    return { tasks: await this.count(), bytes: bytes ?? null };
  }

  async prune(policy: RetentionPolicy, now: number): Promise<number> {
    let pruned = 0;
    for (;;) {
      const r = await this.pool.query(
        'DELETE FROM tasks WHERE uuid IN (SELECT uuid FROM tasks WHERE finished_at IS NOT NULL AND finished_at < $1 LIMIT $2)',
        [now - policy.retentionSeconds, PRUNE_CHUNK],
      );
      pruned += r.rowCount ?? 0;
      if ((r.rowCount ?? 0) < PRUNE_CHUNK) break;
    }
    let excess = (await this.count()) - policy.maxStored;
    for (const which of ['finished_at IS NOT NULL', 'finished_at IS NULL']) {
      while (excess > 0) {
        const r = await this.pool.query(`DELETE FROM tasks WHERE uuid IN (SELECT uuid FROM tasks WHERE ${which} ORDER BY seq ASC LIMIT $1)`, [
          Math.min(excess, PRUNE_CHUNK),
        ]);
        const n = r.rowCount ?? 0;
        pruned += n;
        excess -= n;
        if (n === 0) break;
      }
    }
    if (pruned > 0) {
      await this.pool.query(
        "INSERT INTO counters (key, value) VALUES ('tasks_pruned', $1) ON CONFLICT (key) DO UPDATE SET value = counters.value + EXCLUDED.value",
        [pruned],
      );
    }
    return pruned;
  }

  async clear(): Promise<void> {
    await this.pool.query('TRUNCATE tasks, workers, task_names, counters');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

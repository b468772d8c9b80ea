/**
 * A task query over the store: what SQL can narrow with an index (states, time window, full-text
 * search, order by last change) and what clearly's own filters then decide exactly (the
 * `--pattern`/`--worker` regexes, JavaScript's, as in memory). Pages are read newest first (or
 * oldest first) by `seq` until the limit is met, so a common filter reads a few pages, whatever
 * the size of the store. Pure: the SQL text and parameters, and the page loop over a fetch function.
 */
import { passes, type Negatable } from '../table/filter.js';
import { searchWords } from '../table/search.js';
import type { Dialect } from './rule-sql.js';
import type { TaskRow } from './rows.js';

export interface StoreQuery {
  /** Task states wanted (empty: any) and not wanted. */
  readonly statesIn: readonly string[];
  readonly statesOut: readonly string[];
  /** On name, uuid and routing key. */
  readonly pattern: Negatable | null;
  /** On the worker hostname. */
  readonly worker: Negatable | null;
  /** Tasks whose last event is at or after / before this time (epoch seconds). */
  readonly since: number | null;
  readonly until: number | null;
  /** Words that must all appear in name, args, kwargs, result or exception. */
  readonly search: string | null;
  /** Tasks that retried at least once. */
  readonly retried: boolean;
  /** Only lost tasks (state/lost.ts). */
  readonly lost: boolean;
  /** 0: no limit. */
  readonly limit: number;
  readonly oldestFirst: boolean;
}

export const PAGE_ROWS = 500;

export interface SqlText {
  readonly sql: string;
  readonly params: unknown[];
}

/**
 * One page of candidates: rows passing the SQL part of `q`, after `afterSeq` in the query's order.
 * `only`: just the columns the regexes judge (and `seq`), for a page whose survivors are then read
 * whole (`rowsBySeqSql`): a page of whole rows is ten times the bytes.
 */
export function pageSql(q: StoreQuery, d: Dialect, afterSeq: number | null, rows = PAGE_ROWS, only: 'whole' | 'judged' = 'whole'): SqlText {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown): string => {
    params.push(v);
    return d === 'sqlite' ? '?' : `$${params.length}`;
  };

  const words = q.search === null ? [] : searchWords(q.search);
  // SQLite searches through its full-text table, whose rowid is the task's seq: the matches come
  // newest first (or oldest) and the page stops at its limit, joined to their rows by seq.
  const fts = d === 'sqlite' && words.length > 0;
  const t = fts ? 't.' : '';
  const order = fts ? 'tasks_fts.rowid' : 'seq';
  if (fts) where.push(`tasks_fts MATCH ${p(words.map((w) => `"${w}"`).join(' '))}`);
  if (q.statesIn.length > 0) where.push(`${t}state IN (${q.statesIn.map(p).join(', ')})`);
  if (q.statesOut.length > 0) where.push(`${t}state NOT IN (${q.statesOut.map(p).join(', ')})`);
  if (q.since !== null) where.push(`${t}timestamp >= ${p(q.since)}`);
  if (q.until !== null) where.push(`${t}timestamp < ${p(q.until)}`);
  if (q.retried) where.push(`(${t}retried IS NOT NULL OR ${t}retries > 0)`);
  if (q.lost) where.push(`${t}lost = 1`);
  if (q.search !== null && words.length === 0) where.push('1 = 0');
  if (words.length > 0 && d === 'postgres') where.push(`search @@ to_tsquery('simple', ${p(words.join(' & '))})`);
  if (afterSeq !== null) where.push(`${order} ${q.oldestFirst ? '>' : '<'} ${p(afterSeq)}`);
  const cols = only === 'judged' ? JUDGED_COLUMNS.split(', ').map((c) => t + c).join(', ') : d === 'sqlite' ? `${t}*` : TASK_SELECT;
  const from = fts ? 'tasks_fts JOIN tasks t ON t.seq = tasks_fts.rowid' : 'tasks';
  const sql =
    `SELECT ${cols} FROM ${from}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ` +
    `ORDER BY ${order} ${q.oldestFirst ? 'ASC' : 'DESC'} LIMIT ${rows}`;
  return { sql, params };
}

/** What `rowPasses` reads. */
const JUDGED_COLUMNS = 'seq, uuid, name, routing_key, worker';

/** The whole rows with these `seq`s, in the query's order. */
export function rowsBySeqSql(seqs: readonly number[], d: Dialect, oldestFirst: boolean): SqlText {
  const marks = seqs.map((_, i) => (d === 'sqlite' ? '?' : `$${i + 1}`)).join(', ');
  const cols = d === 'sqlite' ? '*' : TASK_SELECT;
  return { sql: `SELECT ${cols} FROM tasks WHERE seq IN (${marks}) ORDER BY seq ${oldestFirst ? 'ASC' : 'DESC'}`, params: [...seqs] };
}

/** PostgreSQL: every column but the generated `search` (not a TaskRow field). */
const TASK_SELECT =
  'uuid, name, state, celery_state, state_at, finished_at, requeue, events, timestamp, worker, client, retries, args, kwargs, ' +
  'result, result_json, exception, traceback, runtime, eta, expires, queue, exchange, routing_key, parent_id, root_id, ' +
  'clock, sent, received, started, succeeded, failed, retried, revoked, rejected, terminated, signum, expired, broker, seq, ' +
  'lost, lost_at, args_json, kwargs_json, body, group_id';

/** Whether a row passes what SQL did not decide (the regexes). */
export function rowPasses(q: StoreQuery, r: TaskRow): boolean {
  return passes(q.pattern, r.name, r.uuid, r.routing_key) && passes(q.worker, r.worker);
}

/**
 * Every row that passes `q` (its limit too), in its order, a page at a time: at most one page is
 * held, whatever the size of the store (`clearly export`). `page` runs one page's SQL.
 */
export async function* scanRows(
  q: StoreQuery,
  page: (afterSeq: number | null, rows: number) => Promise<TaskRow[]>,
): AsyncGenerator<TaskRow> {
  let after: number | null = null;
  let given = 0;
  for (;;) {
    const rows = await page(after, PAGE_ROWS);
    for (const r of rows) {
      if (!rowPasses(q, r)) continue;
      yield r;
      if (q.limit !== 0 && ++given >= q.limit) return;
    }
    if (rows.length < PAGE_ROWS) return;
    after = Number(rows[rows.length - 1]!.seq);
  }
}

/**
 * Reads pages until `q.limit` rows passed (or the store is exhausted), in the query's order.
 * `fetch` runs one page's SQL.
 */
export async function collect(q: StoreQuery, d: Dialect, fetch: (page: SqlText) => Promise<TaskRow[]> | TaskRow[]): Promise<TaskRow[]> {
  const exact = q.pattern === null && q.worker === null;
  const out: TaskRow[] = [];
  let after: number | null = null;
  if (exact) {
    for (;;) {
      const want = q.limit === 0 ? PAGE_ROWS : Math.min(PAGE_ROWS, q.limit - out.length);
      const rows = await fetch(pageSql(q, d, after, want));
      out.push(...rows);
      if (rows.length < want || (q.limit !== 0 && out.length >= q.limit)) return out;
      after = Number(rows[rows.length - 1]!.seq);
    }
  }
  // The regexes judge pages of a few columns; only the survivors are read whole.
  const seqs: number[] = [];
  const wholeRows = async (): Promise<void> => {
    for (let i = 0; i < seqs.length; i += PAGE_ROWS) out.push(...(await fetch(rowsBySeqSql(seqs.slice(i, i + PAGE_ROWS), d, q.oldestFirst))));
  };
  for (;;) {
    const rows = await fetch(pageSql(q, d, after, PAGE_ROWS, 'judged'));
    for (const r of rows) {
      if (!rowPasses(q, r)) continue;
      seqs.push(Number(r.seq));
      if (q.limit !== 0 && seqs.length >= q.limit) {
        await wholeRows();
        return out;
      }
    }
    if (rows.length < PAGE_ROWS) {
      await wholeRows();
      return out;
    }
    after = Number(rows[rows.length - 1]!.seq);
  }
}

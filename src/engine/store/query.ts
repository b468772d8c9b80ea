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

/** One page of candidates: rows passing the SQL part of `q`, after `afterSeq` in the query's order. */
export function pageSql(q: StoreQuery, d: Dialect, afterSeq: number | null, rows = PAGE_ROWS): SqlText {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown): string => {
    params.push(v);
    return d === 'sqlite' ? '?' : `$${params.length}`;
  };
  if (q.statesIn.length > 0) where.push(`state IN (${q.statesIn.map(p).join(', ')})`);
  if (q.statesOut.length > 0) where.push(`state NOT IN (${q.statesOut.map(p).join(', ')})`);
  if (q.since !== null) where.push(`timestamp >= ${p(q.since)}`);
  if (q.until !== null) where.push(`timestamp < ${p(q.until)}`);
  if (q.retried) where.push(`(retried IS NOT NULL OR retries > 0)`);
  if (q.lost) where.push('lost = 1');
  const words = q.search === null ? [] : searchWords(q.search);
  if (q.search !== null && words.length === 0) where.push('1 = 0');
  if (words.length > 0) {
    if (d === 'sqlite') {
      const match = words.map((w) => `"${w}"`).join(' ');
      where.push(`rowid IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH ${p(match)})`);
    } else {
      where.push(`search @@ to_tsquery('simple', ${p(words.join(' & '))})`);
    }
  }
  if (afterSeq !== null) where.push(`seq ${q.oldestFirst ? '>' : '<'} ${p(afterSeq)}`);
  const cols = d === 'sqlite' ? '*' : TASK_SELECT;
  const sql =
    `SELECT ${cols} FROM tasks${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ` +
    `ORDER BY seq ${q.oldestFirst ? 'ASC' : 'DESC'} LIMIT ${rows}`;
  return { sql, params };
}

/** PostgreSQL: every column but the generated `search` (not a TaskRow field). */
const TASK_SELECT =
  'uuid, name, state, celery_state, state_at, finished_at, requeue, events, timestamp, worker, client, retries, args, kwargs, ' +
  'result, result_json, exception, traceback, runtime, eta, expires, queue, exchange, routing_key, parent_id, root_id, ' +
  'clock, sent, received, started, succeeded, failed, retried, revoked, rejected, terminated, signum, expired, broker, seq, ' +
  'lost, lost_at, args_json, kwargs_json, body';

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
  const out: TaskRow[] = [];
  const exact = q.pattern === null && q.worker === null;
  let after: number | null = null;
  for (;;) {
    const want = q.limit === 0 ? PAGE_ROWS : exact ? Math.min(PAGE_ROWS, q.limit - out.length) : PAGE_ROWS;
    const rows = await fetch(pageSql(q, d, after, want));
    for (const r of rows) {
      if (!exact && !rowPasses(q, r)) continue;
      out.push(r);
      if (q.limit !== 0 && out.length >= q.limit) return out;
    }
    if (rows.length < want) return out;
    after = Number(rows[rows.length - 1]!.seq);
  }
}

/**
 * The durable store, transport-neutral: what the server writes (batches of task and worker rows,
 * task names, counters) and asks (tasks by query, one task, workers, names, sizes), whatever holds
 * it (embedded SQLite, PostgreSQL). Implementations: sqlite.ts (a worker thread around
 * sqlite-db.ts) and postgres.ts; open.ts picks one. Every call is asynchronous: the reducer never
 * waits on the store, and the store never runs on the event path.
 */
import type { StoreQuery } from './query.js';
import type { TaskRow, WorkerRow } from './rows.js';

export interface WriteBatch {
  /**
   * Upserted in this order. A uuid may come more than once (a task memory evicted and heard of
   * again: the evicted object's row first): each is merged by the state rule in turn.
   */
  readonly tasks: readonly TaskRow[];
  readonly workers: readonly WorkerRow[];
  readonly names: readonly string[];
  /** Added to the stored counters (events_processed, tasks_processed…). */
  readonly counters: Readonly<Record<string, number>>;
}

export interface RetentionPolicy {
  /** Finished tasks older than this (seconds) go. */
  readonly retentionSeconds: number;
  /** At most this many tasks: the oldest finished first, then the oldest unfinished. */
  readonly maxStored: number;
}

export interface StoreSize {
  readonly tasks: number;
  /** On disk (the SQLite files; PostgreSQL: the tables and their indexes); null when unknown. */
  readonly bytes: number | null;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** The path, or the masked URL. */
  readonly location: string;
  write(batch: WriteBatch): Promise<void>;
  queryTasks(q: StoreQuery): Promise<TaskRow[]>;
  /**
   * One page of rows passing the SQL part of `q` (query.ts `pageSql`), after `afterSeq` in its
   * order: `export` walks millions of rows a page at a time, holding one page at once.
   */
  queryPage(q: StoreQuery, afterSeq: number | null, rows: number): Promise<TaskRow[]>;
  getTask(uuid: string): Promise<TaskRow | null>;
  /** Rows changed since `seq` (exclusive), oldest first, at most `limit`: a client catching up. */
  changedSince(seq: number, limit: number): Promise<TaskRow[]>;
  /** The newest `limit` tasks (to warm the in-memory cache at start-up). */
  recent(limit: number): Promise<TaskRow[]>;
  workers(): Promise<WorkerRow[]>;
  names(): Promise<string[]>;
  counters(): Promise<Record<string, number>>;
  /** The highest `seq` written so far (0 when empty). */
  lastSeq(): Promise<number>;
  size(): Promise<StoreSize>;
  /** Deletes what the policy says must go; returns how many tasks went. */
  prune(policy: RetentionPolicy, now: number): Promise<number>;
  /** Forgets every task, worker, name and counter (`clearly reset`). */
  clear(): Promise<void>;
  close(): Promise<void>;
}

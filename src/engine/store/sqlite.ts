/**
 * The embedded store as the server sees it: a `Store` whose calls run in a worker thread
 * (sqlite-worker.ts, around sqlite-db.ts), so a batch of writes or a query over millions of rows
 * never holds up the event loop that reads the broker. Errors come back as the ClearlyErrors the
 * thread raised (StoreError with its exit code).
 */
import { Worker } from 'node:worker_threads';
import { ClearlyError, StoreError, type ErrorCode } from '../../errors.js';
import type { StoreQuery } from './query.js';
import type { TaskRow, WorkerRow } from './rows.js';
import type { RetentionPolicy, Store, StoreSize, WriteBatch } from './store.js';

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

/** The thread's script: beside the CLI bundle once built, beside this module otherwise. */
function workerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.cjs')) return new URL('./sqlite-worker.cjs', here);
  return new URL(here.endsWith('.ts') ? './sqlite-worker.ts' : './sqlite-worker.js', here);
}

function asError(e: { code: ErrorCode; message: string }): ClearlyError {
  if (e.code === 'DATA' || e.code === 'CANT_CREATE') return new StoreError(e.code, e.message);
  return new ClearlyError(e.code, e.message);
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly worker: Worker;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private failed: Error | null = null;

  private constructor(readonly location: string) {
    this.worker = new Worker(workerUrl(), { execArgv: process.execArgv });
    this.worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      if (p === undefined) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else p.reject(asError(r.error ?? { code: 'INTERNAL', message: 'store thread failed' }));
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => {
      if (code !== 0) this.fail(new Error(`the store thread exited (${code})`));
    });
  }

  /** Opens (creating, migrating) the file; rejects with StoreError when it cannot be used. */
  static async open(path: string): Promise<SqliteStore> {
    const store = new SqliteStore(path);
    try {
      await store.call('open', path);
    } catch (e) {
      await store.worker.terminate();
      throw e;
    }
    return store;
  }

  private fail(e: Error): void {
    this.failed = e;
    for (const p of this.pending.values()) p.reject(new ClearlyError('INTERNAL', `the SQLite store failed: ${e.message}`, { cause: e }));
    this.pending.clear();
  }

  private call<T>(op: string, ...args: unknown[]): Promise<T> {
    if (this.failed !== null) return Promise.reject(new ClearlyError('INTERNAL', `the SQLite store failed: ${this.failed.message}`));
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  write(batch: WriteBatch): Promise<void> {
    return this.call('write', batch);
  }
  queryTasks(q: StoreQuery): Promise<TaskRow[]> {
    return this.call('queryTasks', q);
  }
  queryPage(q: StoreQuery, afterSeq: number | null, rows: number): Promise<TaskRow[]> {
    return this.call('queryPage', q, afterSeq, rows);
  }
  getTask(uuid: string): Promise<TaskRow | null> {
    return this.call('getTask', uuid);
  }
  changedSince(seq: number, limit: number): Promise<TaskRow[]> {
    return this.call('changedSince', seq, limit);
  }
  recent(limit: number): Promise<TaskRow[]> {
    return this.call('recent', limit);
  }
  workers(): Promise<WorkerRow[]> {
    return this.call('workers');
  }
  names(): Promise<string[]> {
    return this.call('names');
  }
  counters(): Promise<Record<string, number>> {
    return this.call('counters');
  }
  lastSeq(): Promise<number> {
    return this.call('lastSeq');
  }
  size(): Promise<StoreSize> {
    return this.call('size');
  }
  prune(policy: RetentionPolicy, now: number): Promise<number> {
    return this.call('prune', policy, now);
  }
  clear(): Promise<void> {
    return this.call('clear');
  }
  async close(): Promise<void> {
    try {
      await this.call('close');
    } finally {
      await this.worker.terminate();
    }
  }
}

/**
 * The store as a sink of changes: the collector hands it every change after the reducer applied
 * it; it only marks the task (or worker) dirty. Every `intervalMs` (250 ms) the dirty ones become
 * rows (one per task, however many events it had) and go to the store in one batch, off the event
 * path. A SIGKILL loses at most that window; the tasks involved are re-learned from later events.
 *
 * When the store fails (PostgreSQL down, disk full) the rows wait, coalesced per task, up to
 * `maxBacklog` tasks; writing is retried with backoff and the first failure and the recovery are
 * said once. Past the bound the oldest waiting rows are dropped and counted (`stats` says so).
 */
import type { ResultBackend } from '../backend/results.js';
import { backoffMs } from '../broker/source.js';
import type { Change, Task, Worker } from '../model.js';
import { taskRow, workerRow, type TaskRow, type WorkerRow } from './rows.js';
import type { Store } from './store.js';

export interface WriterOptions {
  readonly store: Store;
  /** Masked broker URL written with each row. */
  readonly broker: string;
  readonly results: Pick<ResultBackend, 'get'>;
  readonly intervalMs?: number;
  /** Tasks held while the store cannot be written. */
  readonly maxBacklog?: number;
  readonly log: (message: string) => void;
}

export interface WriterStats {
  /** Tasks waiting to be written (dirty plus held after a failure). */
  readonly backlog: number;
  /** Task rows that could not be kept (backlog full while the store was down). */
  readonly dropped: number;
  /** Task rows written since start. */
  readonly written: number;
  readonly state: 'ok' | 'failing';
}

export const DEFAULT_BACKLOG = 200_000;

export class StoreWriter {
  private dirty = new Map<string, Task>();
  private dirtyWorkers = new Map<string, Worker>();
  private names = new Set<string>();
  private counters: Record<string, number> = {};
  /** Rows a failed write left, by uuid (newer rows replace them). */
  private held = new Map<string, TaskRow>();
  private heldWorkers = new Map<string, WorkerRow>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | null = null;
  private failures = 0;
  private retryAt = 0;
  private dropped = 0;
  /** `dropped` when the current failure began (the recovery says how many it cost). */
  private droppedBefore = 0;
  private written = 0;
  private readonly intervalMs: number;
  private readonly maxBacklog: number;

  constructor(private readonly o: WriterOptions) {
    this.intervalMs = o.intervalMs ?? 250;
    this.maxBacklog = o.maxBacklog ?? DEFAULT_BACKLOG;
  }

  start(): void {
    // A tick while a write is under way does nothing: the next one takes what piled up.
    this.timer = setInterval(() => {
      if (this.writing === null) void this.flush();
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Per change: a map insert, nothing else. */
  onChange(change: Change): void {
    if (change.kind === 'task') {
      this.dirty.set(change.task.uuid, change.task);
      const name = change.task.name;
      if (name !== null) this.names.add(name);
    } else {
      this.dirtyWorkers.set(change.worker.hostname, change.worker);
    }
  }

  /** Adds to a stored counter at the next write. */
  count(key: string, n: number): void {
    this.counters[key] = (this.counters[key] ?? 0) + n;
  }

  get stats(): WriterStats {
    return {
      backlog: this.dirty.size + this.held.size,
      dropped: this.dropped,
      written: this.written,
      state: this.failures > 0 ? 'failing' : 'ok',
    };
  }

  /**
   * Writes what is dirty now (waiting for a write under way first). Resolves once it is in the
   * store, or held after a failure (never rejects).
   */
  async flush(): Promise<void> {
    while (this.writing !== null) await this.writing;
    if (this.failures > 0 && Date.now() < this.retryAt && this.held.size > 0) {
      this.hold(this.takeRows());
      return;
    }
    const { tasks, workers } = this.takeRows();
    const names = [...this.names];
    const counters = this.counters;
    if (tasks.length === 0 && workers.length === 0 && names.length === 0 && Object.keys(counters).length === 0) return;
    this.names = new Set();
    this.counters = {};
    this.writing = this.o.store.write({ tasks, workers, names, counters }).then(
      () => {
        this.written += tasks.length;
        if (this.failures > 0) {
          const lost = this.dropped - this.droppedBefore;
          const cost = lost === 0 ? '' : `; ${lost} task ${lost === 1 ? 'change' : 'changes'} could not be kept (stats: store_dropped)`;
          this.o.log(`the store ${this.o.store.location} is writable again; wrote what was held${cost}`);
        }
        this.failures = 0;
      },
      (e: unknown) => {
        if (this.failures === 0) {
          this.droppedBefore = this.dropped;
          this.o.log(
            `cannot write to the store ${this.o.store.location} (${(e as Error).message}); ` +
              `holding changes (up to ${this.maxBacklog} tasks) and retrying`,
          );
        }
        this.failures++;
        this.retryAt = Date.now() + backoffMs(this.failures);
        this.hold({ tasks, workers });
        for (const n of names) this.names.add(n);
        for (const [k, v] of Object.entries(counters)) this.count(k, v);
      },
    );
    try {
      await this.writing;
    } finally {
      this.writing = null;
    }
  }

  /** Forgets everything not yet written (`reset`). */
  clear(): void {
    this.dirty.clear();
    this.dirtyWorkers.clear();
    this.held.clear();
    this.heldWorkers.clear();
    this.names.clear();
    this.counters = {};
  }

  /** Stops the timer and writes what is left (bounded by the caller's timeout). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.retryAt = 0; // whatever the backoff
    await this.flush();
  }

  /** The dirty tasks as rows (snapshots: the tasks change after this), plus what was held. */
  private takeRows(): { tasks: TaskRow[]; workers: WorkerRow[] } {
    const rows = this.held;
    this.held = new Map();
    for (const [uuid, task] of this.dirty) rows.set(uuid, taskRow(task, this.o.broker, this.o.results.get(uuid)));
    this.dirty = new Map();
    const workers = this.heldWorkers;
    this.heldWorkers = new Map();
    for (const [host, w] of this.dirtyWorkers) workers.set(host, workerRow(w, this.o.broker));
    this.dirtyWorkers = new Map();
    return { tasks: [...rows.values()], workers: [...workers.values()] };
  }

  private hold(rows: { tasks: TaskRow[]; workers: WorkerRow[] }): void {
    for (const r of rows.tasks) {
      this.held.delete(r.uuid);
      this.held.set(r.uuid, r);
    }
    for (const w of rows.workers) this.heldWorkers.set(w.hostname, w);
    // Oldest first (Map keeps insertion order): what is dropped is what waited longest.
    let over = this.held.size - this.maxBacklog;
    if (over > 0 && this.dropped === this.droppedBefore) {
      this.o.log(
        `the store's backlog is full (${this.maxBacklog} tasks, --store-backlog): the oldest changes could not be kept ` +
          '(counted in stats as store_dropped)',
      );
    }
    for (const uuid of this.held.keys()) {
      if (over-- <= 0) break;
      this.held.delete(uuid);
      this.dropped++;
    }
  }
}

/**
 * The store as a sink of changes: the collector hands it every change after the reducer applied
 * it; it only marks the task (or worker) dirty. Every `intervalMs` (250 ms) the dirty ones become
 * rows (one per task, however many events it had) and go to the store in one batch, off the event
 * path. A SIGKILL loses at most that window; the tasks involved are re-learned from later events.
 *
 * A task memory evicted and then heard of again (a burst larger than `--max-tasks`) is a new
 * object holding only its later events' fields: the evicted object's row is written first, in the
 * same batch, so the store's upsert merges the two (rule-sql.ts) and nothing the first one knew is
 * lost. So a batch may hold a uuid more than once (in order; the store writes them in turn).
 *
 * When the store fails (PostgreSQL down, disk full) the rows wait, coalesced per task, up to
 * `maxBacklog` tasks; writing is retried with backoff and the first failure and the recovery are
 * said once. Past the bound the oldest waiting rows are dropped, counted (`stats` says so) and
 * said once.
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
  /** The most tasks held while the store fails. */
  readonly backlogMax: number;
  readonly state: 'ok' | 'failing';
}

export const DEFAULT_BACKLOG = 200_000;

/** A task's rows waiting to be written, in order, and the object the last one was taken from. */
interface Pending {
  rows: TaskRow[];
  from: Task;
}

/** Rows kept per task while the store fails (each a different object memory let go of). */
const MAX_ROWS_PER_TASK = 4;

export class StoreWriter {
  private dirty = new Map<string, Task>();
  /** Objects a dirty task replaced before they were written (memory evicted them), oldest first. */
  private replaced = new Map<string, Task[]>();
  private dirtyWorkers = new Map<string, Worker>();
  private names = new Set<string>();
  private counters: Record<string, number> = {};
  /** Rows a failed write left, by uuid (a newer row of the same object replaces its last). */
  private held = new Map<string, Pending>();
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

  /** Per change: a map insert (a delete first when the task changed already in this window). */
  onChange(change: Change): void {
    if (change.kind === 'task') {
      const uuid = change.task.uuid;
      const before = this.dirty.get(uuid);
      if (before !== undefined) {
        if (before !== change.task) {
          const list = this.replaced.get(uuid);
          if (list === undefined) this.replaced.set(uuid, [before]);
          else list.push(before);
        }
        // Last changed last: the batch's order (the store's `seq`) is memory's order of last change.
        this.dirty.delete(uuid);
      }
      this.dirty.set(uuid, change.task);
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
      backlogMax: this.maxBacklog,
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
    const taken = this.takeRows();
    const { workers } = taken;
    const tasks = rowsOf(taken.tasks);
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
        this.hold(taken);
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
    this.replaced.clear();
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

  /** The dirty tasks as rows (snapshots: the tasks change after this), after what was held. */
  private takeRows(): { tasks: Map<string, Pending>; workers: WorkerRow[] } {
    const tasks = this.held;
    this.held = new Map();
    const add = (task: Task): void => {
      const row = taskRow(task, this.o.broker, this.o.results.get(task.uuid));
      const p = tasks.get(task.uuid);
      if (p === undefined) tasks.set(task.uuid, { rows: [row], from: task });
      else {
        // A newer snapshot of the same object knows all the older one did; another object does not.
        if (p.from === task) p.rows[p.rows.length - 1] = row;
        else p.rows.push(row);
        p.from = task;
        tasks.delete(task.uuid); // newest last: what waited longest is dropped first
        tasks.set(task.uuid, p);
      }
    };
    for (const [uuid, task] of this.dirty) {
      for (const old of this.replaced.get(uuid) ?? []) add(old);
      add(task);
    }
    this.dirty = new Map();
    this.replaced = new Map();
    const workers = this.heldWorkers;
    this.heldWorkers = new Map();
    for (const [host, w] of this.dirtyWorkers) workers.set(host, workerRow(w, this.o.broker));
    this.dirtyWorkers = new Map();
    return { tasks, workers: [...workers.values()] };
  }

  private hold(rows: { tasks: Map<string, Pending>; workers: WorkerRow[] }): void {
    // What was taken goes back first (nothing else is held while rows are out being written).
    const merged = rows.tasks;
    for (const [uuid, p] of this.held) {
      const q = merged.get(uuid);
      if (q === undefined) merged.set(uuid, p);
      else {
        q.rows.push(...p.rows);
        q.from = p.from;
      }
    }
    this.held = merged;
    for (const w of rows.workers) this.heldWorkers.set(w.hostname, w);
    const before = this.dropped;
    for (const p of this.held.values()) {
      const extra = p.rows.length - MAX_ROWS_PER_TASK;
      if (extra > 0) {
        p.rows.splice(0, extra);
        this.dropped += extra;
      }
    }
    // Oldest first (Map keeps insertion order): what is dropped is what waited longest.
    let over = this.held.size - this.maxBacklog;
    for (const [uuid, p] of this.held) {
      if (over-- <= 0) break;
      this.held.delete(uuid);
      this.dropped += p.rows.length;
    }
    if (this.dropped > before && before === this.droppedBefore) {
      this.o.log(
        `the store's backlog is full (${this.maxBacklog} tasks, --store-backlog): the oldest changes could not be kept ` +
          '(counted in stats as store_dropped)',
      );
    }
  }
}

/** The rows of a batch in write order: each task's rows in turn (a uuid twice for a replaced object). */
function rowsOf(tasks: Map<string, Pending>): TaskRow[] {
  const out: TaskRow[] = [];
  for (const p of tasks.values()) out.push(...p.rows);
  return out;
}

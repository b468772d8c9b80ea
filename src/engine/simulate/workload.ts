/**
 * The workload model: simulated Celery workers and a client, producing the broker messages a real
 * 5.2 deployment would, in a publish order that keeps the invariants of PROTOCOL.md §4–§5:
 * - each worker's events leave in strictly increasing Lamport clock order (its task events are
 *   buffered and flushed as `task.multi` batches of 1–5; a heartbeat flushes the buffer first);
 * - a task's `task-sent` (client, or pool child for a retry) is published before its `task-received`;
 * - a retry's next attempt is received before the `task-retried` of the previous one.
 * Deterministic for a seed and a clock: `now` is injected (the CLI passes the wall clock).
 */
import { buildCatalog, type Catalog, type TaskVariant } from './catalog.js';
import { isTaskEventType, nextState, type CeleryState } from './celery-state.js';
import type { EventMessage, GenEvent, TaskSent, WorkerLifecycleEvent, WorkerTaskEvent } from './encode.js';
import { Rng } from './rng.js';
import { SimWorker } from './sim-worker.js';

export interface WorkloadOptions {
  readonly seed: number;
  /** Worker nodenames, e.g. `w1@bench`. */
  readonly workers: readonly string[];
  /** Host part of the client's nodename `gen<clientPid>@<host>` and of pool children's. */
  readonly host: string;
  readonly clientPid: number;
  /** Epoch seconds (float). */
  readonly now: () => number;
  /** Share of attempts that end in task-failed. Default 0.05. */
  readonly failRate?: number;
  /** Share of attempts that end in task-retried (a new attempt follows). Default 0.02. */
  readonly retryRate?: number;
  /** Chance that a flush is followed by an empty `[]` batch (5.2 on AMQP does this). Default 0. */
  readonly emptyBatchRate?: number;
  /** Stop after exactly this many events (worker-offline included); at least 2 per worker. */
  readonly maxEvents?: number;
  /** Heartbeat interval, seconds. Default 2.0. */
  readonly freq?: number;
  /** Python's `utcoffset()`: hours west of UTC. Default: this machine's. */
  readonly utcoffset?: number;
  /** Tasks in flight per worker. Default 4. */
  readonly prefetch?: number;
  /** Keep every task's final state (memory grows with the run: for tests and verification). */
  readonly trackTasks?: boolean;
}

export interface WorkloadStats {
  /** Events in the messages returned so far (an empty batch counts 0). */
  events: number;
  messages: number;
  /** Tasks created (first attempts; a retry is the same task). */
  tasks: number;
}

type Phase = 'start' | 'run' | 'done';

/** Python `utcoffset()` of this machine: `time.timezone // 3600` (altzone in DST), hours west. */
export function localUtcoffset(): number {
  return Math.floor(new Date().getTimezoneOffset() / 60);
}

/** `datetime.isoformat()` of an aware UTC datetime: microseconds only when non-zero. */
export function isoUtc(epochSeconds: number): string {
  const micros = Math.round(epochSeconds * 1e6);
  const d = new Date(Math.floor(micros / 1000));
  const frac = micros % 1_000_000;
  const base = d.toISOString().slice(0, 19);
  return `${base}${frac === 0 ? '' : '.' + String(frac).padStart(6, '0')}+00:00`;
}

export class Workload {
  readonly stats: WorkloadStats = { events: 0, messages: 0, tasks: 0 };
  /** Final Celery state per task uuid (only with `trackTasks`). */
  readonly states = new Map<string, CeleryState>();

  /** Drives the task stream: the same seed gives the same tasks, args and outcomes in the same order. */
  private readonly rng: Rng;
  /** For what heartbeats (wall-clock driven) trigger: flush sizes, loadavg, clock skips. */
  private readonly timing: Rng;
  private readonly catalog: Catalog;
  private readonly workers: SimWorker[];
  private readonly client: { hostname: string; pid: number; clock: number };
  private readonly out: EventMessage[] = [];
  private outHead = 0;
  private phase: Phase = 'start';
  private stopping = false;
  /** Events given a clock so far (published or sitting in a worker buffer). */
  private committed = 0;
  private turn = 0;
  private readonly failRate: number;
  private readonly retryRate: number;
  private readonly emptyBatchRate: number;
  private readonly maxEvents: number;

  constructor(private readonly opts: WorkloadOptions) {
    if (opts.workers.length === 0) throw new RangeError('a workload needs at least one worker');
    this.maxEvents = opts.maxEvents ?? Infinity;
    if (this.maxEvents < 2 * opts.workers.length) {
      throw new RangeError(`maxEvents ${this.maxEvents} < 2 per worker (online + offline)`);
    }
    this.rng = new Rng(opts.seed);
    this.catalog = buildCatalog(this.rng);
    this.failRate = opts.failRate ?? 0.05;
    this.retryRate = opts.retryRate ?? 0.02;
    this.emptyBatchRate = opts.emptyBatchRate ?? 0;
    const common = {
      utcoffset: opts.utcoffset ?? localUtcoffset(),
      freq: opts.freq ?? 2.0,
      prefetch: opts.prefetch ?? 4,
      host: opts.host,
    };
    this.timing = new Rng(opts.seed ^ 0x5bd1e995);
    this.workers = opts.workers.map((hostname) => new SimWorker(hostname, this.rng, this.timing, common));
    this.client = { hostname: `gen${opts.clientPid}@${opts.host}`, pid: opts.clientPid, clock: 0 };
  }

  /** Begin the orderly end: flush every worker's buffer and send worker-offline. Idempotent. */
  stop(): void {
    this.stopping = true;
  }

  /** The next broker message, or null once every worker went offline. */
  next(): EventMessage | null {
    while (this.outHead === this.out.length) {
      this.out.length = 0;
      this.outHead = 0;
      if (!this.produce()) return null;
    }
    const m = this.out[this.outHead++] as EventMessage;
    this.account(m);
    return m;
  }

  /** Fill `out` with at least one message; false when the workload is over. */
  private produce(): boolean {
    const now = this.opts.now();
    switch (this.phase) {
      case 'done':
        return false;
      case 'start':
        for (const w of this.workers) this.emitWorker(w.lifecycle('worker-online', now));
        this.phase = 'run';
        return true;
      case 'run':
        break;
      default: {
        const unhandled: never = this.phase;
        throw new TypeError(`unknown phase ${String(unhandled)}`);
      }
    }
    if (this.stopping || this.remaining() <= 0) {
      for (const w of this.workers) {
        this.flush(w, false);
        this.emitWorker(w.lifecycle('worker-offline', now));
      }
      this.phase = 'done';
      return true;
    }
    for (const w of this.workers) {
      if (now >= w.nextBeat) {
        // Flush first: the heartbeat takes a later clock than the buffered events.
        this.flush(w, false);
        this.emitWorker(w.lifecycle('worker-heartbeat', now));
        return true;
      }
    }
    while (this.outHead === this.out.length && this.remaining() > 0) this.step(now);
    if (this.outHead === this.out.length) return this.produce();
    return true;
  }

  /** Events still allowed before the worker-offline reserve. */
  private remaining(): number {
    return this.maxEvents - this.committed - this.workers.length;
  }

  /** One simulation step on the next worker (round robin): start a task or advance one. */
  private step(now: number): void {
    const w = this.workers[this.turn++ % this.workers.length] as SimWorker;
    if (w.tasks.length === 0 || (w.tasks.length < w.prefetch && this.rng.chance(0.3))) {
      this.newTask(w, now);
      return;
    }
    const task = this.rng.pick(w.tasks);
    switch (task.stage) {
      case 'sent':
        this.buffer(w, w.received(task, now));
        return;
      case 'received':
        this.buffer(w, w.started(task, now));
        return;
      case 'started': {
        const r = this.rng.float();
        if (r < this.retryRate && task.retries < 3 && this.remaining() >= 3) {
          // The pool child re-publishes (task-sent), the main process receives the next attempt,
          // then reports the retry of the previous one (observed order, §5).
          const eta = isoUtc(now + task.entry.countdown);
          this.emitSingle(w.childSent(task, eta, now));
          this.committed++;
          this.buffer(w, w.received(task, now));
          this.buffer(w, w.retried(task, now));
        } else if (r < this.retryRate + this.failRate) {
          this.buffer(w, w.failed(task, now));
        } else {
          this.buffer(w, w.succeeded(task, now));
        }
        return;
      }
      default: {
        const unhandled: never = task.stage;
        throw new TypeError(`unknown stage ${String(unhandled)}`);
      }
    }
  }

  private newTask(w: SimWorker, now: number): void {
    const entry = this.catalog.entries[this.rng.weighted(this.catalog.weights)];
    if (entry === undefined) throw new RangeError('empty catalog');
    const variant: TaskVariant = this.rng.pick(entry.variants);
    const uuid = this.rng.uuid4();
    // Some tasks carry an expiry, as `apply_async(expires=...)` gives.
    const expires = this.rng.chance(0.1) ? isoUtc(now + 3600) : null;
    w.assign({ uuid, variant, entry, retries: 0, eta: null, expires, root_id: uuid, parent_id: null, stage: 'sent' });
    const c = this.client;
    const sent: TaskSent = {
      hostname: c.hostname, utcoffset: w.utcoffset, pid: c.pid, clock: ++c.clock,
      uuid, root_id: uuid, parent_id: null, name: variant.name, args: variant.args, kwargs: variant.kwargs,
      retries: 0, eta: null, expires, queue: variant.queue, exchange: '', routing_key: variant.queue,
      timestamp: now, type: 'task-sent',
    };
    this.stats.tasks++;
    this.committed++;
    this.emitSingle(sent);
  }

  private buffer(w: SimWorker, e: WorkerTaskEvent): void {
    this.committed++;
    w.buffer.push(e);
    if (w.buffer.length >= w.batchTarget) this.flush(w, true);
  }

  /** Publish the worker's buffer as one task.multi (maybe followed by 5.2's empty batch). */
  private flush(w: SimWorker, mayAddEmpty: boolean): void {
    if (w.buffer.length === 0) return;
    this.out.push({ kind: 'multi', hostname: w.hostname, events: w.buffer });
    w.buffer = [];
    w.batchTarget = 1 + this.timing.weighted([40, 30, 17, 9, 4]);
    if (mayAddEmpty && this.emptyBatchRate > 0 && this.timing.chance(this.emptyBatchRate)) {
      this.out.push({ kind: 'multi', hostname: w.hostname, events: [] });
    }
  }

  private emitWorker(e: WorkerLifecycleEvent): void {
    this.committed++;
    this.emitSingle(e);
  }

  private emitSingle(e: GenEvent): void {
    this.out.push({ kind: 'single', event: e });
  }

  private account(m: EventMessage): void {
    this.stats.messages++;
    switch (m.kind) {
      case 'single':
        this.stats.events++;
        if (this.opts.trackTasks === true) this.track(m.event);
        return;
      case 'multi':
        this.stats.events += m.events.length;
        if (this.opts.trackTasks === true) for (const e of m.events) this.track(e);
        return;
      default: {
        const unhandled: never = m;
        throw new TypeError(`unknown message ${String(unhandled)}`);
      }
    }
  }

  private track(e: GenEvent): void {
    if (!isTaskEventType(e.type) || !('uuid' in e)) return;
    this.states.set(e.uuid, nextState(this.states.get(e.uuid), e.type));
  }
}

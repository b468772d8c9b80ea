/**
 * One simulated Celery worker main process: its Lamport clock, counters, heartbeat schedule,
 * in-flight tasks, event buffer (the hub's `task` group buffer) and pool children (which publish
 * the task-sent of retries with their own nodename and clock, as observed in PROTOCOL.md §3).
 * It only builds events; the Workload decides what happens when.
 *
 * Event objects are written out field by field rather than spread from a shared header: object
 * spread was the hottest spot of the generator (3x slower overall at 100k+ events/s).
 */
import type { CatalogEntry, TaskVariant } from './catalog.js';
import type {
  TaskFailed,
  TaskReceived,
  TaskRetried,
  TaskSent,
  TaskStarted,
  TaskSucceeded,
  WorkerLifecycleEvent,
  WorkerTaskEvent,
} from './encode.js';
import type { Rng } from './rng.js';

export interface SimTask {
  readonly uuid: string;
  readonly variant: TaskVariant;
  readonly entry: CatalogEntry;
  retries: number;
  eta: string | null;
  readonly expires: string | null;
  readonly root_id: string;
  parent_id: string | null;
  /** The last event this task had on the worker side ('sent' = not yet received). */
  stage: 'sent' | 'received' | 'started';
}

export interface SimWorkerConfig {
  readonly utcoffset: number;
  readonly freq: number;
  readonly prefetch: number;
  readonly host: string;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

export class SimWorker {
  readonly pid: number;
  readonly utcoffset: number;
  readonly prefetch: number;
  clock = 0;
  /** `all_total_count`: tasks received so far (retries included). */
  processed = 0;
  /** `len(active_requests)`: tasks started and not finished. */
  active = 0;
  nextBeat = Infinity;
  tasks: SimTask[] = [];
  buffer: WorkerTaskEvent[] = [];
  batchTarget = 1;
  private loadavg: number[];
  private readonly children: { hostname: string; pid: number; clock: number }[];

  /**
   * @param rng the task stream's randomness (pids, outcomes, runtimes)
   * @param timing randomness used at wall-clock-driven moments (heartbeats), kept apart so the
   *   task stream of a seed does not depend on when heartbeats happen to fall
   */
  constructor(
    readonly hostname: string,
    private readonly rng: Rng,
    private readonly timing: Rng,
    private readonly cfg: SimWorkerConfig,
  ) {
    this.pid = rng.int(2000, 60000);
    this.utcoffset = cfg.utcoffset;
    this.prefetch = cfg.prefetch;
    this.loadavg = [rng.int(5, 150) / 100, rng.int(5, 150) / 100, rng.int(5, 150) / 100];
    this.children = [1, 2, 3, 4].map((i) => ({
      hostname: `gen${this.pid + i}@${cfg.host}`,
      pid: this.pid + i,
      clock: 0,
    }));
  }

  lifecycle(type: WorkerLifecycleEvent['type'], now: number): WorkerLifecycleEvent {
    if (type === 'worker-online') {
      // Workers of one deployment do not start in the same millisecond: spread their heartbeats.
      this.nextBeat = now + this.cfg.freq * (1 - 0.5 * this.timing.float());
    } else if (type === 'worker-heartbeat') {
      // Gossip and pidbox also move a worker's clock between two heartbeats (e.g. 72 → 74).
      if (this.timing.chance(0.2)) this.clock++;
      this.nextBeat = Math.max(this.nextBeat + this.cfg.freq, now);
      this.loadavg = this.loadavg.map((l) => Math.max(0, round2(l + (this.timing.float() - 0.5) * 0.1)));
    }
    return {
      hostname: this.hostname,
      utcoffset: this.utcoffset,
      pid: this.pid,
      clock: ++this.clock,
      timestamp: now,
      freq: this.cfg.freq,
      active: this.active,
      processed: this.processed,
      loadavg: this.loadavg,
      sw_ident: 'py-celery',
      sw_ver: '5.2.6',
      sw_sys: 'Linux',
      type,
    };
  }

  assign(task: SimTask): void {
    this.tasks.push(task);
  }

  received(t: SimTask, now: number): TaskReceived {
    t.stage = 'received';
    this.processed++;
    return {
      hostname: this.hostname,
      utcoffset: this.utcoffset,
      pid: this.pid,
      clock: ++this.clock,
      timestamp: now,
      uuid: t.uuid, name: t.variant.name, args: t.variant.args, kwargs: t.variant.kwargs,
      root_id: t.root_id, parent_id: t.parent_id, retries: t.retries, eta: t.eta, expires: t.expires,
      type: 'task-received',
    };
  }

  started(t: SimTask, now: number): TaskStarted {
    t.stage = 'started';
    this.active++;
    return {
      hostname: this.hostname,
      utcoffset: this.utcoffset,
      pid: this.pid,
      clock: ++this.clock,
      timestamp: now,
      uuid: t.uuid,
      type: 'task-started',
    };
  }

  succeeded(t: SimTask, now: number): TaskSucceeded {
    this.finish(t);
    const [lo, hi] = t.variant.runtime;
    return {
      hostname: this.hostname,
      utcoffset: this.utcoffset,
      pid: this.pid,
      clock: ++this.clock,
      timestamp: now,
      uuid: t.uuid,
      result: t.variant.result,
      runtime: lo + (hi - lo) * this.rng.float(),
      type: 'task-succeeded',
    };
  }

  failed(t: SimTask, now: number): TaskFailed {
    this.finish(t);
    const f = this.rng.pick(t.entry.failures);
    return {
      hostname: this.hostname,
      utcoffset: this.utcoffset,
      pid: this.pid,
      clock: ++this.clock,
      timestamp: now,
      uuid: t.uuid,
      exception: f.exception,
      traceback: f.traceback,
      type: 'task-failed',
    };
  }

  /** The retry of the attempt that just ended; `childSent` + `received` already moved the task on. */
  retried(t: SimTask, now: number): TaskRetried {
    this.active--;
    const f = this.rng.pick(t.entry.retries);
    return {
      hostname: this.hostname,
      utcoffset: this.utcoffset,
      pid: this.pid,
      clock: ++this.clock,
      timestamp: now,
      uuid: t.uuid,
      exception: f.exception,
      traceback: f.traceback,
      type: 'task-retried',
    };
  }

  /** The pool child re-publishes the task: next attempt, eta set, parent = the task itself. */
  childSent(t: SimTask, eta: string, now: number): TaskSent {
    t.retries++;
    t.eta = eta;
    t.parent_id = t.uuid;
    const c = this.rng.pick(this.children);
    return {
      hostname: c.hostname, utcoffset: this.utcoffset, pid: c.pid, clock: ++c.clock,
      uuid: t.uuid, root_id: t.root_id, parent_id: t.parent_id, name: t.variant.name,
      args: t.variant.args, kwargs: t.variant.kwargs, retries: t.retries, eta, expires: t.expires,
      queue: t.variant.queue, exchange: '', routing_key: t.variant.queue, timestamp: now, type: 'task-sent',
    };
  }

  private finish(t: SimTask): void {
    this.active--;
    const i = this.tasks.indexOf(t);
    if (i >= 0) this.tasks.splice(i, 1);
  }
}

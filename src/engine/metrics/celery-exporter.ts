/**
 * celery-exporter's behaviour, fed by the reducer's changes (not a second state machine): each
 * task event counts once under its subject's counter, labelled by task name, the host (the part
 * after `@`) of Celery's `task.hostname` (the change's `hostname`: the event's own, but for a
 * task-received Celery deems late) and the task's queue; the other counters but `task_sent` are created at zero for
 * the same labels (so rate() sees them from the start; `task_sent` is not, because publishers on
 * every web host would multiply its series); runtime is observed on task-succeeded, queue wait on
 * task-started. Workers: `worker_up` 1 while the reducer says online, 0 (kept) once it says offline,
 * and every series of that host purged once its last worker event (online or heartbeat) is more
 * than `purgeOfflineAfterSeconds` old, as exporter.py's `worker_last_seen` rule (not counted from
 * the moment it went offline: a worker whose heartbeats stopped is purged 10 min after its last one).
 *
 * The hot path: a task event costs one lookup in three nested maps (nodename -> name -> queue) to
 * the cached `Combo` of series and a field increment; its host label is worked out once per combo,
 * and label objects exist only at scrape time.
 */
import type { TaskSubject } from '../events/types.js';
import type { Change, TaskChange, WorkerChange } from '../model.js';
import type { LegCombo } from './clearly-metrics.js';
import { celeryExporterSpecs, COUNTED_SUBJECTS, type CeleryExporterSpecs } from './celery-exporter-spec.js';
import { Family, observe, type Series } from './families.js';
import { exceptionClass, nodeHost, queueWaitSeconds } from './labels.js';

export interface CeleryExporterOptions {
  /** --metric-prefix (default `celery_`). */
  readonly prefix?: string;
  /** Static labels' values, in this order of names (appended to every series' labels). */
  readonly staticLabels?: readonly (readonly [string, string])[];
  /** The queue label of a task whose events named none (celery-exporter's --default-queue-name). */
  readonly defaultQueue?: string;
  /** `hostname="generic"` on task_sent (--generic-hostname-task-sent-metric). */
  readonly genericHostnameSent?: boolean;
  /** `hostname="generic"` on every other task metric (--generic-hostname-worker-task-metric). */
  readonly genericHostnameWorker?: boolean;
  readonly runtimeBuckets?: readonly number[];
  readonly queueWaitBuckets?: readonly number[];
  /** Drop every series of a host not heard from (online/heartbeat) this long (0: never); celery-exporter's default 10 min. */
  readonly purgeOfflineAfterSeconds?: number;
}

/** Every series one (name, hostname, queue) needs, found once and kept. */
export interface Combo {
  readonly values: readonly string[];
  readonly counters: (Series | null)[];
  readonly failedBy: Map<string, Series>;
  runtime: Series | null;
  queueWait: Series | null;
  /** clearly's latency legs of the same name and queue, kept here by ServerMetrics: one lookup per event for both sets. */
  legs: LegCombo | null;
}

interface WorkerSeries {
  readonly up: Series;
  active: Series | null;
  /** When its last worker-online or worker-heartbeat arrived (epoch seconds): exporter.py's `worker_last_seen`. */
  lastSeen: number;
}

const SENT = COUNTED_SUBJECTS.indexOf('sent');
const RECEIVED = COUNTED_SUBJECTS.indexOf('received');
const STARTED = COUNTED_SUBJECTS.indexOf('started');
const SUCCEEDED = COUNTED_SUBJECTS.indexOf('succeeded');
const FAILED = COUNTED_SUBJECTS.indexOf('failed');
const REJECTED = COUNTED_SUBJECTS.indexOf('rejected');
const REVOKED = COUNTED_SUBJECTS.indexOf('revoked');
const RETRIED = COUNTED_SUBJECTS.indexOf('retried');

/**
 * A subject's counter (its index in COUNTED_SUBJECTS), -1 for a custom task-foo event. A switch:
 * a keyed lookup in an object of indexes took an eighth of the metrics' time per event.
 */
function counterIndex(subject: TaskSubject | 'other'): number {
  switch (subject) {
    case 'sent':
      return SENT;
    case 'received':
      return RECEIVED;
    case 'started':
      return STARTED;
    case 'succeeded':
      return SUCCEEDED;
    case 'failed':
      return FAILED;
    case 'rejected':
      return REJECTED;
    case 'revoked':
      return REVOKED;
    case 'retried':
      return RETRIED;
    case 'other':
      return -1;
  }
}
/** Raw hostnames kept mapped to their host part (and combos cached); past this, the caches start over (publisher names churn). */
const HOST_CACHE_MAX = 10_000;
/** The combos' key of `hostname="generic"` (--generic-hostname-*): not a nodename Celery makes. */
const GENERIC = '\u0000generic';

export interface QueueReading {
  readonly queue: string;
  /** Messages waiting; null when the broker could not say (the series is left as it was). */
  readonly length: number | null;
  /** RabbitMQ consumers; null on Redis (celery-exporter sets it on amqp only). */
  readonly consumers: number | null;
  readonly workers: number;
  readonly processes: number;
}

export class CeleryExporterMetrics {
  readonly specs: CeleryExporterSpecs;
  readonly counters: readonly Family[];
  readonly workerUp: Family;
  readonly workerTasksActive: Family;
  readonly runtime: Family;
  readonly queueWait: Family;
  readonly queueLength: Family;
  readonly activeConsumers: Family;
  readonly activeWorkers: Family;
  readonly activeProcesses: Family;
  /** The queues named by task events (and --queue): what queue polling reads. */
  readonly queuesSeen = new Set<string>();

  /**
   * Series found, by raw nodename (the reducer's shared copy, its hash cached), name and queue: a
   * cache (the series live in the families), so it may start over; several nodenames of one host
   * (publishers are `gen<pid>@host`) reach the same series.
   */
  private readonly combos = new Map<string, Map<string, Map<string, Combo>>>();
  private readonly workers = new Map<string, WorkerSeries>();
  private readonly hosts = new Map<string, string>();
  private readonly staticValues: readonly string[];
  private readonly defaultQueue: string;
  private readonly genericSent: boolean;
  private readonly genericWorker: boolean;
  private readonly purgeAfter: number;
  private readonly scratch: string[];

  constructor(o: CeleryExporterOptions = {}) {
    const statics = o.staticLabels ?? [];
    this.specs = celeryExporterSpecs(
      o.prefix ?? 'celery_',
      statics.map(([k]) => k),
      { ...(o.runtimeBuckets ? { runtime: o.runtimeBuckets } : {}), ...(o.queueWaitBuckets ? { queueWait: o.queueWaitBuckets } : {}) },
    );
    this.staticValues = statics.map(([, v]) => v);
    this.counters = COUNTED_SUBJECTS.map((s) => new Family(this.specs.counters[s]));
    this.workerUp = new Family(this.specs.workerUp);
    this.workerTasksActive = new Family(this.specs.workerTasksActive);
    this.runtime = new Family(this.specs.runtime);
    this.queueWait = new Family(this.specs.queueWait);
    this.queueLength = new Family(this.specs.queueLength);
    this.activeConsumers = new Family(this.specs.activeConsumers);
    this.activeWorkers = new Family(this.specs.activeWorkers);
    this.activeProcesses = new Family(this.specs.activeProcesses);
    this.defaultQueue = o.defaultQueue ?? 'celery';
    this.genericSent = o.genericHostnameSent ?? false;
    this.genericWorker = o.genericHostnameWorker ?? false;
    this.purgeAfter = o.purgeOfflineAfterSeconds ?? 600;
    this.scratch = new Array<string>(4 + this.staticValues.length).fill('');
  }

  /** Every family, in exporter.py's order of declaration (the exposition's order). */
  families(): Family[] {
    return [
      ...this.counters,
      this.workerUp,
      this.workerTasksActive,
      this.runtime,
      this.queueWait,
      this.queueLength,
      this.activeConsumers,
      this.activeWorkers,
      this.activeProcesses,
    ];
  }

  /** One change from the reducer; `now` (epoch seconds) dates a worker going offline. */
  onChange(change: Change, now: number): void {
    if (change.kind === 'task') this.onTask(change);
    else this.onWorker(change, now);
  }

  /** One task change; returns the combo it counted in (null: none, a lost task or a custom event). */
  onTask(ch: TaskChange): Combo | null {
    const ev = ch.event;
    // A task marked lost by the reducer (state/lost.ts) carries no event: exporter.py counts none.
    if (ev === null) return null;
    const i = counterIndex(ev.subject);
    if (i === -1) return null; // a custom task-foo event: exporter.py has no handler for it
    const task = ch.task;
    const generic = i === SENT ? this.genericSent : this.genericWorker;
    const combo = this.combo(generic ? GENERIC : (ch.hostname ?? ev.hostname), task.name ?? 'None', task.queue);
    if (i === FAILED) {
      this.failedSeries(combo, exceptionClass(ev.exception ?? task.exception)).value += 1;
    } else {
      (combo.counters[i] ?? this.sentSeries(combo)).value += 1;
    }
    if (ev.subject === 'started') {
      const wait = queueWaitSeconds(task.sent, task.started ?? ev.timestamp, task.eta);
      if (wait !== null) observe(this.queueWait, (combo.queueWait ??= this.queueWait.series(combo.values)), wait);
    } else if (ev.subject === 'succeeded') {
      const runtime = ev.runtime ?? task.runtime;
      if (runtime !== null) observe(this.runtime, (combo.runtime ??= this.runtime.series(combo.values)), runtime);
    }
    return combo;
  }

  private onWorker(ch: WorkerChange, now: number): void {
    const host = this.host(ch.worker.hostname);
    let w = this.workers.get(host);
    switch (ch.status) {
      case 'ONLINE':
      case 'HEARTBEAT': {
        // exporter.py sets worker_up from worker events only: not when a task event revives a worker.
        if (ch.event === null) return;
        if (w === undefined) {
          w = { up: this.workerUp.series(this.labels1(host)), active: null, lastSeen: now };
          this.workers.set(host, w);
        }
        w.up.value = 1;
        w.lastSeen = now;
        if (ch.status === 'HEARTBEAT') (w.active ??= this.workerTasksActive.series(this.labels1(host))).value = ch.worker.active ?? 0;
        return;
      }
      case 'OFFLINE':
        // exporter.py forget_worker: only a worker it has seen; 0, not removed, until the purge.
        if (w === undefined) return;
        w.up.value = 0;
        (w.active ??= this.workerTasksActive.series(this.labels1(host))).value = 0;
        return;
    }
  }

  /**
   * exporter.py track_timed_out_workers' purge: every series of a host whose last online/heartbeat
   * is older than the purge window (a live worker's heartbeats keep it fresh). Call before a scrape.
   */
  purge(now: number): string[] {
    if (this.purgeAfter <= 0) return [];
    const purged: string[] = [];
    for (const [host, w] of this.workers) {
      if (now - w.lastSeen <= this.purgeAfter) continue;
      for (const f of this.families()) f.removeWithValue(host);
      this.workers.delete(host);
      purged.push(host);
    }
    // A removed series may sit in any combo (a name or queue can spell a host too): start over.
    if (purged.length > 0) this.combos.clear();
    return purged;
  }

  /** A queue poll's answer (exporter.py track_queue_metrics). */
  onQueue(r: QueueReading): void {
    const labels = this.labels1(r.queue);
    if (r.consumers !== null) this.activeConsumers.series(labels).value = r.consumers;
    this.activeProcesses.series(labels).value = r.processes;
    this.activeWorkers.series(labels).value = r.workers;
    if (r.length !== null) this.queueLength.series(labels).value = r.length;
  }

  /** Forget everything (`clearly reset`). */
  clear(): void {
    for (const f of this.families()) f.clear();
    this.combos.clear();
    this.workers.clear();
  }

  /** How many series there are (the scrape's size). */
  get seriesCount(): number {
    let n = 0;
    for (const f of this.families()) n += f.size;
    return n;
  }

  private host(nodename: string): string {
    let h = this.hosts.get(nodename);
    if (h === undefined) {
      if (this.hosts.size >= HOST_CACHE_MAX) this.hosts.clear();
      h = nodeHost(nodename);
      this.hosts.set(nodename, h);
    }
    return h;
  }

  /** `node` a nodename or GENERIC; `queue` null: no event named it yet (the default queue's label, not a queue to poll). */
  private combo(node: string, name: string, taskQueue: string | null): Combo {
    const queue = taskQueue ?? this.defaultQueue;
    let byName = this.combos.get(node);
    if (byName === undefined) {
      if (this.combos.size >= HOST_CACHE_MAX) this.combos.clear();
      this.combos.set(node, (byName = new Map()));
    }
    let byQueue = byName.get(name);
    if (byQueue === undefined) byName.set(name, (byQueue = new Map()));
    let c = byQueue.get(queue);
    if (c === undefined) {
      if (taskQueue !== null) this.queuesSeen.add(taskQueue);
      c = this.newCombo(node === GENERIC ? 'generic' : this.host(node), name, queue);
      byQueue.set(queue, c);
    }
    return c;
  }

  /** exporter.py: every counter but task_sent created at zero (task_failed with exception=""). */
  private newCombo(host: string, name: string, queue: string): Combo {
    const values = [name, host, queue, ...this.staticValues];
    const counters = this.counters.map((f, i) => (i === SENT || i === FAILED ? null : f.series(values)));
    const combo: Combo = { values, counters, failedBy: new Map(), runtime: null, queueWait: null, legs: null };
    this.failedSeries(combo, '');
    return combo;
  }

  private sentSeries(combo: Combo): Series {
    const s = this.counters[SENT]!.series(combo.values);
    combo.counters[SENT] = s;
    return s;
  }

  private failedSeries(combo: Combo, exception: string): Series {
    let s = combo.failedBy.get(exception);
    if (s === undefined) {
      const [name, host, queue] = combo.values;
      const sc = this.scratch;
      sc.length = 0;
      sc.push(name!, host!, exception, queue!, ...this.staticValues);
      s = this.counters[FAILED]!.series(sc);
      combo.failedBy.set(exception, s);
    }
    return s;
  }

  private labels1(value: string): string[] {
    return [value, ...this.staticValues];
  }
}

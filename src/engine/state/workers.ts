/**
 * Worker reducer and liveness, as `celery.events.state.Worker` (PROTOCOL.md §5):
 *  - worker-* events overwrite the fields they carry; a control-induced heartbeat has no
 *    active/processed/loadavg, so the previous values stay;
 *  - liveness is "last local receive time of a heartbeat or task event + 2×freq"
 *    (`HEARTBEAT_EXPIRE_WINDOW = 200`%); worker-offline makes it offline at once;
 *  - the worker's clock only moves with worker-* events (task events just "touch" it).
 * Plus a bounded store (`WorkerTable`).
 */
import type { WorkerEvent } from '../events/types.js';
import type { Worker } from '../model.js';

/** Celery's `Worker(freq=60)` default, for a worker only known from task events. */
export const DEFAULT_FREQ = 60;
/** `HEARTBEAT_EXPIRE_WINDOW = 200` (percent of freq). */
export const EXPIRE_WINDOW = 2;

export function newWorker(hostname: string): Worker {
  return {
    hostname,
    pid: null,
    freq: DEFAULT_FREQ,
    active: null,
    processed: null,
    loadavg: null,
    sw_ident: null,
    sw_ver: null,
    sw_sys: null,
    clock: 0,
    timestamp: 0,
    lastSeen: 0,
    alive: false,
    firstSeen: 0,
    heartbeats: 0,
    taskEvents: 0,
    processedFirst: null,
    solicited: false,
  };
}

/** Local time (epoch seconds) at which the worker counts as gone unless heard from again. */
export function expiresAt(w: Worker): number {
  return w.lastSeen + w.freq * EXPIRE_WINDOW;
}

/** Celery's `alive` is `now < heartbeat_expires`: expired from that instant on. */
export function isExpired(w: Worker, now: number): boolean {
  return now >= expiresAt(w);
}

/** Merge a worker-* event's fields (only those it carries). Liveness is the caller's business. */
export function mergeWorkerEvent(w: Worker, ev: WorkerEvent): void {
  if (ev.pid !== null) w.pid = ev.pid;
  if (ev.freq !== undefined) w.freq = ev.freq;
  if (ev.active !== undefined) w.active = ev.active;
  if (ev.processed !== undefined) w.processed = ev.processed;
  if (ev.loadavg !== undefined) w.loadavg = ev.loadavg;
  if (ev.sw_ident !== undefined) w.sw_ident = ev.sw_ident;
  if (ev.sw_ver !== undefined) w.sw_ver = ev.sw_ver;
  if (ev.sw_sys !== undefined) w.sw_sys = ev.sw_sys;
  if (ev.subject === 'heartbeat') {
    // One asked for (the session asks at start) carries no `processed`: the pidbox reaches it.
    if (ev.processed === undefined) w.solicited = true;
    else {
      w.heartbeats++;
      w.processedFirst ??= ev.processed;
    }
  }
  w.clock = ev.clock;
}

/**
 * Record that we heard from the worker at local time `now` (sender time `timestamp`). Like
 * Celery's sorted heartbeat list, an older receive time never moves liveness back.
 */
export function touch(w: Worker, now: number, timestamp: number): void {
  if (w.firstSeen === 0) w.firstSeen = now;
  if (now > w.lastSeen) w.lastSeen = now;
  w.timestamp = timestamp;
}

/**
 * Bounded worker store. At capacity, a new worker evicts an offline one first (least recently
 * seen), else the least recently seen of all. Eviction scans the table: it only happens when a
 * *new* hostname arrives at capacity (workers are few), so the per-event path stays a Map get.
 */
export class WorkerTable {
  readonly capacity: number;
  private readonly byHost = new Map<string, Worker>();
  private evictedCount = 0;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`worker table capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
  }

  get size(): number {
    return this.byHost.size;
  }

  get evicted(): number {
    return this.evictedCount;
  }

  get(hostname: string): Worker | undefined {
    return this.byHost.get(hostname);
  }

  /** Add a new (offline, never seen) worker, evicting one if at capacity. */
  create(hostname: string): Worker {
    if (this.byHost.size >= this.capacity) this.evictOne();
    const w = newWorker(hostname);
    this.byHost.set(hostname, w);
    return w;
  }

  /** In insertion order (first seen first). */
  values(): IterableIterator<Worker> {
    return this.byHost.values();
  }

  clear(): void {
    this.byHost.clear();
    this.evictedCount = 0;
  }

  private evictOne(): void {
    let offline: Worker | null = null;
    let any: Worker | null = null;
    for (const w of this.byHost.values()) {
      if (!w.alive && (offline === null || w.lastSeen < offline.lastSeen)) offline = w;
      if (any === null || w.lastSeen < any.lastSeen) any = w;
    }
    const victim = offline ?? any;
    if (victim === null) return;
    this.byHost.delete(victim.hostname);
    this.evictedCount++;
  }
}

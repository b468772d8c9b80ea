/**
 * clearly's own metrics, under `clearly_`: what a person alerts on about clearly itself (events
 * processed, decode errors, consumer lag, broker connection, clients and their dropped records,
 * the store's backlog) read from the collector at scrape time, and the latency split no other
 * monitor offers as histograms, by task name and queue: queued (sent -> received), prefetched
 * (received -> started), runtime (started -> done) and total (sent -> done).
 *
 * A leg is observed once, on the arrival of whichever of its two events comes second (a task-sent
 * arriving after its task-received completes `queued` then); a negative span (the publisher stamps
 * task-sent after publishing, so a fast worker can receive "before" it) counts as 0. A retry's new
 * attempt completes its legs again, as it should.
 */
import type { TaskChange } from '../model.js';
import { Family, observe, type Series } from './families.js';

/** Seconds, from a millisecond to half an hour: queues, prefetch and runs share one scale. */
export const LEG_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, Infinity];

/** What the collector knows, read at scrape time. */
export interface CollectorSnapshot {
  readonly eventsProcessed: number;
  readonly decodeErrors: number;
  readonly messages: number;
  readonly consumerLagSeconds: number;
  readonly brokerConnected: boolean;
  readonly clients: number;
  readonly recordsDropped: number;
  readonly tasksInMemory: number;
  readonly workersInMemory: number;
  readonly tasksEvicted: number;
  /** null without a store. */
  readonly storeBacklog: number | null;
  readonly storeDropped: number | null;
  readonly storeWritten: number | null;
}

export interface LegCombo {
  readonly queued: Series;
  readonly prefetched: Series;
  readonly runtime: Series;
  readonly total: Series;
}

const LEG_LABELS = ['name', 'queue_name'] as const;

export class ClearlyMetrics {
  readonly queued: Family;
  readonly prefetched: Family;
  readonly runtime: Family;
  readonly total: Family;
  private readonly gauges: Record<keyof CollectorSnapshot, Family>;
  private readonly combos = new Map<string, Map<string, LegCombo>>();
  private readonly staticValues: readonly string[];

  constructor(
    o: { readonly staticLabels?: readonly (readonly [string, string])[]; readonly defaultQueue?: string } = {},
    private readonly defaultQueue = o.defaultQueue ?? 'celery',
  ) {
    const statics = o.staticLabels ?? [];
    this.staticValues = statics.map(([, v]) => v);
    const names = statics.map(([k]) => k);
    const leg = (name: string, help: string): Family =>
      new Family({ name: `clearly_task_${name}_seconds`, help, type: 'histogram', labelNames: [...LEG_LABELS, ...names], buckets: LEG_BUCKETS });
    this.queued = leg('queued', 'Time from task-sent to task-received: waiting in the broker queue.');
    this.prefetched = leg('prefetched', 'Time from task-received to task-started: prefetched, waiting in the worker.');
    this.runtime = leg('runtime', 'Time from task-started to task-succeeded or task-failed.');
    this.total = leg('total', 'Time from task-sent to task-succeeded or task-failed.');
    const one = (name: string, type: 'counter' | 'gauge', help: string): Family => new Family({ name, help, type, labelNames: names });
    this.gauges = {
      eventsProcessed: one('clearly_events_processed_total', 'counter', 'Celery events decoded and applied.'),
      decodeErrors: one('clearly_decode_errors_total', 'counter', 'Messages or parts of messages that could not be decoded.'),
      messages: one('clearly_broker_messages_total', 'counter', 'Raw messages received from the broker.'),
      consumerLagSeconds: one('clearly_consumer_lag_seconds', 'gauge', 'Now minus the timestamp of the last event received.'),
      brokerConnected: one('clearly_broker_connected', 'gauge', '1 while the broker connection is up, 0 while reconnecting.'),
      clients: one('clearly_clients', 'gauge', 'Live gRPC clients streaming from the server.'),
      recordsDropped: one('clearly_records_dropped_total', 'counter', 'Records dropped for live clients that read too slowly.'),
      tasksInMemory: one('clearly_tasks_in_memory', 'gauge', 'Tasks held in memory.'),
      workersInMemory: one('clearly_workers_in_memory', 'gauge', 'Workers held in memory.'),
      tasksEvicted: one('clearly_tasks_evicted_total', 'counter', 'Tasks evicted from memory (past --max-tasks).'),
      storeBacklog: one('clearly_store_backlog', 'gauge', 'Changes waiting to be written to the store.'),
      storeDropped: one('clearly_store_dropped_total', 'counter', 'Changes the store writer dropped (its backlog was full).'),
      storeWritten: one('clearly_store_written_total', 'counter', 'Task rows written to the store.'),
    };
  }

  families(): Family[] {
    return [...Object.values(this.gauges), this.queued, this.prefetched, this.runtime, this.total];
  }

  /** Before a scrape: the collector's numbers now. A store-less server has no store series. */
  update(s: CollectorSnapshot): void {
    for (const k of Object.keys(this.gauges) as (keyof CollectorSnapshot)[]) {
      const v = s[k];
      if (v === null) continue;
      this.gauges[k].series(this.staticValues).value = typeof v === 'boolean' ? Number(v) : v;
    }
  }

  /**
   * One task change. `slot`: where this task's legs are kept once found (ServerMetrics passes the
   * celery-exporter combo of the same name and queue: one lookup per event for both sets);
   * without one, they are looked up here.
   */
  onTask(ch: TaskChange, slot: { legs: LegCombo | null } = { legs: null }): void {
    const ev = ch.event;
    // A task marked lost by the reducer (state/lost.ts) is no event to count.
    if (ev === null) return;
    const t = ch.task;
    switch (ev.subject) {
      case 'sent': {
        // A late task-sent (after this attempt's task-received) completes what its later events
        // could not. A retry's new task-sent is published by the worker running the task (its
        // hostname is the task's worker): it starts a new attempt, it completes nothing old.
        const sent = t.sent;
        if (sent === null || ev.hostname === t.worker) return;
        if (t.received !== null) observe(this.queued, (slot.legs ??= this.legs(t)).queued, Math.max(0, t.received - sent));
        const done = doneAt(t);
        if (done !== null) observe(this.total, (slot.legs ??= this.legs(t)).total, Math.max(0, done - sent));
        return;
      }
      case 'received':
        if (t.received === null) return;
        // The publisher's task-sent can be stamped after the worker received the message: 0, not negative.
        if (t.sent !== null) observe(this.queued, (slot.legs ??= this.legs(t)).queued, Math.max(0, t.received - t.sent));
        if (t.started !== null && t.started >= t.received) observe(this.prefetched, (slot.legs ??= this.legs(t)).prefetched, t.started - t.received);
        return;
      case 'started':
        if (t.started === null) return;
        if (t.received !== null) observe(this.prefetched, (slot.legs ??= this.legs(t)).prefetched, Math.max(0, t.started - t.received));
        return;
      case 'succeeded':
      case 'failed': {
        const done = ev.timestamp;
        const runtime = ev.runtime ?? (t.started !== null && t.started <= done ? done - t.started : null);
        if (runtime !== null) observe(this.runtime, (slot.legs ??= this.legs(t)).runtime, Math.max(0, runtime));
        if (t.sent !== null) observe(this.total, (slot.legs ??= this.legs(t)).total, Math.max(0, done - t.sent));
        return;
      }
      default:
        return;
    }
  }

  clear(): void {
    for (const f of this.families()) f.clear();
    this.combos.clear();
  }

  /** The legs' series of a task's name and queue. */
  legs(t: { readonly name: string | null; readonly queue: string | null }): LegCombo {
    const name = t.name ?? 'None';
    const queue = t.queue ?? this.defaultQueue;
    let byQueue = this.combos.get(name);
    if (byQueue === undefined) this.combos.set(name, (byQueue = new Map()));
    let c = byQueue.get(queue);
    if (c === undefined) {
      const values = [name, queue, ...this.staticValues];
      c = { queued: this.queued.series(values), prefetched: this.prefetched.series(values), runtime: this.runtime.series(values), total: this.total.series(values) };
      byQueue.set(queue, c);
    }
    return c;
  }
}

function doneAt(t: { succeeded: number | null; failed: number | null }): number | null {
  return t.succeeded ?? t.failed;
}

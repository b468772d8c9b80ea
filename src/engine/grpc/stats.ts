/**
 * The numbers `GetStats` answers with. The event rate is over the last minute, from one sample of
 * the event counter per second (taken by the server's tick), so asking costs nothing per event.
 */
import { eventsStatus, taskSentMissing, workerEventsSeen } from '../state/events-status.js';
import type { BackendState } from '../backend/results.js';
import type { BrokerState, StatsReply } from './messages.js';
import type { PipelineCounters } from '../pipeline.js';
import type { State } from '../state/state.js';

export const RATE_WINDOW_SECONDS = 60;

/** Events per second over a sliding window, from (time, cumulative count) samples. */
export class EventRate {
  private readonly times: number[] = [];
  private readonly counts: number[] = [];

  constructor(private readonly windowSeconds = RATE_WINDOW_SECONDS) {}

  /** Record the cumulative count at `now` (epoch seconds); call about once a second. */
  sample(now: number, count: number): void {
    this.times.push(now);
    this.counts.push(count);
    // Keep one sample at or before the window's start, so the rate covers the whole window.
    while (this.times.length > 2 && this.times[1]! <= now - this.windowSeconds) {
      this.times.shift();
      this.counts.shift();
    }
  }

  /** Rate between the oldest sample in the window and (`now`, `count`); 0 before any sample. */
  perSecond(now: number, count: number): number {
    if (this.times.length === 0) return 0;
    let i = 0;
    while (i < this.times.length - 1 && this.times[i]! < now - this.windowSeconds) i++;
    const dt = now - this.times[i]!;
    return dt > 0 ? Math.max(0, count - this.counts[i]!) / dt : 0;
  }

  clear(): void {
    this.times.length = 0;
    this.counts.length = 0;
  }
}

export interface StatsSources {
  readonly counters: PipelineCounters;
  readonly state: State;
  readonly rate: EventRate;
  /** Task entries created since start (State.tasksCreated): not distinct tasks. */
  readonly tasksProcessed: number;
  readonly clients: number;
  readonly recordsDropped: number;
  readonly broker: string;
  readonly brokerState: BrokerState;
  /** Epoch seconds. */
  readonly startedAt: number;
  readonly maxTasks: number;
  readonly maxWorkers: number;
  readonly backend: string;
  readonly backendState: BackendState;
  readonly resultsFetched: number;
  readonly store: StoreStats;
  readonly security: SecurityStats;
}

/** How the server is protected (fixed at start; tokens may be reloaded, the mode stays). */
export interface SecurityStats {
  readonly insecure: boolean;
  /** '' when redaction is off. */
  readonly redact: string;
  readonly tls: boolean;
  readonly auth: 'none' | 'tokens';
}

/** What `stats` says of the durable store (refreshed by the collector's tick: asking costs nothing). */
export interface StoreStats {
  /** `memory`, `sqlite PATH` or `postgres URL` (masked). */
  readonly store: string;
  readonly state: 'ok' | 'failing' | 'none';
  readonly tasks: number;
  /** -1: unknown. */
  readonly bytes: number;
  readonly backlog: number;
  /** The most `backlog` may hold while the store fails (`--store-backlog`). */
  readonly backlogMax: number;
  readonly dropped: number;
  readonly pruned: number;
  readonly written: number;
}

export const NO_STORE: StoreStats = { store: 'memory', state: 'none', tasks: 0, bytes: -1, backlog: 0, backlogMax: 0, dropped: 0, pruned: 0, written: 0 };

/** `now`: epoch seconds. */
export function statsReply(s: StatsSources, now: number): StatsReply {
  const c = s.counters;
  return {
    events_processed: c.events,
    messages_received: c.messages,
    tasks_processed: s.tasksProcessed,
    tasks_stored: s.state.taskCount,
    workers_stored: s.state.workerCount,
    tasks_evicted: s.state.evictedTasks,
    workers_evicted: s.state.evictedWorkers,
    decode_errors: c.decodeErrors,
    events_per_second: s.rate.perSecond(now, c.events),
    // Senders' clocks may run ahead of ours: a negative lag means "none", not "ahead".
    consumer_lag_seconds: c.lastEventTimestamp > 0 ? Math.max(0, now - c.lastEventTimestamp) : 0,
    clients: s.clients,
    records_dropped: s.recordsDropped,
    broker: s.broker,
    broker_state: s.brokerState,
    uptime_seconds: Math.max(0, now - s.startedAt),
    max_tasks: s.maxTasks,
    max_workers: s.maxWorkers,
    backend: s.backend,
    backend_state: s.backendState,
    results_fetched: s.resultsFetched,
    store: s.store.store,
    store_state: s.store.state,
    store_tasks: s.store.tasks,
    store_bytes: s.store.bytes,
    store_backlog: s.store.backlog,
    store_dropped: s.store.dropped,
    store_pruned: s.store.pruned,
    store_written: s.store.written,
    store_backlog_max: s.store.backlogMax,
    workers_without_events: withoutEvents(s.state, now),
    task_sent_missing: taskSentMissing(s.state.publishersSent, s.state.firstReceived),
    insecure: s.security.insecure,
    redact: s.security.redact,
    tls: s.security.tls,
    auth: s.security.auth,
  };
}

function withoutEvents(state: StatsSources['state'], now: number): string[] {
  const out: string[] = [];
  for (const w of state.workers()) {
    const v = eventsStatus(workerEventsSeen(w, now)).status;
    if (v === 'task-events-off' || v === 'no-heartbeats') out.push(`${w.hostname} (${v})`);
  }
  return out.sort();
}

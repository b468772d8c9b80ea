/**
 * `clearly stats`: the server's counters as one JSON object (`--json`, field names as in the
 * proto's StatsReply) or as aligned key/value lines for a person.
 */
import type { Decoded, StatsReply } from '../engine/grpc/messages.js';
import { formatSeconds } from '../engine/health/health.js';
import type { Palette } from './colors.js';

/** A StatsReply with every field present (proto3 leaves zeros and empty strings out). */
export type StatsRecord = StatsReply;

/** A decoded StatsReply made whole: proto3 leaves out zeros and empty strings, JSON shows them. */
export function statsRecord(m: Decoded<StatsReply>): StatsRecord {
  const n = (v: number | undefined): number => v ?? 0;
  return {
    events_processed: n(m.events_processed),
    messages_received: n(m.messages_received),
    tasks_processed: n(m.tasks_processed),
    tasks_stored: n(m.tasks_stored),
    workers_stored: n(m.workers_stored),
    tasks_evicted: n(m.tasks_evicted),
    workers_evicted: n(m.workers_evicted),
    decode_errors: n(m.decode_errors),
    events_per_second: n(m.events_per_second),
    consumer_lag_seconds: n(m.consumer_lag_seconds),
    clients: n(m.clients),
    records_dropped: n(m.records_dropped),
    broker: m.broker ?? '',
    broker_state: m.broker_state ?? '',
    uptime_seconds: n(m.uptime_seconds),
    max_tasks: n(m.max_tasks),
    max_workers: n(m.max_workers),
    backend: m.backend ?? '',
    backend_state: m.backend_state ?? 'none',
    results_fetched: n(m.results_fetched),
    store: m.store ?? 'memory',
    store_state: m.store_state ?? 'none',
    store_tasks: n(m.store_tasks),
    store_bytes: m.store_bytes ?? -1,
    store_backlog: n(m.store_backlog),
    store_dropped: n(m.store_dropped),
    store_pruned: n(m.store_pruned),
    store_written: n(m.store_written),
    store_backlog_max: n(m.store_backlog_max),
    workers_without_events: m.workers_without_events ?? [],
    task_sent_missing: m.task_sent_missing ?? false,
    insecure: m.insecure ?? false,
    redact: m.redact ?? '',
    tls: m.tls ?? false,
    auth: m.auth ?? 'none',
  };
}

/** "45s", "12m 03s", "5h 02m", "2d 3h": whole seconds, as engine/health/health.ts formats durations. */
export function formatDuration(seconds: number): string {
  return formatSeconds(Math.floor(Math.max(0, seconds)));
}

function stateText(state: string, p: Palette): string {
  const good = state === 'connected';
  const quiet = state === 'none';
  return good ? p.state('SUCCESS')(state) : quiet ? p.dim(state) : p.warn(state);
}

function bytesText(n: number): string {
  if (n < 0) return 'size unknown';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

function storeText(s: StatsRecord, p: Palette): string {
  if (s.store_state === 'none') return `${p.dim('memory')} (nothing kept across restarts)`;
  const state = s.store_state === 'ok' ? p.state('SUCCESS')('ok') : p.warn(s.store_state);
  const lost = s.store_dropped > 0 ? p.warn(`, ${s.store_dropped} changes could not be kept`) : '';
  const bound = s.store_state === 'failing' && s.store_backlog_max > 0 ? ` (held, up to ${s.store_backlog_max})` : '';
  return (
    `${s.store} (${state}): ${s.store_tasks} tasks, ${bytesText(s.store_bytes)}, ${s.store_backlog} waiting to be written${bound}${lost}, ` +
    `${s.store_pruned} pruned by retention`
  );
}

function securityText(s: StatsRecord, p: Palette): string {
  const parts = [
    s.tls ? 'TLS' : 'plaintext',
    s.auth === 'tokens' ? 'tokens required' : 'no tokens',
    s.redact === '' ? p.warn('redaction off') : `redacting /${s.redact}/`,
  ];
  const text = parts.join(', ');
  return s.insecure ? `${p.warn('INSECURE (--insecure)')}: ${text}` : text;
}

/** Key/value lines, grouped the way an operator reads them: connections, throughput, memory, clients. */
export function renderStats(s: StatsRecord, p: Palette): string[] {
  const backend = s.backend_state === 'none' ? p.dim('none') : `${s.backend} (${stateText(s.backend_state, p)})`;
  const rows: [string, string][] = [
    ['broker', `${s.broker} (${stateText(s.broker_state, p)})`],
    ['result backend', backend],
    ['uptime', formatDuration(s.uptime_seconds)],
    [
      'events',
      `${s.events_processed} processed, ${s.events_per_second.toFixed(1)}/s over the last minute, lag ${s.consumer_lag_seconds.toFixed(2)}s`,
    ],
    ['messages', `${s.messages_received} received, ${s.decode_errors} undecodable`],
    // Not "seen": a task evicted or reset and then heard of again counts twice (State.tasksCreated).
    ['tasks', `${s.tasks_processed} entries created, ${s.tasks_stored} stored (max ${s.max_tasks}), ${s.tasks_evicted} evicted`],
    ['workers', `${s.workers_stored} stored (max ${s.max_workers}), ${s.workers_evicted} evicted`],
    ['results', `${s.results_fetched} read from the result backend`],
    ['store', storeText(s, p)],
    ['clients', `${s.clients} connected, ${s.records_dropped} records dropped for slow clients`],
    [
      'events off',
      s.workers_without_events.length === 0 && !s.task_sent_missing
        ? p.dim('none seen')
        : p.warn(
            [
              ...s.workers_without_events,
              ...(s.task_sent_missing ? ['publishers send no task-sent (task_send_sent_event = True)'] : []),
            ].join(', ') + (s.workers_without_events.length > 0 ? ' (start them with -E, or clearly enable-events)' : ''),
          ),
    ],
    ['security', securityText(s, p)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${p.label(k.padEnd(width))}  ${v}`);
}

/**
 * Asking the workers through Celery's remote-control mailbox (PROTOCOL.md §6), as `celery inspect`
 * does: who is alive and how it is set up, and what each holds right now (active, reserved,
 * scheduled), as typed values.
 *
 * Zero replies is an error, as in `celery inspect`: UnavailableError, exit 69 (Celery exits with
 * the same EX_UNAVAILABLE), because a script asking "what is running" must not read "nothing" when
 * the truth is "nobody answered".
 */
import { UnavailableError } from '../../errors.js';
import { parseBrokerUrl } from '../broker/url.js';
import type { ControlClient, ControlReply } from './mailbox.js';
import { openControl } from './open.js';
import { parseActiveQueues, parsePing, parseScheduled, parseStats, parseTaskList, type TaskInfo, type WorkerStats } from './replies.js';

export interface InspectOptions {
  /** How long to collect replies (ms). */
  readonly timeoutMs: number;
  /** Nodenames to ask; null/empty: every worker. */
  readonly destination?: readonly string[] | null;
  /** Where to say what a person should know (a worker that did not answer, a reply that did not parse). */
  readonly note: (message: string) => void;
}

async function withControl<T>(brokerUrl: string, fn: (ctl: ControlClient) => Promise<T>): Promise<T> {
  parseBrokerUrl(brokerUrl, '--broker / CLEARLY_BROKER'); // a bad URL is a usage error, before connecting
  const ctl = await openControl(brokerUrl);
  try {
    return await fn(ctl);
  } finally {
    await ctl.close();
  }
}

function noReplies(brokerUrl: string, o: InspectOptions): UnavailableError {
  const secs = `${o.timeoutMs / 1000}s`;
  const masked = parseBrokerUrl(brokerUrl).masked;
  const who = o.destination && o.destination.length > 0 ? `none of ${o.destination.join(', ')}` : 'no worker';
  return new UnavailableError(
    `${who} replied within ${secs} on ${masked}: no worker running there, or they need longer (--timeout)`,
  );
}

/** With a destination, say which named workers stayed silent (the others did answer). */
function reportMissing(o: InspectOptions, answered: ReadonlySet<string>): void {
  const missing = (o.destination ?? []).filter((d) => !answered.has(d));
  if (missing.length > 0) o.note(`no reply from ${missing.join(', ')}`);
}

function call(ctl: ControlClient, method: string, args: Record<string, unknown>, o: InspectOptions): Promise<ControlReply[]> {
  return ctl.call({
    method,
    arguments: args,
    destination: o.destination && o.destination.length > 0 ? o.destination : null,
    timeoutMs: o.timeoutMs,
    onProblem: (p) => o.note(`skipped a reply clearly cannot read (${p.reason}: ${p.detail})`),
  });
}

// ---------------------------------------------------------------------------------------------
// Workers

export interface LiveWorker {
  readonly hostname: string;
  /** Answered `ping` with pong. */
  readonly pong: boolean;
  /** Its `stats` reply; null when it did not answer stats in time or its reply did not parse. */
  readonly stats: WorkerStats | null;
  /** What went wrong with its replies, if anything. */
  readonly problem: string | null;
}

/**
 * Every worker that answers, with its stats: ping and stats go out together, so this takes one
 * `timeoutMs`. A worker counts as alive if it answered either.
 */
export async function workersFromBroker(brokerUrl: string, o: InspectOptions): Promise<LiveWorker[]> {
  const [pings, stats] = await withControl(brokerUrl, (ctl) =>
    Promise.all([call(ctl, 'ping', {}, o), call(ctl, 'stats', {}, o)]),
  );
  const byHost = new Map<string, { pong: boolean; stats: WorkerStats | null; problems: string[] }>();
  const entry = (h: string) => {
    let e = byHost.get(h);
    if (e === undefined) byHost.set(h, (e = { pong: false, stats: null, problems: [] }));
    return e;
  };
  for (const r of pings) {
    const p = parsePing(r);
    const e = entry(r.hostname);
    if (p.ok) e.pong = p.value === 'pong';
    else e.problems.push(p.problem);
  }
  for (const r of stats) {
    const s = parseStats(r);
    const e = entry(r.hostname);
    if (s.ok) e.stats = s.value;
    else e.problems.push(s.problem);
  }
  if (byHost.size === 0) throw noReplies(brokerUrl, o);
  reportMissing(o, new Set(byHost.keys()));
  return [...byHost]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([hostname, e]) => ({ hostname, pong: e.pong, stats: e.stats, problem: e.problems.length === 0 ? null : e.problems.join('; ') }));
}

// ---------------------------------------------------------------------------------------------
// Tasks held by workers

export type Holding = 'active' | 'reserved' | 'scheduled';
export const HOLDINGS: readonly Holding[] = ['active', 'reserved', 'scheduled'];

export interface HeldTask {
  readonly holding: Holding;
  /** The worker that answered (its nodename). */
  readonly worker: string;
  readonly task: TaskInfo;
  /** Scheduled tasks only: when it is due (ISO 8601 as the worker wrote it) and its priority. */
  readonly eta: string | null;
  readonly priority: number | null;
}

export interface HeldTasks {
  readonly tasks: readonly HeldTask[];
  /** Workers that answered (even with nothing), sorted. */
  readonly workers: readonly string[];
}

/** Celery's own arguments per method (`Inspect.active(safe=None)` sends `{"safe": null}`). */
const ARGUMENTS: Readonly<Record<Holding, Record<string, unknown>>> = {
  active: { safe: null },
  reserved: {},
  scheduled: {},
};

function heldFrom(holding: Holding, r: ControlReply): HeldTask[] | string {
  switch (holding) {
    case 'active':
    case 'reserved': {
      const p = parseTaskList(r);
      if (!p.ok) return p.problem;
      return p.value.tasks.map((task) => ({ holding, worker: r.hostname, task, eta: null, priority: null }));
    }
    case 'scheduled': {
      const p = parseScheduled(r);
      if (!p.ok) return p.problem;
      return p.value.tasks.map((s) => ({ holding, worker: r.hostname, task: s.request, eta: s.eta, priority: s.priority }));
    }
  }
}

/** What the workers hold right now; throws UnavailableError when no worker answers. */
export async function tasksFromBroker(brokerUrl: string, holding: Holding, o: InspectOptions): Promise<HeldTasks> {
  const replies = await withControl(brokerUrl, (ctl) => call(ctl, holding, ARGUMENTS[holding], o));
  if (replies.length === 0) throw noReplies(brokerUrl, o);
  const tasks: HeldTask[] = [];
  const workers = new Set<string>();
  for (const r of replies) {
    workers.add(r.hostname);
    const held = heldFrom(holding, r);
    if (typeof held === 'string') o.note(held);
    else tasks.push(...held);
  }
  reportMissing(o, workers);
  tasks.sort((a, b) => a.worker.localeCompare(b.worker) || (a.task.timeStart ?? 0) - (b.task.timeStart ?? 0));
  return { tasks, workers: [...workers].sort() };
}

// ---------------------------------------------------------------------------------------------
// Queues and who consumes them (celery-exporter's track_queue_metrics)

export interface QueueConsumer {
  /** The worker's nodename. */
  readonly worker: string;
  readonly queues: readonly string[];
  /** Its pool's processes (stats pool.processes); 0 when it did not say. */
  readonly processes: number;
}

/**
 * Each worker's consumed queues and pool size: `active_queues` and `stats` go out together, so this
 * takes one `timeoutMs`. No worker answering is an empty list, not an error: a metrics poll goes on
 * (celery-exporter reads `inspect().active_queues() or {}`).
 */
export async function queueConsumers(brokerUrl: string, o: InspectOptions): Promise<QueueConsumer[]> {
  const [queues, stats] = await withControl(brokerUrl, (ctl) => Promise.all([call(ctl, 'active_queues', {}, o), call(ctl, 'stats', {}, o)]));
  const processes = new Map<string, number>();
  for (const r of stats) {
    const s = parseStats(r);
    if (s.ok) processes.set(r.hostname, s.value.pool?.processes.length ?? 0);
  }
  const out: QueueConsumer[] = [];
  for (const r of queues) {
    const q = parseActiveQueues(r);
    if (q.ok) out.push({ worker: r.hostname, queues: q.value, processes: processes.get(r.hostname) ?? 0 });
  }
  return out;
}

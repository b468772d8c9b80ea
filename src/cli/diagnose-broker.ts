/**
 * `clearly diagnose`'s I/O: everything it asks the broker, at once. The pidbox (ping, stats,
 * active_queues, active, reserved, scheduled), queue depths (broker/queue-depths.ts) and each
 * queue's next message (Redis LINDEX, read at the start and again after listening: the same
 * message still first means it waited at least that long), while listening to events for
 * `--listen` (heartbeats, task events per worker, task-sent or not). The facts go to the pure
 * engine/diagnose/findings.ts.
 */
import { parseBrokerUrl } from '../engine/broker/url.js';
import { peekOldest, queueDepths } from '../engine/broker/queue-depths.js';
import type { QueuePeek } from '../engine/broker/queues.js';
import type { ControlReply } from '../engine/control/mailbox.js';
import { openControl } from '../engine/control/open.js';
import { parseConsumedQueues, parsePing, parseScheduled, parseStats, parseTaskList, type WorkerStats } from '../engine/control/replies.js';
import type { ActiveTask, DiagnoseFacts, QueueFacts, WorkerFacts } from '../engine/diagnose/facts.js';
import { nextMessage } from '../engine/diagnose/next-message.js';
import type { Change } from '../engine/model.js';
import { startSession } from '../engine/session.js';

export interface DiagnoseOptions {
  readonly broker: string;
  /** Queues named on the command line; empty: every queue a worker consumes, plus `celery`. */
  readonly queues: readonly string[];
  readonly timeoutMs: number;
  readonly listenSeconds: number;
  readonly debug: boolean;
  readonly log: (message: string) => void;
}

const now = (): number => Date.now() / 1000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Heard {
  heartbeats: number;
  taskEvents: number;
  processedFirst: number | null;
  processedLast: number | null;
  freq: number | null;
  lastHeartbeatAt: number | null;
}

/** What listening hears, per worker, and how tasks first appear (task-sent or task-received). */
class Listener {
  readonly workers = new Map<string, Heard>();
  private readonly firstSeen = new Map<string, 'sent' | 'received' | 'other'>();

  of(hostname: string): Heard {
    let h = this.workers.get(hostname);
    if (h === undefined) {
      h = { heartbeats: 0, taskEvents: 0, processedFirst: null, processedLast: null, freq: null, lastHeartbeatAt: null };
      this.workers.set(hostname, h);
    }
    return h;
  }

  onChange = (change: Change): void => {
    if (change.kind === 'task') {
      const ev = change.event;
      if (ev === null) return;
      if (!this.firstSeen.has(ev.uuid)) this.firstSeen.set(ev.uuid, ev.subject === 'sent' ? 'sent' : ev.subject === 'received' ? 'received' : 'other');
      if (ev.subject !== 'sent') this.of(ev.hostname).taskEvents++;
      return;
    }
    const ev = change.event;
    // The heartbeat a worker sends when asked (the session asks at start) carries no `processed`:
    // it proves the pidbox answers, not that heartbeats flow.
    if (ev === null || ev.subject !== 'heartbeat' || ev.processed === undefined) return;
    const h = this.of(ev.hostname);
    h.heartbeats++;
    h.processedFirst ??= ev.processed;
    h.processedLast = ev.processed;
    h.freq = ev.freq ?? h.freq;
    h.lastHeartbeatAt = now();
  };

  count(kind: 'sent' | 'received'): number {
    let n = 0;
    for (const v of this.firstSeen.values()) if (v === kind) n++;
    return n;
  }
}

type Replies = Readonly<Record<'ping' | 'stats' | 'active_queues' | 'active' | 'reserved' | 'scheduled', ControlReply[]>>;

async function askWorkers(o: DiagnoseOptions): Promise<Replies> {
  const ctl = await openControl(o.broker);
  try {
    const ask = (method: string, args: Record<string, unknown> = {}) =>
      ctl.call({ method, arguments: args, timeoutMs: o.timeoutMs, onProblem: (p) => o.log(`skipped a reply clearly cannot read (${p.reason})`) });
    const [ping, stats, activeQueues, active, reserved, scheduled] = await Promise.all([
      ask('ping'),
      ask('stats'),
      ask('active_queues'),
      ask('active', { safe: null }),
      ask('reserved'),
      ask('scheduled'),
    ]);
    return { ping, stats, active_queues: activeQueues, active, reserved, scheduled };
  } finally {
    await ctl.close();
  }
}

function byHost<T>(replies: readonly ControlReply[], parse: (r: ControlReply) => { ok: true; value: T } | { ok: false; problem: string }, log: (m: string) => void): Map<string, T> {
  const out = new Map<string, T>();
  for (const r of replies) {
    const p = parse(r);
    if (p.ok) out.set(r.hostname, p.value);
    else log(p.problem);
  }
  return out;
}

const totalOf = (s: WorkerStats | undefined): number | null => (s === undefined ? null : Object.values(s.total).reduce((a, b) => a + b, 0));

function peeked(p: QueuePeek): QueueFacts['next'] {
  return p.ok ? { ok: true, message: p.raw === null ? null : nextMessage(p.raw) } : { ok: false, reason: p.reason };
}

/** Gathers the facts; throws UnavailableError when the broker cannot be reached. */
export async function gatherFacts(o: DiagnoseOptions): Promise<DiagnoseFacts> {
  const broker = parseBrokerUrl(o.broker, '--broker / CLEARLY_BROKER');
  const listener = new Listener();
  const session = await startSession({ broker: o.broker, debug: o.debug, log: o.log, onChange: listener.onChange });
  const startedAt = now();
  const listening = sleep(o.listenSeconds * 1000);
  let replies: Replies;
  let names: string[];
  let depths: Awaited<ReturnType<typeof queueDepths>>;
  let first: QueuePeek[];
  let second: QueuePeek[];
  let peekedAt: number;
  try {
    replies = await askWorkers(o);
    const consumedNames = replies.active_queues.flatMap((r) => {
      const p = parseConsumedQueues(r);
      return p.ok ? p.value.tasks.map((q) => q.name) : [];
    });
    // Named queues, or every queue a worker consumes (its own pidbox/event queues are not in
    // active_queues), plus Celery's default.
    names = o.queues.length > 0 ? [...o.queues] : [...new Set(['celery', ...consumedNames])].sort();
    peekedAt = now();
    [depths, first] = await Promise.all([queueDepths(o.broker, names), peekOldest(o.broker, names)]);
    await listening;
    second = await peekOldest(o.broker, names);
  } finally {
    await session.close();
  }
  const waited = now() - peekedAt;
  const log = o.debug ? o.log : (): void => {};
  const pings = byHost(replies.ping, parsePing, log);
  const stats = byHost(replies.stats, parseStats, log);
  const consumed = byHost(replies.active_queues, parseConsumedQueues, log);
  const active = byHost(replies.active, parseTaskList, log);
  const reserved = byHost(replies.reserved, parseTaskList, log);
  const scheduled = byHost(replies.scheduled, parseScheduled, log);
  const answered = new Set([...pings.keys(), ...stats.keys(), ...consumed.keys(), ...active.keys()]);
  const hosts = [...new Set([...answered, ...listener.workers.keys()])].sort();
  const observed = now() - startedAt;
  const workers: WorkerFacts[] = hosts.map((hostname) => {
    const h = listener.workers.get(hostname) ?? listener.of(hostname);
    const s = stats.get(hostname);
    const act = active.get(hostname);
    return {
      hostname,
      queues: consumed.get(hostname)?.tasks.map((q) => q.name) ?? null,
      concurrency: s?.pool?.maxConcurrency ?? null,
      prefetchCount: s?.prefetchCount ?? null,
      active: act === undefined ? null : act.tasks.map((t): ActiveTask => ({ id: t.id, name: t.name, startedAt: t.timeStart })),
      reserved: reserved.get(hostname)?.tasks.length ?? null,
      scheduled: scheduled.get(hostname)?.tasks.length ?? null,
      lastHeartbeatAt: h.lastHeartbeatAt,
      heartbeats: h.heartbeats,
      taskEvents: h.taskEvents,
      // stats' total is the count heartbeats carry as `processed`, read when we started.
      processedFirst: totalOf(s) ?? h.processedFirst,
      processedLast: h.processedLast,
      answersPidbox: answered.has(hostname),
      freq: h.freq,
      observedSeconds: observed,
    };
  });
  const tagOf = (p: QueuePeek | undefined): string | null => (p?.ok === true && p.raw !== null ? nextMessage(p.raw).tag : null);
  const queues: QueueFacts[] = depths.map((d, i) => {
    const tag = tagOf(first[i]);
    return {
      name: d.queue,
      exists: d.exists,
      messages: d.messages,
      consumers: d.consumers,
      next: peeked(first[i]!),
      waitedAtLeast: tag !== null && tag === tagOf(second[i]) ? waited : null,
    };
  });
  return {
    broker: broker.masked,
    transport: broker.transport,
    queues,
    workers,
    listenedSeconds: observed,
    tasksFirstSent: listener.count('sent'),
    tasksFirstReceived: listener.count('received'),
    // Late ones too (a worker's task-received often overtakes it): they change no state, so only the reducer counts them.
    taskSentHeard: session.pipeline.state.publishersSent,
    now: now(),
  };
}

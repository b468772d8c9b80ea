/**
 * `clearly check --broker`: measuring straight from the broker, with no history to look back at.
 * What the broker alone can answer:
 *  - live workers: remote-control `ping` (plus any worker heard while listening);
 *  - queue depths;
 *  - stuck tasks: `active` replies carry when each task started; `reserved` ones carry no time,
 *    and `stats` gives each pool's size, which tells a task waiting behind busy slots (queueing)
 *    from one held with a slot free;
 *  - silence and heartbeat age: by listening to events for `--listen` (default 5 s). When
 *    --max-silence is set and nothing was heard, listening goes on until the first event or the
 *    critical level, so the answer is always decided (a silent cluster takes that long);
 *  - failures over the window only if clearly listens at least that long; otherwise UNKNOWN.
 */
import { startSession } from '../engine/session.js';
import { note } from './output.js';
import type { ControlClient } from '../engine/control/mailbox.js';
import { openControl } from '../engine/control/open.js';
import { parsePing, parseStats, parseTaskList, type TaskInfo } from '../engine/control/replies.js';
import { parseBrokerUrl } from '../engine/broker/url.js';
import { unmeasured, compactDuration, type Bound, type Measured, type Measurements } from '../engine/health/health.js';
import { failuresFromTasks, stuckFromInspect } from '../engine/health/measure.js';
import { matchesPattern, needs, type CheckPlan } from '../engine/health/thresholds.js';
import type { Change } from '../engine/model.js';
import type { State } from '../engine/state/state.js';
import { eventsStatus, workerEventsSeen } from '../engine/state/events-status.js';
import { queueMeasurements } from './check-queues.js';

export interface BrokerCheckOptions {
  readonly broker: string;
  /** Reply collection for ping/active/reserved (ms). */
  readonly timeoutMs: number;
  /** Listen to events at least this long (seconds) when a threshold needs events. */
  readonly listenSeconds: number;
  readonly debug: boolean;
}

export interface BrokerCheck {
  readonly measurements: Measurements;
  /** How long clearly listened to events; null when no threshold needed it. */
  readonly listenedSeconds: number | null;
  /** Set when nothing could be measured because the broker is unreachable. */
  readonly unreachable: string | null;
}

const now = (): number => Date.now() / 1000;

interface Heard {
  readonly state: State;
  readonly startedAt: number;
  readonly endedAt: number;
  /** Local time of the last event the cluster sent of its own accord, null if none. */
  readonly lastEventAt: number | null;
  /** The same, per worker hostname. */
  readonly lastHeard: ReadonlyMap<string, number>;
}

/**
 * Events the cluster sent of its own accord: not the expiry ticks (no event), and not the
 * heartbeat a worker sends when asked to (`startSession` asks every worker for one, as Celery's
 * EventReceiver does). That one carries no `active`/`processed` (C/worker/control.py sends only
 * freq and the software info), and it proves the worker answers, not that its heartbeats flow.
 */
function spontaneous(change: Change): { hostname: string } | null {
  if (change.kind === 'task') return change.event === null ? null : { hostname: change.event.hostname };
  const ev = change.event;
  if (ev === null) return null;
  if (ev.subject === 'heartbeat' && ev.active === undefined && ev.processed === undefined) return null;
  return { hostname: ev.hostname };
}

/**
 * Listen for `minSeconds`; if `untilEventOr` is set and nothing was heard by then, go on until
 * the first event or until that many seconds after the start.
 */
async function listen(o: BrokerCheckOptions, minSeconds: number, untilEventOr: number | null): Promise<Heard> {
  let lastEventAt: number | null = null;
  const lastHeard = new Map<string, number>();
  let onFirst: (() => void) | null = null;
  const session = await startSession({
    log: note,
    broker: o.broker,
    debug: o.debug,
    onChange: (change) => {
      const from = spontaneous(change);
      if (from === null) return;
      lastEventAt = now();
      lastHeard.set(from.hostname, lastEventAt);
      onFirst?.();
    },
  });
  const startedAt = now();
  try {
    await sleep(minSeconds * 1000);
    if (untilEventOr !== null && lastEventAt === null && untilEventOr > minSeconds) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, (untilEventOr - (now() - startedAt)) * 1000);
        onFirst = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    await session.close();
  }
  return { state: session.pipeline.state, startedAt, endedAt: now(), lastEventAt, lastHeard };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

interface Inspected {
  readonly pinged: readonly string[];
  readonly active: readonly TaskInfo[] | null;
  readonly reserved: readonly TaskInfo[] | null;
  /** hostname -> pool size (max concurrency), for the workers that answered `stats`. */
  readonly pools: ReadonlyMap<string, number | null>;
}

async function inspect(ctl: ControlClient, o: BrokerCheckOptions, wantStuck: boolean): Promise<Inspected> {
  const ask = (method: string, args: Record<string, unknown>) => ctl.call({ method, arguments: args, timeoutMs: o.timeoutMs });
  const [pings, active, reserved, stats] = await Promise.all([
    ask('ping', {}),
    wantStuck ? ask('active', { safe: null }) : Promise.resolve(null),
    wantStuck ? ask('reserved', {}) : Promise.resolve(null),
    wantStuck ? ask('stats', {}) : Promise.resolve(null),
  ]);
  const pools = new Map<string, number | null>();
  for (const r of stats ?? []) {
    const p = parseStats(r);
    if (p.ok) pools.set(r.hostname, p.value.pool?.maxConcurrency ?? null);
  }
  const lists = (replies: typeof active) => {
    if (replies === null) return null;
    const tasks: TaskInfo[] = [];
    for (const r of replies) {
      const p = parseTaskList(r);
      if (p.ok) tasks.push(...p.value.tasks.map((t) => ({ ...t, hostname: t.hostname ?? r.hostname })));
    }
    return tasks;
  };
  return {
    pinged: pings.filter((r) => parsePing(r).ok).map((r) => r.hostname),
    active: lists(active),
    reserved: lists(reserved),
    pools,
  };
}

export async function measureFromBroker(plan: CheckPlan, o: BrokerCheckOptions): Promise<BrokerCheck> {
  const broker = parseBrokerUrl(o.broker, '--broker / CLEARLY_BROKER');
  const wantWorkers = needs(plan, 'min-workers');
  const wantHeartbeat = needs(plan, 'max-heartbeat-age');
  const wantStuck = needs(plan, 'max-stuck');
  const wantSilence = needs(plan, 'max-silence');
  const wantFailures = needs(plan, 'max-failure-rate') || needs(plan, 'max-failures');
  const listenCoversWindow = o.listenSeconds >= plan.windowSeconds;
  const wantEventsOff = needs(plan, 'max-events-off');
  const wantListen = wantSilence || wantHeartbeat || wantEventsOff || (wantFailures && listenCoversWindow);

  // Connect the control client first: a broker that is down fails here, once, for everything.
  let ctl: ControlClient | null = null;
  if (wantWorkers || wantHeartbeat || wantStuck) {
    try {
      ctl = await openControl(o.broker);
    } catch (e) {
      return { measurements: {}, listenedSeconds: null, unreachable: (e as Error).message };
    }
  }
  const silenceLevel = plan.thresholds.find((t) => t.kind === 'max-silence')?.levels.critical ?? null;
  const settle = <T>(p: Promise<T>) => p.then((value) => ({ ok: true as const, value }), (e: unknown) => ({ ok: false as const, reason: (e as Error).message }));

  const [inspected, heard, queues] = await Promise.all([
    ctl === null ? null : settle(inspect(ctl, o, wantStuck).finally(() => ctl?.close())),
    wantListen ? settle(listen(o, o.listenSeconds, wantSilence ? silenceLevel : null)) : null,
    queueMeasurements(plan, o.broker),
  ]);
  const t = now();
  const m: {
    -readonly [K in keyof Measurements]: Measurements[K];
  } = {};
  if (queues !== null) m.queues = queues;

  // Live: answered ping, or heard from (and still alive) while listening.
  let live: Measured<{ alive: string[] }> = unmeasured('not measured');
  if (inspected !== null) {
    if (!inspected.ok) live = unmeasured(inspected.reason);
    else {
      const alive = new Set(inspected.value.pinged);
      if (heard?.ok) for (const w of heard.value.state.workers()) if (w.alive) alive.add(w.hostname);
      live = { ok: true, alive: [...alive].filter((h) => matchesPattern(plan.workersPattern, h)).sort() };
    }
  }
  if (wantWorkers) m.workers = live.ok ? { ok: true, alive: live.alive, known: null } : live;

  if (wantStuck && inspected !== null) {
    if (!inspected.ok) m.stuck = unmeasured(inspected.reason);
    else {
      const { active, reserved, pools } = inspected.value;
      m.stuck = { ok: true, ...stuckFromInspect(active ?? [], reserved ?? [], pools, t) };
    }
  }

  if (heard !== null && !heard.ok) {
    const u = unmeasured(heard.reason);
    if (wantSilence) m.silence = u;
    if (wantHeartbeat) m.heartbeat = u;
    if (wantFailures) m.failures = u;
    if (wantEventsOff) m.eventsOff = u;
  } else if (heard !== null) {
    const h = heard.value;
    const listened = h.endedAt - h.startedAt;
    if (wantSilence) {
      m.silence =
        h.lastEventAt === null
          ? { ok: true, seconds: t - h.startedAt, bound: 'more-than', note: `listened ${compactDuration(listened)} to ${broker.masked}` }
          : { ok: true, seconds: t - h.lastEventAt, bound: 'exact', note: null };
    }
    if (wantHeartbeat) {
      if (!live.ok) m.heartbeat = live;
      else {
        m.heartbeat = {
          ok: true,
          workers: live.alive.map((hostname) => {
            const heard = h.lastHeard.get(hostname);
            const bound: Bound = heard === undefined ? 'more-than' : 'exact';
            return { hostname, ageSeconds: heard === undefined ? t - h.startedAt : t - heard, bound };
          }),
        };
      }
    }
    if (wantEventsOff) {
      const off: string[] = [];
      let judged = 0;
      for (const w of h.state.workers()) {
        judged++;
        const v = eventsStatus(workerEventsSeen(w, h.endedAt)).status;
        if (v === 'task-events-off' || v === 'no-heartbeats') off.push(`${w.hostname} (${v})`);
      }
      m.eventsOff = { ok: true, workers: off.sort(), judged, note: `judged on ${compactDuration(listened)} of listening (an idle worker cannot be judged)` };
    }
    if (wantFailures) {
      m.failures = { ok: true, ...failuresFromTasks(h.state.tasks(), t, plan.windowSeconds, `counted from the events of ${compactDuration(listened)} of listening`) };
    }
  }
  if (wantFailures && !listenCoversWindow) {
    const w = compactDuration(plan.windowSeconds);
    m.failures = unmeasured(
      `the broker keeps no history: failures over ${w} need a clearly server (--server), or listening that long (--listen ${w})`,
    );
  }
  if (needs(plan, 'max-lost')) {
    m.lost = unmeasured('the broker keeps no history of which worker held what: lost tasks need a clearly server (--server)');
  }
  const listenedSeconds = heard?.ok ? heard.value.endedAt - heard.value.startedAt : null;
  return { measurements: m, listenedSeconds, unreachable: null };
}


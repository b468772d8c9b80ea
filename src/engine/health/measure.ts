/**
 * Turning what a source holds into `check` measurements, without I/O: stored tasks (a server's
 * history, or what a broker listener saw) into failure counts and stuck tasks, worker records
 * into live workers and heartbeat ages, server counters into silence, and a worker's `active` /
 * `reserved` replies into stuck tasks. `now` is always passed in (epoch seconds).
 */
import type { TaskInfo } from '../control/replies.js';
import {
  compactDuration,
  formatSeconds,
  MAX_LISTED,
  unmeasured,
  type Bound,
  type DurationSeen,
  type FailuresSeen,
  type HeartbeatSeen,
  type InFlightTask,
  type LostSeen,
  type Measured,
  type StuckSeen,
  type WorkersSeen,
} from './health.js';
import { matchesPattern, type WorkerPattern } from './thresholds.js';

/** The task fields these measures read: a State `Task` and a `TaskRecord` both have them. */
export interface TaskTimes {
  readonly uuid: string;
  readonly name: string | null;
  readonly state: string;
  readonly worker: string | null;
  readonly timestamp: number;
  readonly received: number | null;
  readonly started: number | null;
  readonly succeeded: number | null;
  readonly failed: number | null;
  readonly rejected: number | null;
  /** When a task with an ETA/countdown is due (ISO 8601, as Celery sends it); absent or null: none. */
  readonly eta?: string | null;
}

/** The worker fields these measures read (a `WorkerRecord` has them). */
export interface WorkerSeen {
  readonly hostname: string;
  readonly alive: boolean;
  /** Local time it was last heard from (epoch seconds). */
  readonly last_seen: number;
}

/**
 * Failures and finished tasks (SUCCESS or FAILURE) whose final event falls within the window.
 * REVOKED is not counted either way: revoking is an operator's decision, not the task failing.
 */
export function failuresFromTasks(tasks: Iterable<TaskTimes>, now: number, windowSeconds: number, note: string | null = null): FailuresSeen {
  const since = now - windowSeconds;
  let failures = 0;
  let finished = 0;
  for (const t of tasks) {
    if (t.state === 'FAILURE' && (t.failed ?? t.timestamp) >= since) {
      failures++;
      finished++;
    } else if (t.state === 'SUCCESS' && (t.succeeded ?? t.timestamp) >= since) finished++;
  }
  return { failures, finished, windowSeconds, note };
}

/** Why a server's history may not cover the whole window (null when it does). */
export function historyNote(uptimeSeconds: number, windowSeconds: number, tasksEvicted: number, maxTasks: number): string | null {
  const notes: string[] = [];
  if (uptimeSeconds < windowSeconds) {
    notes.push(`the server has been up only ${formatSeconds(uptimeSeconds)} of the ${compactDuration(windowSeconds)} window`);
  }
  if (tasksEvicted > 0) {
    notes.push(`the server forgot ${tasksEvicted} older tasks (it keeps ${maxTasks}: see its --max-tasks), some may have been in the window`);
  }
  return notes.length === 0 ? null : notes.join('; ');
}

/**
 * A task that may be stuck: running (STARTED), or RECEIVED by a worker that runs nothing, so it
 * had a free slot to start it (since `freedAt`, when that worker last finished a task, if later
 * than the receipt). A RECEIVED task on a worker busy running others waits in its prefetch
 * buffer, and one with an ETA still ahead is scheduled: both are queueing (`waiting`).
 */
function inFlightSince(
  t: TaskTimes,
  busy: ReadonlySet<string | null>,
  freedAt: ReadonlyMap<string, number>,
  now: number,
): { state: 'STARTED' | 'RECEIVED'; since: number } | 'waiting' | null {
  // A rejection that requeued the message keeps the task STARTED/RECEIVED (Celery's rank for it):
  // it is back in its queue, not running.
  if (t.rejected !== null) return null;
  if (t.state === 'STARTED') return { state: 'STARTED', since: t.started ?? t.timestamp };
  if (t.state !== 'RECEIVED') return null;
  const eta = t.eta === undefined || t.eta === null ? NaN : Date.parse(t.eta) / 1000;
  if (eta > now || busy.has(t.worker)) return 'waiting';
  const received = t.received ?? t.timestamp;
  const freed = t.worker === null ? undefined : freedAt.get(t.worker);
  return { state: 'RECEIVED', since: Math.max(received, Number.isNaN(eta) ? -Infinity : eta, freed ?? -Infinity) };
}

function stuckOf(flying: InFlightTask[], undated: number, waiting: number, note: string | null): StuckSeen {
  flying.sort((a, b) => b.ageSeconds - a.ageSeconds);
  return { oldest: flying.slice(0, MAX_LISTED), ages: flying.map((t) => t.ageSeconds), undated, waiting, note };
}

/** The workers running something (a STARTED task that was not rejected). */
function busyWorkers(tasks: Iterable<TaskTimes>): Set<string | null> {
  const busy = new Set<string | null>();
  for (const t of tasks) if (t.state === 'STARTED' && t.rejected === null) busy.add(t.worker);
  return busy;
}

/**
 * The workers that hold RECEIVED tasks while running nothing: for these, when they last finished
 * a task says since when a slot has been free (check-server.ts asks the server).
 */
export function idleHolders(tasks: readonly TaskTimes[]): string[] {
  const busy = busyWorkers(tasks);
  const idle = new Set<string>();
  for (const t of tasks) if (t.state === 'RECEIVED' && t.rejected === null && t.worker !== null && !busy.has(t.worker)) idle.add(t.worker);
  return [...idle].sort();
}

/**
 * Tasks that may be stuck, with how long: STARTED ones since they started, RECEIVED ones on an
 * idle worker since it could have started them; `freedAt`: per worker, when it last finished a task.
 */
export function stuckFromTasks(
  tasks: readonly TaskTimes[],
  now: number,
  note: string | null = null,
  freedAt: ReadonlyMap<string, number> = new Map(),
): StuckSeen {
  const busy = busyWorkers(tasks);
  const flying: InFlightTask[] = [];
  let waiting = 0;
  for (const t of tasks) {
    const f = inFlightSince(t, busy, freedAt, now);
    if (f === 'waiting') waiting++;
    else if (f !== null) flying.push({ uuid: t.uuid, name: t.name, state: f.state, worker: t.worker, ageSeconds: Math.max(0, now - f.since) });
  }
  return stuckOf(flying, 0, waiting, note);
}

/**
 * From workers' `active` replies (which carry `time_start`) and `reserved` ones (which carry no
 * time at all), with each worker's pool size from `stats` (`pools`: hostname -> max concurrency).
 * A reserved task on a worker whose pool is full waits in its prefetch buffer (`waiting`); one on
 * a worker with a free slot may be stuck, since an unknown moment (`undated`); so may one on a
 * worker whose pool size is unknown and that runs nothing.
 */
export function stuckFromInspect(
  active: readonly TaskInfo[],
  reserved: readonly TaskInfo[],
  pools: ReadonlyMap<string, number | null>,
  now: number,
): StuckSeen {
  const flying: InFlightTask[] = [];
  const running = new Map<string | null, number>();
  let undated = 0;
  let waiting = 0;
  for (const t of active) {
    running.set(t.hostname, (running.get(t.hostname) ?? 0) + 1);
    if (t.timeStart === null) {
      undated++;
      continue;
    }
    flying.push({ uuid: t.id, name: t.name, state: 'STARTED', worker: t.hostname, ageSeconds: Math.max(0, now - t.timeStart) });
  }
  for (const t of reserved) {
    const busy = running.get(t.hostname) ?? 0;
    const size = t.hostname === null ? null : (pools.get(t.hostname) ?? null);
    const full = size === null ? busy > 0 : busy >= size;
    if (full) waiting++;
    else undated++;
  }
  return stuckOf(flying, undated, waiting, null);
}

/** The fields of a lost task these measures read (a `TaskRecord` from a server's `tasks --lost`). */
export interface LostTask {
  readonly uuid: string;
  readonly name: string | null;
  readonly state: string;
  readonly worker: string | null;
  readonly timestamp: number;
  readonly lost?: true | undefined;
  readonly lost_at?: number | null | undefined;
}

/** Lost tasks among `tasks` (others are skipped), longest lost first. */
export function lostFromTasks(tasks: Iterable<LostTask>, now: number, note: string | null = null): LostSeen {
  const lost: InFlightTask[] = [];
  for (const t of tasks) {
    if (t.lost !== true) continue;
    const state = t.state === 'RECEIVED' ? 'RECEIVED' : 'STARTED';
    lost.push({ uuid: t.uuid, name: t.name, state, worker: t.worker, ageSeconds: Math.max(0, now - (t.lost_at ?? t.timestamp)) });
  }
  lost.sort((a, b) => b.ageSeconds - a.ageSeconds);
  return { count: lost.length, oldest: lost.slice(0, MAX_LISTED), note };
}

export function workersFromRecords(records: Iterable<WorkerSeen>, pattern: WorkerPattern | null): WorkersSeen {
  const alive: string[] = [];
  let known = 0;
  for (const w of records) {
    if (!matchesPattern(pattern, w.hostname)) continue;
    known++;
    if (w.alive) alive.push(w.hostname);
  }
  return { alive: alive.sort(), known };
}

/** Heartbeat age of every live matching worker, as the server last heard from it. */
export function heartbeatFromRecords(records: Iterable<WorkerSeen>, pattern: WorkerPattern | null, now: number): HeartbeatSeen {
  const workers: { hostname: string; ageSeconds: number; bound: Bound }[] = [];
  for (const w of records) {
    if (w.alive && matchesPattern(pattern, w.hostname)) {
      workers.push({ hostname: w.hostname, ageSeconds: Math.max(0, now - w.last_seen), bound: 'exact' });
    }
  }
  return { workers: workers.sort((a, b) => a.hostname.localeCompare(b.hostname)) };
}

/** The counters of a server's GetStats that silence needs. */
export interface ServerCounters {
  readonly events_processed: number;
  readonly consumer_lag_seconds: number;
  readonly uptime_seconds: number;
  readonly broker_state: string;
  readonly broker: string;
}

/**
 * Silence as a server sees it: the age of the newest event (by the sender's clock), or, when it
 * heard nothing since it started, at least its uptime.
 */
export function silenceFromServer(s: ServerCounters): Measured<DurationSeen> {
  const lost = brokerLost(s);
  if (lost !== null) return lost;
  if (s.events_processed === 0) {
    return { ok: true, seconds: s.uptime_seconds, bound: 'at-least', note: `the server has heard no event since it started ${formatSeconds(s.uptime_seconds)} ago` };
  }
  return { ok: true, seconds: s.consumer_lag_seconds, bound: 'exact', note: null };
}

/**
 * A server that lost its broker sees no worker and no event: its live view says nothing about
 * the cluster, so what depends on it is UNKNOWN rather than CRITICAL.
 */
export function brokerLost(s: Pick<ServerCounters, 'broker_state' | 'broker'>): { ok: false; reason: string } | null {
  if (s.broker_state === 'connected') return null;
  return unmeasured(`the server is not connected to its broker ${s.broker} (${s.broker_state || 'state unknown'}): its live view is stale`);
}

/**
 * `clearly check`, the pure half: measured values in, Nagios verdicts out. A source (a clearly
 * server, or the broker itself) fills `Measurements` with what it could measure and, for the
 * rest, the reason it could not; each threshold then gets OK, WARNING, CRITICAL or UNKNOWN, never
 * OK for want of a number. Here: the types, judging one number, text helpers; the verdict per
 * threshold kind is in evaluate.ts.
 *
 * Values may be bounds rather than exact: listening to a broker for 5 s and hearing nothing says
 * the silence is *more than* 5 s. A bound that already crosses the critical level is CRITICAL;
 * one that does not settle the question is UNKNOWN, with the reason.
 */
import type { Levels, Threshold } from './thresholds.js';

export type Status = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

/** Nagios plugin exit codes. */
export const STATUS_EXIT: Readonly<Record<Status, 0 | 1 | 2 | 3>> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

/**
 * The worst status wins, in the order of the monitoring-plugins' `max_state`: CRITICAL, then
 * WARNING, then UNKNOWN, then OK (a real problem found outranks a question left open).
 */
const RANK: Readonly<Record<Status, number>> = { OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3 };

export function worst(statuses: Iterable<Status>): Status {
  let w: Status = 'OK';
  for (const s of statuses) if (RANK[s] > RANK[w]) w = s;
  return w;
}

/** `exact`; `more-than`: the real value is above it; `at-least`: the real value is it or above. */
export type Bound = 'exact' | 'more-than' | 'at-least';

export interface Unmeasured {
  readonly ok: false;
  readonly reason: string;
}
export type Measured<T> = ({ readonly ok: true } & T) | Unmeasured;

export const unmeasured = (reason: string): Unmeasured => ({ ok: false, reason });

export interface WorkersSeen {
  /** Live workers matching `--workers-pattern`, sorted. */
  readonly alive: readonly string[];
  /** Matching workers known alive or not; null when the source only sees live ones (the broker). */
  readonly known: number | null;
}

export interface FailuresSeen {
  /** Tasks that reached FAILURE within the window. */
  readonly failures: number;
  /** Tasks that reached SUCCESS or FAILURE within the window. */
  readonly finished: number;
  readonly windowSeconds: number;
  /** What limits the numbers (history shorter than the window...), or null. */
  readonly note: string | null;
}

export interface QueueSeen {
  readonly messages: number;
  /** RabbitMQ only; null on Redis. */
  readonly consumers: number | null;
}

export interface DurationSeen {
  readonly seconds: number;
  readonly bound: Bound;
  readonly note: string | null;
}

export interface InFlightTask {
  readonly uuid: string;
  readonly name: string | null;
  readonly state: 'STARTED' | 'RECEIVED';
  readonly worker: string | null;
  readonly ageSeconds: number;
}

/**
 * Stuck means running too long, or held by a worker that has a free pool slot and does not run
 * it. A task waiting in a worker's prefetch buffer behind busy slots, or held for its ETA, is
 * queueing: counted in `waiting`, never stuck.
 */
export interface StuckSeen {
  /** Tasks that may be stuck (running, or held with a slot free), with a known age, oldest first (at most `MAX_LISTED`). */
  readonly oldest: readonly InFlightTask[];
  /** The ages (seconds) of every such task, oldest first (`oldest` lists only the first few). */
  readonly ages: readonly number[];
  /** Held with a free pool slot, but since when is unknown (the broker's reserved tasks carry no time). */
  readonly undated: number;
  /** Held behind busy pool slots, or until their ETA: queueing, not stuck. */
  readonly waiting: number;
  readonly note: string | null;
}

export interface HeartbeatSeen {
  /** One per live matching worker: how long since it was last heard from. */
  readonly workers: readonly { readonly hostname: string; readonly ageSeconds: number; readonly bound: Bound }[];
}

export interface LostSeen {
  /** Tasks whose worker went offline while they were RECEIVED or STARTED on it (state/lost.ts). */
  readonly count: number;
  /** The first few, longest lost first; `ageSeconds` is how long since they were marked. */
  readonly oldest: readonly InFlightTask[];
  readonly note: string | null;
}

export interface EventsOffSeen {
  /** Workers that send no task events (or none at all), with why: `host (task-events-off)`. */
  readonly workers: readonly string[];
  /** Workers judged (heard from long enough, or idle). */
  readonly judged: number;
  readonly note: string | null;
}

/** What a source measured; a threshold whose measurement is missing is UNKNOWN. */
export interface Measurements {
  readonly workers?: Measured<WorkersSeen>;
  readonly failures?: Measured<FailuresSeen>;
  readonly queues?: ReadonlyMap<string, Measured<QueueSeen>>;
  readonly silence?: Measured<DurationSeen>;
  readonly stuck?: Measured<StuckSeen>;
  readonly heartbeat?: Measured<HeartbeatSeen>;
  readonly lost?: Measured<LostSeen>;
  readonly eventsOff?: Measured<EventsOffSeen>;
}

export const MAX_LISTED = 10;

/** Nagios performance data for one value (see nagios.ts for the text). */
export interface Perf {
  readonly label: string;
  /** null: could not be determined (printed `U`). */
  readonly value: number | null;
  readonly uom: '' | '%' | 's';
  readonly levels: Levels;
  readonly direction: 'min' | 'max';
  readonly min: number | null;
  readonly max: number | null;
}

export interface Verdict {
  readonly threshold: Threshold;
  readonly status: Status;
  /** The number compared with the levels; null when unknown. */
  readonly value: number | null;
  readonly bound: Bound | null;
  /** Short, for the status line: `1/2 workers alive`. */
  readonly summary: string;
  /** Why this status, in a sentence (for --json). */
  readonly reason: string;
  readonly perf: Perf;
}

export interface CheckResult {
  readonly status: Status;
  readonly exitCode: 0 | 1 | 2 | 3;
  readonly verdicts: readonly Verdict[];
}

// ---------------------------------------------------------------------------------------------
// Judging one number

/** The status for `value` (with its bound) against the levels. */
export function judge(value: number, bound: Bound, levels: Levels, direction: 'min' | 'max'): Status {
  const { warning, critical } = levels;
  if (direction === 'max') {
    if (bound === 'exact') {
      if (value > critical) return 'CRITICAL';
      return warning !== null && value > warning ? 'WARNING' : 'OK';
    }
    // Only a lower bound: it can prove "above the critical level", never "fine".
    const beyond = bound === 'more-than' ? value >= critical : value > critical;
    return beyond ? 'CRITICAL' : 'UNKNOWN';
  }
  if (bound === 'exact') {
    if (value < critical) return 'CRITICAL';
    return warning !== null && value < warning ? 'WARNING' : 'OK';
  }
  // A lower bound on a quantity that must stay high: it can prove "fine".
  return value >= (warning ?? critical) ? 'OK' : 'UNKNOWN';
}

/** The level a non-OK status crossed (for `1/2 workers alive`). */
export function crossed(status: Status, levels: Levels): number {
  return status === 'WARNING' && levels.warning !== null ? levels.warning : levels.critical;
}

// ---------------------------------------------------------------------------------------------
// Text helpers (plain: the status line is read by Nagios, mail and pagers)

/** `0.4s`, `5s`, `45s`, `2m 05s`, `1h 02m`, `2d 3h`: for measured durations. */
export function formatSeconds(seconds: number): string {
  if (seconds < 10) return `${Number(Math.max(0, seconds).toFixed(1))}s`;
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** `10m`, `1m30s`, `1h`, `1.5s`, `500ms`: for windows and levels, as a user would type them. */
export function compactDuration(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60 && !Number.isInteger(seconds)) return `${Number(seconds.toFixed(3))}s`;
  let rest = Math.round(seconds);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('') || '0s';
}

export function formatPercent(p: number): string {
  return `${p.toFixed(1)}%`;
}

export const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

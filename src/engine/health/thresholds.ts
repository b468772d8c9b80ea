/**
 * `clearly check` thresholds: what each one compares, and its flag syntax, parsed into values.
 * No I/O. Every level flag reads `[WARN:]CRIT`: one value is the critical level alone (the check
 * goes CRITICAL past it, there is no warning level); two values are the warning level, then the
 * critical one (`--min-workers 3:2` warns below 3 workers, is critical below 2).
 */
import { UsageError } from '../../errors.js';

export type ThresholdKind =
  | 'min-workers'
  | 'max-failure-rate'
  | 'max-failures'
  | 'max-queue'
  | 'max-silence'
  | 'max-stuck'
  | 'max-heartbeat-age'
  | 'max-lost'
  | 'max-events-off';

/** `min`: alert below the level; `max`: alert above it. Equal to the level is fine either way. */
export type Direction = 'min' | 'max';
export type Unit = 'count' | 'percent' | 'seconds';

export interface Levels {
  /** null: no warning level, only the critical one. */
  readonly warning: number | null;
  readonly critical: number;
}

export interface KindInfo {
  readonly flag: string;
  readonly direction: Direction;
  readonly unit: Unit;
}

/** Exhaustive: a new kind that is not described here does not compile. */
export const KINDS: Readonly<Record<ThresholdKind, KindInfo>> = {
  'min-workers': { flag: '--min-workers', direction: 'min', unit: 'count' },
  'max-failure-rate': { flag: '--max-failure-rate', direction: 'max', unit: 'percent' },
  'max-failures': { flag: '--max-failures', direction: 'max', unit: 'count' },
  'max-queue': { flag: '--max-queue', direction: 'max', unit: 'count' },
  'max-silence': { flag: '--max-silence', direction: 'max', unit: 'seconds' },
  'max-stuck': { flag: '--max-stuck', direction: 'max', unit: 'seconds' },
  'max-heartbeat-age': { flag: '--max-heartbeat-age', direction: 'max', unit: 'seconds' },
  'max-lost': { flag: '--max-lost', direction: 'max', unit: 'count' },
  'max-events-off': { flag: '--max-events-off', direction: 'max', unit: 'count' },
};

export type Threshold =
  | { readonly kind: 'min-workers'; readonly levels: Levels }
  | { readonly kind: 'max-failure-rate'; readonly levels: Levels }
  | { readonly kind: 'max-failures'; readonly levels: Levels }
  | { readonly kind: 'max-queue'; readonly levels: Levels; readonly queue: string }
  | { readonly kind: 'max-silence'; readonly levels: Levels }
  | { readonly kind: 'max-stuck'; readonly levels: Levels }
  | { readonly kind: 'max-heartbeat-age'; readonly levels: Levels }
  | { readonly kind: 'max-lost'; readonly levels: Levels }
  | { readonly kind: 'max-events-off'; readonly levels: Levels };

/** A hostname regex; `!re` keeps the workers that do NOT match (as `--worker` elsewhere). */
export interface WorkerPattern {
  readonly source: string;
  readonly negate: boolean;
  readonly re: RegExp;
}

export interface CheckPlan {
  /** In flag order (the order of `KINDS`), `max-queue` ones in the order given. */
  readonly thresholds: readonly Threshold[];
  /** Failure rate/count look this far back (seconds). */
  readonly windowSeconds: number;
  /** Applies to `min-workers` and `max-heartbeat-age`. */
  readonly workersPattern: WorkerPattern | null;
}

/** The flags as yargs hands them over (strings: every value is parsed here). */
export interface CheckFlags {
  readonly minWorkers?: string | undefined;
  readonly workersPattern?: string | undefined;
  readonly maxFailureRate?: string | undefined;
  readonly maxFailures?: string | undefined;
  readonly window?: string | undefined;
  readonly maxQueue?: readonly string[] | undefined;
  readonly maxSilence?: string | undefined;
  readonly maxStuck?: string | undefined;
  readonly maxHeartbeatAge?: string | undefined;
  readonly maxLost?: string | undefined;
  readonly maxEventsOff?: string | undefined;
}

export const DEFAULT_WINDOW = '10m';

const UNIT_SECONDS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/**
 * `90`, `90s`, `500ms`, `2m`, `1h30m`, `1.5h`, `2d`; a bare number is seconds. Returns seconds
 * (> 0 unless `allowZero`). Throws UsageError naming `flag`.
 */
export function parseDuration(text: string, flag: string, allowZero = false): number {
  const t = text.trim().toLowerCase();
  const bad = (): UsageError =>
    new UsageError(`${flag}: expected a duration such as 30s, 2m, 1h30m or 500ms, got ${JSON.stringify(text)}`);
  if (t === '') throw bad();
  let seconds: number;
  if (/^\d+(\.\d+)?$/.test(t)) seconds = Number(t);
  else {
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
    seconds = 0;
    let end = 0;
    for (let m = re.exec(t); m !== null; m = re.exec(t)) {
      seconds += Number(m[1]) * (UNIT_SECONDS[m[2] ?? ''] ?? NaN);
      end = re.lastIndex;
    }
    if (end !== t.length) throw bad();
  }
  if (!Number.isFinite(seconds) || seconds < 0 || (seconds === 0 && !allowZero)) {
    throw new UsageError(`${flag}: the duration must be more than 0, got ${JSON.stringify(text)}`);
  }
  return seconds;
}

function parseCount(text: string, flag: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw new UsageError(`${flag}: expected a whole number ≥ 0, got ${JSON.stringify(text)}`);
  return Number(t);
}

/** `5%` or `5` (both mean 5 percent), `0.5%`; 0 to 100. */
function parsePercent(text: string, flag: string): number {
  const t = text.trim().replace(/%$/, '');
  const n = /^\d+(\.\d+)?$/.test(t) ? Number(t) : NaN;
  if (!(n >= 0 && n <= 100)) throw new UsageError(`${flag}: expected a percentage from 0% to 100%, got ${JSON.stringify(text)}`);
  return n;
}

const PARSE_UNIT: Readonly<Record<Unit, (text: string, flag: string) => number>> = {
  count: parseCount,
  percent: parsePercent,
  seconds: (text, flag) => parseDuration(text, flag, true),
};

const SHOW_UNIT: Readonly<Record<Unit, (n: number) => string>> = {
  count: (n) => String(n),
  percent: (n) => `${n}%`,
  seconds: (n) => `${n}s`,
};

/** `[WARN:]CRIT` in the kind's unit; the warning level must come before the critical one. */
export function parseLevels(text: string, kind: ThresholdKind, flag: string = KINDS[kind].flag): Levels {
  const { unit, direction } = KINDS[kind];
  const parts = text.split(':');
  if (parts.length > 2 || parts.some((p) => p.trim() === '')) {
    throw new UsageError(`${flag}: expected CRIT or WARN:CRIT (e.g. ${example(kind)}), got ${JSON.stringify(text)}`);
  }
  const values = parts.map((p) => PARSE_UNIT[unit](p, flag));
  const critical = values[values.length - 1]!;
  const warning = values.length === 2 ? values[0]! : null;
  if (warning !== null) {
    const wrongWay = direction === 'max' ? warning > critical : warning < critical;
    if (wrongWay) {
      const side = direction === 'max' ? 'above' : 'below';
      throw new UsageError(
        `${flag}: the warning level (${SHOW_UNIT[unit](warning)}) must not be ${side} the critical one (${SHOW_UNIT[unit](critical)}); the syntax is WARN:CRIT`,
      );
    }
  }
  return { warning, critical };
}

function example(kind: ThresholdKind): string {
  const examples: Record<ThresholdKind, string> = {
    'min-workers': '3:2',
    'max-failure-rate': '5%:10%',
    'max-failures': '10:50',
    'max-queue': 'celery=1000:5000',
    'max-silence': '1m:5m',
    'max-stuck': '10m:30m',
    'max-heartbeat-age': '30s:1m',
    'max-lost': '0:5',
    'max-events-off': '0',
  };
  return examples[kind];
}

/** `QUEUE=[WARN:]CRIT`; the name is everything before the last `=`. */
export function parseQueueLimit(text: string): Extract<Threshold, { kind: 'max-queue' }> {
  const at = text.lastIndexOf('=');
  const queue = at < 0 ? '' : text.slice(0, at).trim();
  if (queue === '') {
    throw new UsageError(`--max-queue: expected QUEUE=CRIT or QUEUE=WARN:CRIT (e.g. celery=1000:5000), got ${JSON.stringify(text)}`);
  }
  return { kind: 'max-queue', queue, levels: parseLevels(text.slice(at + 1), 'max-queue', `--max-queue ${queue}`) };
}

export function parseWorkersPattern(text: string | undefined): WorkerPattern | null {
  if (text === undefined || text === '') return null;
  const negate = text.startsWith('!');
  const source = negate ? text.slice(1) : text;
  try {
    return { source, negate, re: new RegExp(source) };
  } catch (e) {
    throw new UsageError(`--workers-pattern: invalid regular expression ${JSON.stringify(source)}: ${(e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '')}`, {
      cause: e,
    });
  }
}

export function matchesPattern(pattern: WorkerPattern | null, hostname: string): boolean {
  return pattern === null || pattern.re.test(hostname) !== pattern.negate;
}

/** All the flags -> a plan; throws UsageError for any bad value or when no threshold is given. */
export function parseCheckFlags(f: CheckFlags): CheckPlan {
  const thresholds: Threshold[] = [];
  const single = (kind: Exclude<ThresholdKind, 'max-queue'>, text: string | undefined): void => {
    if (text !== undefined) thresholds.push({ kind, levels: parseLevels(text, kind) });
  };
  single('min-workers', f.minWorkers);
  single('max-failure-rate', f.maxFailureRate);
  single('max-failures', f.maxFailures);
  const seen = new Set<string>();
  // Repeated, comma-separated, or both: `--max-queue celery=1000,email=0 --max-queue bulk=5`.
  for (const q of (f.maxQueue ?? []).flatMap((v) => v.split(','))) {
    const t = parseQueueLimit(q);
    if (seen.has(t.queue)) throw new UsageError(`--max-queue: queue ${t.queue} is given twice`);
    seen.add(t.queue);
    thresholds.push(t);
  }
  single('max-silence', f.maxSilence);
  single('max-stuck', f.maxStuck);
  single('max-heartbeat-age', f.maxHeartbeatAge);
  single('max-lost', f.maxLost);
  single('max-events-off', f.maxEventsOff);
  if (thresholds.length === 0) {
    throw new UsageError(
      'check: give at least one threshold: --min-workers, --max-failure-rate, --max-failures, --max-queue, --max-silence, --max-stuck, --max-heartbeat-age, --max-lost or --max-events-off',
    );
  }
  const workersPattern = parseWorkersPattern(f.workersPattern);
  if (workersPattern !== null && !thresholds.some((t) => t.kind === 'min-workers' || t.kind === 'max-heartbeat-age')) {
    throw new UsageError('--workers-pattern applies to --min-workers and --max-heartbeat-age: give one of them');
  }
  return { thresholds, windowSeconds: parseDuration(f.window ?? DEFAULT_WINDOW, '--window'), workersPattern };
}

/** Which measurements a plan needs (a source measures only these). */
export function needs(plan: CheckPlan, kind: ThresholdKind): boolean {
  return plan.thresholds.some((t) => t.kind === kind);
}

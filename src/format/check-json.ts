/**
 * `clearly check --json`: one object with every value measured and each threshold's verdict, for
 * scripts and for monitoring systems that take JSON. Field names are snake_case like the
 * records; durations are seconds, rates percent. A value that could not be measured is
 * `{"unknown": "<reason>"}` in `measured`, and its threshold's `value` is null.
 */
import type { CheckResult, Measured, Measurements, Status } from '../engine/health/health.js';
import { KINDS, type CheckPlan } from '../engine/health/thresholds.js';

export interface CheckContext {
  readonly source: 'server' | 'broker';
  /** The server asked (`host:port`), or null in broker mode. */
  readonly server: string | null;
  /** The broker (masked URL) read for queue depths or, in broker mode, for everything. */
  readonly broker: string | null;
  /** Epoch seconds when the measuring finished. */
  readonly checkedAt: number;
  /** Broker mode: how long clearly listened to events; null when it did not listen. */
  readonly listenedSeconds: number | null;
}

type Json = Record<string, unknown>;

function part<T>(m: Measured<T> | undefined, shape: (v: T) => Json): Json | undefined {
  if (m === undefined) return undefined;
  return m.ok ? shape(m) : { unknown: m.reason };
}

function measured(m: Measurements): Json {
  const out: Json = {};
  const put = (key: string, value: Json | undefined): void => {
    if (value !== undefined) out[key] = value;
  };
  put(
    'workers',
    part(m.workers, (w) => ({ alive: w.alive, alive_count: w.alive.length, known: w.known })),
  );
  put(
    'failures',
    part(m.failures, (f) => ({
      failures: f.failures,
      finished: f.finished,
      failure_rate: f.finished === 0 ? 0 : (100 * f.failures) / f.finished,
      window_seconds: f.windowSeconds,
      note: f.note,
    })),
  );
  if (m.queues !== undefined) {
    const queues: Json = {};
    for (const [name, q] of m.queues) queues[name] = part(q, (v) => ({ messages: v.messages, consumers: v.consumers }));
    out['queues'] = queues;
  }
  put('silence', part(m.silence, (s) => ({ seconds: s.seconds, bound: s.bound, note: s.note })));
  put(
    'stuck',
    part(m.stuck, (s) => ({
      in_flight: s.ages.length + s.undated,
      undated: s.undated,
      waiting: s.waiting,
      oldest_seconds: s.ages[0] ?? null,
      oldest: s.oldest.map((t) => ({ uuid: t.uuid, name: t.name, state: t.state, worker: t.worker, age_seconds: t.ageSeconds })),
      note: s.note,
    })),
  );
  put(
    'lost',
    part(m.lost, (l) => ({
      count: l.count,
      oldest: l.oldest.map((t) => ({ uuid: t.uuid, name: t.name, state: t.state, worker: t.worker, lost_seconds: t.ageSeconds })),
      note: l.note,
    })),
  );
  put('events_off', part(m.eventsOff, (e) => ({ workers: e.workers, judged: e.judged, note: e.note })));
  put(
    'heartbeat',
    part(m.heartbeat, (h) => ({ workers: h.workers.map((w) => ({ hostname: w.hostname, age_seconds: w.ageSeconds, bound: w.bound })) })),
  );
  return out;
}

export interface CheckJson {
  readonly status: Status;
  readonly exit_code: number;
  readonly [key: string]: unknown;
}

export function checkJson(result: CheckResult, plan: CheckPlan, m: Measurements, ctx: CheckContext): CheckJson {
  return {
    status: result.status,
    exit_code: result.exitCode,
    source: ctx.source,
    server: ctx.server,
    broker: ctx.broker,
    checked_at: ctx.checkedAt,
    window_seconds: plan.windowSeconds,
    listened_seconds: ctx.listenedSeconds,
    workers_pattern: plan.workersPattern === null ? null : `${plan.workersPattern.negate ? '!' : ''}${plan.workersPattern.source}`,
    measured: measured(m),
    thresholds: result.verdicts.map((v) => ({
      threshold: v.threshold.kind,
      flag: KINDS[v.threshold.kind].flag,
      ...(v.threshold.kind === 'max-queue' ? { queue: v.threshold.queue } : {}),
      status: v.status,
      value: v.value,
      bound: v.bound,
      unit: KINDS[v.threshold.kind].unit,
      warning: v.threshold.levels.warning,
      critical: v.threshold.levels.critical,
      summary: v.summary,
      reason: v.reason,
    })),
  };
}

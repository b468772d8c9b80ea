/**
 * `clearly check`'s verdicts: one judge per threshold kind (exhaustive), turning a measurement
 * into a status, the phrase for the status line, the reason for --json, and performance data.
 */
import { KINDS, type CheckPlan, type Threshold } from './thresholds.js';
import {
  compactDuration,
  crossed,
  formatPercent,
  formatSeconds,
  judge,
  MAX_LISTED,
  plural,
  STATUS_EXIT,
  unmeasured,
  worst,
  type Bound,
  type CheckResult,
  type FailuresSeen,
  type Measurements,
  type Perf,
  type Verdict,
} from './health.js';

type Of<K extends Threshold['kind']> = Extract<Threshold, { kind: K }>;

function perfOf(t: Threshold, label: string, value: number | null, uom: Perf['uom'], max: number | null = null): Perf {
  return { label, value, uom, levels: t.levels, direction: KINDS[t.kind].direction, min: 0, max };
}

function unknownVerdict(t: Threshold, what: string, reason: string, perf: Perf): Verdict {
  return { threshold: t, status: 'UNKNOWN', value: null, bound: null, summary: `${what} unknown (${reason})`, reason, perf };
}

const NOT_MEASURED = 'not measured by this source';

function workersVerdict(t: Of<'min-workers'>, m: Measurements, plan: CheckPlan): Verdict {
  const w = m.workers;
  if (w === undefined || !w.ok) return unknownVerdict(t, 'workers', w?.reason ?? NOT_MEASURED, perfOf(t, 'workers', null, ''));
  const alive = w.alive.length;
  const status = judge(alive, 'exact', t.levels, 'min');
  const matching = plan.workersPattern === null ? '' : ` matching ${plan.workersPattern.negate ? '!' : ''}/${plan.workersPattern.source}/`;
  const summary =
    status === 'OK' ? `${plural(alive, 'worker', 'workers')} alive` : `${alive}/${crossed(status, t.levels)} workers alive`;
  const known = w.known === null ? '' : ` of ${w.known} known`;
  const names = alive === 0 ? '' : `: ${w.alive.slice(0, MAX_LISTED).join(', ')}${alive > MAX_LISTED ? ', …' : ''}`;
  const reason = `${alive} live worker${alive === 1 ? '' : 's'}${matching}${known}${names}`;
  return { threshold: t, status, value: alive, bound: 'exact', summary: summary + (status === 'OK' ? '' : matching), reason, perf: perfOf(t, 'workers', alive, '') };
}

function rateOf(f: FailuresSeen): number {
  return f.finished === 0 ? 0 : (100 * f.failures) / f.finished;
}

function failureRateVerdict(t: Of<'max-failure-rate'>, m: Measurements, plan: CheckPlan): Verdict {
  const f = m.failures;
  const window = compactDuration(plan.windowSeconds);
  if (f === undefined || !f.ok) return unknownVerdict(t, 'failure rate', f?.reason ?? NOT_MEASURED, perfOf(t, 'failure_rate', null, '%', 100));
  const rate = rateOf(f);
  const status = judge(rate, 'exact', t.levels, 'max');
  const counts = f.finished === 0 ? `no task finished in the last ${window}` : `${f.failures} of ${f.finished} finished tasks failed in the last ${window}`;
  return {
    threshold: t,
    status,
    value: rate,
    bound: 'exact',
    summary: `failure rate ${formatPercent(rate)} (${window})`,
    reason: counts + (f.note === null ? '' : `; ${f.note}`),
    perf: perfOf(t, 'failure_rate', rate, '%', 100),
  };
}

function failuresVerdict(t: Of<'max-failures'>, m: Measurements, plan: CheckPlan): Verdict {
  const f = m.failures;
  const window = compactDuration(plan.windowSeconds);
  if (f === undefined || !f.ok) return unknownVerdict(t, 'failures', f?.reason ?? NOT_MEASURED, perfOf(t, 'failures', null, ''));
  const status = judge(f.failures, 'exact', t.levels, 'max');
  return {
    threshold: t,
    status,
    value: f.failures,
    bound: 'exact',
    summary: `${plural(f.failures, 'failure', 'failures')} (${window})`,
    reason: `${f.failures} tasks failed in the last ${window}` + (f.note === null ? '' : `; ${f.note}`),
    perf: perfOf(t, 'failures', f.failures, ''),
  };
}

function queueVerdict(t: Of<'max-queue'>, m: Measurements): Verdict {
  const q = m.queues?.get(t.queue);
  const label = `queue_${t.queue}`;
  if (q === undefined || !q.ok) return unknownVerdict(t, `queue ${t.queue}`, q?.reason ?? NOT_MEASURED, perfOf(t, label, null, ''));
  const status = judge(q.messages, 'exact', t.levels, 'max');
  const consumers = q.consumers === null ? '' : `, ${plural(q.consumers, 'consumer', 'consumers')}`;
  return {
    threshold: t,
    status,
    value: q.messages,
    bound: 'exact',
    summary: `queue ${t.queue} ${plural(q.messages, 'message', 'messages')}`,
    reason: `${plural(q.messages, 'message', 'messages')} waiting in ${t.queue}${consumers}`,
    perf: perfOf(t, label, q.messages, ''),
  };
}

const BOUND_WORD: Readonly<Record<Bound, string>> = { exact: '', 'more-than': 'over ', 'at-least': 'at least ' };

function silenceVerdict(t: Of<'max-silence'>, m: Measurements): Verdict {
  const s = m.silence;
  if (s === undefined || !s.ok) return unknownVerdict(t, 'silence', s?.reason ?? NOT_MEASURED, perfOf(t, 'silence', null, 's'));
  const status = judge(s.seconds, s.bound, t.levels, 'max');
  const span = `${BOUND_WORD[s.bound]}${formatSeconds(s.seconds)}`;
  const quiet = status === 'OK' ? `last event ${span} ago` : `no event for ${span}`;
  const why =
    status === 'UNKNOWN'
      ? `no event for ${span}, which does not tell whether it passed ${compactDuration(t.levels.critical)}`
      : quiet;
  return {
    threshold: t,
    status,
    value: s.seconds,
    bound: s.bound,
    summary: status === 'UNKNOWN' ? `silence unknown (${why})` : quiet,
    reason: why + (s.note === null ? '' : `; ${s.note}`),
    perf: perfOf(t, 'silence', s.seconds, 's'),
  };
}

function stuckVerdict(t: Of<'max-stuck'>, m: Measurements): Verdict {
  const s = m.stuck;
  if (s === undefined || !s.ok) return unknownVerdict(t, 'stuck tasks', s?.reason ?? NOT_MEASURED, perfOf(t, 'oldest_running', null, 's'));
  const oldest = s.ages[0] ?? 0;
  // Only the dated tasks decide: tasks held with a free slot since an unknown moment (the broker
  // does not say) are named in the reason, and queueing ones are not stuck at all.
  const bound: Bound = 'exact';
  const status = judge(oldest, bound, t.levels, 'max');
  const level = crossed(status, t.levels);
  const over = s.ages.filter((age) => age > level).length;
  const first = s.oldest[0];
  const running = first === undefined ? 'nothing running' : `oldest running ${formatSeconds(oldest)}`;
  let summary: string;
  let reason: string;
  if (status === 'OK') {
    summary = `no task stuck (${running})`;
    reason = `${plural(s.ages.length, 'task', 'tasks')} running (or held with a pool slot free), none for longer than ${compactDuration(t.levels.warning ?? t.levels.critical)}`;
  } else {
    summary = `${plural(over, 'task', 'tasks')} stuck over ${compactDuration(level)} (oldest ${formatSeconds(oldest)})`;
    reason = `oldest: ${first?.state} ${first?.name ?? '<unknown task>'} ${first?.uuid} on ${first?.worker ?? 'no known worker'} for ${formatSeconds(oldest)}`;
  }
  if (s.undated > 0) {
    reason += `; ${plural(s.undated, 'task is', 'tasks are')} held by a worker with a pool slot free, since a moment the broker does not say (a clearly server knows)`;
  }
  if (s.waiting > 0) reason += `; ${plural(s.waiting, 'task waits', 'tasks wait')} behind busy pool slots or for an ETA (queueing, not stuck)`;
  if (s.note !== null) reason += `; ${s.note}`;
  return { threshold: t, status, value: oldest, bound, summary, reason, perf: perfOf(t, 'oldest_running', oldest, 's') };
}

function heartbeatVerdict(t: Of<'max-heartbeat-age'>, m: Measurements): Verdict {
  const h = m.heartbeat;
  if (h === undefined || !h.ok) return unknownVerdict(t, 'heartbeat age', h?.reason ?? NOT_MEASURED, perfOf(t, 'heartbeat_age', null, 's'));
  if (h.workers.length === 0) {
    return unknownVerdict(t, 'heartbeat age', 'no live worker to measure', perfOf(t, 'heartbeat_age', null, 's'));
  }
  // The stalest worker decides; among equal values a bound outranks an exact one.
  let stalest = h.workers[0]!;
  for (const w of h.workers) {
    if (w.ageSeconds > stalest.ageSeconds || (w.ageSeconds === stalest.ageSeconds && w.bound !== 'exact')) stalest = w;
  }
  const bound: Bound = h.workers.every((w) => w.bound === 'exact') ? 'exact' : stalest.bound === 'exact' ? 'at-least' : stalest.bound;
  const status = judge(stalest.ageSeconds, bound, t.levels, 'max');
  const age = `${BOUND_WORD[bound]}${formatSeconds(stalest.ageSeconds)}`;
  const silent = h.workers.filter((w) => w.bound !== 'exact').map((w) => w.hostname);
  let summary: string;
  let reason: string;
  if (status === 'OK') {
    summary = `heartbeats ${age} old`;
    reason = `the stalest of ${plural(h.workers.length, 'live worker', 'live workers')} is ${stalest.hostname}, heard from ${age} ago`;
  } else if (status === 'UNKNOWN') {
    reason = `no heartbeat from ${silent.join(', ')} for ${age}, which does not tell whether it passed ${compactDuration(t.levels.critical)}`;
    summary = `heartbeat age unknown (${reason})`;
  } else {
    summary = `heartbeat of ${stalest.hostname} ${age} old`;
    reason = `${stalest.hostname} was last heard from ${age} ago`;
  }
  return { threshold: t, status, value: stalest.ageSeconds, bound, summary, reason, perf: perfOf(t, 'heartbeat_age', stalest.ageSeconds, 's') };
}

function lostVerdict(t: Of<'max-lost'>, m: Measurements): Verdict {
  const l = m.lost;
  if (l === undefined || !l.ok) return unknownVerdict(t, 'lost tasks', l?.reason ?? NOT_MEASURED, perfOf(t, 'lost', null, ''));
  const status = judge(l.count, 'exact', t.levels, 'max');
  const first = l.oldest[0];
  const summary = `${plural(l.count, 'lost task', 'lost tasks')}`;
  let reason =
    first === undefined
      ? 'no task was left RECEIVED or STARTED on a worker that went offline'
      : `${plural(l.count, 'task was', 'tasks were')} left on a worker that went offline; longest: ${first.state} ${first.name ?? '<unknown task>'} ` +
        `${first.uuid} on ${first.worker ?? 'no known worker'}, lost ${formatSeconds(first.ageSeconds)} ago (clearly tasks --lost lists them)`;
  if (l.note !== null) reason += `; ${l.note}`;
  return { threshold: t, status, value: l.count, bound: 'exact', summary, reason, perf: perfOf(t, 'lost', l.count, '') };
}

function eventsOffVerdict(t: Of<'max-events-off'>, m: Measurements): Verdict {
  const e = m.eventsOff;
  if (e === undefined || !e.ok) return unknownVerdict(t, 'workers without events', e?.reason ?? NOT_MEASURED, perfOf(t, 'events_off', null, ''));
  const n = e.workers.length;
  const status = judge(n, 'exact', t.levels, 'max');
  const summary = n === 0 ? 'every worker sends events' : `${plural(n, 'worker', 'workers')} without events`;
  let reason =
    n === 0
      ? `no worker of ${e.judged} seen runs tasks without sending task events`
      : `${e.workers.join(', ')}: their tasks do not show in any monitor; start them with -E (or worker_send_task_events = True), or run clearly enable-events`;
  if (e.note !== null) reason += `; ${e.note}`;
  return { threshold: t, status, value: n, bound: 'exact', summary, reason, perf: perfOf(t, 'events_off', n, '') };
}

type Judges = { [K in Threshold['kind']]: (t: Of<K>, m: Measurements, plan: CheckPlan) => Verdict };

/** Exhaustive: a threshold kind without a judge does not compile. */
const JUDGES: Judges = {
  'min-workers': workersVerdict,
  'max-failure-rate': failureRateVerdict,
  'max-failures': failuresVerdict,
  'max-queue': queueVerdict,
  'max-silence': silenceVerdict,
  'max-stuck': stuckVerdict,
  'max-heartbeat-age': heartbeatVerdict,
  'max-lost': lostVerdict,
  'max-events-off': eventsOffVerdict,
};

export function evaluateThreshold(t: Threshold, m: Measurements, plan: CheckPlan): Verdict {
  return (JUDGES[t.kind] as (t: Threshold, m: Measurements, plan: CheckPlan) => Verdict)(t, m, plan);
}

export function evaluate(plan: CheckPlan, m: Measurements): CheckResult {
  const verdicts = plan.thresholds.map((t) => evaluateThreshold(t, m, plan));
  const status = worst(verdicts.map((v) => v.status));
  return { status, exitCode: STATUS_EXIT[status], verdicts };
}

/** Every threshold UNKNOWN for one reason (the server or broker could not be reached). */
export function allUnknown(plan: CheckPlan, reason: string): CheckResult {
  const u = unmeasured(reason);
  return evaluate(plan, {
    workers: u,
    failures: u,
    queues: new Map(plan.thresholds.flatMap((t) => (t.kind === 'max-queue' ? [[t.queue, u] as const] : []))),
    silence: u,
    stuck: u,
    heartbeat: u,
    lost: u,
    eventsOff: u,
  });
}

/**
 * `stats --by-name`: per task name, how many tasks, in which final states, the failure share, the
 * retries, and p50/p95/p99 of each latency leg: queued (sent -> received), prefetched (received ->
 * started: waiting in the worker), runtime (started -> done; Celery's own runtime when the event
 * carried it) and total (sent -> done). A leg with a missing end is not sampled; a negative one
 * (clock skew between hosts) counts as 0.
 */
import { Reservoir, type Quantiles } from './percentiles.js';
import type { TaskSample } from './sample.js';

export const LEGS = ['queued', 'prefetched', 'runtime', 'total'] as const;
export type Leg = (typeof LEGS)[number];

export interface NameRow {
  readonly name: string;
  readonly count: number;
  readonly states: Readonly<Record<string, number>>;
  /** FAILURE's share of `count`, in percent, one decimal. */
  readonly failurePct: number;
  readonly retries: number;
  /** Seconds. */
  readonly legs: Readonly<Record<Leg, Quantiles | null>>;
}

interface Acc {
  count: number;
  readonly states: Map<string, number>;
  retries: number;
  readonly legs: Record<Leg, Reservoir>;
}

/** The name a task without one is listed under. */
export const UNNAMED = '(unknown)';

export class ByName {
  private readonly names = new Map<string, Acc>();

  constructor(private readonly sampleCap?: number) {}

  add(t: TaskSample): void {
    const name = t.name ?? UNNAMED;
    let a = this.names.get(name);
    if (a === undefined) {
      const r = (): Reservoir => new Reservoir(this.sampleCap);
      a = { count: 0, states: new Map(), retries: 0, legs: { queued: r(), prefetched: r(), runtime: r(), total: r() } };
      this.names.set(name, a);
    }
    a.count++;
    a.states.set(t.state, (a.states.get(t.state) ?? 0) + 1);
    a.retries += t.retries;
    const done = t.succeeded ?? t.failed;
    leg(a.legs.queued, t.sent, t.received);
    leg(a.legs.prefetched, t.received, t.started);
    if (t.runtime !== null && t.succeeded !== null) a.legs.runtime.add(Math.max(0, t.runtime));
    else leg(a.legs.runtime, t.started, done);
    leg(a.legs.total, t.sent, done);
  }

  /** One row per name, the busiest first (then by name). */
  rows(): NameRow[] {
    const out: NameRow[] = [];
    for (const [name, a] of this.names) {
      const failures = a.states.get('FAILURE') ?? 0;
      out.push({
        name,
        count: a.count,
        states: Object.fromEntries([...a.states].sort(([x], [y]) => x.localeCompare(y))),
        failurePct: Math.round((failures / a.count) * 1000) / 10,
        retries: a.retries,
        legs: { queued: a.legs.queued.quantiles(), prefetched: a.legs.prefetched.quantiles(), runtime: a.legs.runtime.quantiles(), total: a.legs.total.quantiles() },
      });
    }
    return out.sort((x, y) => y.count - x.count || x.name.localeCompare(y.name));
  }
}

function leg(r: Reservoir, from: number | null, to: number | null): void {
  if (from === null || to === null) return;
  r.add(Math.max(0, to - from));
}

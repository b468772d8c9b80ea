/**
 * Scrape cost: `/metrics` rendered from a ServerMetrics holding ~10k series (sample lines: every
 * histogram bucket counts), the way `clearly server` renders it at each scrape. The render runs on
 * the event loop, so its duration is how long one scrape holds ingest off; events are not lost
 * meanwhile (the broker and the socket buffer them), they wait.
 */
import type { TaskEvent, TaskSubject, WorkerEvent } from '../src/engine/events/types.js';
import { exposition } from '../src/engine/metrics/prom-registry.js';
import { ServerMetrics } from '../src/engine/metrics/server-metrics.js';
import { State } from '../src/engine/state/state.js';
import { withUnit, type BenchContext, type Measurement, type MeasurementBody } from './lib/context.js';
import { median, sig } from './lib/stats.js';

export const TARGET_SERIES = 10_000;
/** A scrape may hold ingest off this long at most (200k events/s x 50 ms = 10k events buffered). */
export const TARGET_SCRAPE_MS = 50;

let clock = 0;
function tev(subject: TaskSubject, uuid: string, t: number, name: string, host: string): TaskEvent {
  return {
    kind: 'task', type: `task-${subject}`, subject, uuid, hostname: subject === 'sent' ? `gen1@${host}` : `w1@${host}`,
    timestamp: t, clock: ++clock, pid: 1, utcoffset: 0, name, queue: `q${name.length % 4}`,
    ...(subject === 'succeeded' ? { runtime: 0.01 + (clock % 100) / 100 } : {}),
    ...(subject === 'failed' ? { exception: `Err${clock % 3}('x')` } : {}),
  };
}

/** A ServerMetrics fed real lifecycles over enough names and hosts to reach `target` sample lines. */
async function filled(target: number): Promise<{ metrics: ServerMetrics; lines: number; text: () => Promise<string> }> {
  const metrics = new ServerMetrics();
  const state = new State({ maxTasks: 10_000, maxWorkers: 1_000 });
  const feed = (ev: TaskEvent | WorkerEvent): void => {
    for (const c of state.apply(ev, ev.timestamp)) metrics.onChange(c, ev.timestamp);
  };
  const expo = exposition(() => metrics.families());
  const count = async (): Promise<number> => (await expo.text()).split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  let n = 0;
  for (let round = 0; ; round++) {
    for (let i = 0; i < 10; i++) {
      const name = `app.tasks.t${round}_${i}`;
      for (let h = 0; h < 4; h++) {
        const uuid = `u${n++}`;
        const t = 1000 + n;
        feed(tev('sent', uuid, t, name, `host-${h}`));
        feed(tev('received', uuid, t + 0.01, name, `host-${h}`));
        feed(tev('started', uuid, t + 0.02, name, `host-${h}`));
        feed(tev(n % 7 === 0 ? 'failed' : 'succeeded', uuid, t + 0.3, name, `host-${h}`));
      }
    }
    const lines = await count();
    if (lines >= target) return { metrics, lines, text: () => expo.text() };
  }
}

async function run(ctx: BenchContext): Promise<MeasurementBody> {
  const runs = ctx.quick ? 10 : 50;
  const { metrics, lines, text } = await filled(TARGET_SERIES);
  ctx.log(`scrape: ${lines} sample lines (${metrics.seriesCount} series objects), ${runs} renders`);
  for (let i = 0; i < 5; i++) await text(); // warm-up
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    bytes = (await text()).length;
    ms.push(performance.now() - t0);
  }
  const med = median(ms);
  const max = Math.max(...ms);
  return {
    figures: [
      { label: `render /metrics, ${lines} sample lines`, value: sig(med, 3), unit: 'ms (median)' },
      { label: `render /metrics, ${lines} sample lines, slowest of ${runs}`, value: sig(max, 3), unit: 'ms' },
      { label: 'exposition size', value: Math.round(bytes / 1024), unit: 'KiB' },
    ],
    targets: [
      {
        what: `one scrape of ${lines} sample lines holds ingest off (median render)`,
        target: `≤ ${TARGET_SCRAPE_MS} ms`,
        actual: withUnit(med, 'ms', 1),
        met: med <= TARGET_SCRAPE_MS,
      },
    ],
    notes: [
      `Series made by real lifecycles through the reducer (${metrics.seriesCount} series objects over celery-exporter's and clearly's families; a histogram is one object and ${lines / metrics.seriesCount > 1 ? 'many' : 'one'} sample lines): 10 names per round x 4 hosts, until the exposition had ≥ ${TARGET_SERIES} sample lines.`,
      'Rendering is prom-client\'s Registry over custom metrics whose get() reads the series as they are (label objects built once per series, at its first scrape); the event path only increments numbers, so ingest pays nothing per event for the scrape, and a scrape holds the event loop for the render time shown (events wait in the socket and broker buffers meanwhile; nothing is dropped).',
    ],
  };
}

export const scrape: Measurement = { name: 'scrape', title: '/metrics scrape cost', run };

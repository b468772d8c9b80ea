/**
 * The compatibility claim, checked: celery-exporter (run from its source beside a raw capture of
 * the same real workload, test/celery/exporter-fixture.ts) wrote test/fixtures/celery-exporter/
 * exposition.prom; the captured events, replayed through clearly's decoder, reducer and metrics,
 * give the same families (names, types, help, label names, buckets) and the same series with the
 * same values. The per-queue gauges come from a live poll, not from events: for them the families
 * are compared, not the values. A second worker went offline before the scrape (worker_up 0,
 * kept), and a second exporter purged its host (exposition-purge.prom): compared the same way.
 */
import { describe, expect, it } from 'vitest';
import type { RawMessage } from '../../../src/engine/events/types.js';
import { CeleryExporterMetrics, type CeleryExporterOptions } from '../../../src/engine/metrics/celery-exporter.js';
import { exposition } from '../../../src/engine/metrics/prom-registry.js';
import { Pipeline } from '../../../src/engine/pipeline.js';
import { State } from '../../../src/engine/state/state.js';
import { readFileSync } from 'node:fs';
import { FIXTURES, readNdjson } from '../../helpers/fixtures.js';
import { parseExposition, type Exposition, type Sample } from '../../helpers/prom.js';

const POLLED = /^[a-z]+_(queue_length|active_consumer_count|active_worker_count|active_process_count)$/;

/** When each exposition was scraped, and the second exporter's --purge-offline-worker-metrics. */
const SCRAPES = JSON.parse(readFileSync(`${FIXTURES}celery-exporter/scrapes.json`, 'utf8')) as { exposition: number; purge: number; flags: number; purgeAfterSeconds: number; flagArgs: string[] };

async function replay(o: CeleryExporterOptions & { scrapedAt?: number } = {}): Promise<Exposition> {
  const lines = readNdjson<{ t: number; channel: string; raw_b64: string }>('celery-exporter/redis-events.ndjson');
  const { scrapedAt: _, ...options } = o;
  const metrics = new CeleryExporterMetrics(options);
  const state = new State({ maxTasks: 10_000, maxWorkers: 100 });
  let now = 0;
  const pipeline = new Pipeline(state, (c) => metrics.onChange(c, now), () => {});
  for (const l of lines) {
    now = l.t;
    const raw: RawMessage = { transport: 'redis', channel: l.channel, payload: Buffer.from(l.raw_b64, 'base64') };
    pipeline.handle(raw, now);
  }
  // The exporter's poll found the worker's queue; clearly's poll would too (its values are not events).
  metrics.onQueue({ queue: 'fixture', length: 0, consumers: null, workers: 1, processes: 2 });
  // As exporter.py's scrape: hosts past the purge window go first.
  metrics.purge(o.scrapedAt ?? SCRAPES.exposition);
  return parseExposition(await exposition(() => metrics.families()).text());
}

const theirs = parseExposition(readFileSync(`${FIXTURES}celery-exporter/exposition.prom`, 'utf8'));
const theirsPurged = parseExposition(readFileSync(`${FIXTURES}celery-exporter/exposition-purge.prom`, 'utf8'));
const theirsFlags = parseExposition(readFileSync(`${FIXTURES}celery-exporter/exposition-flags.prom`, 'utf8'));
/** The third exporter's flags, in clearly's terms (--metric-prefix, --metric-static-label, --metrics-generic-hostname sent,worker, --metrics-default-queue). */
const FLAGS: CeleryExporterOptions = { prefix: 'acme_', staticLabels: [['env', 'prod'], ['region', 'eu']], genericHostnameSent: true, genericHostnameWorker: true, defaultQueue: 'dq' };
const families = (e: Exposition): string[] => [...e.types.keys()].filter((n) => !n.endsWith('_created')).sort();
const base = (name: string): string => name.replace(/_(bucket|count|sum)$/, '');
const key = (s: Sample): string => `${s.name}{${Object.entries(s.labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(',')}}`;
const series = (e: Exposition, polled: boolean): Map<string, number> =>
  new Map(e.samples.filter((s) => !s.name.endsWith('_created') && POLLED.test(base(s.name)) === polled).map((s) => [key(s), s.value]));

describe("clearly's exposition against celery-exporter's, on the same events", () => {
  it('has every family, and only those, with the same type and help', async () => {
    const ours = await replay();
    expect(families(ours)).toEqual(families(theirs));
    expect(families(theirs)).toHaveLength(16);
    for (const f of families(theirs)) {
      expect([f, ours.types.get(f)]).toEqual([f, theirs.types.get(f)]);
      expect([f, ours.help.get(f)]).toEqual([f, theirs.help.get(f)]);
    }
  });

  it('has the same label names per family and the same buckets per histogram', async () => {
    const ours = await replay();
    const labelNames = (e: Exposition, f: string) =>
      [...new Set(e.samples.filter((s) => base(s.name) === f || s.name === f).flatMap((s) => Object.keys(s.labels)))].sort();
    for (const f of families(theirs)) expect([f, labelNames(ours, f)]).toEqual([f, labelNames(theirs, f)]);
    const buckets = (e: Exposition, f: string) => [...new Set(e.samples.filter((s) => s.name === `${f}_bucket`).map((s) => s.labels['le']))];
    for (const f of ['celery_task_runtime', 'celery_task_queue_wait_time']) {
      expect(buckets(theirs, f).length).toBe(15);
      expect(buckets(ours, f)).toEqual(buckets(theirs, f));
    }
  });

  it('has the same series with the same values (counters, histograms, worker gauges)', async () => {
    const ours = series(await replay(), false);
    const expected = series(theirs, false);
    expect(expected.size).toBeGreaterThan(200);
    expect([...ours.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [k, v] of expected) {
      const mine = ours.get(k)!;
      expect([k, Math.abs(mine - v) <= 1e-6 * Math.max(1, Math.abs(v))]).toEqual([k, true]);
    }
    // The workload had failures, retries, revokes and a rejection: every counter was exercised.
    for (const c of ['failed', 'retried', 'revoked', 'rejected', 'succeeded']) {
      expect([...expected].some(([k, v]) => k.startsWith(`celery_task_${c}_total{`) && v > 0)).toBe(true);
    }
  });

  it('a worker that said worker-offline: worker_up and tasks_active 0, kept, as exporter.py forget_worker', async () => {
    const ours = series(await replay(), false);
    const expected = series(theirs, false);
    for (const k of ['celery_worker_up{hostname=gonehost}', 'celery_worker_tasks_active{hostname=gonehost}']) {
      expect([k, expected.get(k)]).toEqual([k, 0]);
      expect([k, ours.get(k)]).toEqual([k, 0]);
    }
    expect([...expected.keys()].filter((k) => k.includes('hostname=gonehost')).length).toBeGreaterThan(20);
  });

  it('purged past --purge-offline-worker-metrics from the last heartbeat: the same series as the purging exporter', async () => {
    const ours = series(await replay({ purgeOfflineAfterSeconds: SCRAPES.purgeAfterSeconds, scrapedAt: SCRAPES.purge }), false);
    const expected = series(theirsPurged, false);
    expect([...expected.keys()].some((k) => k.includes('gonehost'))).toBe(false);
    expect(expected.get('celery_worker_up{hostname=vm}')).toBe(1);
    expect([...ours.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [k, v] of expected) expect([k, Math.abs(ours.get(k)! - v) <= 1e-6 * Math.max(1, Math.abs(v))]).toEqual([k, true]);
  });

  it("with the cardinality flags (prefix, static labels, generic hostnames, default queue): the flagged exporter's families and series", async () => {
    expect(SCRAPES.flagArgs).toEqual([
      '--metric-prefix', 'acme_', '--static-label', 'env=prod', '--static-label', 'region=eu',
      '--generic-hostname-task-sent-metric', '--generic-hostname-worker-task-metric', '--default-queue-name', 'dq',
    ]);
    const e = await replay({ ...FLAGS, scrapedAt: SCRAPES.flags });
    expect(families(e)).toEqual(families(theirsFlags));
    expect(families(theirsFlags).every((f) => f.startsWith('acme_'))).toBe(true);
    for (const f of families(theirsFlags)) expect([f, e.types.get(f)]).toEqual([f, theirsFlags.types.get(f)]);
    const ours = series(e, false);
    const expected = series(theirsFlags, false);
    // Task series carry hostname="generic" (the worker gauges keep the real host), every series both static labels.
    expect([...expected.keys()].filter((k) => k.startsWith('acme_task_')).every((k) => k.includes('hostname=generic') && k.includes('env=prod') && k.includes('region=eu'))).toBe(true);
    expect([...expected.keys()].some((k) => k.includes('queue_name=dq'))).toBe(true);
    expect([...ours.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [k, v] of expected) expect([k, Math.abs(ours.get(k)! - v) <= 1e-6 * Math.max(1, Math.abs(v))]).toEqual([k, true]);
    expect([...series(e, true).keys()].sort()).toEqual([...series(theirsFlags, true).keys()].sort());
  });

  it('has the polled queue gauges under the same series', async () => {
    const ours = series(await replay(), true);
    expect([...ours.keys()].sort()).toEqual([...series(theirs, true).keys()].sort());
  });
});

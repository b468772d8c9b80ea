/**
 * The exposition edge: clearly's families as prom-client metrics in one prom-client Registry,
 * which writes the Prometheus text format (escaping, HELP/TYPE lines, content type). Each family
 * is a custom metric whose `get()` reads its series at scrape time: the event path never touches
 * prom-client (its `labels().inc()` hashes the label values on every call).
 *
 * Static labels (--metric-static-label) are already in each family's label names and values.
 */
import { Registry, type Metric } from 'prom-client';
import type { Family, Series } from './families.js';

interface Sample {
  value: number;
  labels: Record<string, string>;
  metricName?: string;
}

interface CustomMetric {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator: 'sum';
  collect(): void;
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: Sample[] }>;
  reset(): void;
}

/** Python's floatToGoString, as prometheus_client spells `le`: 1 -> "1.0", Infinity -> "+Inf". */
export function goFloat(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

function labelsOf(f: Family, s: Series): Record<string, string> {
  if (s.labels === null) {
    const l: Record<string, string> = {};
    const names = f.spec.labelNames;
    for (let i = 0; i < names.length; i++) l[names[i]!] = s.values[i]!;
    s.labels = l;
  }
  return s.labels;
}

function bucketLabelsOf(f: Family, s: Series): Record<string, string>[] {
  if (s.bucketLabels === null) {
    const base = labelsOf(f, s);
    s.bucketLabels = f.buckets.map((b) => ({ ...base, le: goFloat(b) }));
  }
  return s.bucketLabels;
}

/** The samples of one family, read now. */
export function samples(f: Family): Sample[] {
  const out: Sample[] = [];
  const name = f.spec.name;
  if (f.spec.type !== 'histogram') {
    for (const s of f.all()) out.push({ value: s.value, labels: labelsOf(f, s) });
    return out;
  }
  for (const s of f.all()) {
    const counts = s.bucketCounts!;
    const bl = bucketLabelsOf(f, s);
    let cumulative = 0;
    for (let i = 0; i < counts.length; i++) {
      cumulative += counts[i]!;
      out.push({ value: cumulative, labels: bl[i]!, metricName: `${name}_bucket` });
    }
    const labels = labelsOf(f, s);
    out.push({ value: s.count, labels, metricName: `${name}_count` });
    out.push({ value: s.sum, labels, metricName: `${name}_sum` });
  }
  return out;
}

function customMetric(f: Family): CustomMetric {
  const { name, help, type } = f.spec;
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    collect: () => {},
    reset: () => {},
    get: async () => {
      return { name, help, type, aggregator: 'sum', values: samples(f) };
    },
  };
}

export interface Exposition {
  readonly contentType: string;
  /** The whole text exposition, read now. */
  text(): Promise<string>;
}

/**
 * A registry over `families` (read in this order). `beforeScrape` runs once per scrape, before
 * any family is read (the purge of offline hosts).
 */
export function exposition(families: () => readonly Family[], beforeScrape: () => void = () => {}): Exposition {
  return {
    contentType: new Registry().contentType,
    async text() {
      beforeScrape();
      // A fresh registry per scrape: the family list can change (a reset, a compat set) and a
      // registry is only a list of names; building it costs one object per family.
      const registry = new Registry();
      for (const f of families()) registry.registerMetric(customMetric(f) as unknown as Metric);
      return registry.metrics();
    },
  };
}

/**
 * `clearly server`'s metrics flags, parsed: where /metrics listens (`--metrics [HOST:]PORT`, `off`,
 * or the default 127.0.0.1:9808, celery-exporter's port), whether that was asked for explicitly
 * (a taken port is then exit 75, not a warning), and celery-exporter's own options' equivalents
 * (prefix, static labels, generic hostnames, default queue, purge window, histogram buckets).
 */
import { COMPAT_SETS, type CompatSet, type ServerMetricsOptions } from '../engine/metrics/server-metrics.js';
import { UsageError } from '../errors.js';

export const DEFAULT_METRICS_HOST = '127.0.0.1';
export const DEFAULT_METRICS_PORT = 9808;

export type MetricsAddress =
  | { readonly kind: 'off' }
  | { readonly kind: 'listen'; readonly host: string; readonly port: number; readonly explicit: boolean };

/** `9808`, `:9808`, `0.0.0.0:9808`, `[::1]:9808`, `off`; undefined or '' is the default address. */
export function parseMetricsAddress(value: string | undefined): MetricsAddress {
  if (value === undefined || value === '') return { kind: 'listen', host: DEFAULT_METRICS_HOST, port: DEFAULT_METRICS_PORT, explicit: false };
  const v = value.trim();
  if (/^(off|none|false|no)$/i.test(v)) return { kind: 'off' };
  const m = /^(?:(\[[0-9a-f:.]+\]|[^:\s]*):)?(\d+)$/i.exec(v);
  const port = Number(m?.[2]);
  if (m === null || !Number.isInteger(port) || port > 65_535) {
    throw new UsageError(`--metrics (CLEARLY_METRICS) must be [HOST:]PORT or off, got ${JSON.stringify(value)}; e.g. --metrics 127.0.0.1:9808`);
  }
  const host = m[1] === undefined || m[1] === '' ? DEFAULT_METRICS_HOST : m[1];
  return { kind: 'listen', host, port, explicit: true };
}

export interface MetricsFlags {
  readonly metricPrefix: string;
  readonly metricStaticLabel: readonly string[] | undefined;
  readonly metricsGenericHostname: readonly string[] | undefined;
  readonly metricsDefaultQueue: string;
  readonly metricsPurgeOffline: number;
  readonly metricsCompat?: readonly string[] | undefined;
  /** celery-exporter's --buckets / --queue-wait-buckets: comma-separated seconds. */
  readonly metricsBuckets?: string | undefined;
  readonly metricsQueueWaitBuckets?: string | undefined;
}

/**
 * `0.1,0.5,1,5` -> [0.1, 0.5, 1, 5] (celery-exporter's `--buckets` format; `inf` allowed last,
 * +Inf is appended anyway). Increasing, at least one finite bound.
 */
export function parseBuckets(value: string, flag: string): number[] {
  const parts = value.split(',').map((x) => x.trim());
  const out = parts.map((x) => (/^\+?inf$/i.test(x) ? Infinity : x === '' ? NaN : Number(x)));
  const bad = out.findIndex((v, i) => Number.isNaN(v) || (v === Infinity && i !== out.length - 1) || (i > 0 && v <= out[i - 1]!));
  if (bad !== -1 || !Number.isFinite(out[0])) {
    throw new UsageError(`${flag} must be increasing numbers of seconds separated by commas, got ${JSON.stringify(value)}; e.g. ${flag} 0.1,0.5,1,5,30`);
  }
  return out;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function celeryExporterOptions(f: MetricsFlags): ServerMetricsOptions {
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(f.metricPrefix) && f.metricPrefix !== '') {
    throw new UsageError(`--metric-prefix must be a valid Prometheus metric name prefix, got ${JSON.stringify(f.metricPrefix)}`);
  }
  const staticLabels = (f.metricStaticLabel ?? []).map((pair): [string, string] => {
    const eq = pair.indexOf('=');
    const name = eq === -1 ? '' : pair.slice(0, eq);
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      throw new UsageError(`--metric-static-label must be NAME=VALUE with a Prometheus label name, got ${JSON.stringify(pair)}`);
    }
    return [name, pair.slice(eq + 1)];
  });
  const generic = new Set(f.metricsGenericHostname ?? []);
  for (const g of generic) {
    if (g !== 'sent' && g !== 'worker') throw new UsageError(`--metrics-generic-hostname takes sent or worker, got ${JSON.stringify(g)}`);
  }
  const compat = (f.metricsCompat ?? []).map((c): CompatSet => {
    if (!(COMPAT_SETS as readonly string[]).includes(c)) throw new UsageError(`--metrics-compat takes ${COMPAT_SETS.join(', ')}, got ${JSON.stringify(c)}`);
    return c as CompatSet;
  });
  const buckets = f.metricsBuckets === undefined || f.metricsBuckets === '' ? undefined : parseBuckets(f.metricsBuckets, '--metrics-buckets');
  const waitBuckets =
    f.metricsQueueWaitBuckets === undefined || f.metricsQueueWaitBuckets === '' ? undefined : parseBuckets(f.metricsQueueWaitBuckets, '--metrics-queue-wait-buckets');
  return {
    compat,
    ...(buckets === undefined ? {} : { runtimeBuckets: buckets }),
    ...(waitBuckets === undefined ? {} : { queueWaitBuckets: waitBuckets }),
    prefix: f.metricPrefix,
    staticLabels,
    defaultQueue: f.metricsDefaultQueue,
    genericHostnameSent: generic.has('sent'),
    genericHostnameWorker: generic.has('worker'),
    purgeOfflineAfterSeconds: f.metricsPurgeOffline,
  };
}

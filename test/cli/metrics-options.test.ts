import { describe, expect, it } from 'vitest';
import { celeryExporterOptions, parseBuckets, parseMetricsAddress } from '../../src/cli/metrics-options.js';
import { UsageError } from '../../src/errors.js';

describe('--metrics', () => {
  it('defaults to 127.0.0.1:9808, not explicit; off disables; [HOST:]PORT is explicit', () => {
    expect(parseMetricsAddress(undefined)).toEqual({ kind: 'listen', host: '127.0.0.1', port: 9808, explicit: false });
    expect(parseMetricsAddress('off')).toEqual({ kind: 'off' });
    expect(parseMetricsAddress('OFF')).toEqual({ kind: 'off' });
    expect(parseMetricsAddress('9900')).toEqual({ kind: 'listen', host: '127.0.0.1', port: 9900, explicit: true });
    expect(parseMetricsAddress(':9900')).toEqual({ kind: 'listen', host: '127.0.0.1', port: 9900, explicit: true });
    expect(parseMetricsAddress('0.0.0.0:9808')).toEqual({ kind: 'listen', host: '0.0.0.0', port: 9808, explicit: true });
    expect(parseMetricsAddress('[::1]:9808')).toEqual({ kind: 'listen', host: '[::1]', port: 9808, explicit: true });
  });
  it('rejects what is not an address, naming the flag and its env var', () => {
    for (const bad of ['localhost', '99999', 'a:b', 'http://x:1']) {
      expect(() => parseMetricsAddress(bad)).toThrow(UsageError);
      expect(() => parseMetricsAddress(bad)).toThrow(/--metrics \(CLEARLY_METRICS\)/);
    }
  });
});

describe("celery-exporter's options", () => {
  const base = { metricPrefix: 'celery_', metricStaticLabel: undefined, metricsGenericHostname: undefined, metricsDefaultQueue: 'celery', metricsPurgeOffline: 600 };
  it('static labels NAME=VALUE, generic hostnames sent/worker', () => {
    const o = celeryExporterOptions({ ...base, metricStaticLabel: ['env=prod', 'team=a=b'], metricsGenericHostname: ['sent'] });
    expect(o.staticLabels).toEqual([['env', 'prod'], ['team', 'a=b']]);
    expect([o.genericHostnameSent, o.genericHostnameWorker]).toEqual([true, false]);
  });
  it("histogram buckets as celery-exporter's --buckets / --queue-wait-buckets take them; defaults unset", () => {
    const o = celeryExporterOptions({ ...base, metricsBuckets: '0.1, 0.5,1,5', metricsQueueWaitBuckets: '1,60,inf' });
    expect([o.runtimeBuckets, o.queueWaitBuckets]).toEqual([[0.1, 0.5, 1, 5], [1, 60, Infinity]]);
    const d = celeryExporterOptions(base);
    expect(['runtimeBuckets' in d, 'queueWaitBuckets' in d]).toEqual([false, false]);
    for (const bad of ['', '1,0.5', '1,,2', 'a', 'inf', 'inf,1', '1,1']) expect(() => parseBuckets(bad, '--metrics-buckets')).toThrow(/--metrics-buckets must be increasing/);
    expect(() => celeryExporterOptions({ ...base, metricsQueueWaitBuckets: '5,1' })).toThrow(/--metrics-queue-wait-buckets/);
  });

  it('rejects a bad label, a bad prefix, an unknown generic hostname kind', () => {
    expect(() => celeryExporterOptions({ ...base, metricStaticLabel: ['1x=y'] })).toThrow(/--metric-static-label/);
    expect(() => celeryExporterOptions({ ...base, metricStaticLabel: ['novalue'] })).toThrow(/--metric-static-label/);
    expect(() => celeryExporterOptions({ ...base, metricPrefix: 'a-b' })).toThrow(/--metric-prefix/);
    expect(() => celeryExporterOptions({ ...base, metricsGenericHostname: ['all'] })).toThrow(/--metrics-generic-hostname/);
  });
});

/**
 * Every metric `clearly server` exposes, fed from one place: celery-exporter's set (always, the
 * default that dashboards read), clearly's own under `clearly_`, and Flower's set when asked
 * (`--metrics-compat flower`). One change from the reducer goes to each; a scrape reads them all.
 */
import type { Change } from '../model.js';
import { CeleryExporterMetrics, type CeleryExporterOptions } from './celery-exporter.js';
import { ClearlyMetrics, type CollectorSnapshot } from './clearly-metrics.js';
import type { Family } from './families.js';
import { FlowerMetrics } from './flower.js';

export const COMPAT_SETS = ['flower'] as const;
export type CompatSet = (typeof COMPAT_SETS)[number];

export interface ServerMetricsOptions extends CeleryExporterOptions {
  readonly compat?: readonly CompatSet[];
}

export class ServerMetrics {
  readonly exporter: CeleryExporterMetrics;
  readonly clearly: ClearlyMetrics;
  readonly flower: FlowerMetrics | null;

  constructor(o: ServerMetricsOptions = {}) {
    this.exporter = new CeleryExporterMetrics(o);
    this.clearly = new ClearlyMetrics({ ...(o.staticLabels ? { staticLabels: o.staticLabels } : {}), ...(o.defaultQueue ? { defaultQueue: o.defaultQueue } : {}) });
    this.flower = o.compat?.includes('flower') ? new FlowerMetrics() : null;
  }

  onChange(change: Change, now: number): void {
    if (change.kind === 'task') {
      // One lookup for both sets: clearly's legs hang on celery-exporter's combo (same name and queue).
      const combo = this.exporter.onTask(change);
      if (combo !== null) this.clearly.onTask(change, combo);
    } else {
      this.exporter.onChange(change, now);
    }
    this.flower?.onChange(change);
  }

  /** Before a scrape: purge hosts offline too long, read the collector's own numbers. */
  beforeScrape(now: number, snapshot: CollectorSnapshot): void {
    this.exporter.purge(now);
    this.clearly.update(snapshot);
  }

  families(): Family[] {
    return [...this.exporter.families(), ...this.clearly.families(), ...(this.flower?.families() ?? [])];
  }

  clear(): void {
    this.exporter.clear();
    this.clearly.clear();
    this.flower?.clear();
  }

  get seriesCount(): number {
    let n = 0;
    for (const f of this.families()) n += f.size;
    return n;
  }
}

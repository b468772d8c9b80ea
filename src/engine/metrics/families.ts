/**
 * The metric families clearly exposes, held as plain numbers: a family is a name, a help line, a
 * type, label names and its series; a series is its label values and its value (a histogram's:
 * per-bucket counts, sum and count). Updating a series is a field write: no label object, no hash,
 * no allocation. The exposition edge (prom-registry.ts) reads the series at scrape time only.
 *
 * Callers on the hot path keep the series they got (celery-exporter.ts caches them by label
 * values); `series()` is the slow path that creates one, keyed by its joined label values.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface FamilySpec {
  /** The full name as exposed (a counter's includes `_total`). */
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly labelNames: readonly string[];
  /** Histograms: upper bounds, ascending, ending with +Inf (as Python's prometheus_client spells them). */
  readonly buckets?: readonly number[];
}

export class Series {
  value = 0;
  /** Histograms only: observations per bucket (not cumulative), the sum and the count. */
  readonly bucketCounts: Float64Array | null;
  sum = 0;
  count = 0;
  /** The exposition's label objects, built at the first scrape (never on the event path). */
  labels: Record<string, string> | null = null;
  bucketLabels: Record<string, string>[] | null = null;
  constructor(
    readonly values: readonly string[],
    buckets: number,
  ) {
    this.bucketCounts = buckets > 0 ? new Float64Array(buckets) : null;
  }
}

const SEP = '\u0000';

export class Family {
  readonly buckets: readonly number[];
  private readonly byKey = new Map<string, Series>();

  constructor(readonly spec: FamilySpec) {
    this.buckets = spec.buckets ?? [];
    if (spec.type === 'histogram') {
      if (this.buckets.length === 0 || this.buckets[this.buckets.length - 1] !== Infinity) {
        throw new Error(`${spec.name}: histogram buckets must end with +Inf`);
      }
    }
  }

  get size(): number {
    return this.byKey.size;
  }

  /** The series for these label values, created at zero if new (the slow path: callers cache it). */
  series(values: readonly string[]): Series {
    if (values.length !== this.spec.labelNames.length) {
      throw new Error(`${this.spec.name}: ${values.length} label values for ${this.spec.labelNames.length} labels`);
    }
    const key = values.join(SEP);
    let s = this.byKey.get(key);
    if (s === undefined) {
      s = new Series(values.slice(), this.spec.type === 'histogram' ? this.buckets.length : 0);
      this.byKey.set(key, s);
    }
    return s;
  }

  /** Removes every series one of whose label values is `value` (celery-exporter's purge of a host). */
  removeWithValue(value: string): number {
    let n = 0;
    for (const [key, s] of this.byKey) {
      if (s.values.includes(value)) {
        this.byKey.delete(key);
        n++;
      }
    }
    return n;
  }

  all(): IterableIterator<Series> {
    return this.byKey.values();
  }

  clear(): void {
    this.byKey.clear();
  }
}

/** One observation: the first bucket whose bound holds it (buckets are few: a scan beats a search). */
export function observe(family: Family, s: Series, v: number): void {
  const counts = s.bucketCounts;
  if (counts === null) return;
  const bounds = family.buckets;
  let i = 0;
  while (i < bounds.length - 1 && v > bounds[i]!) i++;
  counts[i]! += 1;
  s.sum += v;
  s.count += 1;
}

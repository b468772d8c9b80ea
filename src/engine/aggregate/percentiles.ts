/**
 * Latency samples per leg, bounded: up to `cap` values kept exactly, past it a uniform reservoir
 * (Vitter's algorithm R with a seeded generator, so a run is repeatable), and p50/p95/p99 by the
 * nearest-rank rule over what is kept.
 */

export interface Quantiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

export const DEFAULT_SAMPLE_CAP = 100_000;

export class Reservoir {
  private readonly values: number[] = [];
  private seen = 0;
  private seed = 0x2545f491;

  constructor(private readonly cap = DEFAULT_SAMPLE_CAP) {}

  get count(): number {
    return this.seen;
  }

  add(v: number): void {
    this.seen++;
    if (this.values.length < this.cap) {
      this.values.push(v);
      return;
    }
    const j = Math.floor(this.random() * this.seen);
    if (j < this.cap) this.values[j] = v;
  }

  /** Null when there is no sample. */
  quantiles(): Quantiles | null {
    if (this.values.length === 0) return null;
    const sorted = Float64Array.from(this.values).sort();
    return { p50: rank(sorted, 0.5), p95: rank(sorted, 0.95), p99: rank(sorted, 0.99) };
  }

  private random(): number {
    // xorshift32: enough for sampling, and deterministic.
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed / 0x1_0000_0000;
  }
}

/** Nearest rank: the smallest value with at least q of the samples at or below it. */
export function rank(sorted: Float64Array, q: number): number {
  const i = Math.max(0, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.min(i, sorted.length - 1)]!;
}

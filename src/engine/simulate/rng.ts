/**
 * A small seeded PRNG so a workload is reproducible from `--seed` (Math.random cannot be seeded).
 * sfc32: fast, 128-bit state, good enough statistics for picking task shapes and uuids.
 */
/** Two hex digits per byte value: uuid4() runs once per task, so no toString/padStart there. */
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex8 = (n: number): string => (HEX[n >>> 24] ?? '') + HEX[(n >>> 16) & 255] + HEX[(n >>> 8) & 255] + HEX[n & 255];

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 spreads a small integer seed over the whole state.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.float() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  /** Index chosen with the given relative weights. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] ?? 0;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** A random (version 4, variant 1) UUID string, as Python's `str(uuid.uuid4())`. */
  uuid4(): string {
    const a = this.u32();
    const b = this.u32();
    const c = ((this.u32() & 0x0fffffff) | 0x40000000) >>> 0; // version nibble: 4
    const d = ((this.u32() & 0x3fffffff) | 0x80000000) >>> 0; // variant bits
    return (
      hex8(a) + '-' + HEX[b >>> 24] + HEX[(b >>> 16) & 255] + '-' + HEX[c >>> 24] + HEX[(c >>> 16) & 255] + '-' +
      HEX[d >>> 24] + HEX[(d >>> 16) & 255] + '-' + HEX[(b >>> 8) & 255] + HEX[b & 255] + HEX[(c >>> 8) & 255] +
      HEX[c & 255] + HEX[(d >>> 8) & 255] + HEX[d & 255]
    );
  }
}

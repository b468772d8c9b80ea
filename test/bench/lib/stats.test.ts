import { describe, expect, it } from 'vitest';
import { median, percentile, sig, summarize } from '../../../bench/lib/stats.js';

describe('percentile (nearest rank)', () => {
  const xs = [15, 20, 35, 40, 50];

  it('picks the smallest sample with at least p% at or below it', () => {
    expect(percentile(xs, 5)).toBe(15);
    expect(percentile(xs, 30)).toBe(20);
    expect(percentile(xs, 40)).toBe(20);
    expect(percentile(xs, 50)).toBe(35);
    expect(percentile(xs, 100)).toBe(50);
  });

  it('p0 is the minimum, and the input order does not matter', () => {
    expect(percentile([9, 1, 5], 0)).toBe(1);
    expect(percentile([50, 15, 40, 20, 35], 50)).toBe(35);
  });

  it('p99 of 1..1000 is 990: a latency that really happened, no interpolation', () => {
    const ms = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(percentile(ms, 99)).toBe(990);
    expect(percentile(ms, 99.9)).toBe(999);
  });

  it('does not sort the caller’s array', () => {
    const a = [3, 1, 2];
    percentile(a, 50);
    expect(a).toEqual([3, 1, 2]);
  });

  it('refuses no samples and p outside 0..100', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('median', () => {
  it('is the middle sample of an odd count', () => {
    expect(median([7, 1, 3])).toBe(3);
  });
  it('is the mean of the two middle samples of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it('refuses no samples', () => {
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('gives every figure from one sort', () => {
    const s = summarize([5, 1, 4, 2, 3, 10, 6, 7, 8, 9]);
    expect(s).toEqual({ count: 10, min: 1, p50: 5, p90: 9, p99: 10, max: 10, mean: 5.5 });
  });
  it('refuses no samples', () => {
    expect(() => summarize([])).toThrow(RangeError);
  });
});

describe('sig', () => {
  it('rounds to significant digits', () => {
    expect(sig(123_456)).toBe(123_000);
    expect(sig(0.0012345)).toBe(0.00123);
    expect(sig(4.7512, 2)).toBe(4.8);
  });
  it('leaves 0 and non-finite values alone', () => {
    expect(sig(0)).toBe(0);
    expect(sig(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });
});

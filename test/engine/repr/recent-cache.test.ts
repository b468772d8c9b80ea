import { describe, expect, it } from 'vitest';
import { RecentCache } from '../../../src/engine/repr/recent-cache.js';

describe('RecentCache', () => {
  it('keeps at most two generations of `limit` entries, the recently used ones', () => {
    const c = new RecentCache<number>(3);
    for (const [i, k] of ['a', 'b', 'c'].entries()) c.set(k, i);
    c.set('d', 3); // young is full: a, b, c become the old generation
    expect(c.get('a')).toBe(0); // found in the old generation: moved to the young one
    c.set('e', 4);
    c.set('f', 5); // young (d, a, e) is full: it becomes old, b and c are forgotten
    expect([c.get('b'), c.get('c')]).toEqual([undefined, undefined]);
    expect([c.get('a'), c.get('d'), c.get('e'), c.get('f')]).toEqual([0, 3, 4, 5]);
    expect(c.size).toBeLessThanOrEqual(6);
  });

  it('stays bounded under any number of keys', () => {
    const c = new RecentCache<number>(100);
    for (let i = 0; i < 10_000; i++) c.set(`k${i}`, i);
    expect(c.size).toBeLessThanOrEqual(200);
    expect(c.get('k9999')).toBe(9999);
  });
});

import { describe, expect, it } from 'vitest';
import { nonFiniteToStrings } from '../../src/format/json-safe.js';

describe('nonFiniteToStrings', () => {
  it('turns NaN/Infinity/-Infinity into the strings repr-json.ts gives inf/-inf/nan, at any depth', () => {
    const value = { a: [1, NaN, [Infinity, { b: -Infinity }]], s: 'NaN', n: null, t: true, x: -0.5 };
    expect(nonFiniteToStrings(value)).toEqual({ a: [1, 'NaN', ['Infinity', { b: '-Infinity' }]], s: 'NaN', n: null, t: true, x: -0.5 });
    expect(nonFiniteToStrings(NaN)).toBe('NaN');
    expect(nonFiniteToStrings(-Infinity)).toBe('-Infinity');
    expect(JSON.stringify(nonFiniteToStrings([Infinity, -Infinity, NaN]))).toBe('["Infinity","-Infinity","NaN"]');
  });

  it('leaves its input alone and returns it as is when there is nothing to change', () => {
    const clean = { a: [1, 'two', { c: [null, 2.5] }], b: {} };
    expect(nonFiniteToStrings(clean)).toBe(clean);
    const mixed = { keep: { deep: [1, 2] }, swap: [0, NaN] };
    const out = nonFiniteToStrings(mixed) as typeof mixed;
    expect(mixed.swap[1]).toBeNaN();
    expect(out.keep).toBe(mixed.keep); // unchanged branches are shared, not copied
    expect(Object.keys(out)).toEqual(['keep', 'swap']); // key order kept
  });

  it('keeps a `__proto__` key as a key (JSON.parse makes it an own property)', () => {
    const parsed = JSON.parse('{"a": 1, "__proto__": {"x": 2}, "b": 1e999}') as Record<string, unknown>;
    const out = nonFiniteToStrings(parsed) as Record<string, unknown>;
    expect(JSON.stringify(out)).toBe('{"a":1,"__proto__":{"x":2},"b":"Infinity"}');
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
});

import { describe, expect, it } from 'vitest';
import { onlyLocalConstructs, prefilterRegex } from '../../../src/engine/table/regex-prefilter.js';

describe('prefilterRegex', () => {
  it('derives a global multiline regex from a safe one, keeping its flags', () => {
    expect(prefilterRegex(/^ffff/)?.flags).toBe('gm');
    expect(prefilterRegex(/a.b$/is)?.flags).toBe('gims');
    expect(prefilterRegex(/^x/m)?.source).toBe('^x');
  });

  it('refuses flags the argument does not cover', () => {
    for (const re of [/a/g, /a/y, /a/u, /a/d]) expect(prefilterRegex(re), String(re)).toBeNull();
  });

  it('refuses lookarounds, backreferences and anything else after "(?"', () => {
    for (const source of ['a(?=b)', 'a(?!b)', '(?<=a)b', '(?<!a)b', '(a)\\1', '(?<n>a)\\k<n>', '\\9', '(?i:a)', '(?-m:^)x']) {
      expect(onlyLocalConstructs(source), source).toBe(false);
    }
  });

  it('accepts groups, named groups, classes and escapes that only look like the refused ones', () => {
    for (const source of ['(?:a|b)+', '(?<name>a)', '[(?=]x', '[\\1]', '\\\\1', '\\(?=', 'a\\0b', '[\\]](?:x)', '[^]', '\\bk']) {
      expect(onlyLocalConstructs(source), source).toBe(true);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { seconds, wholeNumber } from '../../src/cli/options.js';

describe('wholeNumber: the flag quotes what was typed', () => {
  const limit = wholeNumber('--limit', 0, undefined, ' (0 = all)').coerce;
  const port = wholeNumber('--port', 0, 65_535).coerce;
  it('reads the text or the number yargs parsed; a repeated flag: the last', () => {
    expect(limit('7')).toBe(7);
    expect(limit(0)).toBe(0);
    expect(limit(['abc', '3'])).toBe(3);
  });
  it.each([
    ['abc', '--limit must be a whole number ≥ 0 (0 = all), got "abc"'],
    [1.5, '--limit must be a whole number ≥ 0 (0 = all), got 1.5'],
    [-1, '--limit must be a whole number ≥ 0 (0 = all), got -1'],
    ['', '--limit must be a whole number ≥ 0 (0 = all), got no value'],
  ])('%j: %s', (value, message) => {
    expect(() => limit(value)).toThrow(message);
  });
  it('a range', () => {
    expect(() => port('99999')).toThrow('--port must be a whole number from 0 to 65535, got "99999"');
  });
});

describe('seconds: the one duration syntax on every seconds flag', () => {
  const timeout = seconds('--timeout').coerce;
  it.each([
    ['90', 90],
    ['90s', 90],
    ['1m30s', 90],
    ['2h', 7200],
    [['1m', '500ms'], 0.5],
  ])('%j is %d s', (value, expected) => {
    expect(timeout(value)).toBe(expected);
  });
  it('refuses what is not a duration', () => {
    expect(() => timeout('soon')).toThrow('--timeout: expected a duration such as 30s, 2m, 1h30m or 500ms, got "soon"');
  });
});

import { describe, expect, it } from 'vitest';
import { compactDuration, formatSeconds, judge, worst, type Status } from '../../../src/engine/health/health.js';

describe('judge', () => {
  const levels = { warning: 5, critical: 10 };
  it.each([
    [4, 'exact', 'max', 'OK'],
    [5, 'exact', 'max', 'OK'],
    [5.1, 'exact', 'max', 'WARNING'],
    [10, 'exact', 'max', 'WARNING'],
    [10.1, 'exact', 'max', 'CRITICAL'],
    [10, 'more-than', 'max', 'CRITICAL'],
    [9, 'more-than', 'max', 'UNKNOWN'],
    [10, 'at-least', 'max', 'UNKNOWN'],
    [11, 'at-least', 'max', 'CRITICAL'],
  ] as const)('%d (%s) against max 5:10 is %s', (value, bound, direction, status) => {
    expect(judge(value, bound, levels, direction)).toBe(status);
  });

  it.each([
    [3, 'exact', 'OK'],
    [2, 'exact', 'WARNING'],
    [1, 'exact', 'CRITICAL'],
    [3, 'at-least', 'OK'],
    [2, 'at-least', 'UNKNOWN'],
  ] as const)('%d (%s) against min 3:2 is %s', (value, bound, status) => {
    expect(judge(value, bound, { warning: 3, critical: 2 }, 'min')).toBe(status);
  });

  it('without a warning level only CRITICAL or OK', () => {
    expect(judge(11, 'exact', { warning: null, critical: 10 }, 'max')).toBe('CRITICAL');
    expect(judge(10, 'exact', { warning: null, critical: 10 }, 'max')).toBe('OK');
    expect(judge(1, 'exact', { warning: null, critical: 2 }, 'min')).toBe('CRITICAL');
    expect(judge(2, 'exact', { warning: null, critical: 2 }, 'min')).toBe('OK');
  });
});

describe('worst', () => {
  it.each([
    [['OK', 'UNKNOWN'], 'UNKNOWN'],
    [['UNKNOWN', 'WARNING'], 'WARNING'],
    [['WARNING', 'CRITICAL', 'UNKNOWN'], 'CRITICAL'],
    [['OK', 'OK'], 'OK'],
    [[], 'OK'],
  ] as [Status[], Status][])('%j -> %s (CRITICAL > WARNING > UNKNOWN > OK, as max_state)', (list, expected) => {
    expect(worst(list)).toBe(expected);
  });
});

describe('durations', () => {
  it.each([
    [0.42, '0.4s'],
    [5, '5s'],
    [9.96, '10s'],
    [45.7, '45s'],
    [125, '2m 05s'],
    [3720, '1h 02m'],
    [183600, '2d 3h'],
  ])('formatSeconds(%d) = %s', (s, text) => expect(formatSeconds(s)).toBe(text));

  it.each([
    [600, '10m'],
    [90, '1m30s'],
    [3600, '1h'],
    [0.5, '500ms'],
    [1.5, '1.5s'],
    [86400 + 60, '1d1m'],
    [90.4, '1m30s'],
  ])('compactDuration(%d) = %s', (s, text) => expect(compactDuration(s)).toBe(text));
});


import { describe, expect, it } from 'vitest';
import { lastValueWins } from '../../src/cli/argv.js';

describe('lastValueWins', () => {
  it('keeps every value of a repeatable flag, under each of its spellings and aliases', () => {
    const argv = { _: ['check'], $0: 'clearly', 'max-queue': ['bulk=1', 'celery=1000'], maxQueue: ['bulk=1', 'celery=1000'], s: ['A', 'B'], state: ['A', 'B'] };
    expect(lastValueWins(argv, ['max-queue', 'state', 's'])).toEqual(argv);
  });

  it('gives a single-value flag repeated its last value, and leaves positionals alone', () => {
    const argv = { _: ['tasks', 'x'], $0: 'clearly', limit: [0, 7], l: [0, 7], server: ['a:1', 'b:2'], json: true };
    expect(lastValueWins(argv, ['state'])).toEqual({ _: ['tasks', 'x'], $0: 'clearly', limit: 7, l: 7, server: 'b:2', json: true });
  });
});

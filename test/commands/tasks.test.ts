import { describe, expect, it } from 'vitest';
import { taskQuery } from '../../src/commands/tasks.js';
import { UsageError } from '../../src/errors.js';

const base = { pattern: undefined, state: undefined, worker: undefined, limit: 100, oldestFirst: false };

describe('taskQuery', () => {
  it('sends no filter values for no flags', () => {
    expect(taskQuery(base)).toEqual({ filter: { states: [] }, limit: 100, oldest_first: false });
  });

  it('normalises states (split, trimmed, upper case, negation kept) and passes regexes as given', () => {
    expect(
      taskQuery({ ...base, pattern: '!^email', state: ['failure, !success', 'RETRY'], worker: 'w1@', limit: 0, oldestFirst: true }),
    ).toEqual({
      filter: { states: ['FAILURE', 'RETRY', '!SUCCESS'], pattern: '!^email', worker: 'w1@' },
      limit: 0,
      oldest_first: true,
    });
  });

  it('--retried asks the server for tasks that ever retried', () => {
    expect(taskQuery({ ...base, retried: true, state: ['SUCCESS'] })).toEqual({
      filter: { states: ['SUCCESS'] },
      limit: 100,
      oldest_first: false,
      retried: true,
    });
    expect(taskQuery({ ...base, retried: false })).not.toHaveProperty('retried');
  });

  it.each([
    [{ limit: -1 }, '--limit must be a whole number ≥ 0 (0 = all), got -1'],
    [{ limit: 1.5 }, '--limit must be a whole number ≥ 0 (0 = all), got 1.5'],
    [{ limit: Number.NaN }, '--limit must be a whole number ≥ 0 (0 = all), got NaN'],
    [{ state: ['ONLINE'] }, '--state: ONLINE is a worker state; `clearly tasks` lists tasks (see `clearly workers`)'],
  ])('refuses %j', (over, message) => {
    expect(() => taskQuery({ ...base, ...over })).toThrow(new UsageError(message));
  });

  it('refuses a bad regex or state with the same messages as watch', () => {
    expect(() => taskQuery({ ...base, pattern: '(' })).toThrow(/^--pattern: invalid regular expression "\("/);
    expect(() => taskQuery({ ...base, worker: '![' })).toThrow(/^--worker: invalid regular expression "\["/);
    expect(() => taskQuery({ ...base, state: ['DONE'] })).toThrow(/^--state: unknown state "DONE"/);
  });

  it('accepts a negated worker state (it excludes nothing a task has)', () => {
    expect(taskQuery({ ...base, state: ['!OFFLINE'] }).filter).toEqual({ states: ['!OFFLINE'] });
  });
});

import { describe, expect, it } from 'vitest';
import { workerQuery } from '../../src/commands/workers.js';
import { UsageError } from '../../src/errors.js';

describe('workerQuery', () => {
  it('passes the pattern (negation included) and --alive through', () => {
    expect(workerQuery({ pattern: undefined, alive: false })).toEqual({ pattern: '', alive_only: false });
    expect(workerQuery({ pattern: '!^celery@', alive: true })).toEqual({ pattern: '!^celery@', alive_only: true });
  });

  it('refuses an invalid regex, naming the flag', () => {
    expect(() => workerQuery({ pattern: '!(', alive: false })).toThrow(UsageError);
    expect(() => workerQuery({ pattern: '!(', alive: false })).toThrow(/^--pattern: invalid regular expression "\("/);
  });
});

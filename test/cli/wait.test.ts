import { describe, expect, it } from 'vitest';
import { finalState, waitExitCode } from '../../src/cli/wait.js';

describe('task --wait outcome', () => {
  it.each([
    ['SUCCESS', null, 'SUCCESS'],
    ['FAILURE', null, 'FAILURE'],
    ['REVOKED', null, 'REVOKED'],
    ['REJECTED', null, 'REJECTED'],
    // A rejection is final (clearly's rule): the record shows REJECTED, not Celery's STARTED.
    ['STARTED', 123, null],
    ['STARTED', null, null],
    ['RETRY', null, null],
    ['PENDING', null, null],
    ['RECEIVED', null, null],
  ] as const)('%s (rejected %s) -> %s', (state, rejected, expected) => {
    expect(finalState({ state, rejected } as { state: string; rejected: number | null })).toBe(expected);
  });

  it('exit 0 only on SUCCESS', () => {
    expect(waitExitCode('SUCCESS')).toBe(0);
    expect(waitExitCode('FAILURE')).toBe(1);
    expect(waitExitCode('REVOKED')).toBe(1);
    expect(waitExitCode('REJECTED')).toBe(1);
  });
});

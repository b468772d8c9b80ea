import { describe, expect, it } from 'vitest';
import { statesThrough } from '../../../src/engine/state/display.js';
import { TASK_STATES, TERMINAL_STATES, type TaskState } from '../../../src/engine/model.js';

describe('statesThrough: first sight', () => {
  it.each([
    ['PENDING', ['PENDING']],
    ['RECEIVED', ['RECEIVED']],
    ['STARTED', ['RECEIVED', 'STARTED']],
    ['SUCCESS', ['RECEIVED', 'STARTED', 'SUCCESS']],
    ['FAILURE', ['RECEIVED', 'STARTED', 'FAILURE']],
    ['REVOKED', ['RECEIVED', 'REVOKED']],
    ['REJECTED', ['RECEIVED', 'REJECTED']],
    ['RETRY', ['RECEIVED', 'STARTED', 'RETRY']],
    ['PROGRESS', ['PROGRESS']],
  ] as const)('first seen %s shows %j', (target, expected) => {
    expect(statesThrough(null, target)).toEqual(expected);
  });
});

describe('statesThrough: forward moves generate the missing states in order', () => {
  it.each([
    ['PENDING', 'RECEIVED', ['RECEIVED']],
    ['PENDING', 'STARTED', ['RECEIVED', 'STARTED']],
    ['PENDING', 'SUCCESS', ['RECEIVED', 'STARTED', 'SUCCESS']],
    ['PENDING', 'REVOKED', ['REVOKED']],
    ['PENDING', 'REJECTED', ['RECEIVED', 'REJECTED']],
    ['PENDING', 'RETRY', ['RECEIVED', 'STARTED', 'RETRY']],
    ['RECEIVED', 'STARTED', ['STARTED']],
    ['RECEIVED', 'REVOKED', ['REVOKED']],
    ['RECEIVED', 'REJECTED', ['REJECTED']],
    ['RECEIVED', 'FAILURE', ['STARTED', 'FAILURE']],
    ['STARTED', 'SUCCESS', ['SUCCESS']],
    ['STARTED', 'REVOKED', ['REVOKED']],
    ['STARTED', 'REJECTED', ['REJECTED']],
    ['STARTED', 'RETRY', ['RETRY']],
    ['RETRY', 'RECEIVED', ['RECEIVED']],
    ['RETRY', 'PENDING', ['PENDING']],
    ['RETRY', 'STARTED', ['RECEIVED', 'STARTED']],
    ['RETRY', 'SUCCESS', ['RECEIVED', 'STARTED', 'SUCCESS']],
    ['RETRY', 'REVOKED', ['RECEIVED', 'REVOKED']],
  ] as const)('%s → %s shows %j', (shown, target, expected) => {
    expect(statesThrough(shown, target)).toEqual(expected);
  });
});

describe('statesThrough: moves without a forward path show their target alone', () => {
  // The reducer decides every move (a late event moves nothing, so it never gets here); the display
  // only fills in what was skipped. Out of a final state (a retry later in time, a requeued
  // rejection picked up again) there is nothing to generate.
  it.each([
    ['SUCCESS', 'RETRY'],
    ['FAILURE', 'SUCCESS'],
    ['REVOKED', 'SUCCESS'],
    ['REJECTED', 'RECEIVED'],
    ['REVOKED', 'PROGRESS'],
  ] as const)('%s → %s shows only the target', (shown, target) => {
    expect(statesThrough(shown, target)).toEqual([target]);
  });

  it.each([
    ['STARTED', 'STARTED'],
    ['RETRY', 'RETRY'],
    ['PROGRESS', 'PROGRESS'],
  ] as const)('%s → %s (no move) shows nothing', (shown, target) => {
    expect(statesThrough(shown, target)).toEqual([]);
  });

  it('ends at the target, generates only PENDING/RECEIVED/STARTED, never the state it leaves', () => {
    for (const shown of [null, ...TASK_STATES] as (TaskState | null)[]) {
      for (const target of TASK_STATES) {
        const seq = statesThrough(shown, target);
        if (shown === target) {
          expect(seq).toEqual([]);
          continue;
        }
        expect(seq[seq.length - 1]).toBe(target);
        for (const s of seq.slice(0, -1)) expect(['PENDING', 'RECEIVED', 'STARTED']).toContain(s);
        if (shown !== null) expect(seq).not.toContain(shown);
        // Nothing is generated out of a final state.
        if (shown !== null && TERMINAL_STATES.has(shown)) expect(seq).toEqual([target]);
      }
    }
  });
});

describe('statesThrough: custom states', () => {
  it('shows a custom state as-is, with nothing generated around it', () => {
    expect(statesThrough('STARTED', 'PROGRESS')).toEqual(['PROGRESS']);
    expect(statesThrough('PENDING', 'PROGRESS')).toEqual(['PROGRESS']);
    expect(statesThrough('PROGRESS', 'SUCCESS')).toEqual(['SUCCESS']);
    expect(statesThrough('PROGRESS', 'UPLOADING')).toEqual(['UPLOADING']);
  });
});

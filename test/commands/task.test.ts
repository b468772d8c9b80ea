import { describe, expect, it } from 'vitest';
import { waitPlan } from '../../src/commands/task.js';
import { UsageError } from '../../src/errors.js';

const none = { wait: false, timeout: undefined, broker: undefined, backend: undefined };

describe('task --wait flags', () => {
  it('no --wait: nothing to plan; the wait flags alone are refused', () => {
    expect(waitPlan(none)).toEqual({ timeoutMs: undefined });
    expect(() => waitPlan({ ...none, timeout: '10m' })).toThrow('--timeout only apply with --wait');
    expect(() => waitPlan({ ...none, broker: 'redis://x', backend: 'redis://y' })).toThrow('--broker, --backend only apply with --wait');
  });

  it('--timeout is a duration', () => {
    expect(waitPlan({ ...none, wait: true, timeout: '10m' })).toEqual({ timeoutMs: 600_000 });
    expect(waitPlan({ ...none, wait: true, timeout: '2.5' })).toEqual({ timeoutMs: 2500 });
    expect(waitPlan({ ...none, wait: true })).toEqual({ timeoutMs: undefined });
    expect(() => waitPlan({ ...none, wait: true, timeout: 'soon' })).toThrow(/^--timeout: expected a duration/);
  });

  it('--backend needs --broker and must be Redis', () => {
    expect(() => waitPlan({ ...none, wait: true, backend: 'redis://x/1' })).toThrow(UsageError);
    expect(() => waitPlan({ ...none, wait: true, broker: 'redis://x/0', backend: 'rpc://' })).toThrow(
      /^--backend rpc:\/\/: rpc:\/\/ sends results to the caller only/,
    );
    expect(() => waitPlan({ ...none, wait: true, broker: 'ftp://x' })).toThrow(/unsupported scheme "ftp:"/);
    expect(waitPlan({ ...none, wait: true, broker: 'redis://x/0', backend: 'redis://x/1', timeout: '1s' })).toEqual({ timeoutMs: 1000 });
  });
});

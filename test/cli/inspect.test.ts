import { describe, expect, it } from 'vitest';
import { parseDestinations, parseQueueNames, replyTimeoutMs } from '../../src/cli/inspect.js';

describe('inspect flags', () => {
  it('--destination: repeatable, comma-separated, deduplicated; nodenames only', () => {
    expect(parseDestinations(undefined)).toBeNull();
    expect(parseDestinations([])).toBeNull();
    expect(parseDestinations(['a@h, b@h', 'c@h', 'a@h'])).toEqual(['a@h', 'b@h', 'c@h']);
    expect(() => parseDestinations(['worker1'])).toThrow(/^--destination: "worker1" is not a worker nodename/);
  });

  it('--timeout: 1 s by default, any duration', () => {
    expect(replyTimeoutMs(undefined)).toBe(1000);
    expect(replyTimeoutMs('250ms')).toBe(250);
    expect(replyTimeoutMs('3')).toBe(3000);
    expect(() => replyTimeoutMs('0')).toThrow('--timeout: the duration must be more than 0, got "0"');
  });

  it('--queue: celery by default', () => {
    expect(parseQueueNames(undefined)).toEqual(['celery']);
    expect(parseQueueNames(['a,b', 'c', 'a'])).toEqual(['a', 'b', 'c']);
  });
});

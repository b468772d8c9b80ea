import { describe, expect, it } from 'vitest';
import { redisVersionFromInfo } from '../../../bench/lib/machine.js';

describe('redisVersionFromInfo', () => {
  it('reads redis_version from INFO server', () => {
    expect(redisVersionFromInfo('# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\n')).toBe('7.0.15');
  });
  it('is null when absent', () => {
    expect(redisVersionFromInfo('# Server\r\nrole:master\r\n')).toBeNull();
  });
});

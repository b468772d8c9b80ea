import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import * as fast from '../../src/cli/fast-net.js';

describe('fast-net', () => {
  const inputs: unknown[] = [
    '127.0.0.1', '10.1.2.3', '256.1.1.1', 'localhost', 'clearly.internal', '', '::1', '::', 'fe80::1%eth0',
    '::ffff:127.0.0.1', '2001:db8::8a2e:370:7334', '1:2:3:4:5:6:7:8', '1:2:3', ':::', '[::1]', '12223', undefined, null, 1234,
  ];

  it.each(inputs)('answers isIPv6 and isIP for %s as node:net does', (input) => {
    expect(fast.isIPv6(input as string)).toBe(net.isIPv6(input as string));
    expect(fast.isIP(input as string)).toBe(net.isIP(input as string));
  });

  it('is node:net otherwise', () => {
    expect(fast.isIPv4).toBe(net.isIPv4);
    expect(fast.connect).toBe(net.connect);
    expect(fast.Socket).toBe(net.Socket);
  });
});

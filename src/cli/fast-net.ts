/**
 * `node:net` as grpc-js sees it in the CLI bundle (scripts/bundle.mjs swaps it in for grpc-js only):
 * the same module, except that isIPv6 and isIP answer at once for a string without a colon.
 * Node's isIPv6 is one large regular expression whose first use compiles it, several milliseconds
 * of every command's start, and grpc-js asks it about each address (even to build trace messages).
 * Every IPv6 address has a colon, so no answer changes.
 */
import * as net from 'node:net';

export * from 'node:net';

export function isIPv6(input: string): boolean {
  return typeof input === 'string' && !input.includes(':') ? false : net.isIPv6(input);
}

export function isIP(input: string): number {
  if (typeof input === 'string' && !input.includes(':')) return net.isIPv4(input) ? 4 : 0;
  return net.isIP(input);
}

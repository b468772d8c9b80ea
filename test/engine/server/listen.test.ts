import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainBindError, listen, LOOPBACK } from '../../../src/engine/server/listen.js';
import { UnavailableError } from '../../../src/errors.js';
import type { ServiceContext } from '../../../src/engine/grpc/service.js';

describe('listen on a port in use', () => {
  let taken: Server;
  let port: number;
  const logged: string[] = [];
  const errors: string[] = [];
  const consoleError = console.error;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    port = (taken.address() as { port: number }).port;
    console.error = (...args: unknown[]) => errors.push(args.map(String).join(' '));
  });
  afterAll(() => {
    console.error = consoleError;
    taken.close();
  });

  it('one error of ours naming the cause and the fix; grpc-js logs nothing of its own', async () => {
    // The service is never called: binding fails first.
    const err = await listen({} as ServiceContext, '127.0.0.1', port).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toBe(
      `cannot listen on 127.0.0.1:${port}: port ${port} on 127.0.0.1 is in use (another clearly server?): stop that one, or choose another port with --port (0: any free port)`,
    );
    expect(errors).toEqual([]);
  });

  it('with a debug log, grpc-js lines go there', async () => {
    await listen({} as ServiceContext, '127.0.0.1', port, { tls: null, tokens: null, debugLog: (l) => logged.push(l) }).catch(() => {});
    expect(logged.some((l) => l.startsWith('grpc: ') && l.includes('No address added'))).toBe(true);
    expect(errors).toEqual([]);
  });
});

describe('explainBindError', () => {
  it('privileged ports and foreign addresses', () => {
    expect(explainBindError('0.0.0.0', 80, new Error('No address added out of total 1 resolved errors: [listen EACCES: permission denied 0.0.0.0:80]'))).toBe(
      'not allowed to listen on port 80 (ports below 1024 need privileges): choose another with --port',
    );
    expect(explainBindError('10.9.9.9', 1, new Error('errors: [listen EADDRNOTAVAIL: address not available 10.9.9.9:1]'))).toMatch(/^10\.9\.9\.9 is not an address of this machine: fix --host/);
  });
});

describe('the bind rule: what counts as loopback', () => {
  it('127.0.0.0/8 addresses, localhost and ::1; not a name that starts with 127., nor any other address', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1']) expect(LOOPBACK.test(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', '127.example.com', '127.0.0.1.nip.io', '127.0.0.256', 'localhost.example.com', 'myhost']) {
      expect(LOOPBACK.test(h), h).toBe(false);
    }
  });
});

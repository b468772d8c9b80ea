import { createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcError, parseServerAddress, ServerConnection } from '../../src/cli/client.js';
import { serverService } from '../../src/engine/grpc/proto.js';
import type { DecodedCaptureItem } from '../../src/engine/grpc/messages.js';
import { ClearlyError, EXIT, NotFoundError, UnavailableError, UsageError } from '../../src/errors.js';

function serviceError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), { code, details, metadata: new grpc.Metadata() });
}

function withoutOneofNames(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('_')));
}

/** A port nothing listens on: bind one, then close it. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

describe('parseServerAddress', () => {
  it.each(['localhost:12223', '127.0.0.1:1', 'clearly.example.com:65535', '[::1]:12223'])('accepts %s', (a) => {
    expect(parseServerAddress(a)).toBe(a);
  });

  it.each(['localhost', 'localhost:0', 'localhost:70000', ':12223', 'a b:1', 'localhost:12x'])('refuses %s', (a) => {
    expect(() => parseServerAddress(a)).toThrow(UsageError);
  });

  it('takes grpc:// and grpcs:// off, refuses other schemes with a hint', () => {
    expect(parseServerAddress('grpc://localhost:12223')).toBe('localhost:12223');
    expect(parseServerAddress('grpcs://clearly.example.com:443/')).toBe('clearly.example.com:443');
    expect(() => parseServerAddress('ftp://localhost:12223')).toThrow(/the scheme can be grpcs:\/\/ or https:\/\/ \(TLS\), or grpc:\/\//);
    expect(() => parseServerAddress('http://localhost:12223')).toThrow(UsageError);
  });
});

describe('grpcError', () => {
  const addr = 'localhost:12223';

  it('maps a refused connection to one line naming the address and both ways out (exit 69)', () => {
    const e = grpcError(
      serviceError(grpc.status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:12223 (2025)'),
      addr,
    );
    expect(e).toBeInstanceOf(UnavailableError);
    const err = e as UnavailableError;
    expect(err.exitCode).toBe(EXIT.UNAVAILABLE);
    expect(err.message).toBe(
      'no clearly server at localhost:12223 (connection refused): start one with `clearly server --broker URL`, or read a broker directly with --broker URL',
    );
  });

  it('says the connection was lost when the call had reached the server', () => {
    const e = grpcError(serviceError(grpc.status.UNAVAILABLE, 'Connection dropped'), addr, true) as Error;
    expect(e).toBeInstanceOf(UnavailableError);
    expect(e.message).toBe('lost the connection to the clearly server at localhost:12223 (Connection dropped)');
  });

  it('keeps a long unknown reason on one short line', () => {
    const e = grpcError(serviceError(grpc.status.UNAVAILABLE, `weird\n${'x'.repeat(300)}`), addr) as Error;
    expect(e.message).not.toContain('\n');
    expect(e.message).toContain(`(weird ${'x'.repeat(111)}...)`);
  });

  it('maps DEADLINE_EXCEEDED to unavailable (exit 69)', () => {
    const e = grpcError(serviceError(grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded'), addr) as ClearlyError;
    expect(e).toBeInstanceOf(UnavailableError);
    expect(e.message).toMatch(/^the clearly server at localhost:12223 did not answer in time: start one with/);
  });

  it('maps NOT_FOUND to NotFoundError (exit 4) and INVALID_ARGUMENT to UsageError (exit 2), with the server message', () => {
    const nf = grpcError(serviceError(grpc.status.NOT_FOUND, 'no task abc'), addr) as ClearlyError;
    expect(nf).toBeInstanceOf(NotFoundError);
    expect([nf.message, nf.exitCode]).toEqual(['no task abc', EXIT.NOT_FOUND]);
    const ia = grpcError(serviceError(grpc.status.INVALID_ARGUMENT, 'pattern: bad regex'), addr) as ClearlyError;
    expect(ia).toBeInstanceOf(UsageError);
    expect([ia.message, ia.exitCode]).toEqual(['pattern: bad regex', EXIT.USAGE]);
  });

  it('maps server bugs to exit 70 and other statuses to exit 1', () => {
    expect((grpcError(serviceError(grpc.status.INTERNAL, 'boom'), addr) as ClearlyError).exitCode).toBe(EXIT.INTERNAL);
    const other = grpcError(serviceError(grpc.status.RESOURCE_EXHAUSTED, 'too big'), addr) as ClearlyError;
    expect([other.exitCode, other.message]).toEqual([
      EXIT.FAILURE,
      'the clearly server at localhost:12223 answered RESOURCE_EXHAUSTED: too big',
    ]);
  });

  it('passes anything that is not a gRPC status through unchanged', () => {
    const plain = new Error('not grpc');
    expect(grpcError(plain, addr)).toBe(plain);
  });
});

describe('ServerConnection against an in-process server', () => {
  let server: grpc.Server;
  let address: string;
  const capture: { call?: grpc.ServerWritableStream<unknown, unknown>; cancelled: boolean } = { cancelled: false };

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(serverService(), {
      GetTask: (call: grpc.ServerUnaryCall<{ uuid?: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        if (call.request.uuid === 'known') cb(null, { uuid: 'known', state: 'SUCCESS', timestamp: 12.5, result_repr: '42' });
        else cb({ code: grpc.status.NOT_FOUND, details: `no task ${call.request.uuid ?? ''}` });
      },
      FilterTasks: (call: grpc.ServerWritableStream<{ limit?: number }, unknown>) => {
        if (call.request.limit === 7) {
          call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: 'limit: seven is unlucky' });
          return;
        }
        for (const uuid of ['a', 'b', 'c']) call.write({ uuid, state: 'FAILURE', timestamp: 1 });
        call.end();
      },
      FilterWorkers: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
      Capture: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        capture.call = call;
        call.on('cancelled', () => (capture.cancelled = true));
        call.write({ missed: { count: 3 } });
        call.write({ task: { uuid: 'live', state: 'STARTED', timestamp: 2 } });
      },
      SeenTasks: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { names: ['tasks.add', 'tasks.mul'] }),
      Reset: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { tasks: 5 }),
      GetStats: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { events_processed: 9, broker: 'x' }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
  });

  afterAll(() => {
    server.forceShutdown();
  });

  it('gets one task, and maps an unknown one to NotFoundError', async () => {
    const conn = new ServerConnection(address);
    try {
      // proto-loader's `oneofs: true` also names each proto3 `optional` field's synthetic oneof (`_result_repr`).
      expect(withoutOneofNames(await conn.getTask('known'))).toEqual({ uuid: 'known', state: 'SUCCESS', timestamp: 12.5, result_repr: '42' });
      await expect(conn.getTask('nope')).rejects.toThrow(new NotFoundError('no task nope'));
    } finally {
      conn.close();
    }
  });

  it('reads a whole stream, connected before the first item', async () => {
    const conn = new ServerConnection(address);
    const seen: string[] = [];
    try {
      const reading = conn.filterTasks(
        { limit: 0 },
        { onConnected: () => seen.push('connected'), onItem: (t) => seen.push(t.uuid ?? '?') },
      );
      await reading.done;
      expect(seen).toEqual(['connected', 'a', 'b', 'c']);
    } finally {
      conn.close();
    }
  });

  it("turns the server's INVALID_ARGUMENT into a UsageError with its message", async () => {
    const conn = new ServerConnection(address);
    try {
      await expect(conn.filterTasks({ limit: 7 }, { onItem: () => {} }).done).rejects.toThrow(
        new UsageError('limit: seven is unlucky'),
      );
    } finally {
      conn.close();
    }
  });

  it('reads unary replies with proto3 defaults left out', async () => {
    const conn = new ServerConnection(address);
    try {
      expect(await conn.seenTasks()).toEqual(['tasks.add', 'tasks.mul']);
      expect(await conn.reset()).toEqual({ tasks: 5 });
      expect(await conn.stats()).toEqual({ events_processed: 9, broker: 'x' });
    } finally {
      conn.close();
    }
  });

  it('streams live items until cancelled, and the server sees the cancel', async () => {
    const conn = new ServerConnection(address);
    const items: DecodedCaptureItem[] = [];
    try {
      let cancel = (): void => {};
      const reading = conn.capture(
        { tasks: true },
        {
          onItem: (item) => {
            items.push(item);
            if (items.length === 2) cancel();
          },
        },
      );
      cancel = reading.cancel;
      await reading.done;
      expect(items).toEqual([
        { item: 'missed', missed: { count: 3 } },
        { item: 'task', task: { uuid: 'live', state: 'STARTED', timestamp: 2 } },
      ]);
      await expect.poll(() => capture.cancelled, { timeout: 2000 }).toBe(true);
    } finally {
      conn.close();
    }
  });

  it('fails fast (< 2 s) with exit 69 when nothing listens at the address, for calls and for streams', async () => {
    const port = await freePort();
    const conn = new ServerConnection(`127.0.0.1:${port}`);
    try {
      const t0 = Date.now();
      const e = await conn.stats().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UnavailableError);
      expect((e as Error).message).toBe(
        `no clearly server at 127.0.0.1:${port} (connection refused): start one with \`clearly server --broker URL\`, or read a broker directly with --broker URL`,
      );
      const s = await conn.filterWorkers({}, { onItem: () => {} }).done.catch((x: unknown) => x);
      expect(s).toBeInstanceOf(UnavailableError);
      expect(Date.now() - t0).toBeLessThan(2000);
    } finally {
      conn.close();
    }
  });
});

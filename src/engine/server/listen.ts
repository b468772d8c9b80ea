/**
 * The gRPC listener of `clearly server`: one grpc-js Server with the clearly.v1 service over the
 * collector's context, every call behind the token gate (grpc/guard.ts), plaintext or TLS (mutual
 * with a client CA), bound to one address, and a shutdown that cannot hang.
 */
import * as grpc from '@grpc/grpc-js';
import type { TokenTable } from '../auth/tokens.js';
import { UnavailableError } from '../../errors.js';
import { guard } from '../grpc/guard.js';
import { serverService } from '../grpc/proto.js';
import { clearlyImplementation, type ServiceContext } from '../grpc/service.js';
import type { ServerTls } from './tls.js';

export interface ListenOptions {
  /** null: plaintext. */
  readonly tls: ServerTls | null;
  /** null: no tokens asked for. */
  readonly tokens: TokenTable | null;
}

export interface Listener {
  /** The port bound (the one asked for, or the one the OS chose for port 0). */
  readonly port: number;
  /** Lets the calls under way finish for `graceMs`, then cuts the rest. */
  shutdown(graceMs: number): Promise<void>;
}

/** `host:port` as gRPC wants it (IPv6 literals in brackets). */
export function address(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

export const LOOPBACK = /^(127\.|localhost$|\[?::1\]?$)/;

/** Binds and serves; UnavailableError (exit 69) when the address cannot be had (port in use). */
export async function listen(ctx: ServiceContext, host: string, port: number, o: ListenOptions = { tls: null, tokens: null }): Promise<Listener> {
  const server = new grpc.Server({
    // Notice clients that vanished without closing (their buffers are bounded anyway).
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
  });
  server.addService(serverService(), guard(clearlyImplementation(ctx), { tokens: o.tokens, debug: (m) => ctx.debug(m) }));
  const credentials =
    o.tls === null
      ? grpc.ServerCredentials.createInsecure()
      : grpc.ServerCredentials.createSsl(o.tls.clientCa, [{ private_key: o.tls.key, cert_chain: o.tls.cert }], o.tls.clientCa !== null);
  let bound: number;
  try {
    bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address(host, port), credentials, (err, p) => (err ? reject(err) : resolve(p))),
    );
  } catch (e) {
    server.forceShutdown();
    throw new UnavailableError(
      `cannot listen on ${address(host, port)}: ${(e as Error).message} (is another clearly server running? try --port)`,
      { cause: e },
    );
  }
  return {
    port: bound,
    shutdown: (graceMs) =>
      new Promise((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

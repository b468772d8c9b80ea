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
  /** gRPC's own log lines go here (the server's --debug), else nowhere. */
  readonly debugLog?: (line: string) => void;
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

/**
 * The addresses the bind rule lets through without TLS and tokens: 127.0.0.0/8 as an address (not
 * a name that merely starts with `127.`, which could resolve anywhere), `localhost`, and ::1.
 */
export const LOOPBACK = /^(?:127(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}|localhost|\[?::1\]?|\[?::ffff:127(?:\.\d{1,3}){3}\]?)$/i;

/**
 * Why an address cannot be had, as the cause and the fix. grpc-js says "No address added out of
 * total 1 resolved errors: [listen EADDRINUSE: address already in use ...]".
 */
export function explainBindError(host: string, port: number, e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  if (/EADDRINUSE/.test(text)) {
    return `port ${port} on ${host} is in use (another clearly server?): stop that one, or choose another port with --port (0: any free port)`;
  }
  if (/EACCES/.test(text)) return `not allowed to listen on port ${port} (ports below 1024 need privileges): choose another with --port`;
  if (/EADDRNOTAVAIL|ENOTFOUND|EAI_AGAIN|Name resolution failed/.test(text)) {
    return `${host} is not an address of this machine: fix --host (127.0.0.1 for this machine only, 0.0.0.0 for every interface)`;
  }
  return `${text}: check --host and --port`;
}

/**
 * grpc-js writes its own log to stderr ("E No address added out of total 1 resolved", before our
 * line saying the same): it goes to `debugLog` (the server's --debug) or nowhere.
 */
function routeGrpcLog(debugLog: ((line: string) => void) | undefined): void {
  const to = (message?: unknown, ...rest: unknown[]): void => debugLog?.(`grpc: ${[message, ...rest].map(String).join(' ')}`);
  grpc.setLogger({ error: to, info: to, debug: to });
}

/** Binds and serves; UnavailableError (exit 69) when the address cannot be had (port in use). */
export async function listen(ctx: ServiceContext, host: string, port: number, o: ListenOptions = { tls: null, tokens: null }): Promise<Listener> {
  routeGrpcLog(o.debugLog);
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
    throw new UnavailableError(`cannot listen on ${address(host, port)}: ${explainBindError(host, port, e)}`, { cause: e });
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

/**
 * The client side of `clearly server`: one connection per command, unary calls with a deadline,
 * server streams with a connect watchdog, and the ONE place where gRPC statuses become
 * ClearlyErrors (and so exit codes): UNAVAILABLE/DEADLINE_EXCEEDED -> 69, NOT_FOUND -> 4,
 * INVALID_ARGUMENT -> 2, UNAUTHENTICATED/PERMISSION_DENIED -> 77 (one line naming the variable
 * or flag to set). Every call carries `authorization: Bearer <token>` when there is a token.
 *
 * Calls never wait for the server to become ready (grpc-js's default, kept on purpose): a
 * server that is not there fails the call as soon as the connection is refused, not after a
 * deadline.
 */
import * as grpc from '@grpc/grpc-js';
import type { CaptureRequest, Decoded, DecodedCaptureItem, ResetReply, StatsReply, TaskMessage, TaskQuery, WorkerMessage, WorkerQuery } from '../engine/grpc/messages.js';
import { createClearlyClient, type ClearlyClient } from '../engine/grpc/codec/client.js';
import { ClearlyError, NoPermissionError, NotFoundError, UnavailableError, UsageError } from '../errors.js';
import { systemRoots } from './system-roots.js';
import { describeTlsFailure } from './tls-errors.js';
import { parseServer, type ServerTarget } from './server-target.js';

export { DEFAULT_SERVER, serverOption, serverTarget, type ServerTarget } from './server-target.js';

/** Unary calls are small (one task, counters): a server that takes longer than this is stuck. */
const UNARY_DEADLINE_MS = 10_000;
/** A stream whose channel is not connected by then (a black-holed address) is given up on. */
const CONNECT_TIMEOUT_MS = 5_000;
/** One task's whole result may be big; grpc-js's 4 MiB default would refuse it. */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/** `--server` as `host:port` (a `grpcs://` scheme is taken off: serverTarget reads it). */
export function parseServerAddress(value: string): string {
  return parseServer(value).address;
}

const POINTERS = 'start one with `clearly server --broker URL`, or read a broker directly with --broker URL';

/** A short reason for a failed connection, from grpc-js's details (which can run to a paragraph). */
function connectReason(details: string): string {
  const errno = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET)\b/.exec(details)?.[1];
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'unknown host',
    EAI_AGAIN: 'host name lookup failed',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ECONNRESET: 'connection reset',
  };
  if (errno !== undefined) return known[errno] ?? errno;
  const oneLine = details.replace(/\s+/g, ' ').trim();
  return oneLine.length > 120 ? `${oneLine.slice(0, 117)}...` : oneLine || 'unavailable';
}

function isServiceError(e: unknown): e is grpc.ServiceError {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'number' && 'details' in e;
}

/**
 * A gRPC failure as the ClearlyError bin/clearly.ts turns into an exit code. `connected` says
 * whether the call had reached the server: then UNAVAILABLE means it went away mid-stream.
 * Anything that is not a gRPC status comes back unchanged.
 */
export function grpcError(e: unknown, address: string, connected = false, target?: ServerTarget): unknown {
  if (!isServiceError(e)) return e;
  const details = e.details ?? '';
  switch (e.code) {
    case grpc.status.UNAUTHENTICATED: {
      const from = target?.tokenSource ?? null;
      return from === null
        ? new NoPermissionError(`the clearly server at ${address} needs a token: set CLEARLY_TOKEN or --token-file FILE`, { cause: e })
        : new NoPermissionError(`the clearly server at ${address} does not accept the token from ${from} (${details}): set the right one`, { cause: e });
    }
    case grpc.status.PERMISSION_DENIED:
      return new NoPermissionError(
        `the clearly server at ${address} refused: ${details}; set an admin token in ${target?.tokenSource ?? 'CLEARLY_TOKEN or --token-file FILE'}`,
        { cause: e },
      );
    case grpc.status.UNAVAILABLE: {
      const tls = connected ? null : describeTlsFailure(details, { tls: (target?.tls ?? null) !== null, clientCert: (target?.tls?.cert ?? null) !== null });
      if (tls !== null) {
        const message = `cannot connect to the clearly server at ${address}: ${tls.message}`;
        return tls.noPermission ? new NoPermissionError(message, { cause: e }) : new UnavailableError(message, { cause: e });
      }
      return connected
        ? new UnavailableError(`lost the connection to the clearly server at ${address} (${connectReason(details)})`, { cause: e })
        : new UnavailableError(`no clearly server at ${address} (${connectReason(details)}): ${POINTERS}`, { cause: e });
    }
    case grpc.status.DEADLINE_EXCEEDED:
      return new UnavailableError(`the clearly server at ${address} did not answer in time: ${POINTERS}`, { cause: e });
    case grpc.status.NOT_FOUND:
      return new NotFoundError(details || 'not found', { cause: e });
    case grpc.status.INVALID_ARGUMENT:
      return new UsageError(details || 'the server refused the request', { cause: e });
    case grpc.status.UNIMPLEMENTED:
      return new ClearlyError(
        'PROTOCOL',
        `the server at ${address} does not implement this call (an older clearly server, or not clearly at all?)`,
        { cause: e },
      );
    case grpc.status.INTERNAL:
    case grpc.status.UNKNOWN:
      return new ClearlyError('INTERNAL', `the clearly server at ${address} failed: ${details}`, { cause: e });
    default:
      return new ClearlyError('PROTOCOL', `the clearly server at ${address} answered ${grpc.status[e.code]}: ${details}`, {
        cause: e,
      });
  }
}

/** A server stream being read: `done` settles when it ends (rejects with a ClearlyError). */
export interface Reading {
  readonly done: Promise<void>;
  /** Stop reading; `done` then resolves. */
  cancel(): void;
  /** Stop taking items for now (the server is held back by gRPC's flow control), and go on. */
  pause(): void;
  resume(): void;
}

export interface ReadOptions<T> {
  readonly onItem: (item: T) => void;
  /** Called once, when the channel is connected (before any item). */
  readonly onConnected?: () => void;
  /** Called once, when the server took the call (its response headers, or a first item): past the token check. */
  readonly onAccepted?: () => void;
}

type Invoke<T> = (
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (e: grpc.ServiceError | null, value?: T) => void,
) => unknown;

/** A target given as a bare `--server` value: no token, TLS only if its scheme says so. */
function asTarget(server: ServerTarget | string): ServerTarget {
  if (typeof server !== 'string') return server;
  const { address, tls } = parseServer(server);
  return { address, token: null, tokenSource: null, tls: tls === true ? { ca: null, cert: null, key: null, serverName: null } : null };
}

/** A connection to one clearly server. Method names follow the proto's RPCs. */
export class ServerConnection {
  readonly address: string;
  readonly target: ServerTarget;
  private readonly client: ClearlyClient;

  constructor(server: ServerTarget | string) {
    this.target = asTarget(server);
    this.address = this.target.address;
    const tls = this.target.tls;
    // grpc-js names the TLS server by the host of --server; for an IP literal Node warns
    // (DEP0123) on every connection, while the certificate's IP names are still checked.
    if (tls !== null && tls.serverName === null && /^(\d+\.){3}\d+:|^\[/.test(this.address)) (process as { noDeprecation?: boolean }).noDeprecation = true;
    const credentials = tls === null ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(tls.ca ?? systemRoots(), tls.key, tls.cert);
    this.client = createClearlyClient(
      this.address,
      {
        'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
        // A retried Reset would forget twice; every call here is one attempt.
        'grpc.enable_retries': 0,
        ...(tls?.serverName == null ? {} : { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName }),
      },
      credentials,
    );
  }

  /** Per call, so it goes over plaintext too (call credentials need TLS); never logged. */
  private metadata(): grpc.Metadata {
    const m = new grpc.Metadata();
    if (this.target.token !== null) m.set('authorization', `Bearer ${this.target.token}`);
    return m;
  }

  getTask(uuid: string): Promise<Decoded<TaskMessage>> {
    return this.unary((m, o, cb) => this.client.GetTask({ uuid }, m, o, cb));
  }

  async seenTasks(): Promise<string[]> {
    const reply = await this.unary<{ names?: string[] }>((m, o, cb) => this.client.SeenTasks({}, m, o, cb));
    return reply.names ?? [];
  }

  reset(): Promise<ResetReply> {
    return this.unary((m, o, cb) => this.client.Reset({}, m, o, cb));
  }

  stats(): Promise<Decoded<StatsReply>> {
    return this.unary((m, o, cb) => this.client.GetStats({}, m, o, cb));
  }

  filterTasks(query: TaskQuery, options: ReadOptions<Decoded<TaskMessage>>): Reading {
    return this.read(this.client.FilterTasks(query, this.metadata()), options);
  }

  filterWorkers(query: WorkerQuery, options: ReadOptions<Decoded<WorkerMessage>>): Reading {
    return this.read(this.client.FilterWorkers(query, this.metadata()), options);
  }

  capture(request: CaptureRequest, options: ReadOptions<DecodedCaptureItem>): Reading {
    return this.read(this.client.Capture(request, this.metadata()), options);
  }

  close(): void {
    this.client.close();
  }

  private unary<T>(invoke: Invoke<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      invoke(this.metadata(), { deadline: Date.now() + UNARY_DEADLINE_MS }, (e, value) => {
        if (e !== null) reject(grpcError(e, this.address, false, this.target));
        else if (value === undefined) reject(new ClearlyError('PROTOCOL', `the server at ${this.address} sent an empty answer`));
        else resolve(value);
      });
    });
  }

  /**
   * Read a server stream. Without a deadline (streams are long: `watch` runs for hours), so a
   * watchdog gives up on a channel that does not connect within CONNECT_TIMEOUT_MS.
   */
  private read<T>(call: grpc.ClientReadableStream<T>, options: ReadOptions<T>): Reading {
    const channel = this.client.getChannel();
    let connected = false;
    let cancelled = false;
    let settled = false;
    let resolveDone!: () => void;
    let rejectDone!: (e: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    const settle = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      if (error === undefined) resolveDone();
      else rejectDone(error);
    };
    const markConnected = (): void => {
      if (connected) return;
      connected = true;
      clearTimeout(watchdog);
      options.onConnected?.();
    };
    const watchdog = setTimeout(() => {
      if (connected || settled) return;
      cancelled = true;
      call.cancel();
      settle(new UnavailableError(`no answer from a clearly server at ${this.address} within ${CONNECT_TIMEOUT_MS / 1000}s: ${POINTERS}`));
    }, CONNECT_TIMEOUT_MS);

    const watch = (): void => {
      if (connected || settled) return;
      const state = channel.getConnectivityState(true);
      if (state === grpc.connectivityState.READY) return markConnected();
      channel.watchConnectivityState(state, Date.now() + CONNECT_TIMEOUT_MS, (e) => {
        if (e === undefined) watch();
      });
    };
    watch();

    let accepted = false;
    const markAccepted = (): void => {
      if (accepted || settled) return;
      accepted = true;
      options.onAccepted?.();
    };
    call.on('metadata', () => markAccepted());
    call.on('data', (item: T) => {
      if (settled) return;
      markConnected();
      markAccepted();
      options.onItem(item);
    });
    call.on('error', (e: grpc.ServiceError) => {
      if (cancelled && e.code === grpc.status.CANCELLED) settle();
      else settle(grpcError(e, this.address, connected, this.target));
    });
    // 'end' comes after the last 'data' of a stream that finished with status OK.
    call.on('end', () => settle());
    return {
      done,
      cancel: () => {
        if (settled) return;
        cancelled = true;
        call.cancel();
        settle();
      },
      pause: () => call.pause(),
      resume: () => call.resume(),
    };
  }
}

/** Run `fn` with a connection to `address`, closed afterwards whatever happens. */
export async function withServer<T>(server: ServerTarget | string, fn: (conn: ServerConnection) => Promise<T>): Promise<T> {
  const conn = new ServerConnection(server);
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}

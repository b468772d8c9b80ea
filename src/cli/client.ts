/**
 * The client side of `clearly server`: one connection per command, unary calls with a deadline,
 * server streams with a connect watchdog, and the ONE place where gRPC statuses become
 * ClearlyErrors (and so exit codes): UNAVAILABLE/DEADLINE_EXCEEDED -> 69, NOT_FOUND -> 4,
 * INVALID_ARGUMENT -> 2.
 *
 * Calls never wait for the server to become ready (grpc-js's default, kept on purpose): a
 * server that is not there fails the call as soon as the connection is refused, not after a
 * deadline.
 */
import * as grpc from '@grpc/grpc-js';
import type { Options } from 'yargs';
import type { CaptureRequest, Decoded, DecodedCaptureItem, ResetReply, StatsReply, TaskMessage, TaskQuery, WorkerMessage, WorkerQuery } from '../engine/grpc/messages.js';
import { createClearlyClient, type ClearlyClient } from '../engine/grpc/codec/client.js';
import { ClearlyError, NotFoundError, UnavailableError, UsageError } from '../errors.js';

export const DEFAULT_SERVER = 'localhost:12223';

export const serverOption = {
  server: {
    type: 'string',
    default: DEFAULT_SERVER,
    describe: 'The clearly server to ask (HOST:PORT)',
  },
} as const satisfies Record<string, Options>;

/** Unary calls are small (one task, counters): a server that takes longer than this is stuck. */
const UNARY_DEADLINE_MS = 10_000;
/** A stream whose channel is not connected by then (a black-holed address) is given up on. */
const CONNECT_TIMEOUT_MS = 5_000;
/** One task's whole result may be big; grpc-js's 4 MiB default would refuse it. */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/** Validate `--server`: `host:port`, `[v6]:port`; a URL scheme is refused with a hint. */
export function parseServerAddress(value: string): string {
  const v = value.trim();
  const hint = `--server / CLEARLY_SERVER: expected HOST:PORT (e.g. ${DEFAULT_SERVER}), got ${JSON.stringify(value)}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) throw new UsageError(`${hint}; leave out the scheme`);
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):(\d{1,5})$/.exec(v);
  const port = Number(m?.[2]);
  if (m === null || !(port >= 1 && port <= 65535)) throw new UsageError(hint);
  return v;
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
export function grpcError(e: unknown, address: string, connected = false): unknown {
  if (!isServiceError(e)) return e;
  const details = e.details ?? '';
  switch (e.code) {
    case grpc.status.UNAVAILABLE:
      return connected
        ? new UnavailableError(`lost the connection to the clearly server at ${address} (${connectReason(details)})`, { cause: e })
        : new UnavailableError(`no clearly server at ${address} (${connectReason(details)}): ${POINTERS}`, { cause: e });
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
}

type Invoke<T> = (options: Partial<grpc.CallOptions>, callback: (e: grpc.ServiceError | null, value?: T) => void) => unknown;

/** A connection to one clearly server. Method names follow the proto's RPCs. */
export class ServerConnection {
  readonly address: string;
  private readonly client: ClearlyClient;

  constructor(address: string) {
    this.address = parseServerAddress(address);
    this.client = createClearlyClient(this.address, {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      // A retried Reset would forget twice; every call here is one attempt.
      'grpc.enable_retries': 0,
    });
  }

  getTask(uuid: string): Promise<Decoded<TaskMessage>> {
    return this.unary((o, cb) => this.client.GetTask({ uuid }, o, cb));
  }

  async seenTasks(): Promise<string[]> {
    const reply = await this.unary<{ names?: string[] }>((o, cb) => this.client.SeenTasks({}, o, cb));
    return reply.names ?? [];
  }

  reset(): Promise<ResetReply> {
    return this.unary((o, cb) => this.client.Reset({}, o, cb));
  }

  stats(): Promise<Decoded<StatsReply>> {
    return this.unary((o, cb) => this.client.GetStats({}, o, cb));
  }

  filterTasks(query: TaskQuery, options: ReadOptions<Decoded<TaskMessage>>): Reading {
    return this.read(this.client.FilterTasks(query), options);
  }

  filterWorkers(query: WorkerQuery, options: ReadOptions<Decoded<WorkerMessage>>): Reading {
    return this.read(this.client.FilterWorkers(query), options);
  }

  capture(request: CaptureRequest, options: ReadOptions<DecodedCaptureItem>): Reading {
    return this.read(this.client.Capture(request), options);
  }

  close(): void {
    this.client.close();
  }

  private unary<T>(invoke: Invoke<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      invoke({ deadline: Date.now() + UNARY_DEADLINE_MS }, (e, value) => {
        if (e !== null) reject(grpcError(e, this.address));
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

    call.on('data', (item: T) => {
      if (settled) return;
      markConnected();
      options.onItem(item);
    });
    call.on('error', (e: grpc.ServiceError) => {
      if (cancelled && e.code === grpc.status.CANCELLED) settle();
      else settle(grpcError(e, this.address, connected));
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
export async function withServer<T>(address: string, fn: (conn: ServerConnection) => Promise<T>): Promise<T> {
  const conn = new ServerConnection(address);
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}

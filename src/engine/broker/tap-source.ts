/**
 * The tap's raw input: one task message as a monitor queue delivers it, from either transport
 * (AMQP: content and properties; Redis: kombu's JSON envelope, unwrapped by the source), and the
 * source that delivers them. Decoding is engine/tap/decode.ts.
 */
import type { SourceStatus } from './source.js';

export interface TapRawMessage {
  readonly body: Buffer;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  /** AMQP application headers / the envelope's `headers` (protocol 2 puts the task fields here). */
  readonly headers: Readonly<Record<string, unknown>>;
  readonly exchange: string | null;
  readonly routingKey: string | null;
  /** The queue it was tapped from. */
  readonly queue: string;
}

export interface TapOptions {
  /** Queues the user's topology already fills (`--tap`): consumed as they are. */
  readonly queues: readonly string[];
  /** Topic exchanges to bind a queue of clearly's own to with `#` (`--tap-exchange`). */
  readonly exchanges: readonly string[];
  /** Keep clearly's own queues across restarts, capped at `maxLength` messages (`--tap-durable`). */
  readonly durable: boolean;
  readonly maxLength: number;
}

export interface TapSource {
  /** The queues it reads (clearly's own included), for the notice at start. */
  readonly reading: readonly string[];
  /** Redis: lists of clearly processes on this host that died without removing them, removed now. */
  readonly swept?: readonly string[];
  close(): Promise<void>;
}

export interface TapHandlers {
  /** AMQP: a message as delivered. */
  readonly message: (raw: TapRawMessage) => void;
  /** Redis: kombu's JSON envelope as popped, and the queue (unwrapped by engine/tap/decode.ts). */
  readonly envelope: (text: string, queue: string) => void;
  readonly status: (s: SourceStatus) => void;
}

/** Default cap of a durable tap queue: bounded, so it can never fill the broker's disk. */
export const DEFAULT_TAP_MAX_LENGTH = 100_000;

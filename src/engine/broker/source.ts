/**
 * An event source: the edge where broker I/O happens. It hands raw messages to the pipeline and
 * tells it about the connection (lost, back), reconnecting on its own with backoff.
 */
import type { RawMessage } from '../events/types.js';
import type { BrokerUrl } from './url.js';

export type SourceStatus =
  | { readonly kind: 'connected' }
  | { readonly kind: 'lost'; readonly error: string }
  | { readonly kind: 'reconnected'; readonly downSeconds: number }
  /** We could not keep up and our bounded backlog was full: `count` events were lost. */
  | { readonly kind: 'dropped'; readonly count: number };

export interface SourceHandlers {
  message(raw: RawMessage): void;
  status(status: SourceStatus): void;
}

export interface EventSource {
  readonly broker: BrokerUrl;
  /** Connects and starts consuming; rejects with UnavailableError when the broker cannot be reached. */
  start(): Promise<void>;
  /** Stops consuming and removes what we created on the broker. */
  close(): Promise<void>;
}

export interface SourceOptions {
  /** Give up the first connection after this long (ms). */
  connectTimeoutMs?: number;
  /** Redis: bytes of received messages held while we catch up (pub/sub cannot be slowed down). */
  backlogBytes?: number;
}

/** A connection error as a person wants to read it. */
export function describeError(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED') return 'connection refused';
    if (code === 'ENOTFOUND') return 'unknown host';
    if (/ACCESS_REFUSED|403/.test(e.message)) return 'login refused (check user and password)';
    if (/NOT_ALLOWED|vhost/i.test(e.message)) return 'vhost not allowed or missing';
    return e.message;
  }
  return String(e);
}

/** Backoff between reconnection attempts: 0.5 s doubling up to 10 s. */
export function backoffMs(attempt: number): number {
  return Math.min(500 * 2 ** Math.max(0, attempt - 1), 10_000);
}

/**
 * An event source: the edge where broker I/O happens. It hands raw messages to the pipeline and
 * tells it about the connection (lost, back), reconnecting on its own with backoff.
 */
import type { RawMessage } from './events.js';
import type { BrokerUrl } from './broker-url.js';

export type SourceStatus =
  | { readonly kind: 'connected' }
  | { readonly kind: 'lost'; readonly error: string }
  | { readonly kind: 'reconnected'; readonly downSeconds: number };

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
}

/** Backoff between reconnection attempts: 0.5 s doubling up to 10 s. */
export function backoffMs(attempt: number): number {
  return Math.min(500 * 2 ** Math.max(0, attempt - 1), 10_000);
}

export async function openEventSource(
  broker: BrokerUrl,
  handlers: SourceHandlers,
  options: SourceOptions = {},
): Promise<EventSource> {
  // Loaded lazily: a command that talks to one broker should not pay for the other's client.
  if (broker.transport === 'amqp') {
    const { AmqpEventSource } = await import('./source-amqp.js');
    return new AmqpEventSource(broker, handlers, options);
  }
  const { RedisEventSource } = await import('./source-redis.js');
  return new RedisEventSource(broker, handlers, options);
}

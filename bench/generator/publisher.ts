/**
 * What the runner needs from a transport. Publishing is synchronous and never awaited per message
 * (that would cap the rate at one broker round trip per event); back-pressure is a boolean plus a
 * promise, as with Node streams.
 */
import type { EncodedMessage } from '../../src/engine/simulate/encode.js';

export interface Publisher {
  readonly transport: 'amqp' | 'redis';
  /** Queue one message for sending; false means "buffers are full: await drained() first". */
  publish(m: EncodedMessage): boolean;
  /** Hand over anything batched locally (called at the end of every slice / rate tick). */
  flush(): void;
  /** Resolves when there is room again; rejects if the connection failed. */
  drained(): Promise<void>;
  /** Send everything queued, then disconnect. */
  close(): Promise<void>;
}

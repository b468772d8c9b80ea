/**
 * Queue depths read straight from the broker (for `stats --broker` and `check`): how many
 * messages wait in each queue and, on RabbitMQ, how many consumers it has.
 */

export interface QueueDepth {
  readonly queue: string;
  /** Messages ready in the queue (RabbitMQ: not counting unacked ones held by workers). */
  readonly messages: number | null;
  /** RabbitMQ consumer count; null on Redis, which has no such notion. */
  readonly consumers: number | null;
  /**
   * RabbitMQ: the queue is declared. Redis has no declared queues: true when the queue holds
   * messages or kombu has bound it (`_kombu.binding.<queue>`, as Celery does for its queues).
   */
  readonly exists: boolean;
}

export interface QueueOptions {
  /** Give up connecting after this long (ms); default DEFAULT_CONNECT_TIMEOUT_MS (url.ts). */
  readonly connectTimeoutMs?: number;
}

/**
 * The message a queue serves next (its oldest waiting one), read without taking it: the raw
 * text as the broker holds it (Redis: kombu's JSON envelope), or why it cannot be had.
 */
export type QueuePeek =
  | { readonly queue: string; readonly ok: true; readonly raw: string | null }
  | { readonly queue: string; readonly ok: false; readonly reason: string };

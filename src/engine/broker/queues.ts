/**
 * Queue depths read straight from the broker (for `stats --broker` and `check`): how many
 * messages wait in each queue and, on RabbitMQ, how many consumers it has.
 */
import { parseBrokerUrl } from './url.js';
import type { ControlOptions } from '../control/mailbox.js';

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

export type QueueOptions = Pick<ControlOptions, 'connectTimeoutMs'>;

/** One depth per name, in the order given. Rejects with UnavailableError when the broker is down. */
export async function queueDepths(brokerUrl: string, queues: readonly string[], options: QueueOptions = {}): Promise<QueueDepth[]> {
  const broker = parseBrokerUrl(brokerUrl);
  // Loaded lazily, like the control clients: only the broker in use pays for its library.
  if (broker.transport === 'amqp') {
    const { amqpQueueDepths } = await import('./amqp-queues.js');
    return amqpQueueDepths(broker, queues, options);
  }
  const { redisQueueDepths } = await import('./redis-queues.js');
  return redisQueueDepths(broker, queues, options);
}

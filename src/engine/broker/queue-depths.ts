/**
 * Queue depths for a broker URL: picks the transport (amqp-queues.ts, redis-queues.ts), which
 * import only the neutral half (queues.ts).
 */
import { parseBrokerUrl } from './url.js';
import type { QueueDepth, QueueOptions, QueuePeek } from './queues.js';

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

/**
 * The message each queue serves next, read without consuming it. Redis only (LINDEX); RabbitMQ
 * has no way to look at a queue without taking the message (a basic.get and a requeue would
 * move it and mark it redelivered), so there each queue says so.
 */
export async function peekOldest(brokerUrl: string, queues: readonly string[], options: QueueOptions = {}): Promise<QueuePeek[]> {
  const broker = parseBrokerUrl(brokerUrl);
  if (broker.transport === 'amqp') {
    return queues.map((queue) => ({ queue, ok: false, reason: 'RabbitMQ cannot show a waiting message without consuming it' }));
  }
  const { redisPeekOldest } = await import('./redis-peek.js');
  return redisPeekOldest(broker, queues, options);
}

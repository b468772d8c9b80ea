/**
 * An AMQP publisher for the latency measurement: the generator's publisher (same exchange, same
 * properties, same bytes), but on a socket with TCP_NODELAY, as py-amqp (Celery's client) opens
 * it. amqplib leaves Nagle's algorithm on by default, and at 1k events/s a small publish frame then
 * waits for the broker's delayed ACK: 40 ms stalls that are the publisher's, not clearly's.
 */
import { connect } from 'amqplib';
import { AMQP_EXCHANGE_OPTIONS, EVENT_EXCHANGE, amqpPublishOptions, type EncodedMessage } from '../../src/engine/simulate/encode.js';
import type { Publisher } from '../generator/publisher.js';

export async function openNoDelayAmqpPublisher(url: string): Promise<Publisher> {
  const conn = await connect(url, { noDelay: true });
  const ch = await conn.createChannel();
  await ch.assertExchange(EVENT_EXCHANGE, 'topic', AMQP_EXCHANGE_OPTIONS);
  const props = new Map<string, ReturnType<typeof amqpPublishOptions>>();
  return {
    transport: 'amqp',
    publish(m: EncodedMessage): boolean {
      let p = props.get(m.hostname);
      if (p === undefined) props.set(m.hostname, (p = amqpPublishOptions(m.hostname)));
      return ch.publish(EVENT_EXCHANGE, m.routingKey, Buffer.from(m.body, 'latin1'), p);
    },
    flush(): void {},
    drained: () => new Promise((resolve) => ch.once('drain', resolve)),
    async close(): Promise<void> {
      await ch.close();
      await conn.close();
    },
  };
}

/** Queue depths on RabbitMQ: a passive declare (`checkQueue`) per queue. */
import type { Channel, ChannelModel } from 'amqplib';
import { ClearlyError } from '../../errors.js';
import type { BrokerUrl } from './url.js';
import { amqpUnavailable, connectAmqp } from './amqp-connect.js';
import type { QueueDepth, QueueOptions } from './queues.js';

type AmqpBroker = Extract<BrokerUrl, { transport: 'amqp' }>;

/** AMQP reply code for a passive declare of a queue that does not exist. */
const NOT_FOUND = 404;

export async function amqpQueueDepths(broker: AmqpBroker, queues: readonly string[], options: QueueOptions = {}): Promise<QueueDepth[]> {
  const conn = await connectAmqp(broker, options.connectTimeoutMs, 'clearly queues');
  let ch: Channel | null = null;
  try {
    const out: QueueDepth[] = [];
    for (const queue of queues) {
      // A 404 closes the channel it happened on, so each miss costs a fresh channel.
      ch ??= await openChannel(conn);
      try {
        const r = await ch.checkQueue(queue);
        out.push({ queue, messages: r.messageCount, consumers: r.consumerCount, exists: true });
      } catch (e) {
        ch = null;
        if ((e as { code?: unknown }).code !== NOT_FOUND) throw e;
        out.push({ queue, messages: null, consumers: null, exists: false });
      }
    }
    return out;
  } catch (e) {
    if (e instanceof ClearlyError) throw e;
    throw amqpUnavailable(broker, e);
  } finally {
    await conn.close().catch(() => {});
  }
}

async function openChannel(conn: ChannelModel): Promise<Channel> {
  const ch = await conn.createChannel();
  // The server closing the channel (the 404) is also emitted as 'error': handled by the caller.
  ch.on('error', () => {});
  return ch;
}

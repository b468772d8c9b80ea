/**
 * The task-message tap on RabbitMQ: consumes task messages from monitor queues the user's
 * topology already fills (`--tap QUEUE`: it must exist; its messages are taken, as a monitor
 * queue's are meant to be), and from queues of clearly's own bound with `#` to topic exchanges
 * (`--tap-exchange NAME`): exclusive and auto-deleted, or with `--tap-durable` durable and capped
 * with `x-max-length` (oldest dropped by RabbitMQ), so it can never fill the broker's disk.
 */
import { hostname } from 'node:os';
import { amqpUnavailable, connectAmqp, type AmqpBroker } from './amqp-connect.js';
import type { TapHandlers, TapOptions, TapSource } from './tap-source.js';

export async function openAmqpTap(broker: AmqpBroker, o: TapOptions, h: TapHandlers): Promise<TapSource> {
  const conn = await connectAmqp(broker, undefined, 'clearly tap');
  const reading: string[] = [];
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    await ch.prefetch(256);
    const consume = async (queue: string): Promise<void> => {
      await ch.consume(
        queue,
        (msg) => {
          if (msg === null) return;
          const p = msg.properties;
          h.message({
            body: msg.content,
            contentType: p.contentType as string | undefined,
            contentEncoding: p.contentEncoding as string | undefined,
            headers: (p.headers ?? {}) as Record<string, unknown>,
            exchange: msg.fields.exchange,
            routingKey: msg.fields.routingKey,
            queue,
          });
        },
        { noAck: true },
      );
      reading.push(queue);
    };
    for (const q of o.queues) {
      await ch.checkQueue(q); // a typo fails loudly instead of tapping nothing
      await consume(q);
    }
    for (const ex of o.exchanges) {
      const name = `clearly.tap.${ex}.${o.durable ? hostname() : `${hostname()}.${process.pid}`}`;
      await ch.assertQueue(name, o.durable ? { durable: true, arguments: { 'x-max-length': o.maxLength } } : { exclusive: true, autoDelete: true, durable: false });
      await ch.bindQueue(name, ex, '#');
      await consume(name);
    }
  } catch (e) {
    await conn.close().catch(() => {});
    throw amqpUnavailable(broker, e, 'cannot tap');
  }
  // Only now: closing after a failed set-up above is not a lost tap.
  conn.on('close', () => h.status({ kind: 'lost', error: 'the tap connection closed' }));
  return {
    reading,
    async close() {
      await conn.close().catch(() => {});
    },
  };
}

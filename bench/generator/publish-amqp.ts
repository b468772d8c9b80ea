/**
 * AMQP publisher: the `celeryev` topic exchange declared exactly as Celery 5.2 does, every event
 * published with Celery's properties (PROTOCOL.md §1). No confirms and no per-message await:
 * `channel.publish` returns false when amqplib's write buffer is full, and 'drain' says when to go on.
 */
import { connect, type Channel, type ChannelModel, type Options } from 'amqplib';
import { AMQP_EXCHANGE_OPTIONS, EVENT_EXCHANGE, amqpPublishOptions, type EncodedMessage } from '../../src/engine/simulate/encode.js';
import { UnavailableError } from '../../src/errors.js';
import type { Publisher } from './publisher.js';

export async function openAmqpPublisher(url: string): Promise<Publisher> {
  const conn: ChannelModel = await connect(url, { noDelay: true }); // as py-amqp: no Nagle delay on small event messages
  let failure: Error | null = null;
  let closing = false;
  const fail = (err: unknown): void => {
    if (closing) return;
    const why = err instanceof Error ? err.message : String(err);
    failure ??= new UnavailableError(`AMQP connection lost: ${why}`, { cause: err });
  };
  conn.on('error', fail);
  conn.on('close', () => fail(new Error('AMQP connection closed')));
  let ch: Channel;
  try {
    ch = await conn.createChannel();
    ch.on('error', fail);
    // A mismatch with the existing exchange (e.g. not durable) fails here with 406.
    await ch.assertExchange(EVENT_EXCHANGE, 'topic', AMQP_EXCHANGE_OPTIONS);
  } catch (err) {
    closing = true;
    await conn.close().catch(() => undefined);
    throw err;
  }
  // Properties objects are reused per sender: a handful of hostnames, millions of messages.
  const props = new Map<string, Options.Publish>();
  const propsFor = (hostname: string): Options.Publish => {
    let p = props.get(hostname);
    if (p === undefined) props.set(hostname, (p = amqpPublishOptions(hostname)));
    return p;
  };
  return {
    transport: 'amqp',
    publish(m: EncodedMessage): boolean {
      if (failure) throw failure;
      // ensure_ascii makes the body pure ASCII, so latin1 is its UTF-8 encoding (and faster).
      return ch.publish(EVENT_EXCHANGE, m.routingKey, Buffer.from(m.body, 'latin1'), propsFor(m.hostname));
    },
    flush(): void {},
    drained(): Promise<void> {
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        const onDrain = (): void => {
          ch.off('close', onClose);
          resolve();
        };
        const onClose = (): void => {
          ch.off('drain', onDrain);
          reject(failure ?? new Error('AMQP channel closed'));
        };
        ch.once('drain', onDrain);
        ch.once('close', onClose);
      });
    },
    async close(): Promise<void> {
      if (closing) return;
      closing = true;
      if (failure) {
        await conn.close().catch(() => undefined);
        throw failure;
      }
      // channel.close is an RPC queued behind every publish frame: when it returns, all went out.
      await ch.close();
      await conn.close();
    },
  };
}

/**
 * The task-message tap on RabbitMQ: consumes task messages from monitor queues the user's
 * topology already fills (`--tap QUEUE`: it must exist; its messages are taken, as a monitor
 * queue's are meant to be), and from queues of clearly's own bound with `#` to topic exchanges
 * (`--tap-exchange NAME`): exclusive and auto-deleted, or with `--tap-durable` durable and capped
 * with `x-max-length` (oldest dropped by RabbitMQ), so it can never fill the broker's disk.
 * A dropped connection is reconnected with backoff, as the event source's is (`lost`, then
 * `reconnected`); the first connection fails fast with UnavailableError.
 */
import { hostname } from 'node:os';
import type { ChannelModel } from 'amqplib';
import { amqpUnavailable, connectAmqp, type AmqpBroker } from './amqp-connect.js';
import { withHeartbeat } from './amqp-source.js';
import { backoffMs } from './source.js';
import type { TapHandlers, TapOptions, TapSource } from './tap-source.js';

export async function openAmqpTap(broker: AmqpBroker, o: TapOptions, h: TapHandlers): Promise<TapSource> {
  const tap = new AmqpTap(broker, o, h);
  await tap.connect();
  return tap;
}

class AmqpTap implements TapSource {
  readonly reading: string[] = [];
  private conn: ChannelModel | null = null;
  private closing = false;
  private lostAt = 0;
  private wake: (() => void) | null = null;

  constructor(
    private readonly broker: AmqpBroker,
    private readonly o: TapOptions,
    private readonly h: TapHandlers,
  ) {}

  /** One connection with every consumer on it; throws UnavailableError (nothing left open). */
  async connect(): Promise<void> {
    // Heartbeats: a dead broker is noticed within a minute, not when TCP gives up.
    const conn = await connectAmqp({ ...this.broker, url: withHeartbeat(this.broker.url) }, undefined, 'clearly tap');
    const reading: string[] = [];
    try {
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      // A channel the broker closed (a tapped queue deleted) ends the connection: 'close' reconnects.
      ch.on('close', () => {
        if (!this.closing && this.conn === conn) void conn.close().catch(() => {});
      });
      await ch.prefetch(256);
      const consume = async (queue: string): Promise<void> => {
        await ch.consume(
          queue,
          (msg) => {
            if (msg === null) return;
            const p = msg.properties;
            this.h.message({
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
      for (const q of this.o.queues) {
        await ch.checkQueue(q); // a typo fails loudly instead of tapping nothing
        await consume(q);
      }
      for (const ex of this.o.exchanges) {
        const name = `clearly.tap.${ex}.${this.o.durable ? hostname() : `${hostname()}.${process.pid}`}`;
        await ch.assertQueue(
          name,
          this.o.durable ? { durable: true, arguments: { 'x-max-length': this.o.maxLength } } : { exclusive: true, autoDelete: true, durable: false },
        );
        await ch.bindQueue(name, ex, '#');
        await consume(name);
      }
    } catch (e) {
      await conn.close().catch(() => {});
      throw amqpUnavailable(this.broker, e, 'cannot tap');
    }
    conn.on('close', () => this.onLost(conn));
    this.conn = conn;
    this.reading.splice(0, this.reading.length, ...reading);
  }

  private onLost(conn: ChannelModel): void {
    if (this.closing || this.conn !== conn) return;
    this.conn = null;
    this.lostAt = Date.now();
    this.h.status({ kind: 'lost', error: 'the tap connection closed' });
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    for (let attempt = 1; !this.closing; attempt++) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, backoffMs(attempt));
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
      if (this.closing) return;
      try {
        await this.connect();
      } catch {
        continue; // the broker may be restarting, or the tapped queue not declared again yet
      }
      if (this.closing) {
        await this.close();
        return;
      }
      this.h.status({ kind: 'reconnected', downSeconds: (Date.now() - this.lostAt) / 1000 });
      return;
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.wake?.();
    const conn = this.conn;
    this.conn = null;
    // Closing the connection deletes the exclusive queues with it.
    if (conn) await conn.close().catch(() => {});
  }
}

/**
 * Celery events from RabbitMQ: the durable topic exchange `celeryev` (declared exactly as Celery
 * does, or RabbitMQ answers 406) and a queue of our own bound with `#`. The queue is exclusive
 * and auto-delete so nothing is left on the broker, and has no message TTL: unlike Celery's own
 * receiver (5 s TTL) we never let the broker throw away what we have not read yet.
 */
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { amqpUnavailable } from './amqp-connect.js';
import type { BrokerUrl } from './url.js';
import { backoffMs, type EventSource, type SourceHandlers, type SourceOptions } from './source.js';

export const EVENT_EXCHANGE = 'celeryev';

export class AmqpEventSource implements EventSource {
  private conn: ChannelModel | null = null;
  private closing = false;
  private lostAt = 0;
  private readonly queue = `clearly.${randomUUID()}`;

  constructor(
    readonly broker: Extract<BrokerUrl, { transport: 'amqp' }>,
    private readonly handlers: SourceHandlers,
    private readonly options: SourceOptions,
  ) {}

  async start(): Promise<void> {
    try {
      await this.connect();
    } catch (e) {
      throw amqpUnavailable(this.broker, e);
    }
    this.handlers.status({ kind: 'connected' });
  }

  private async connect(): Promise<void> {
    const timeout = this.options.connectTimeoutMs ?? 5000;
    const conn = await withTimeout(amqp.connect(withHeartbeat(this.broker.url), { timeout }), timeout);
    try {
      conn.on('error', () => {
        // 'close' follows; the reconnect logic lives there.
      });
      conn.on('close', () => this.onLost(conn));
      const ch: Channel = await conn.createChannel();
      ch.on('error', () => {});
      // A channel closed by the broker (e.g. queue deleted by an operator) means no more events.
      ch.on('close', () => {
        if (!this.closing && this.conn === conn) void conn.close().catch(() => {});
      });
      await ch.assertExchange(EVENT_EXCHANGE, 'topic', { durable: true, autoDelete: false });
      await ch.assertQueue(this.queue, { durable: false, autoDelete: true, exclusive: true });
      await ch.bindQueue(this.queue, EVENT_EXCHANGE, '#');
      await ch.consume(this.queue, (msg) => this.onMessage(msg), { noAck: true });
      this.conn = conn;
    } catch (e) {
      await conn.close().catch(() => {});
      throw e;
    }
  }

  private onMessage(msg: ConsumeMessage | null): void {
    if (msg === null) return; // consumer cancelled by the broker; 'close' handling reconnects
    this.handlers.message({
      transport: 'amqp',
      routingKey: msg.fields.routingKey,
      contentType: msg.properties.contentType as string | undefined,
      contentEncoding: msg.properties.contentEncoding as string | undefined,
      body: msg.content,
    });
  }

  private onLost(conn: ChannelModel): void {
    if (this.closing || this.conn !== conn) return;
    this.conn = null;
    this.lostAt = Date.now();
    this.handlers.status({ kind: 'lost', error: 'connection closed' });
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    for (let attempt = 1; !this.closing; attempt++) {
      await sleep(backoffMs(attempt));
      if (this.closing) return;
      try {
        await this.connect();
        if (this.closing) {
          await this.close();
          return;
        }
        this.handlers.status({ kind: 'reconnected', downSeconds: (Date.now() - this.lostAt) / 1000 });
        return;
      } catch {
        // keep trying: the broker may be restarting
      }
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const conn = this.conn;
    this.conn = null;
    // Closing the connection deletes our exclusive queue with it.
    if (conn) await conn.close().catch(() => {});
  }
}

export function withHeartbeat(url: string): string {
  // Detect a dead broker within a minute instead of waiting on TCP.
  if (/[?&]heartbeat=/.test(url)) return url;
  return url + (url.includes('?') ? '&' : '?') + 'heartbeat=20';
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms / 1000}s`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Remote control over RabbitMQ (amqplib), declaring exactly what kombu's Mailbox declares
 * (PROTOCOL.md §6): a mismatch in exchange flags is a 406 that kills the channel.
 */
import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { ClearlyError, UnavailableError } from '../../errors.js';
import { amqpUnavailable, connectAmqp, type AmqpBroker } from '../broker/amqp-connect.js';
import {
  buildRequestBody,
  DEFAULT_NAMESPACE,
  encodeRequestBody,
  LamportClock,
  newTicket,
  REPLY_QUEUE_ARGS,
  replyExchange,
  replyLimit,
  replyQueueName,
  ReplyRouter,
  requestExchange,
  requestHeaders,
} from './mailbox.js';
import type { ControlClient, ControlOptions, ControlReply, ControlRequest } from './mailbox.js';

export async function openAmqpControl(broker: AmqpBroker, options: ControlOptions = {}): Promise<ControlClient> {
  const conn = await connectAmqp(broker, options.connectTimeoutMs, 'clearly control');
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    const client = new AmqpControl(broker, conn, ch, options.namespace ?? DEFAULT_NAMESPACE);
    await client.setup();
    return client;
  } catch (e) {
    await conn.close().catch(() => {});
    if (e instanceof ClearlyError) throw e;
    throw new ClearlyError('PROTOCOL', `cannot set up remote control on ${broker.masked}: ${errMsg(e)}`, { cause: e });
  }
}

class AmqpControl implements ControlClient {
  private readonly router = new ReplyRouter();
  private readonly clock = new LamportClock();
  private readonly oid = randomUUID();
  readonly replyQueue: string;
  private closed = false;
  private lost: UnavailableError | null = null;

  constructor(
    private readonly broker: AmqpBroker,
    private readonly conn: ChannelModel,
    private readonly ch: Channel,
    private readonly ns: string,
  ) {
    this.replyQueue = replyQueueName(this.oid, ns);
    const onGone = (what: string) => () => {
      if (this.closed || this.lost) return;
      this.lost = new UnavailableError(`lost the ${what} to the RabbitMQ broker at ${broker.masked} during a control call`);
      this.router.finishAll(this.lost);
    };
    conn.on('close', onGone('connection'));
    ch.on('close', onGone('channel'));
  }

  /** kombu `Mailbox._publish` + `get_reply_queue`: both exchanges, then our reply queue and its binding. */
  async setup(): Promise<void> {
    const ex = { durable: false, autoDelete: false, internal: false };
    await this.ch.assertExchange(requestExchange(this.ns), 'fanout', ex);
    await this.ch.assertExchange(replyExchange(this.ns), 'direct', ex);
    await this.ch.assertQueue(this.replyQueue, {
      durable: false,
      autoDelete: true,
      exclusive: false,
      arguments: { ...REPLY_QUEUE_ARGS },
    });
    await this.ch.bindQueue(this.replyQueue, replyExchange(this.ns), this.oid);
    await this.ch.consume(this.replyQueue, (m) => this.onReply(m), { noAck: true });
  }

  private onReply(m: ConsumeMessage | null): void {
    if (!m) {
      // The broker cancelled our consumer: the reply queue was deleted, so no reply can arrive.
      if (!this.closed && !this.lost) {
        this.lost = new UnavailableError(`the RabbitMQ broker at ${this.broker.masked} deleted our reply queue ${this.replyQueue}`);
        this.router.finishAll(this.lost);
      }
      return;
    }
    const headers = (m.properties.headers ?? {}) as Record<string, unknown>;
    this.clock.adjust(headers['clock']);
    const expires = headers['expires'];
    if (typeof expires === 'number' && expires > 0 && Date.now() / 1000 > expires) return;
    this.router.deliver(headers['ticket'], m.content, m.properties.contentType as string | undefined, m.properties.contentEncoding as string | undefined);
  }

  async call(req: ControlRequest): Promise<ControlReply[]> {
    const ticket = newTicket();
    const body = buildRequestBody(req.method, req.arguments, req.destination, { ticket, oid: this.oid }, this.ns);
    // Registered before publishing: a fast worker may answer before publish() returns.
    const replies = this.router.expect(ticket, req.timeoutMs, replyLimit(req), req.onProblem);
    try {
      this.publish(body, req.timeoutMs);
    } catch (e) {
      this.router.finish(ticket);
      throw e;
    }
    return replies;
  }

  async cast(method: string, args?: Record<string, unknown>, destination?: readonly string[] | null): Promise<void> {
    // Celery's broadcast() passes timeout=1 even without a reply, so casts carry expires = now + 1 s.
    this.publish(buildRequestBody(method, args, destination, null, this.ns), 1000);
  }

  private publish(body: Record<string, unknown>, timeoutMs: number): void {
    if (this.closed) throw new ClearlyError('INTERNAL', 'control client used after close()');
    if (this.lost) throw this.lost;
    try {
      this.ch.publish(requestExchange(this.ns), '', encodeRequestBody(body), {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 2,
        priority: 0,
        headers: requestHeaders(this.clock.forward(), timeoutMs, Date.now()),
      });
    } catch (e) {
      throw amqpUnavailable(this.broker, e);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.router.finishAll();
    if (this.lost) {
      await this.conn.close().catch(() => {});
      return;
    }
    // Delete explicitly rather than rely on auto-delete (which needs the consumer to have been
    // registered) or x-expires (10 s later). Deleting also cancels our consumer.
    try {
      await this.ch.deleteQueue(this.replyQueue);
      await this.ch.close();
    } catch {
      // the connection is going away anyway
    }
    await this.conn.close().catch(() => {});
  }
}

function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

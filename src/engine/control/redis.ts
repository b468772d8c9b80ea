/**
 * Remote control over Redis (ioredis), speaking kombu's virtual transport (PROTOCOL.md §6):
 * requests are PUBLISHed to `/{db}.celery.pidbox`; a worker LPUSHes its reply to every queue
 * listed in `_kombu.binding.reply.celery.pidbox` under our routing key, so we must be in that set
 * before publishing, and we BRPOP our reply list.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ClearlyError } from '../../errors.js';
import { bindingKey, bindingMember, connectRedis, fanoutChannel, priorityKeys, redisUnavailable, type RedisBroker } from '../broker/redis-connect.js';
import { decodeEnvelope, encodeEnvelope } from './codec.js';
import {
  buildRequestBody,
  DEFAULT_NAMESPACE,
  encodeRequestBody,
  LamportClock,
  newTicket,
  replyExchange,
  replyLimit,
  replyQueueName,
  ReplyRouter,
  requestExchange,
  requestHeaders,
} from './mailbox.js';
import type { ControlClient, ControlOptions, ControlReply, ControlRequest } from './mailbox.js';

/**
 * How long one BRPOP blocks: bounds how late the reader notices that nothing is pending. An
 * integer, because Redis before 6.0 rejects fractional timeouts.
 */
const BRPOP_SECONDS = 1;

export async function openRedisControl(broker: RedisBroker, options: ControlOptions = {}): Promise<ControlClient> {
  // kombu's oid names our reply queue and routing key; it also names our connections in CLIENT LIST.
  const oid = randomUUID();
  const cmd = await connectRedis(broker, options.connectTimeoutMs, `clearly-control:${oid}`);
  let blocking: Redis;
  try {
    // BRPOP blocks its connection, so it gets its own; PUBLISH must not wait behind it.
    blocking = await connectRedis(broker, options.connectTimeoutMs, `clearly-control-replies:${oid}`);
  } catch (e) {
    cmd.disconnect();
    throw e;
  }
  const client = new RedisControl(broker, cmd, blocking, options.namespace ?? DEFAULT_NAMESPACE, oid);
  try {
    await client.setup();
  } catch (e) {
    await client.close();
    throw redisUnavailable(broker, e);
  }
  return client;
}

class RedisControl implements ControlClient {
  private readonly router = new ReplyRouter();
  private readonly clock = new LamportClock();
  readonly replyQueue: string;
  private readonly replyKeys: string[];
  private readonly member: string;
  private readonly channel: string;
  private reading = false;
  private closed = false;

  constructor(
    private readonly broker: RedisBroker,
    private readonly cmd: Redis,
    private readonly blocking: Redis,
    private readonly ns: string,
    private readonly oid: string,
  ) {
    this.replyQueue = replyQueueName(this.oid, ns);
    this.replyKeys = priorityKeys(this.replyQueue);
    this.member = bindingMember(this.oid, this.replyQueue);
    this.channel = fanoutChannel(broker.db, requestExchange(ns));
  }

  async setup(): Promise<void> {
    await this.cmd.sadd(bindingKey(replyExchange(this.ns)), this.member);
  }

  async call(req: ControlRequest): Promise<ControlReply[]> {
    const ticket = newTicket();
    const body = buildRequestBody(req.method, req.arguments, req.destination, { ticket, oid: this.oid }, this.ns);
    const replies = this.router.expect(ticket, req.timeoutMs, replyLimit(req), req.onProblem);
    let receivers: number;
    try {
      receivers = await this.publish(body, req.timeoutMs);
    } catch (e) {
      this.router.finish(ticket);
      throw e;
    }
    // PUBLISH counts the subscribers that got it (workers PSUBSCRIBE the channel): with none, no
    // reply can come, so do not make the caller sit out the timeout.
    if (receivers === 0) this.router.finish(ticket);
    else this.startReading();
    return replies;
  }

  async cast(method: string, args?: Record<string, unknown>, destination?: readonly string[] | null): Promise<void> {
    await this.publish(buildRequestBody(method, args, destination, null, this.ns), 1000);
  }

  private async publish(body: Record<string, unknown>, timeoutMs: number): Promise<number> {
    if (this.closed) throw new ClearlyError('INTERNAL', 'control client used after close()');
    const envelope = encodeEnvelope({
      body: encodeRequestBody(body),
      headers: requestHeaders(this.clock.forward(), timeoutMs, Date.now()),
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      priority: 0,
      exchange: requestExchange(this.ns),
      routingKey: '',
      deliveryTag: randomUUID(),
    });
    try {
      return await this.cmd.publish(this.channel, envelope);
    } catch (e) {
      throw redisUnavailable(this.broker, e);
    }
  }

  /** One reader for all calls in flight; it stops once nothing is pending. */
  private startReading(): void {
    if (this.reading || this.closed) return;
    this.reading = true;
    void this.readLoop().finally(() => {
      this.reading = false;
      if (this.router.size > 0 && !this.closed) this.startReading();
    });
  }

  private async readLoop(): Promise<void> {
    try {
      while (!this.closed && this.router.size > 0) {
        const got = await this.blocking.brpop(...this.replyKeys, BRPOP_SECONDS);
        if (!got) continue;
        const unwrapped = decodeEnvelope(got[1]);
        if (!unwrapped.ok) {
          this.router.problem(unwrapped.problem);
          continue;
        }
        const { headers, body, contentType, contentEncoding } = unwrapped.value;
        this.clock.adjust(headers['clock']);
        this.router.deliver(headers['ticket'], body, contentType, contentEncoding);
      }
    } catch (e) {
      if (!this.closed) this.router.finishAll(redisUnavailable(this.broker, e, 'lost the connection to'));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.router.finishAll();
    // Aborts a BRPOP in flight; the reader sees `closed` and stops quietly.
    this.blocking.disconnect();
    try {
      await this.cmd.srem(bindingKey(replyExchange(this.ns)), this.member);
      await this.cmd.del(...this.replyKeys);
      await this.cmd.quit();
    } catch {
      this.cmd.disconnect();
    }
  }
}

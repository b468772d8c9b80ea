/**
 * Celery events from Redis: kombu publishes them with PUBLISH on `/{db}.celeryev/<routing key>`
 * (a fanout exchange, so pub/sub: nothing is stored and nothing needs cleaning up).
 */
import { Redis } from 'ioredis';
import { redisUnavailable } from './redis-connect.js';
import type { BrokerUrl } from './url.js';
import { Backlog } from './backlog.js';
import type { RedisRawMessage } from '../events/types.js';
import { backoffMs, describeError as describe, type EventSource, type SourceHandlers, type SourceOptions } from './source.js';

/** 256 MiB of envelopes: about 350k events of a typical size, a few seconds at the broker's top rate. */
export const DEFAULT_BACKLOG_BYTES = 256 * 1024 * 1024;

type Queued = RedisRawMessage & { readonly size: number };

export class RedisEventSource implements EventSource {
  private redis: Redis | null = null;
  private closing = false;
  private connected = false;
  private lostAt = 0;
  private readonly backlog: Backlog<Queued>;
  private dropTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly broker: Extract<BrokerUrl, { transport: 'redis' }>,
    private readonly handlers: SourceHandlers,
    private readonly options: SourceOptions,
  ) {
    this.backlog = new Backlog<Queued>((m) => handlers.message(m), {
      maxBytes: options.backlogBytes ?? DEFAULT_BACKLOG_BYTES,
    });
  }

  /** Pub/sub channels are global (SELECT does not apply): the db prefix is the only separation. */
  get pattern(): string {
    return `/${this.broker.db}.celeryev/*`;
  }

  async start(): Promise<void> {
    const redis = new Redis(this.broker.url, {
      lazyConnect: true,
      connectTimeout: this.options.connectTimeoutMs ?? 5000,
      maxRetriesPerRequest: null,
      // The first connection fails fast (a clear error beats a silent hang); later ones retry forever.
      retryStrategy: (times) => (this.connected ? backoffMs(times) : null),
    });
    this.redis = redis;
    let lastError = '';
    let lastErrorObject: Error | null = null;
    redis.on('error', (e: Error) => {
      lastError = describe(e);
      lastErrorObject = e;
    });
    redis.on('pmessage', (_pattern: string, channel: string, message: string) => {
      this.backlog.push({ transport: 'redis', channel, payload: message, size: message.length });
    });
    redis.on('close', () => {
      if (this.closing || !this.connected || this.lostAt !== 0) return;
      this.lostAt = Date.now();
      this.handlers.status({ kind: 'lost', error: lastError || 'connection closed' });
    });
    redis.on('ready', () => {
      // ioredis re-subscribes by itself after a reconnect.
      if (this.lostAt === 0) return;
      const downSeconds = (Date.now() - this.lostAt) / 1000;
      this.lostAt = 0;
      this.handlers.status({ kind: 'reconnected', downSeconds });
    });
    try {
      await redis.connect();
      await redis.psubscribe(this.pattern);
    } catch (e) {
      redis.disconnect();
      throw redisUnavailable(this.broker, lastErrorObject ?? e);
    }
    this.connected = true;
    this.handlers.status({ kind: 'connected' });
    // Said at most once a second, not per message.
    this.dropTimer = setInterval(() => {
      const count = this.backlog.takeDropped();
      if (count > 0) this.handlers.status({ kind: 'dropped', count });
    }, 1000);
    this.dropTimer.unref();
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.dropTimer) clearInterval(this.dropTimer);
    this.backlog.clear();
    const redis = this.redis;
    this.redis = null;
    if (!redis) return;
    try {
      await Promise.race([redis.quit(), new Promise((r) => setTimeout(r, 1000))]);
    } catch {
      // already gone
    }
    redis.disconnect();
  }
}

/**
 * The brokers integration tests run against, a reachability check that THROWS (a missing broker is
 * a broken test environment, never a reason to skip), and queue purging so runs don't leak into
 * each other.
 */
import amqplib from 'amqplib';
import { Redis } from 'ioredis';

/**
 * Where the integration tests publish, set by environment variables so that a test run can be
 * kept apart from another one on the same brokers (README, "What the tests touch"):
 *  - TEST_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672//): RabbitMQ, its vhost shared;
 *    tests that need quiet make vhosts of their own on the same server (isolated.ts);
 *  - TEST_REDIS_URL (default redis://127.0.0.1:6379/0): Redis, its db shared;
 *  - TEST_RESULT_BACKEND (default: db 1 of TEST_REDIS_URL's server): the result backend;
 *  - TEST_REDIS_DB_BASE (default 10): the first of the Redis dbs that tests flush (ISOLATED_DB).
 */
const env = process.env;

/** A broker URL with a different Redis db, e.g. for a test that must not see db 0's events. */
export function redisDb(url: string, db: number): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export const BROKERS = {
  amqp: env['TEST_AMQP_URL'] || 'amqp://guest:guest@127.0.0.1:5672//',
  redis: env['TEST_REDIS_URL'] || 'redis://127.0.0.1:6379/0',
} as const;
export type BrokerKind = keyof typeof BROKERS;
export const BROKER_KINDS: readonly BrokerKind[] = ['amqp', 'redis'];

/** Result backend for tests that check what the worker stored (db 1, apart from the broker's db 0). */
export const RESULT_BACKEND = env['TEST_RESULT_BACKEND'] || redisDb(BROKERS.redis, 1);

/**
 * The Redis dbs that tests own and flush, one per test file, from TEST_REDIS_DB_BASE (default 10)
 * on the server of TEST_REDIS_URL: check, inspect, wait, the load generator's tests, the state
 * rule's differential test, the metrics, the events-off detection, diagnose's exact verdicts.
 */
const DB_BASE = Number(env['TEST_REDIS_DB_BASE'] || 10);
export const ISOLATED_DB = {
  check: DB_BASE,
  inspect: DB_BASE + 1,
  wait: DB_BASE + 2,
  generator: DB_BASE + 3,
  differential: DB_BASE + 4,
  metrics: DB_BASE + 5,
  /**
   * Redis has 16 dbs (base..base+5 above): these two are below the base, skipping base - 1, which
   * is the bench's (db 9 by default: bench/lib/brokers.ts); 0 and 1 are the broker and the results.
   */
  eventsOff: DB_BASE - 2,
  diagnose: DB_BASE - 3,
} as const;

/** Redis's priority sub-queues: `<queue>`, `<queue>\x06\x163`, `\x06\x166`, `\x06\x169` (PROTOCOL.md §8). */
const REDIS_PRIORITY_SUFFIXES = ['', '\x06\x163', '\x06\x166', '\x06\x169'] as const;

const CONNECT_TIMEOUT_MS = 3_000;

export function brokerKind(url: string): BrokerKind {
  if (url.startsWith('amqp://') || url.startsWith('pyamqp://')) return 'amqp';
  if (url.startsWith('redis://')) return 'redis';
  throw new Error(`test helpers: unsupported broker URL ${url}`);
}

/** Throws a clear error (what, where, how to fix) if the broker does not answer. */
export async function assertBrokerReachable(url: string): Promise<void> {
  const kind = brokerKind(url);
  try {
    if (kind === 'amqp') {
      const conn = await amqplib.connect(amqpUrl(url), { timeout: CONNECT_TIMEOUT_MS });
      await conn.close();
    } else {
      await withRedis(url, async (r) => {
        const pong = await r.ping();
        if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
      });
    }
  } catch (err) {
    const service = kind === 'amqp' ? 'RabbitMQ' : 'Redis';
    throw new Error(
      `${service} is not reachable at ${mask(url)}: ${reason(err)}. ` +
        `Integration tests need it running (start it, or run .ci/run which installs and starts both).`,
      { cause: err },
    );
  }
}

export async function assertBrokersReachable(): Promise<void> {
  await Promise.all(BROKER_KINDS.map((k) => assertBrokerReachable(BROKERS[k])));
}

/** Messages waiting in `queue` (all Redis priority sub-queues summed). 0 if the queue does not exist. */
export async function queueLength(url: string, queue = 'celery'): Promise<number> {
  if (brokerKind(url) === 'amqp') {
    return withAmqpChannel(url, async (ch) => {
      try {
        return (await ch.checkQueue(queue)).messageCount;
      } catch (err) {
        if (isNotFound(err)) return 0;
        throw err;
      }
    });
  }
  return withRedis(url, async (r) => {
    const lengths = await Promise.all(REDIS_PRIORITY_SUFFIXES.map((s) => r.llen(queue + s)));
    return lengths.reduce((a, b) => a + b, 0);
  });
}

/**
 * Drop every message waiting in `queue` and return how many there were. On Redis this deletes the
 * list and its priority sub-lists; messages a worker holds unacked are not touched (they belong to it).
 */
export async function purgeQueue(url: string, queue = 'celery'): Promise<number> {
  if (brokerKind(url) === 'amqp') {
    return withAmqpChannel(url, async (ch) => {
      try {
        return (await ch.purgeQueue(queue)).messageCount;
      } catch (err) {
        if (isNotFound(err)) return 0; // never declared: nothing to purge
        throw err;
      }
    });
  }
  return withRedis(url, async (r) => {
    const keys = REDIS_PRIORITY_SUFFIXES.map((s) => queue + s);
    const lengths = await Promise.all(keys.map((k) => r.llen(k)));
    await r.del(...keys);
    return lengths.reduce((a, b) => a + b, 0);
  });
}

/** Delete an AMQP queue (e.g. a per-test queue) or the Redis lists behind it. */
export async function deleteQueue(url: string, queue: string): Promise<void> {
  if (brokerKind(url) === 'amqp') {
    await withAmqpChannel(url, async (ch) => {
      await ch.deleteQueue(queue);
    });
    return;
  }
  await withRedis(url, async (r) => {
    await r.del(...REDIS_PRIORITY_SUFFIXES.map((s) => queue + s), `_kombu.binding.${queue}`);
  });
}

/** A queue name no other test (or concurrent test run) uses. */
export function uniqueQueue(prefix = 'clearly-test'): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Run `fn` with a connected ioredis client on the URL's db, then disconnect. */
export async function withRedis<T>(url: string, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null, // one attempt: a test must fail, not hang, on a dead Redis
    enableOfflineQueue: false,
  });
  // ioredis rejects connect() with a bare "Connection is closed"; the 'error' event has the cause.
  let lastError: unknown;
  r.on('error', (err: unknown) => (lastError = err));
  try {
    await r.connect().catch((err: unknown) => {
      throw lastError ?? err;
    });
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

async function withAmqpChannel<T>(url: string, fn: (ch: amqplib.Channel) => Promise<T>): Promise<T> {
  const conn = await amqplib.connect(amqpUrl(url), { timeout: CONNECT_TIMEOUT_MS });
  // A 404 closes the channel and emits 'error' on it; the awaited call rejects with the same error.
  conn.on('error', () => {});
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    return await fn(ch);
  } finally {
    await conn.close().catch(() => {});
  }
}

/** kombu's `pyamqp://` means AMQP 0-9-1 too; amqplib only knows `amqp://`. */
function amqpUrl(url: string): string {
  return url.replace(/^pyamqp:/, 'amqp:');
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 404;
}

function reason(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return code !== undefined && !err.message.includes(String(code)) ? `${err.message} (${String(code)})` : err.message;
  }
  return String(err);
}

function mask(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}

/**
 * Redis publisher: kombu's fanout delivery of events, `PUBLISH /{db}.celeryev/<routing key>
 * <envelope>` (PROTOCOL.md §2). Commands go out in ioredis pipelines of PIPELINE_SIZE with at most
 * MAX_IN_FLIGHT pipelines awaiting replies, so the socket stays full without a promise per event.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisChannel, redisEnvelope, type EncodedMessage } from '../../src/engine/simulate/encode.js';
import { UnavailableError } from '../../src/errors.js';
import type { Publisher } from './publisher.js';

const PIPELINE_SIZE = 512;
const MAX_IN_FLIGHT = 8;

/** The db number of a redis:// URL (`/3`), which kombu puts in the channel name. */
export function redisDb(url: string): number {
  const path = new URL(url).pathname.replace(/^\//, '');
  if (path === '') return 0;
  const db = Number(path);
  if (!Number.isInteger(db) || db < 0) throw new RangeError(`bad Redis db in URL path: /${path}`);
  return db;
}

export async function openRedisPublisher(url: string): Promise<Publisher> {
  const db = redisDb(url);
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', () => {
    // Reported through the failing pipelines; without a listener ioredis logs to stderr.
  });
  await redis.connect();
  // Channel names are few (one per routing key): build each once.
  const channels = new Map<string, string>();
  let pipe = redis.pipeline();
  let queued = 0;
  let inFlight = 0;
  let failure: Error | null = null;
  let waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  const settle = (): void => {
    if (inFlight >= MAX_IN_FLIGHT && failure === null) return;
    const ws = waiters;
    waiters = [];
    for (const w of ws) (failure ? w.reject(failure) : w.resolve());
  };
  const send = (): void => {
    if (queued === 0) return;
    const p = pipe;
    pipe = redis.pipeline();
    queued = 0;
    inFlight++;
    p.exec().then(
      (results) => {
        const err = results?.find(([e]) => e !== null)?.[0];
        if (err) failure ??= new UnavailableError(`Redis PUBLISH failed: ${err.message}`, { cause: err });
        inFlight--;
        settle();
      },
      (err: unknown) => {
        const why = err instanceof Error ? err.message : String(err);
        failure ??= new UnavailableError(`Redis connection lost: ${why}`, { cause: err });
        inFlight--;
        settle();
      },
    );
  };
  const idle = async (): Promise<void> => {
    while (inFlight > 0) await new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
  };

  return {
    transport: 'redis',
    publish(m: EncodedMessage): boolean {
      if (failure) throw failure;
      let channel = channels.get(m.routingKey);
      if (channel === undefined) channels.set(m.routingKey, (channel = redisChannel(db, m.routingKey)));
      pipe.publish(channel, redisEnvelope(m.body, m.routingKey, m.hostname, randomUUID()));
      if (++queued >= PIPELINE_SIZE) send();
      return inFlight < MAX_IN_FLIGHT;
    },
    flush: send,
    drained(): Promise<void> {
      send();
      if (failure) return Promise.reject(failure);
      if (inFlight < MAX_IN_FLIGHT) return Promise.resolve();
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    async close(): Promise<void> {
      send();
      await idle().catch(() => {
        // `failure` holds it.
      });
      if (failure) {
        redis.disconnect();
        throw failure;
      }
      await redis.quit();
    },
  };
}

/**
 * Connecting to Redis (ioredis) without retries and with a deadline, the one message for "cannot
 * reach it", and kombu's key layout on Redis (priority sub-queues, binding sets, fanout channels):
 * shared by queue depths and remote control.
 */
import { Redis } from 'ioredis';
import { UnavailableError } from '../../errors.js';
import { explainRedisError } from './connect-errors.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, type BrokerUrl } from './url.js';

export type RedisBroker = Extract<BrokerUrl, { transport: 'redis' }>;

/** kombu's separator inside binding members and priority sub-keys. */
export const KOMBU_SEP = '\x06\x16';
/** `PRIORITY_STEPS = [0, 3, 6, 9]`: step 0 is the bare key, the others `<key>\x06\x16<step>`. */
export function priorityKeys(queue: string): string[] {
  return [queue, `${queue}${KOMBU_SEP}3`, `${queue}${KOMBU_SEP}6`, `${queue}${KOMBU_SEP}9`];
}
/** `_kombu.binding.<exchange>` holds `<routing key>\x06\x16<pattern>\x06\x16<queue>` members. */
export const bindingKey = (exchange: string): string => `_kombu.binding.${exchange}`;
export const bindingMember = (routingKey: string, queue: string): string =>
  [routingKey, '', queue].join(KOMBU_SEP);
/** kombu `keyprefix_fanout` `/{db}.` + exchange: pub/sub ignores SELECT, the prefix separates dbs. */
export const fanoutChannel = (db: number, exchange: string): string => `/${db}.${exchange}`;

/** Connects without retrying (a dead broker must fail fast); failures become UnavailableError. */
export async function connectRedis(
  broker: RedisBroker,
  timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
  connectionName = 'clearly',
): Promise<Redis> {
  const client = new Redis(broker.url, {
    // Shows in CLIENT LIST, so an operator can tell what this connection is.
    connectionName,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  let lastError: unknown = null;
  // Without a listener ioredis logs "Unhandled error event"; the error surfaces through connect().
  client.on('error', (e: unknown) => {
    lastError = e;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs + 250);
      }),
    ]);
    return client;
  } catch (e) {
    client.disconnect();
    throw redisUnavailable(broker, lastError ?? e);
  } finally {
    clearTimeout(timer);
  }
}

export function redisUnavailable(broker: RedisBroker, e: unknown, what = 'cannot reach'): UnavailableError {
  return new UnavailableError(`${what} Redis at ${broker.masked}: ${explainRedisError(broker.url, e)}`, { cause: e });
}

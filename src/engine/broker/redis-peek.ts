/**
 * The next message of each queue on Redis, without consuming it: kombu LPUSHes and the worker
 * BRPOPs the bare key first, then the priority steps (`queue\x06\x163`...), so the message served
 * next is `LINDEX <key> -1` of the first non-empty key in that order.
 */
import { connectRedis, priorityKeys, redisUnavailable, type RedisBroker } from './redis-connect.js';
import type { QueuePeek, QueueOptions } from './queues.js';

export async function redisPeekOldest(broker: RedisBroker, queues: readonly string[], options: QueueOptions = {}): Promise<QueuePeek[]> {
  const client = await connectRedis(broker, options.connectTimeoutMs, 'clearly-peek');
  try {
    const pipe = client.pipeline();
    for (const queue of queues) for (const key of priorityKeys(queue)) pipe.lindex(key, -1);
    const results = (await pipe.exec()) ?? [];
    const per = priorityKeys('').length;
    return queues.map((queue, i): QueuePeek => {
      const slice = results.slice(i * per, (i + 1) * per);
      const failed = slice.find(([err]) => err !== null);
      if (failed !== undefined) return { queue, ok: false, reason: `${queue} is not a list clearly can read (${String(failed[0])})` };
      const hit = slice.find(([, v]) => typeof v === 'string');
      return { queue, ok: true, raw: hit === undefined ? null : (hit[1] as string) };
    });
  } catch (e) {
    throw redisUnavailable(broker, e);
  } finally {
    client.disconnect();
  }
}

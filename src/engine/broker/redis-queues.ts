/** Queue depths on Redis: kombu keeps a queue as up to four lists, one per priority step. */
import type { BrokerUrl } from './url.js';
import { bindingKey, connectRedis, priorityKeys, redisUnavailable } from './redis-connect.js';
import type { QueueDepth, QueueOptions } from './queues.js';

type RedisBroker = Extract<BrokerUrl, { transport: 'redis' }>;

export async function redisQueueDepths(broker: RedisBroker, queues: readonly string[], options: QueueOptions = {}): Promise<QueueDepth[]> {
  const client = await connectRedis(broker, options.connectTimeoutMs, 'clearly-queues');
  try {
    const pipe = client.pipeline();
    for (const queue of queues) {
      for (const key of priorityKeys(queue)) pipe.llen(key);
      pipe.exists(bindingKey(queue));
    }
    const results = (await pipe.exec()) ?? [];
    const per = priorityKeys('').length + 1;
    return queues.map((queue, i) => {
      const slice = results.slice(i * per, (i + 1) * per);
      const lens = slice.slice(0, per - 1);
      const bound = slice[per - 1]?.[1] === 1;
      // A key of another type (WRONGTYPE) is not a kombu queue: its depth is unknown.
      const known = lens.every(([err, n]) => !err && typeof n === 'number');
      const messages = known ? lens.reduce((sum, [, n]) => sum + (n as number), 0) : null;
      return { queue, messages, consumers: null, exists: bound || messages === null || messages > 0 };
    });
  } catch (e) {
    throw redisUnavailable(broker, e);
  } finally {
    client.disconnect();
  }
}

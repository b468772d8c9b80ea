/**
 * The task-message tap on Redis. kombu emulates a topic exchange with the set
 * `_kombu.binding.<exchange>` (members `routing_key\x06\x16\x06\x16queue`): a publish pushes the
 * message to every bound list. `--tap QUEUE` pops (BRPOP, priority keys first as workers do)
 * from a monitor list the user's binding fills; `--tap-exchange NAME` adds clearly's own list
 * bound with `#`, removed again at close unless `--tap-durable`, and kept to `maxLength`
 * messages (LTRIM of the oldest) so it can never fill the broker's memory.
 */
import { hostname } from 'node:os';
import { bindingKey, bindingMember, connectRedis, priorityKeys, redisUnavailable, type RedisBroker } from './redis-connect.js';
import { describeError } from './source.js';
import type { TapHandlers, TapOptions, TapSource } from './tap-source.js';

export async function openRedisTap(broker: RedisBroker, o: TapOptions, h: TapHandlers): Promise<TapSource> {
  const client = await connectRedis(broker, undefined, 'clearly-tap');
  const own: { exchange: string; member: string; list: string }[] = [];
  const lists: string[] = [...o.queues];
  try {
    for (const ex of o.exchanges) {
      const list = `clearly.tap.${ex}.${o.durable ? hostname() : `${hostname()}.${process.pid}`}`;
      const member = bindingMember('#', list);
      await client.sadd(bindingKey(ex), member);
      own.push({ exchange: ex, member, list });
      lists.push(list);
    }
  } catch (e) {
    client.disconnect();
    throw redisUnavailable(broker, e);
  }
  const keys = lists.flatMap((l) => priorityKeys(l));
  const queueOf = new Map<string, string>();
  for (const l of lists) for (const k of priorityKeys(l)) queueOf.set(k, l);
  let closed = false;
  const loop = async (): Promise<void> => {
    while (!closed) {
      try {
        const r = await client.brpop(...keys, 1);
        if (r === null) continue;
        const [key, text] = r;
        h.envelope(text, queueOf.get(key) ?? key);
        for (const x of own) if (queueOf.get(key) === x.list) void client.ltrim(x.list, 0, o.maxLength - 1);
      } catch (e) {
        if (closed) return;
        h.status({ kind: 'lost', error: describeError(e) });
        return;
      }
    }
  };
  const running = loop();
  return {
    reading: lists,
    async close() {
      closed = true;
      await running;
      if (!o.durable) for (const x of own) await client.srem(bindingKey(x.exchange), x.member).catch(() => 0);
      if (!o.durable) for (const x of own) await client.del(...priorityKeys(x.list)).catch(() => 0);
      client.disconnect();
    },
  };
}

/**
 * The task-message tap on Redis. kombu emulates a topic exchange with the set
 * `_kombu.binding.<exchange>` (members `routing_key\x06\x16\x06\x16queue`): a publish pushes the
 * message to every bound list. `--tap QUEUE` pops (BRPOP, priority keys first as workers do)
 * from a monitor list the user's binding fills; `--tap-exchange NAME` adds clearly's own list
 * bound with `#`, removed again at close unless `--tap-durable`, and kept to `maxLength`
 * messages (LTRIM of the oldest, at each connection and after each pop) so what clearly reads
 * can never fill the broker's memory; the lists a dead clearly on this host left bound are
 * removed at start. A dropped connection is reconnected with backoff (the
 * bindings asserted again: a restarted Redis may have lost them); the lists keep what was
 * pushed meanwhile, so nothing is missed.
 */
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { bindingKey, bindingMember, connectRedis, KOMBU_SEP, priorityKeys, redisUnavailable, type RedisBroker } from './redis-connect.js';
import { backoffMs, describeError } from './source.js';
import type { TapHandlers, TapOptions, TapSource } from './tap-source.js';

interface Own {
  readonly exchange: string;
  readonly member: string;
  readonly list: string;
}

/** Binds clearly's own lists (again) and trims them to the cap. */
async function bind(client: Redis, own: readonly Own[], maxLength: number): Promise<void> {
  for (const x of own) {
    await client.sadd(bindingKey(x.exchange), x.member);
    await client.ltrim(x.list, 0, maxLength - 1);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Redis has no auto-delete: a clearly on this host that died without closing (SIGKILL, a crash)
 * left its list bound, and kombu would fill it for ever. Its binding and list go now; the names
 * removed are returned for the notice.
 */
async function sweepDead(client: Redis, exchanges: readonly string[]): Promise<string[]> {
  const swept: string[] = [];
  for (const ex of exchanges) {
    const prefix = `clearly.tap.${ex}.${hostname()}.`;
    for (const member of await client.smembers(bindingKey(ex))) {
      const list = member.split(KOMBU_SEP).at(-1) ?? '';
      if (!list.startsWith(prefix)) continue;
      const rest = list.slice(prefix.length);
      const pid = /^\d+$/.test(rest) ? Number(rest) : NaN;
      if (!Number.isSafeInteger(pid) || pid === process.pid || alive(pid)) continue;
      await client.srem(bindingKey(ex), member);
      await client.del(...priorityKeys(list));
      swept.push(list);
    }
  }
  return swept;
}

export async function openRedisTap(broker: RedisBroker, o: TapOptions, h: TapHandlers): Promise<TapSource> {
  const own: Own[] = o.exchanges.map((ex) => {
    const list = `clearly.tap.${ex}.${o.durable ? hostname() : `${hostname()}.${process.pid}`}`;
    return { exchange: ex, member: bindingMember('#', list), list };
  });
  const lists: string[] = [...o.queues, ...own.map((x) => x.list)];
  let client = await connectRedis(broker, undefined, 'clearly-tap');
  let swept: string[];
  try {
    swept = await sweepDead(client, o.exchanges);
    await bind(client, own, o.maxLength);
  } catch (e) {
    client.disconnect();
    throw redisUnavailable(broker, e);
  }
  const keys = lists.flatMap((l) => priorityKeys(l));
  const queueOf = new Map<string, string>();
  for (const l of lists) for (const k of priorityKeys(l)) queueOf.set(k, l);
  const ownList = new Set(own.map((x) => x.list));
  let closed = false;
  let wake: (() => void) | null = null;
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  /** After a lost connection: connect again with backoff until it works or the tap closes. */
  const reconnect = async (): Promise<boolean> => {
    const lostAt = Date.now();
    client.disconnect();
    for (let attempt = 1; !closed; attempt++) {
      await pause(backoffMs(attempt));
      if (closed) return false;
      let next: Redis | null = null;
      try {
        next = await connectRedis(broker, undefined, 'clearly-tap');
        await bind(next, own, o.maxLength);
      } catch {
        next?.disconnect();
        continue; // the broker may be restarting
      }
      client = next;
      h.status({ kind: 'reconnected', downSeconds: (Date.now() - lostAt) / 1000 });
      return true;
    }
    return false;
  };

  let boundAt = Date.now();
  const loop = async (): Promise<void> => {
    while (!closed) {
      try {
        const r = await client.brpop(...keys, 1);
        if (r === null) {
          // While idle, every 10 s: the bindings again (someone may have removed them).
          if (own.length > 0 && Date.now() - boundAt > 10_000) {
            boundAt = Date.now();
            for (const x of own) await client.sadd(bindingKey(x.exchange), x.member);
          }
          continue;
        }
        const [key, text] = r;
        const queue = queueOf.get(key) ?? key;
        h.envelope(text, queue);
        if (ownList.has(queue)) client.ltrim(queue, 0, o.maxLength - 1).catch(() => 0);
      } catch (e) {
        if (closed) return;
        h.status({ kind: 'lost', error: describeError(e) });
        if (!(await reconnect())) return;
      }
    }
  };
  const running = loop();
  return {
    reading: lists,
    swept,
    async close() {
      closed = true;
      (wake as (() => void) | null)?.();
      await running;
      if (!o.durable) for (const x of own) await client.srem(bindingKey(x.exchange), x.member).catch(() => 0);
      if (!o.durable) for (const x of own) await client.del(...priorityKeys(x.list)).catch(() => 0);
      client.disconnect();
    },
  };
}

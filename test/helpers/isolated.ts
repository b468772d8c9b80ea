/**
 * A broker of our own for tests that must see NO other traffic (silence, failure rates): brokers
 * are shared with other test runs, and RabbitMQ's `celeryev` exchange or Redis's `/0.celeryev/*`
 * channels carry everyone's events. On RabbitMQ a fresh vhost (rabbitmqctl: the integration
 * environment runs as root, as the server tests need too); on Redis a database of our own (pub/sub
 * channels carry the db number, so events do not cross), flushed before and after.
 */
import { execa } from 'execa';
import { BROKERS, withRedis, type BrokerKind } from './brokers.js';

export interface IsolatedBroker {
  readonly url: string;
  dispose(): Promise<void>;
}

async function rabbitmqctl(...args: string[]): Promise<void> {
  const r = await execa('rabbitmqctl', args, { reject: false, timeout: 60_000 });
  if (r.exitCode !== 0) {
    throw new Error(`rabbitmqctl ${args.join(' ')} failed (exit ${r.exitCode}): ${r.stderr || r.stdout}`);
  }
}

/**
 * `redisDb`: which Redis database (pick one per test file so files never share one); the
 * RabbitMQ vhost is unique per process and call.
 */
export async function isolatedBroker(kind: BrokerKind, tag: string, redisDb: number): Promise<IsolatedBroker> {
  if (kind === 'amqp') {
    const vhost = `clearly-${tag}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
    await rabbitmqctl('add_vhost', vhost);
    await rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
    const u = new URL(BROKERS.amqp);
    u.pathname = `/${encodeURIComponent(vhost)}`;
    return {
      url: u.toString(),
      dispose: () => rabbitmqctl('delete_vhost', vhost),
    };
  }
  const u = new URL(BROKERS.redis);
  u.pathname = `/${redisDb}`;
  const url = u.toString();
  await withRedis(url, (r) => r.flushdb());
  return { url, dispose: () => withRedis(url, (r) => r.flushdb()).then(() => undefined) };
}

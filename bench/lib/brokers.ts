/**
 * Where the suite publishes and consumes. Other engineers' tests share these brokers, so the
 * benchmark floods only places of its own: the RabbitMQ vhost `clearly-bench` (its own
 * `celeryev` exchange) and Redis db 9 (clearly on Redis subscribes to `/{db}.celeryev/*`, so
 * db 9's channels are ours). Overridable with BENCH_AMQP_URL / BENCH_REDIS_URL.
 */
import type { Transport } from './messages.js';

export const BROKERS: Readonly<Record<Transport, string>> = {
  amqp: process.env['BENCH_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672/clearly-bench',
  redis: process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379/9',
};

export const TRANSPORTS: readonly Transport[] = ['amqp', 'redis'];

export const TRANSPORT_NAME: Readonly<Record<Transport, string>> = { amqp: 'RabbitMQ', redis: 'Redis' };

/** A host name for the generator's nodenames no other run uses (`w1@bench-1234-5`). */
let hosts = 0;
export function uniqueHost(tag: string): string {
  return `bench-${tag}-${process.pid}-${++hosts}`;
}

/**
 * Broker URLs as Celery users write them (`amqp://guest:guest@host:5672//`, `pyamqp://`,
 * `redis://host:6379/0`, `rediss://`), turned into what amqplib / ioredis want.
 */
import { maskUrl, UsageError } from '../../errors.js';

export type BrokerUrl =
  | { readonly transport: 'amqp'; readonly url: string; readonly masked: string }
  | { readonly transport: 'redis'; readonly url: string; readonly masked: string; readonly db: number };

const AMQP_SCHEMES = new Set(['amqp:', 'amqps:', 'pyamqp:', 'librabbitmq:']);
const REDIS_SCHEMES = new Set(['redis:', 'rediss:']);

/** `flag` names where the URL came from, for the error message (e.g. `--broker / CLEARLY_BROKER`). */
export function parseBrokerUrl(input: string, flag = '--broker'): BrokerUrl {
  let u: URL;
  try {
    u = new URL(input);
  } catch (e) {
    throw new UsageError(`${flag}: not a URL: ${maskUrl(input)} (expected amqp://… or redis://…)`, { cause: e });
  }
  const masked = maskUrl(input);
  if (AMQP_SCHEMES.has(u.protocol)) {
    // Celery's aliases speak plain AMQP 0-9-1; amqplib only knows amqp/amqps.
    const url = u.protocol === 'amqps:' ? input : input.replace(/^[a-z]+:/, 'amqp:');
    return { transport: 'amqp', url, masked };
  }
  if (REDIS_SCHEMES.has(u.protocol)) {
    const path = u.pathname.replace(/^\//, '');
    const db = path === '' ? 0 : Number(path);
    if (!Number.isInteger(db) || db < 0) {
      throw new UsageError(`${flag}: Redis database must be a number, got "${path}" in ${masked}`);
    }
    return { transport: 'redis', url: input, masked, db };
  }
  throw new UsageError(
    `${flag}: unsupported scheme "${u.protocol}" in ${masked}: clearly reads Celery events from RabbitMQ (amqp://) or Redis (redis://)`,
  );
}

/** How long a short-lived connection (queue depths, remote control) may take to open: kombu's connect_timeout. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 4000;

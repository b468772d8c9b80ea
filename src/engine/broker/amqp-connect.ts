/**
 * Connecting to RabbitMQ (amqplib) with a hard deadline, and the one message for "cannot reach
 * it": shared by the event source's neighbours that open short-lived connections (queue depths,
 * remote control).
 */
import { connect } from 'amqplib';
import type { ChannelModel } from 'amqplib';
import { UnavailableError } from '../../errors.js';
import { explainAmqpError } from './connect-errors.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, type BrokerUrl } from './url.js';

export type AmqpBroker = Extract<BrokerUrl, { transport: 'amqp' }>;

/**
 * Connects with a hard deadline: amqplib's socket timeout covers TCP + handshake, the outer timer
 * covers what it does not (e.g. a slow DNS lookup). Any failure becomes an UnavailableError.
 */
export async function connectAmqp(
  broker: AmqpBroker,
  timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
  connectionName = 'clearly',
): Promise<ChannelModel> {
  let timer: NodeJS.Timeout | undefined;
  const started = Date.now();
  // connection_name shows in the RabbitMQ management UI / `rabbitmqctl list_connections`.
  const attempt = connect(broker.url, { timeout: timeoutMs, clientProperties: { connection_name: connectionName } });
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs + 250);
  });
  try {
    const conn = await Promise.race([attempt, deadline]);
    // Without a listener an 'error' event would crash the process; 'close' is what we act on.
    conn.on('error', () => {});
    return conn;
  } catch (e) {
    // A connection that opens after we gave up must not linger.
    attempt.then((c) => c.close().catch(() => {})).catch(() => {});
    // amqplib reports its own socket timeout as "Socket closed abruptly": say what happened.
    const late = Date.now() - started >= timeoutMs;
    throw amqpUnavailable(broker, late ? new Error(`no answer within ${timeoutMs} ms`, { cause: e }) : e);
  } finally {
    clearTimeout(timer);
  }
}

export function amqpUnavailable(broker: AmqpBroker, e: unknown, what = 'cannot reach'): UnavailableError {
  return new UnavailableError(`${what} RabbitMQ at ${broker.masked}: ${explainAmqpError(broker.url, e)}`, { cause: e });
}

/**
 * Picks the remote-control transport for a broker URL: the one file that knows both. The
 * transports (amqp.ts, redis.ts) import only the neutral half (mailbox.ts), never this file.
 */
import { parseBrokerUrl } from '../broker/url.js';
import type { ControlClient, ControlOptions } from './mailbox.js';

/** Opens a control client on the broker named by the URL's scheme (amqp/pyamqp/amqps or redis/rediss). */
export async function openControl(brokerUrl: string, options: ControlOptions = {}): Promise<ControlClient> {
  const broker = parseBrokerUrl(brokerUrl);
  // Loaded lazily: a command that talks to one broker should not pay for the other's client.
  if (broker.transport === 'amqp') {
    const { openAmqpControl } = await import('./amqp.js');
    return openAmqpControl(broker, options);
  }
  const { openRedisControl } = await import('./redis.js');
  return openRedisControl(broker, options);
}

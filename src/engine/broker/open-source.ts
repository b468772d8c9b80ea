/**
 * Picks the event source for a broker URL: the one file that knows both transports
 * (amqp-source.ts, redis-source.ts), which import only the neutral half (source.ts).
 */
import type { BrokerUrl } from './url.js';
import type { EventSource, SourceHandlers, SourceOptions } from './source.js';

export async function openEventSource(
  broker: BrokerUrl,
  handlers: SourceHandlers,
  options: SourceOptions = {},
): Promise<EventSource> {
  // Loaded lazily: a command that talks to one broker should not pay for the other's client.
  if (broker.transport === 'amqp') {
    const { AmqpEventSource } = await import('./amqp-source.js');
    return new AmqpEventSource(broker, handlers, options);
  }
  const { RedisEventSource } = await import('./redis-source.js');
  return new RedisEventSource(broker, handlers, options);
}

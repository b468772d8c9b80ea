/** Picks the tap's transport for a broker URL (amqp-tap.ts, redis-tap.ts), loaded lazily. */
import type { BrokerUrl } from './url.js';
import type { TapHandlers, TapOptions, TapSource } from './tap-source.js';

export async function openTap(broker: BrokerUrl, o: TapOptions, h: TapHandlers): Promise<TapSource> {
  if (broker.transport === 'amqp') {
    const { openAmqpTap } = await import('./amqp-tap.js');
    return openAmqpTap(broker, o, h);
  }
  const { openRedisTap } = await import('./redis-tap.js');
  return openRedisTap(broker, o, h);
}

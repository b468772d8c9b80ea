/**
 * Queue depths for `check --max-queue`. They always come from the broker (a clearly server does
 * not track queues), so in server mode `--max-queue` needs `--broker` too.
 */
import { unmeasured, type Measured, type QueueSeen } from '../engine/health/health.js';
import type { CheckPlan } from '../engine/health/thresholds.js';
import { parseBrokerUrl } from '../engine/broker/url.js';
import { queueDepths } from '../engine/broker/queue-depths.js';

/** One measurement per `--max-queue` queue; null when there is none. */
export async function queueMeasurements(plan: CheckPlan, broker: string | undefined): Promise<Map<string, Measured<QueueSeen>> | null> {
  const names = plan.thresholds.flatMap((t) => (t.kind === 'max-queue' ? [t.queue] : []));
  if (names.length === 0) return null;
  const all = (reason: string) => new Map(names.map((n) => [n, unmeasured(reason)] as const));
  if (broker === undefined) {
    return all('queue depths come from the broker, not the clearly server: add --broker URL');
  }
  const transport = parseBrokerUrl(broker, '--broker / CLEARLY_BROKER').transport;
  let depths;
  try {
    depths = await queueDepths(broker, names);
  } catch (e) {
    return all((e as Error).message);
  }
  const out = new Map<string, Measured<QueueSeen>>();
  for (const d of depths) {
    if (d.exists && d.messages === null) {
      out.set(d.queue, unmeasured(`${d.queue} on the broker is not a queue clearly can read (another kind of Redis key)`));
    } else if (!d.exists || d.messages === null) {
      // A typo in a queue name must not read as "0 messages, fine".
      const why =
        transport === 'amqp'
          ? `queue ${d.queue} does not exist on the broker (a typo? or no worker or publisher declared it yet)`
          : `queue ${d.queue} is empty and no worker has bound it on the broker (a typo? or no worker consumes it yet)`;
      out.set(d.queue, unmeasured(why));
    } else out.set(d.queue, { ok: true, messages: d.messages, consumers: d.consumers });
  }
  return out;
}

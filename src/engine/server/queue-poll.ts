/**
 * The metrics' queue poll: every interval, ask the workers which queues they consume (and their
 * pool sizes) and the broker how long each queue is, with the queue-depth code `stats` and `check`
 * use, then set celery-exporter's per-queue gauges. Polls never overlap; a failing broker is said
 * once per failure streak and the gauges keep their last values.
 */
import { parseBrokerUrl } from '../broker/url.js';
import { queueDepths } from '../broker/queue-depths.js';
import { queueConsumers } from '../control/inspect.js';
import type { CeleryExporterMetrics } from '../metrics/celery-exporter.js';
import { queueReadings } from '../metrics/queue-readings.js';

export interface QueuePollOptions {
  readonly broker: string;
  readonly metrics: CeleryExporterMetrics;
  /** --queue: polled whether or not a task event named them. */
  readonly queues: readonly string[];
  readonly intervalMs: number;
  /** How long workers get to answer (ms). */
  readonly replyTimeoutMs?: number;
  readonly log: (message: string) => void;
}

export interface QueuePoll {
  /** One poll now (tests; the timer runs them on its own). */
  pollOnce(): Promise<void>;
  stop(): void;
}

export function startQueuePoll(o: QueuePollOptions): QueuePoll {
  const transport = parseBrokerUrl(o.broker).transport;
  for (const q of o.queues) o.metrics.queuesSeen.add(q);
  let failing = false;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  const once = async (): Promise<void> => {
    const consumers = await queueConsumers(o.broker, { timeoutMs: o.replyTimeoutMs ?? 1000, note: () => {} }).catch(() => []);
    for (const c of consumers) for (const q of c.queues) o.metrics.queuesSeen.add(q);
    const names = [...o.metrics.queuesSeen];
    let depths = null;
    try {
      depths = names.length === 0 ? [] : await queueDepths(o.broker, names, { connectTimeoutMs: 5000 });
      if (failing) o.log('metrics: queue lengths readable again');
      failing = false;
    } catch (e) {
      if (!failing) o.log(`metrics: cannot read queue lengths (${(e as Error).message}); celery_queue_length keeps its last values`);
      failing = true;
    }
    if (stopped) return;
    for (const r of queueReadings(names, consumers, depths, transport)) o.metrics.onQueue(r);
  };
  const pollOnce = (): Promise<void> => (running ??= once().finally(() => (running = null)));
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => void pollOnce().finally(schedule), o.intervalMs);
    timer.unref();
  };
  void pollOnce().finally(schedule);
  return {
    pollOnce,
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    },
  };
}

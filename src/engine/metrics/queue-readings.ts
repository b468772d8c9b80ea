/**
 * celery-exporter's per-queue gauges from one poll: for each queue, the workers consuming it and
 * their pool processes (from `active_queues` and `stats`), its length and RabbitMQ consumer count
 * (from the broker). A queue the broker does not know counts 0 messages, as exporter.py's
 * `rabbitmq_queue_length` says for NOT_FOUND.
 */
import type { QueueReading } from './celery-exporter.js';

export interface ConsumerInfo {
  readonly queues: readonly string[];
  readonly processes: number;
}

export interface DepthInfo {
  readonly queue: string;
  readonly messages: number | null;
  readonly consumers: number | null;
  readonly exists: boolean;
}

export function queueReadings(queues: Iterable<string>, consumers: readonly ConsumerInfo[], depths: readonly DepthInfo[] | null, transport: 'amqp' | 'redis'): QueueReading[] {
  const workers = new Map<string, number>();
  const processes = new Map<string, number>();
  for (const c of consumers) {
    for (const q of new Set(c.queues)) {
      workers.set(q, (workers.get(q) ?? 0) + 1);
      processes.set(q, (processes.get(q) ?? 0) + c.processes);
    }
  }
  const depthOf = new Map((depths ?? []).map((d) => [d.queue, d]));
  const out: QueueReading[] = [];
  for (const queue of queues) {
    const d = depthOf.get(queue);
    const length = d === undefined ? null : d.exists ? (d.messages ?? 0) : 0;
    const consumerCount = transport !== 'amqp' || d === undefined ? null : d.exists ? (d.consumers ?? 0) : 0;
    out.push({ queue, length, consumers: consumerCount, workers: workers.get(queue) ?? 0, processes: processes.get(queue) ?? 0 });
  }
  return out;
}

/**
 * celery-exporter's metric set (danihodovic/celery-exporter src/exporter.py), copied name for name,
 * type for type, label for label, bucket for bucket: Grafana dashboards 17508/17509/14015 and
 * celery-mixin's alerts read these. Python's prometheus_client exposes a Counter `x` as `x_total`
 * (and an `x_created` no dashboard reads, left out here).
 */
import type { FamilySpec } from './families.js';

/** prometheus_client's Histogram.DEFAULT_BUCKETS (prom-client's defaults differ: never rely on them). */
export const RUNTIME_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, Infinity];

/** exporter.py DEFAULT_QUEUE_WAIT_BUCKETS: spent on the 10 s - 30 min range, where backlogs live. */
export const QUEUE_WAIT_BUCKETS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, Infinity];

/** The task event subjects with a counter, in exporter.py's order. */
export const COUNTED_SUBJECTS = ['sent', 'received', 'started', 'succeeded', 'failed', 'rejected', 'revoked', 'retried'] as const;
export type CountedSubject = (typeof COUNTED_SUBJECTS)[number];

const COUNTER_HELP: Record<CountedSubject, string> = {
  sent: 'Sent when a task message is published.',
  received: 'Sent when the worker receives a task.',
  started: 'Sent just before the worker executes the task.',
  succeeded: 'Sent if the task executed successfully.',
  failed: 'Sent if the execution of the task failed.',
  rejected: 'The task was rejected by the worker, possibly to be re-queued or moved to a dead letter queue.',
  revoked: 'Sent if the task has been revoked.',
  retried: 'Sent if the task failed, but will be retried in the future.',
};

export const TASK_LABELS = ['name', 'hostname', 'queue_name'] as const;
export const FAILED_LABELS = ['name', 'hostname', 'exception', 'queue_name'] as const;

export interface CeleryExporterSpecs {
  readonly counters: Record<CountedSubject, FamilySpec>;
  readonly workerUp: FamilySpec;
  readonly workerTasksActive: FamilySpec;
  readonly runtime: FamilySpec;
  readonly queueWait: FamilySpec;
  readonly queueLength: FamilySpec;
  readonly activeConsumers: FamilySpec;
  readonly activeWorkers: FamilySpec;
  readonly activeProcesses: FamilySpec;
}

/** The specs under `prefix` (celery-exporter's --metric-prefix, default `celery_`), with any static label names appended. */
export function celeryExporterSpecs(
  prefix: string,
  staticLabels: readonly string[] = [],
  buckets: { runtime?: readonly number[]; queueWait?: readonly number[] } = {},
): CeleryExporterSpecs {
  const withStatic = (names: readonly string[]): readonly string[] => [...names, ...staticLabels];
  const counter = (s: CountedSubject): FamilySpec => ({
    name: `${prefix}task_${s}_total`,
    help: COUNTER_HELP[s],
    type: 'counter',
    labelNames: withStatic(s === 'failed' ? FAILED_LABELS : TASK_LABELS),
  });
  const queueGauge = (name: string, help: string): FamilySpec => ({ name: `${prefix}${name}`, help, type: 'gauge', labelNames: withStatic(['queue_name']) });
  return {
    counters: Object.fromEntries(COUNTED_SUBJECTS.map((s) => [s, counter(s)])) as Record<CountedSubject, FamilySpec>,
    workerUp: { name: `${prefix}worker_up`, help: 'Indicates if a worker has recently sent a heartbeat.', type: 'gauge', labelNames: withStatic(['hostname']) },
    workerTasksActive: {
      name: `${prefix}worker_tasks_active`,
      help: 'The number of tasks the worker is currently processing',
      type: 'gauge',
      labelNames: withStatic(['hostname']),
    },
    runtime: {
      name: `${prefix}task_runtime`,
      help: 'Histogram of task runtime measurements.',
      type: 'histogram',
      labelNames: withStatic(TASK_LABELS),
      buckets: withInf(buckets.runtime ?? RUNTIME_BUCKETS),
    },
    queueWait: {
      name: `${prefix}task_queue_wait_time`,
      help: 'Histogram of the time tasks spend waiting in the queue before being executed, excluding deliberate ETA/countdown delay.',
      type: 'histogram',
      labelNames: withStatic(TASK_LABELS),
      buckets: withInf(buckets.queueWait ?? QUEUE_WAIT_BUCKETS),
    },
    queueLength: queueGauge('queue_length', 'The number of message in broker queue.'),
    activeConsumers: queueGauge('active_consumer_count', 'The number of active consumer in broker queue.'),
    activeWorkers: queueGauge('active_worker_count', 'The number of active workers in broker queue.'),
    activeProcesses: queueGauge('active_process_count', 'The number of active processes in broker queue.'),
  };
}

/** As prometheus_client does: a bucket list without +Inf gets it appended. */
function withInf(b: readonly number[]): readonly number[] {
  return b[b.length - 1] === Infinity ? b : [...b, Infinity];
}

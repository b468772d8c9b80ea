/**
 * The NDJSON records of the broker-direct commands, one per line, each with a `kind`:
 *  - `worker`  (`workers --broker`): a live worker and its stats;
 *  - `active` | `reserved` | `scheduled` (`tasks --broker --active` ...): one task a worker holds;
 *  - `queue`   (`stats --broker`): one queue's depth.
 * Field names follow the other records (`uuid`, `worker`, `hostname`, snake_case); times are
 * epoch seconds, durations seconds.
 */
import type { HeldTask, Holding, LiveWorker } from '../engine/control/inspect.js';
import type { QueueDepth } from '../engine/broker/queues.js';

export interface LiveWorkerRecord {
  kind: 'worker';
  hostname: string;
  /** Always true: only workers that answered are listed. */
  alive: true;
  /** Answered `ping` with pong (a worker may answer stats only, if ping was slower). */
  pong: boolean;
  pid: number | null;
  /** Seconds since the worker started. */
  uptime: number | null;
  /** Pool size (`max-concurrency`). */
  concurrency: number | null;
  /** Pool process pids (prefork, solo); empty for thread pools. */
  processes: number[];
  threads: number | null;
  max_tasks_per_child: number | null;
  prefetch_count: number | null;
  /** Tasks processed since it started, all names together, and by name. */
  processed: number | null;
  processed_by_task: Record<string, number>;
  broker: {
    transport: string | null;
    hostname: string | null;
    port: number | null;
    virtual_host: string | null;
    userid: string | null;
  } | null;
  clock: number | null;
  /** What went wrong reading its replies; null when nothing did. */
  error: string | null;
}

export interface HeldTaskRecord {
  kind: Holding;
  uuid: string;
  name: string | null;
  /** The worker holding it. */
  worker: string;
  args: unknown;
  kwargs: unknown;
  /** When it started running (active tasks only). */
  started: number | null;
  acknowledged: boolean | null;
  worker_pid: number | null;
  exchange: string | null;
  routing_key: string | null;
  priority: number | null;
  redelivered: boolean | null;
  /** Scheduled tasks: when it is due (ISO 8601 as the worker wrote it). */
  eta: string | null;
}

export interface QueueRecord {
  kind: 'queue';
  queue: string;
  /** Messages ready; null when the queue does not exist (or is not a queue). */
  messages: number | null;
  /** RabbitMQ only; null on Redis. */
  consumers: number | null;
  exists: boolean;
}

export type InspectRecord = LiveWorkerRecord | HeldTaskRecord | QueueRecord;

export function liveWorkerRecord(w: LiveWorker): LiveWorkerRecord {
  const s = w.stats;
  const total = s?.total ?? {};
  const names = Object.keys(total);
  return {
    kind: 'worker',
    hostname: w.hostname,
    alive: true,
    pong: w.pong,
    pid: s?.pid ?? null,
    uptime: s?.uptime ?? null,
    concurrency: s?.pool?.maxConcurrency ?? null,
    processes: [...(s?.pool?.processes ?? [])],
    threads: s?.pool?.threads ?? null,
    max_tasks_per_child: s?.pool?.maxTasksPerChild ?? null,
    prefetch_count: s?.prefetchCount ?? null,
    processed: s === null ? null : names.reduce((sum, n) => sum + (total[n] ?? 0), 0),
    processed_by_task: { ...total },
    broker:
      s?.broker == null
        ? null
        : {
            transport: s.broker.transport,
            hostname: s.broker.hostname,
            port: s.broker.port,
            virtual_host: s.broker.virtualHost,
            userid: s.broker.userid,
          },
    clock: s?.clock ?? null,
    error: w.problem,
  };
}

export function heldTaskRecord(h: HeldTask): HeldTaskRecord {
  const t = h.task;
  const di = t.deliveryInfo;
  return {
    kind: h.holding,
    uuid: t.id,
    name: t.name,
    worker: h.worker,
    args: t.args,
    kwargs: t.kwargs,
    started: t.timeStart,
    acknowledged: t.acknowledged,
    worker_pid: t.workerPid,
    exchange: di?.exchange ?? null,
    routing_key: di?.routingKey ?? null,
    priority: h.priority ?? di?.priority ?? null,
    redelivered: di?.redelivered ?? null,
    eta: h.eta,
  };
}

export function queueRecord(q: QueueDepth): QueueRecord {
  return { kind: 'queue', queue: q.queue, messages: q.messages, consumers: q.consumers, exists: q.exists };
}

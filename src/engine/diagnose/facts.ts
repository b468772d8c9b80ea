/**
 * What `clearly diagnose` gathered from the broker, per queue and per worker: plain values, no
 * I/O. `null` always means "not known" (the worker did not answer that question, the broker
 * cannot tell), never zero.
 */
import type { NextMessage } from './next-message.js';
import type { WorkerEventsSeen } from '../state/events-status.js';

export interface QueueFacts {
  readonly name: string;
  /** Declared (RabbitMQ), or bound or non-empty (Redis). */
  readonly exists: boolean;
  /** Messages waiting; null when the broker could not say. */
  readonly messages: number | null;
  /** RabbitMQ's consumer count; null on Redis. */
  readonly consumers: number | null;
  /** The message it serves next, or why it cannot be seen (RabbitMQ). */
  readonly next: { readonly ok: true; readonly message: NextMessage | null } | { readonly ok: false; readonly reason: string };
  /**
   * Redis: the same message was still next after this many seconds (read before and after
   * listening): it has waited at least that long. Celery messages carry no publish time, so this
   * lower bound is what can be known. Null: it moved, the queue is empty, or RabbitMQ.
   */
  readonly waitedAtLeast: number | null;
}

export interface ActiveTask {
  readonly id: string;
  readonly name: string | null;
  /** Epoch seconds; null when the worker did not say. */
  readonly startedAt: number | null;
}

export interface WorkerFacts extends WorkerEventsSeen {
  readonly hostname: string;
  /** The queues it consumes (`active_queues`); null when it did not answer. */
  readonly queues: readonly string[] | null;
  /** Pool size (`stats` pool max-concurrency). */
  readonly concurrency: number | null;
  readonly prefetchCount: number | null;
  readonly active: readonly ActiveTask[] | null;
  /** Prefetched, waiting for a pool slot. */
  readonly reserved: number | null;
  /** ETA/countdown tasks held until due. */
  readonly scheduled: number | null;
  /** Local time (epoch seconds) of its last heartbeat heard while listening; null if none. */
  readonly lastHeartbeatAt: number | null;
}

export interface DiagnoseFacts {
  /** Masked broker URL. */
  readonly broker: string;
  readonly transport: 'amqp' | 'redis';
  /** The queues looked at: those named, or every queue a worker consumes plus `celery`. */
  readonly queues: readonly QueueFacts[];
  /** Every worker that answered the pidbox or was heard while listening, sorted by hostname. */
  readonly workers: readonly WorkerFacts[];
  /** How long clearly listened to events (seconds). */
  readonly listenedSeconds: number;
  /** Tasks first heard of while listening: by task-sent, or straight at a worker's task-received. */
  readonly tasksFirstSent: number;
  readonly tasksFirstReceived: number;
  /** The publishers' task-sent events heard while listening, late ones included (not the tap's). */
  readonly taskSentHeard: number;
  /** Epoch seconds when the facts were complete. */
  readonly now: number;
}

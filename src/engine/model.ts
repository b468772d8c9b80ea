/**
 * What the engine knows about tasks and workers: the inferred current state, as Celery's own
 * `celery.events.state.State` would hold it (PROTOCOL.md §5), plus what a person needs to see.
 */
import type { TaskEvent, WorkerEvent } from './events/types.js';

/** Celery's built-in task states. Custom `task-foo` events yield the state `FOO` (any string). */
export const TASK_STATES = [
  'PENDING',
  'RECEIVED',
  'STARTED',
  'SUCCESS',
  'FAILURE',
  'RETRY',
  'REVOKED',
  'REJECTED',
] as const;
export type KnownTaskState = (typeof TASK_STATES)[number];
export type TaskState = KnownTaskState | (string & {});

/** Where a task's result comes from (`result_source`): the event's whole repr, the cut repr, or the result backend. */
export type ResultSource = 'event' | 'backend' | 'truncated';

/**
 * States after which Celery sends nothing more for that attempt. A REJECTED whose message went
 * back to the queue (`requeue: true`) is not final for the task: see `isFinished`.
 */
export const TERMINAL_STATES: ReadonlySet<string> = new Set(['SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED']);

/** Whether a task is done: in a terminal state, and not a rejection that requeued the message. */
export function isFinished(task: Pick<Task, 'state' | 'requeue'>): boolean {
  return TERMINAL_STATES.has(task.state) && !(task.state === 'REJECTED' && task.requeue === true);
}

export interface Task {
  readonly uuid: string;
  name: string | null;
  /** The state clearly infers: Celery's rule with two corrections (state/task-state.ts). */
  state: TaskState;
  /** The state Celery's own State would hold (Celery's rule exactly): differs only where a correction applied. */
  celeryState: TaskState;
  /** When the event that made the task finished happened (its timestamp); null while it is not finished. */
  finishedAt: number | null;
  /** task-rejected's `requeue` (the message went back to the queue), null until a rejection. */
  requeue: boolean | null;
  /**
   * Events applied to this task: which of two snapshots of it saw more of the stream (the store's
   * upsert, store/rule-sql.ts, when two servers write one database).
   */
  events: number;
  /** Timestamp of the event that set the current state (epoch seconds). */
  timestamp: number;
  /** Worker nodename that handled it (never the client of task-sent). */
  worker: string | null;
  /** Nodename of the publisher (`gen<pid>@host`), from task-sent. */
  client: string | null;
  retries: number;
  args: string | null;
  kwargs: string | null;
  result: string | null;
  exception: string | null;
  traceback: string | null;
  runtime: number | null;
  eta: string | null;
  expires: string | null;
  queue: string | null;
  exchange: string | null;
  routing_key: string | null;
  parent_id: string | null;
  root_id: string | null;
  clock: number;
  /** Per-subject timestamps, as Celery's State sets `task.<subject> = timestamp`. */
  sent: number | null;
  received: number | null;
  started: number | null;
  succeeded: number | null;
  failed: number | null;
  retried: number | null;
  revoked: number | null;
  rejected: number | null;
  /** task-revoked details. */
  terminated: boolean | null;
  signum: number | string | null;
  expired: boolean | null;
  /** The last state shown to watchers: never moves backwards (see `display.ts`). */
  shown: TaskState | null;
  /**
   * Its worker went OFFLINE (clean shutdown or heartbeat expiry) while the task was RECEIVED or
   * STARTED on it: nobody will finish it. The state stays (Celery's does too); a later event of
   * the task (a restarted worker picking it up again) clears the mark. Decided in state/lost.ts.
   */
  lost: boolean;
  /** When the reducer marked it lost (local time, epoch seconds); null while not lost. */
  lostAt: number | null;
  /**
   * From the task-message tap (tap/), null when no message was tapped: one field rather than
   * three, as most tasks have none (every field costs each of a million stored tasks 8 bytes).
   */
  tapped: Tapped | null;
}

/**
 * What a tapped task message adds: the whole args and kwargs as the message's JSON (Python's
 * dialect), which win over the events' cut repr; a body clearly does not decode
 * (`<pickle, N bytes>`); and the id of the group (or chord header) the task belongs to, which no
 * event carries (protocol 2's `group` header, protocol 1's `taskset`). Here rather than on Task:
 * only tapped tasks can have one, so an untapped task pays nothing for it.
 */
export interface Tapped {
  argsJson: string | null;
  kwargsJson: string | null;
  body: string | null;
  group: string | null;
}

/** The tap's fields of a task, made on first use. */
export function tappedOf(task: Task): Tapped {
  return (task.tapped ??= { argsJson: null, kwargsJson: null, body: null, group: null });
}

export type WorkerStatus = 'ONLINE' | 'OFFLINE' | 'HEARTBEAT';

export interface Worker {
  readonly hostname: string;
  pid: number | null;
  freq: number;
  active: number | null;
  processed: number | null;
  loadavg: readonly number[] | null;
  sw_ident: string | null;
  sw_ver: string | null;
  sw_sys: string | null;
  clock: number;
  /** Timestamp (sender clock) of the last event from this worker. */
  timestamp: number;
  /** Local receive time (epoch seconds) of the last heartbeat or task event: drives liveness. */
  lastSeen: number;
  alive: boolean;
  /**
   * What says whether it sends events (state/events-status.ts), since first heard (`firstSeen`,
   * local time): heartbeats it sent of its own accord (with `processed`), task events from it,
   * its `processed` at the first such heartbeat, and whether it answered a heartbeat request
   * (the remote control reaches it).
   */
  firstSeen: number;
  heartbeats: number;
  taskEvents: number;
  processedFirst: number | null;
  solicited: boolean;
}

/** A task as Celery's State creates it: PENDING until the first event says otherwise. */
export function newTask(uuid: string): Task {
  // Every key in one literal so V8 gives all tasks one shape.
  return {
    uuid,
    name: null,
    state: 'PENDING',
    celeryState: 'PENDING',
    finishedAt: null,
    requeue: null,
    events: 0,
    timestamp: 0,
    worker: null,
    client: null,
    retries: 0,
    args: null,
    kwargs: null,
    result: null,
    exception: null,
    traceback: null,
    runtime: null,
    eta: null,
    expires: null,
    queue: null,
    exchange: null,
    routing_key: null,
    parent_id: null,
    root_id: null,
    clock: 0,
    sent: null,
    received: null,
    started: null,
    succeeded: null,
    failed: null,
    retried: null,
    revoked: null,
    rejected: null,
    terminated: null,
    signum: null,
    expired: null,
    shown: null,
    lost: false,
    lostAt: null,
    tapped: null,
  };
}

/**
 * A change the reducer reports for one task event. `states` lists the states to show, in order:
 * the generated intermediate ones first, the reached one last. It is empty when Celery's State
 * merged the event without moving the state (a late event): nothing goes backwards.
 */
export interface TaskChange {
  readonly kind: 'task';
  readonly task: Task;
  /**
   * The states to show, generated ones first. Empty when the event moves nothing and fills in
   * nothing; the already shown state again when it only fills in fields (task-refresh.ts).
   */
  readonly states: readonly TaskState[];
  /** The event applied; null when the reducer itself changed the task (its worker went offline: `lost`). */
  readonly event: TaskEvent | null;
  /**
   * Celery's `task.hostname` after the event (what celery-exporter labels it with): the event's
   * own, but for a task-received Celery deems late, which keeps the previous one (task-state.ts
   * `celeryHostname`). Null with no event.
   */
  readonly hostname: string | null;
}

/** A worker change: `ONLINE`/`HEARTBEAT`/`OFFLINE` (an expiry tick reports OFFLINE with no event). */
export interface WorkerChange {
  readonly kind: 'worker';
  readonly worker: Worker;
  readonly status: WorkerStatus;
  readonly event: WorkerEvent | null;
}

export type Change = TaskChange | WorkerChange;

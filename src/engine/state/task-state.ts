/**
 * The per-task reducer: what `celery.events.state.Task.event` (Celery 5.2) does with one task
 * event (PROTOCOL.md §5), with two corrections where Celery's rule leaves a finished task showing
 * as running for ever. Arrival order is meaningless across publishers: per-task precedence decides.
 *
 *  1. `task.<subject> = timestamp`, always (even for a late event). Custom `task-foo`: state `FOO`,
 *     no timestamp field (Celery only sets it for the 8 known subjects).
 *  2. If neither the event's state nor the current one is RETRY and the event's state ranks lower
 *     in `celery.states.PRECEDENCE`, the event "happened before" the current state: the state does
 *     not move. A late RECEIVED merges only `merge_rules` fields; any other late event merges all
 *     its fields (timestamp and clock included) but the state.
 *  3. Otherwise every field is applied along with the state.
 *
 * The corrections (README, "Where clearly differs from Celery's State"):
 *  a. REJECTED is final and ranks with REVOKED, unless the event says `requeue: true` (the message
 *     went back to the queue): Celery ranks it below STARTED, so a task rejected after it started
 *     (the only way a worker sends task-rejected) stays STARTED in Celery's State.
 *  b. An event that happened before the one that finished the task (older timestamp) never moves
 *     the task out of its finished state; it merges as a late event. Celery lets any RETRY, and
 *     anything while the state is RETRY, overwrite: an earlier attempt's events delivered after
 *     the last attempt's SUCCESS turn it back into RETRY/RECEIVED/STARTED. Events after the
 *     finishing one keep Celery's rule (a later retry does move a failed task).
 * `task.celeryState` follows Celery's rule exactly, so a record can say where the two differ.
 *
 * Celery keeps the sender of task-sent as `task.client` and of every other task event as
 * `task.worker`, whether or not the event is late.
 */
import type { TaskEvent } from '../events/types.js';
import { isFinished, tappedOf, type Task, type TaskState } from '../model.js';

/** `celery.states.precedence`: lower = wins. Custom states rank between FAILURE and REVOKED. */
export function precedence(state: TaskState): number {
  switch (state) {
    case 'SUCCESS':
      return 0;
    case 'FAILURE':
      return 1;
    case 'REVOKED':
      return 3;
    case 'STARTED':
      return 4;
    case 'RECEIVED':
      return 5;
    case 'REJECTED':
      return 6;
    case 'RETRY':
      return 7;
    case 'PENDING':
      return 8;
    default:
      return 2;
  }
}

/** `TASK_EVENT_TO_STATE`, or the upper-cased subject of a custom `task-foo`. */
export function stateOf(ev: TaskEvent): TaskState {
  switch (ev.subject) {
    case 'sent':
      return 'PENDING';
    case 'received':
      return 'RECEIVED';
    case 'started':
      return 'STARTED';
    case 'succeeded':
      return 'SUCCESS';
    case 'failed':
      return 'FAILURE';
    case 'retried':
      return 'RETRY';
    case 'revoked':
      return 'REVOKED';
    case 'rejected':
      return 'REJECTED';
    case 'other':
      // Celery: `event['type'].partition('-')` then `.upper()`: `task-foo-bar` gives `FOO-BAR`.
      return ev.type.slice(ev.type.indexOf('-') + 1).toUpperCase();
  }
}

/** REVOKED's rank: where a final REJECTED ranks (correction a). */
const FINAL_REJECTED_RANK = 3;

/** Celery's own lateness: an event in state `incoming` happened before `current` (its "merge" branch). */
export function isLateForCelery(incoming: TaskState, current: TaskState): boolean {
  return incoming !== 'RETRY' && current !== 'RETRY' && precedence(incoming) > precedence(current);
}

/** Precedence with correction a: a REJECTED that did not requeue ranks with REVOKED. */
function rank(state: TaskState, requeue: boolean | null | undefined): number {
  return state === 'REJECTED' && requeue !== true ? FINAL_REJECTED_RANK : precedence(state);
}

/**
 * clearly's lateness for `ev` (whose state is `incoming`) on `task` as it is before the event:
 * Celery's rule with the two corrections (this file's header).
 */
export function isLate(task: Task, ev: TaskEvent, incoming: TaskState): boolean {
  if (task.finishedAt !== null && ev.timestamp < task.finishedAt && isFinished(task)) return true;
  const current = task.state;
  return incoming !== 'RETRY' && current !== 'RETRY' && rank(incoming, ev.requeue) > rank(current, task.requeue);
}

/**
 * Apply one task event to `task` (mutated in place). Returns the state the task holds afterwards
 * (unchanged for a late event).
 */
export function applyTaskEvent(task: Task, ev: TaskEvent): TaskState {
  const state = stateOf(ev);
  return applyTaskEventAs(task, ev, state, isLate(task, ev, state));
}

/**
 * `applyTaskEvent` for a caller that already knows the event's state (`stateOf(ev)`) and whether
 * it is late (`isLate(task, ev, state)`, before applying): the engine decides what to show first.
 */
export function applyTaskEventAs(task: Task, ev: TaskEvent, state: TaskState, late: boolean): TaskState {
  const ts = ev.timestamp;
  task.events++;
  if (!isLateForCelery(state, task.celeryState)) task.celeryState = state;
  switch (ev.subject) {
    case 'sent':
      task.sent = ts;
      break;
    case 'received':
      task.received = ts;
      break;
    case 'started':
      task.started = ts;
      break;
    case 'succeeded':
      task.succeeded = ts;
      break;
    case 'failed':
      task.failed = ts;
      break;
    case 'retried':
      task.retried = ts;
      break;
    case 'revoked':
      task.revoked = ts;
      break;
    case 'rejected':
      task.rejected = ts;
      if (!late) task.requeue = ev.requeue === true;
      break;
    case 'other':
      break;
  }
  // task-sent comes from the publisher (client), never from a worker.
  if (ev.subject === 'sent') task.client = sharedOr(task.client, ev.hostname);
  else task.worker = sharedOr(task.worker, ev.hostname);

  if (late) {
    if (state === 'RECEIVED') {
      mergeReceived(task, ev);
      return task.state;
    }
    mergeAll(task, ev);
    return task.state;
  }
  mergeAll(task, ev);
  task.state = state;
  task.finishedAt = isFinished(task) ? ts : null;
  return state;
}

/**
 * Celery's `task.hostname` once `ev` is applied to `task` (`workerBefore`: the task's worker before
 * it): the event's own, but for a task-received Celery deems late, which merges only `merge_rules`
 * fields, so the hostname stays the previous event's. That was the publisher's when the last
 * merged event was a task-sent (its timestamp is the task's; a task-sent merges its hostname even
 * late), else the worker of the task's previous event, else this event's own.
 */
export function celeryHostname(task: Task, ev: TaskEvent, workerBefore: string | null): string {
  if (ev.subject === 'received' && task.celeryState !== 'RECEIVED') {
    if (task.timestamp === task.sent && task.client !== null) return task.client;
    if (workerBefore !== null) return workerBefore;
  }
  // The event's own, as the task holds it: the shared copy (its hash cached), not the event's.
  return (ev.subject === 'sent' ? task.client : task.worker) ?? ev.hostname;
}

/**
 * Stored tasks keep one copy of the text many of them share (task names, worker and client
 * nodenames, queues). JSON.parse gives every event its own copy of each string over 10 characters,
 * so without this a server holding 1M tasks kept a million copies of the same few names (about
 * 170 of the ~930 heap bytes of a typical task, measured with bench/memory.ts). Bounded: past
 * SHARED_LIMIT distinct values (a publisher inventing names) it starts over, which only costs
 * memory, never correctness.
 */
const SHARED_LIMIT = 10_000;
const sharedText = new Map<string, string>();

function shared(s: string): string {
  const hit = sharedText.get(s);
  if (hit !== undefined) return hit;
  if (s.length > 256) return s;
  if (sharedText.size >= SHARED_LIMIT) sharedText.clear();
  sharedText.set(s, s);
  return s;
}

/**
 * `shared(s)`, unless the task already holds that text (`held`): most events of a task repeat its
 * worker, name, queue... and comparing with what is held is cheaper than hashing the new copy.
 */
function sharedOr(held: string | null, s: string): string {
  return held === s ? held : shared(s);
}

/** A root/parent id that is the task's own uuid (a root task) points at the uuid string it has. */
function sameOrOwn(uuid: string, id: string | null): string | null {
  return id === uuid ? uuid : id;
}

/** `Task.merge_rules[RECEIVED]`: the only fields a late task-received may set. */
function mergeReceived(task: Task, ev: TaskEvent): void {
  if (ev.name !== undefined) task.name = sharedOr(task.name, ev.name);
  if (ev.args !== undefined && (ev.args_json === undefined || task.args === null)) task.args = ev.args;
  if (ev.kwargs !== undefined && (ev.kwargs_json === undefined || task.kwargs === null)) task.kwargs = ev.kwargs;
  // The tap's whole args win over the events' repr (cut at 1024 characters), whenever they come.
  if (ev.args_json !== undefined) tappedOf(task).argsJson = ev.args_json;
  if (ev.kwargs_json !== undefined) tappedOf(task).kwargsJson = ev.kwargs_json;
  if (ev.body !== undefined) tappedOf(task).body = ev.body;
  // Only the tap knows a task's group (no event carries it): an event's is undefined.
  if (ev.group != null) tappedOf(task).group = ev.group;
  if (ev.parent_id !== undefined) task.parent_id = sameOrOwn(task.uuid, ev.parent_id);
  if (ev.root_id !== undefined) task.root_id = sameOrOwn(task.uuid, ev.root_id);
  if (ev.retries !== undefined) task.retries = ev.retries;
  if (ev.eta !== undefined) task.eta = ev.eta;
  if (ev.expires !== undefined) task.expires = ev.expires;
}

/** Celery's `task.__dict__.update(fields)`: whatever the event carries overwrites. */
function mergeAll(task: Task, ev: TaskEvent): void {
  mergeReceived(task, ev);
  task.timestamp = ev.timestamp;
  task.clock = ev.clock;
  if (ev.queue !== undefined) task.queue = sharedOr(task.queue, ev.queue);
  if (ev.exchange !== undefined) task.exchange = sharedOr(task.exchange, ev.exchange);
  if (ev.routing_key !== undefined) task.routing_key = sharedOr(task.routing_key, ev.routing_key);
  if (ev.result !== undefined) task.result = ev.result;
  if (ev.runtime !== undefined) task.runtime = ev.runtime;
  if (ev.exception !== undefined) task.exception = ev.exception;
  if (ev.traceback !== undefined) task.traceback = ev.traceback;
  if (ev.terminated !== undefined) task.terminated = ev.terminated;
  if (ev.signum !== undefined) task.signum = ev.signum;
  if (ev.expired !== undefined) task.expired = ev.expired;
}

/**
 * Celery's own State's state for a record showing `state`, when it differs: only on the record of
 * the state the task holds (a generated one in between says nothing about it).
 */
export function celeryStateOf(task: Task, state: TaskState): TaskState | undefined {
  return state === task.state && task.celeryState !== task.state ? task.celeryState : undefined;
}

/**
 * When a shown state was reached: the task's timestamp for that state, else the task's own
 * timestamp if it is the current state, else `fallbackTime` (e.g. an inferred state's event time).
 */
export function stateTime(task: Task, state: TaskState, fallbackTime: number): number {
  return reachedAt(task, state) ?? (state === task.state ? task.timestamp : fallbackTime);
}

/**
 * The field recording when a built-in state was reached (`task.<subject> = timestamp`); null for a
 * custom state. A switch rather than a state -> field-name table: two keyed lookups per record
 * showed in the server's profile.
 */
function reachedAt(task: Task, state: TaskState): number | null {
  switch (state) {
    case 'PENDING':
      return task.sent;
    case 'RECEIVED':
      return task.received;
    case 'STARTED':
      return task.started;
    case 'SUCCESS':
      return task.succeeded;
    case 'FAILURE':
      return task.failed;
    case 'RETRY':
      return task.retried;
    case 'REVOKED':
      return task.revoked;
    case 'REJECTED':
      return task.rejected;
    default:
      return null;
  }
}

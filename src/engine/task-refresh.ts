/**
 * Refreshes: when an event leaves the display where it was (a late task-sent after the worker's
 * events, anything after a final state) but fills in something the task's record did not have
 * yet, watchers get the task again in the state already shown, never a step back. Without it a
 * task revoked as expired before its own task-sent arrived (Redis delivers the publisher's and the
 * worker's events on separate connections) is printed once, without its name, and
 * `jq 'select(.name == "tasks.add")'` never sees it.
 *
 * Only filling in counts: a late event that merely overwrites a value (Celery merges a late
 * task-sent's older `retries`) or sets its own timestamp shows nothing, so retries and duplicates
 * add no lines. Only events that show nothing pay for the snapshot: most events move the display.
 */
import type { Task } from './model.js';

/** The Task fields a record shows (record.ts) that start unknown (null) and that events fill in. */
const FILLABLE = [
  'name',
  'worker',
  'client',
  'args',
  'kwargs',
  'result',
  'exception',
  'traceback',
  'runtime',
  'routing_key',
  'queue',
  'exchange',
  'parent_id',
  'root_id',
  'eta',
  'expires',
] as const satisfies readonly (keyof Task)[];

/** Which FILLABLE fields `task` has (bit i: FILLABLE[i] is not null), to compare with after an event. */
export function knownFields(task: Task): number {
  let bits = 0;
  for (let i = 0; i < FILLABLE.length; i++) if (task[FILLABLE[i]!] !== null) bits |= 1 << i;
  return bits;
}

/** True when `task` has a field it did not have when `before` was taken (one set back to null is not). */
export function filledIn(before: number, task: Task): boolean {
  return (knownFields(task) & ~before) !== 0;
}

/**
 * Refreshes: when an event leaves the display where it was (a late task-sent after the worker's
 * events, anything after a final state) but brings what a person identifies a task by and the
 * shown record lacked (its name, args, kwargs, or its outcome), watchers get the task again in the
 * state already shown, never a step back. Without it a task revoked as expired before its own
 * task-sent arrived (Redis delivers the publisher's and the worker's events on separate
 * connections) is printed once, without its name, and `jq 'select(.name == "tasks.add")'` never
 * sees it.
 *
 * A late event that moves Celery's own State (where clearly's differs, state/task-state.ts) also
 * counts: the shown record's `celery_state` would be out of date, and a script reading
 * `watch --json` must end with what `tasks` says.
 *
 * Routing, client and timestamps alone do not count: a late task-sent always brings those (a
 * task-received has none), and printing every such task twice would be noise on a busy stream.
 * Overwrites do not count either (Celery merges a late task-sent's older `retries`). Only events
 * that show nothing pay for the check: most events move the display.
 */
import type { Task } from '../model.js';

/** The Task fields a task is recognised by, which start unknown (null) and events fill in. */
const FILLABLE = ['name', 'args', 'kwargs', 'result', 'exception', 'traceback'] as const satisfies readonly (keyof Task)[];
/** The tap's whole args and kwargs count too: bits after FILLABLE's. */
const ARGS_JSON = 1 << FILLABLE.length;
const KWARGS_JSON = 1 << (FILLABLE.length + 1);

/** Which FILLABLE fields `task` has (bit i: FILLABLE[i] is not null), to compare with after an event. */
export function knownFields(task: Task): number {
  let bits = 0;
  for (let i = 0; i < FILLABLE.length; i++) if (task[FILLABLE[i]!] !== null) bits |= 1 << i;
  const t = task.tapped;
  if (t !== null) {
    if (t.argsJson !== null) bits |= ARGS_JSON;
    if (t.kwargsJson !== null) bits |= KWARGS_JSON;
  }
  return bits;
}

/** True when `task` has a field it did not have when `before` was taken (one set back to null is not). */
export function filledIn(before: number, task: Task): boolean {
  return (knownFields(task) & ~before) !== 0;
}

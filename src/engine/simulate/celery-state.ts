/**
 * The state Celery's own `celery.events.state.State` ends in for a task, given its events in
 * arrival order (PROTOCOL.md §5): the oracle a benchmark compares a monitor against.
 */
import type { GenEventType } from './encode.js';

export type CeleryState = 'PENDING' | 'RECEIVED' | 'STARTED' | 'SUCCESS' | 'FAILURE' | 'RETRY' | 'REVOKED' | 'REJECTED';

type TaskEventType = Extract<GenEventType, `task-${string}`>;

const STATE_OF: Record<TaskEventType, CeleryState> = {
  'task-sent': 'PENDING',
  'task-received': 'RECEIVED',
  'task-started': 'STARTED',
  'task-succeeded': 'SUCCESS',
  'task-failed': 'FAILURE',
  'task-retried': 'RETRY',
  'task-revoked': 'REVOKED',
  'task-rejected': 'REJECTED',
};

/** celery/states.py PRECEDENCE (lower index wins); index 2 is `None`, custom states. */
const PRECEDENCE: readonly (CeleryState | null)[] = [
  'SUCCESS', 'FAILURE', null, 'REVOKED', 'STARTED', 'RECEIVED', 'REJECTED', 'RETRY', 'PENDING',
];
const rank = (s: CeleryState): number => {
  const i = PRECEDENCE.indexOf(s);
  return i < 0 ? 2 : i;
};

/** `Task.event`: an event of lower precedence than the current state does not change it, except RETRY. */
export function nextState(current: CeleryState | undefined, type: TaskEventType): CeleryState {
  const incoming = STATE_OF[type];
  if (current === undefined) return incoming;
  if (incoming !== 'RETRY' && current !== 'RETRY' && rank(incoming) > rank(current)) return current;
  return incoming;
}

export function isTaskEventType(type: GenEventType): type is TaskEventType {
  return type.startsWith('task-');
}

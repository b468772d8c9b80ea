/**
 * Lost tasks: when a worker goes OFFLINE (its `worker-offline`, or its heartbeats stop for the
 * expiry window) while tasks are RECEIVED or STARTED on it, nobody is going to finish them, and
 * Celery's State (like Flower) keeps showing them STARTED forever. The reducer marks them
 * `lost` at that moment (time passed in) and reports each as a change, so every view, the store
 * and `check --max-lost` see it. The state itself does not move: a later event of the task (a
 * restarted worker picking the message up again, acks_late) clears the mark. A prefork
 * `WorkerLostError` FAILURE is an ordinary FAILURE and stays one.
 */
import type { Task } from '../model.js';

/** The states in which a task sits on a worker (RETRY went back to the queue; PENDING never reached one). */
const ON_A_WORKER: ReadonlySet<string> = new Set(['RECEIVED', 'STARTED']);

/** Whether `task` is left behind by `hostname` going offline (and not already marked). */
export function leftBehind(task: Task, hostname: string): boolean {
  return !task.lost && task.worker === hostname && ON_A_WORKER.has(task.state) && task.rejected === null;
}

/** Marks it lost at `now` (epoch seconds, local). */
export function markLost(task: Task, now: number): void {
  task.lost = true;
  task.lostAt = now;
}

/**
 * Clears the mark when an event of the task arrives; true when it was set. task-sent is the
 * publisher's word, not a worker's: it says nothing about whether anyone holds the task now.
 */
export function clearLost(task: Task, subject: string): boolean {
  if (!task.lost || subject === 'sent') return false;
  task.lost = false;
  task.lostAt = null;
  return true;
}

/**
 * Whether a worker sends events, from what was heard of it, the "nothing shows" diagnosis:
 *  - task events off (started without `-E`, `worker_send_task_events` false): heartbeats come,
 *    its `processed` count rises, and no task event from it ever arrives;
 *  - no events at all (`--without-heartbeat`, or its event dispatcher disabled): it answers the
 *    remote control (ping/stats) but no heartbeat arrives in more than two heartbeat intervals;
 *  - on: a task event from it arrived; unknown: it ran nothing while we listened.
 * Pure: shared by `diagnose` (what it heard while listening) and the live detection of
 * watch/server (what the session heard so far).
 */
import type { Worker } from '../model.js';

export type EventsStatus = 'on' | 'task-events-off' | 'no-heartbeats' | 'unknown';

export interface WorkerEventsSeen {
  /** Heartbeats the worker sent of its own accord (with `processed`), heard while listening. */
  readonly heartbeats: number;
  /** Task events from it (not the publisher's task-sent). */
  readonly taskEvents: number;
  /** Its `processed` count when first known (stats `total`, or the first heartbeat) and last heard; null: unknown. */
  readonly processedFirst: number | null;
  readonly processedLast: number | null;
  /** It answered ping or stats through the pidbox. */
  readonly answersPidbox: boolean;
  /** Its heartbeat interval (s), when a heartbeat said; Celery's default is 2. */
  readonly freq: number | null;
  /** How long it has been observed (seconds). */
  readonly observedSeconds: number;
}

export interface EventsVerdict {
  readonly status: EventsStatus;
  /** Why, in a phrase. */
  readonly reason: string;
}

const DEFAULT_FREQ = 2;

/** What the reducer's Worker says about it, observed until `now`. */
export function workerEventsSeen(
  w: Pick<Worker, 'heartbeats' | 'taskEvents' | 'processedFirst' | 'processed' | 'solicited' | 'freq' | 'firstSeen'>,
  now: number,
): WorkerEventsSeen {
  return {
    heartbeats: w.heartbeats,
    taskEvents: w.taskEvents,
    processedFirst: w.processedFirst,
    processedLast: w.processed,
    answersPidbox: w.solicited,
    freq: w.freq,
    observedSeconds: w.firstSeen === 0 ? 0 : Math.max(0, now - w.firstSeen),
  };
}

export function eventsStatus(w: WorkerEventsSeen): EventsVerdict {
  if (w.taskEvents > 0) return { status: 'on', reason: `${w.taskEvents} task event${w.taskEvents === 1 ? '' : 's'} heard from it` };
  const rise = w.processedFirst !== null && w.processedLast !== null ? w.processedLast - w.processedFirst : 0;
  if (rise > 0) {
    return { status: 'task-events-off', reason: `it finished ${rise} task${rise === 1 ? '' : 's'} (its heartbeats say) and sent no task event` };
  }
  const window = 2 * (w.freq ?? DEFAULT_FREQ);
  if (w.heartbeats === 0 && w.answersPidbox && w.observedSeconds > window) {
    return { status: 'no-heartbeats', reason: `it answers the remote control but sent no heartbeat in ${Math.round(w.observedSeconds)}s` };
  }
  return { status: 'unknown', reason: w.heartbeats === 0 ? 'not heard from long enough to tell' : 'it ran no task while clearly listened' };
}

/** The fix for a worker whose events are off, for people (stderr, diagnose, README). */
export const EVENTS_FIX: Readonly<Record<Exclude<EventsStatus, 'on' | 'unknown'>, string>> = {
  'task-events-off':
    'start the worker with -E (or set worker_send_task_events = True); until it restarts, `clearly enable-events --broker URL` switches them on',
  'no-heartbeats':
    'the worker sends no events at all: drop --without-heartbeat (and --without-gossip) from its command line, start it with -E',
};

/** Publishers that do not send task-sent: tasks show up only once a worker receives them. */
export const TASK_SENT_FIX = 'set task_send_sent_event = True in the app config of the publishers (tasks then show as PENDING when published)';

/**
 * The once-per-worker notice for a person (stderr of watch and server): which worker, why, and
 * the fix; null while its events are on or it is too early to tell.
 */
export function eventsOffNotice(hostname: string, v: EventsVerdict, enabling: boolean): string | null {
  if (v.status === 'on' || v.status === 'unknown') return null;
  const what = v.status === 'task-events-off' ? 'sends no task events' : 'sends no events at all';
  const now = enabling && v.status === 'task-events-off' ? ' (--enable-events is asking it to)' : '';
  return `${hostname} ${what}: ${v.reason}; its tasks will not show here${now}. Fix: ${EVENTS_FIX[v.status]}`;
}

/**
 * Tasks first heard of at a worker's task-received and no publisher's task-sent heard at all (not
 * even late): the publishers do not send it.
 */
export function taskSentMissing(publishersSent: number, firstReceived: number): boolean {
  return publishersSent === 0 && firstReceived >= MIN_TASKS_FOR_TASK_SENT;
}

/** How many tasks must have appeared at RECEIVED first before saying so (one may just be late). */
export const MIN_TASKS_FOR_TASK_SENT = 3;

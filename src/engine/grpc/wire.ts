/**
 * Engine objects -> gRPC messages. The server turns a Task/Worker into a TaskMessage/
 * WorkerMessage carrying reprs as they came (args/kwargs are parsed by clients, so the server's
 * per-event cost stays flat; only a result repr is parsed, to know whether it was cut). Clients
 * turn messages back into records in format/message-records.ts.
 */
import type { ResultSource, Task, TaskState, Worker, WorkerStatus } from '../model.js';
import type { TaskMessage, WorkerMessage } from './messages.js';
import { celeryStateOf, stateTime } from '../state/task-state.js';
import type { WholeResult } from '../backend/result-keeper.js';
import { reprIsCut } from '../repr/cut.js';
import { eventsStatus, workerEventsSeen } from '../state/events-status.js';

/** Where a task's result comes from, as `result_source` says it. */
export function resultSource(task: Task, whole: WholeResult | undefined): ResultSource | null {
  if (whole !== undefined) return 'backend';
  if (task.result === null) return null;
  return reprIsCut(task.result) ? 'truncated' : 'event';
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/** The message for one shown state of a task (a snapshot: encode it before the task changes). */
export function taskMessage(
  task: Task,
  state: TaskState,
  generated: boolean,
  fallbackTime: number,
  whole?: WholeResult,
): TaskMessage {
  return {
    uuid: task.uuid,
    name: opt(task.name),
    state,
    timestamp: stateTime(task, state, fallbackTime),
    generated,
    worker: opt(task.worker),
    retries: task.retries,
    args_repr: opt(task.args),
    kwargs_repr: opt(task.kwargs),
    result_repr: opt(task.result),
    result_json: whole?.json,
    result_source: opt(resultSource(task, whole)),
    exception: opt(task.exception),
    traceback: opt(task.traceback),
    runtime: opt(task.runtime),
    routing_key: opt(task.routing_key),
    queue: opt(task.queue),
    exchange: opt(task.exchange),
    parent_id: opt(task.parent_id),
    root_id: opt(task.root_id),
    client: opt(task.client),
    eta: opt(task.eta),
    expires: opt(task.expires),
    sent: opt(task.sent),
    received: opt(task.received),
    started: opt(task.started),
    succeeded: opt(task.succeeded),
    failed: opt(task.failed),
    retried: opt(task.retried),
    revoked: opt(task.revoked),
    rejected: opt(task.rejected),
    celery_state: celeryStateOf(task, state),
    lost: task.lost ? true : undefined,
    lost_at: task.lost ? opt(task.lostAt) : undefined,
    args_json: opt(task.tapped?.argsJson ?? null),
    kwargs_json: opt(task.tapped?.kwargsJson ?? null),
    body: opt(task.tapped?.body ?? null),
    group_id: opt(task.tapped?.group ?? null),
  };
}

/** `now`: when whether it sends events is judged (state/events-status.ts; default its last contact). */
export function workerMessage(worker: Worker, state: WorkerStatus, now: number = worker.lastSeen): WorkerMessage {
  return {
    hostname: worker.hostname,
    state,
    timestamp: worker.timestamp,
    alive: worker.alive,
    pid: opt(worker.pid),
    freq: worker.freq,
    active: opt(worker.active),
    processed: opt(worker.processed),
    loadavg: worker.loadavg === null ? undefined : [...worker.loadavg],
    sw_ident: opt(worker.sw_ident),
    sw_ver: opt(worker.sw_ver),
    sw_sys: opt(worker.sw_sys),
    last_seen: worker.lastSeen,
    events: eventsStatus(workerEventsSeen(worker, now)).status,
  };
}

/**
 * gRPC messages -> records, on the client side: a TaskMessage/WorkerMessage from a clearly server
 * becomes the same TaskRecord/WorkerRecord `watch --broker` prints, through the very same
 * `taskRecord`/`workerRecord`.
 */
import type { Decoded, TaskMessage, WorkerMessage } from '../engine/grpc/messages.js';
import type { Task, Worker, WorkerStatus } from '../engine/model.js';
import type { EventsStatus } from '../engine/state/events-status.js';
import { parsePythonJson } from '../engine/events/py-json.js';
import { taskFromRow, type TaskRow } from '../engine/store/rows.js';
import { nonFiniteToStrings } from './json-safe.js';
import { taskRecord, workerRecord, type TaskRecord, type WorkerRecord } from './record.js';

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

/** The Task a message describes (enough of it for `taskRecord`). */
function taskOf(m: Decoded<TaskMessage>): Task {
  return {
    uuid: m.uuid ?? '',
    name: orNull(m.name),
    state: m.state ?? '',
    celeryState: m.celery_state ?? m.state ?? '',
    finishedAt: null,
    requeue: null,
    events: 0,
    timestamp: m.timestamp ?? 0,
    worker: orNull(m.worker),
    client: orNull(m.client),
    retries: m.retries ?? 0,
    args: orNull(m.args_repr),
    kwargs: orNull(m.kwargs_repr),
    result: orNull(m.result_repr),
    exception: orNull(m.exception),
    traceback: orNull(m.traceback),
    runtime: orNull(m.runtime),
    eta: orNull(m.eta),
    expires: orNull(m.expires),
    queue: orNull(m.queue),
    exchange: orNull(m.exchange),
    routing_key: orNull(m.routing_key),
    parent_id: orNull(m.parent_id),
    root_id: orNull(m.root_id),
    clock: 0,
    sent: orNull(m.sent),
    received: orNull(m.received),
    started: orNull(m.started),
    succeeded: orNull(m.succeeded),
    failed: orNull(m.failed),
    retried: orNull(m.retried),
    revoked: orNull(m.revoked),
    rejected: orNull(m.rejected),
    terminated: null,
    signum: null,
    expired: null,
    shown: null,
    lost: m.lost === true,
    lostAt: m.lost === true ? orNull(m.lost_at) : null,
    tapped:
      m.args_json === undefined && m.kwargs_json === undefined && m.body === undefined && m.group_id === undefined
        ? null
        : { argsJson: orNull(m.args_json), kwargsJson: orNull(m.kwargs_json), body: orNull(m.body), group: orNull(m.group_id) },
  };
}

/**
 * The record for a task message, live or from history: the same fields `watch --broker` prints,
 * with `result` the whole backend value when the message carries one (`result_source: backend`),
 * its NaN/Infinity as strings like a repr's. A backend value that does not parse falls back to
 * the event's repr.
 */
export function taskRecordFromMessage(m: Decoded<TaskMessage>): TaskRecord {
  const task = taskOf(m);
  let backendResult: { value: unknown } | undefined;
  if (m.result_json !== undefined) {
    const parsed = parsePythonJson(m.result_json);
    // Only a text with NaN/Infinity tokens is walked: the usual value costs its parse alone.
    if (parsed.ok) backendResult = { value: parsed.nonFinite ? nonFiniteToStrings(parsed.value) : parsed.value };
  }
  const record = taskRecord(task, task.state, m.generated ?? false, task.timestamp, { backendResult });
  // The server already placed the state's time; trust it over our reconstruction.
  record.timestamp = task.timestamp;
  if (m.broker !== undefined && m.broker !== '') record.broker = m.broker;
  if (m.resumed === true) record.resumed = true;
  return record;
}

/**
 * The record for a row of a store (`clearly export --store`): what the server would have sent for
 * it, so both ways of exporting print the same lines.
 */
export function taskRecordFromRow(r: TaskRow): TaskRecord {
  const task = taskFromRow(r);
  let backendResult: { value: unknown } | undefined;
  if (r.result_json !== null) {
    const parsed = parsePythonJson(r.result_json);
    if (parsed.ok) backendResult = { value: parsed.nonFinite ? nonFiniteToStrings(parsed.value) : parsed.value };
  }
  const record = taskRecord(task, task.state, false, task.timestamp, { backendResult });
  if (r.broker !== '') record.broker = r.broker;
  return record;
}

export function workerRecordFromMessage(m: Decoded<WorkerMessage>): WorkerRecord {
  const worker: Worker = {
    hostname: m.hostname ?? '',
    pid: orNull(m.pid),
    freq: m.freq ?? 0,
    active: orNull(m.active),
    processed: orNull(m.processed),
    loadavg: m.loadavg ?? null,
    sw_ident: orNull(m.sw_ident),
    sw_ver: orNull(m.sw_ver),
    sw_sys: orNull(m.sw_sys),
    clock: 0,
    timestamp: m.timestamp ?? 0,
    lastSeen: m.last_seen ?? 0,
    alive: m.alive ?? false,
    firstSeen: 0,
    heartbeats: 0,
    taskEvents: 0,
    processedFirst: null,
    solicited: false,
  };
  const record = workerRecord(worker, toWorkerStatus(m.state));
  // The server judged it on what it heard (state/events-status.ts).
  record.events = toEventsStatus(m.events);
  return record;
}

function toEventsStatus(s: string | undefined): EventsStatus {
  return s === 'on' || s === 'task-events-off' || s === 'no-heartbeats' ? s : 'unknown';
}

function toWorkerStatus(s: string | undefined): WorkerStatus {
  return s === 'ONLINE' || s === 'HEARTBEAT' ? s : 'OFFLINE';
}

/**
 * Engine objects <-> gRPC messages. The server turns a Task/Worker into a TaskMessage/
 * WorkerMessage carrying reprs as they came (args/kwargs are parsed by clients, so the server's
 * per-event cost stays flat; only a result repr is parsed, to know whether it was cut); clients
 * turn messages back into the same TaskRecord/WorkerRecord `watch --broker` prints, through the
 * very same `taskRecord`/`workerRecord`.
 */
import type { Task, TaskState, Worker, WorkerStatus } from '../model.js';
import type { Decoded, TaskMessage, WorkerMessage } from './proto.js';
import { parsePythonJson } from '../events/py-json.js';
import { stateTime } from '../state/task-state.js';
import { nonFiniteToStrings } from '../../format/json-safe.js';
import { parseReprValue, taskRecord, workerRecord, type ResultSource, type TaskRecord, type WorkerRecord } from '../../format/record.js';

/** A task's whole result as read from the result backend. */
export interface WholeResult {
  /** The backend's `status` (only SUCCESS results are kept: the others are exception dicts). */
  readonly status: string;
  /** The `result` value as Python-dialect JSON text (see py-json.ts). */
  readonly json: string;
}

/**
 * True when the event's repr is not the whole value: saferepr cut it (1024-character budget) or
 * it does not parse. The same judgement (and cache) as the records' `result_source`.
 */
export function resultIsCut(repr: string): boolean {
  return parseReprValue(repr).truncated;
}

/** Where a task's result comes from, as `result_source` says it. */
export function resultSource(task: Task, whole: WholeResult | undefined): ResultSource | null {
  if (whole !== undefined) return 'backend';
  if (task.result === null) return null;
  return resultIsCut(task.result) ? 'truncated' : 'event';
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
  };
}

export function workerMessage(worker: Worker, state: WorkerStatus): WorkerMessage {
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
  };
}

// ---------------------------------------------------------------------------------------------
// Client side: messages -> records

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

/** The Task a message describes (enough of it for `taskRecord`). */
function taskOf(m: Decoded<TaskMessage>): Task {
  return {
    uuid: m.uuid ?? '',
    name: orNull(m.name),
    state: m.state ?? '',
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
  };
  return workerRecord(worker, toWorkerStatus(m.state));
}

function toWorkerStatus(s: string | undefined): WorkerStatus {
  return s === 'ONLINE' || s === 'HEARTBEAT' ? s : 'OFFLINE';
}

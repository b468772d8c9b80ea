/**
 * Tasks and workers as the store's rows, and back: plain objects with one key per column, so a
 * batch can cross to the SQLite worker thread (structured clone) or become SQL parameters as it
 * is. Pure. Every field a `--json` record has is kept; the reducer's own fields too (`celery_state`,
 * `finished_at`, `requeue`, `clock`), so a task loaded back follows the state rule as if it had
 * never left memory.
 */
import type { WholeResult } from '../backend/result-keeper.js';
import { isFinished, newTask, type Task, type Worker } from '../model.js';
import { stateTime } from '../state/task-state.js';

/** The task columns, in the tables' order (store/schema.ts). */
export const TASK_COLUMNS = [
  'uuid', 'name', 'state', 'celery_state', 'state_at', 'finished_at', 'requeue', 'events', 'timestamp', 'worker', 'client',
  'retries', 'args', 'kwargs', 'result', 'result_json', 'exception', 'traceback', 'runtime', 'eta', 'expires', 'queue',
  'exchange', 'routing_key', 'parent_id', 'root_id', 'clock', 'sent', 'received', 'started', 'succeeded', 'failed',
  'retried', 'revoked', 'rejected', 'terminated', 'signum', 'expired', 'broker', 'seq', 'lost', 'lost_at',
  'args_json', 'kwargs_json', 'body', 'group_id',
] as const;

export interface TaskRow {
  uuid: string;
  name: string | null;
  state: string;
  celery_state: string;
  /** When the current state was reached (the rule's "event time" of a row, store/rule-sql.ts). */
  state_at: number;
  finished_at: number | null;
  /** 0/1/null: SQL has no booleans in SQLite. */
  requeue: number | null;
  /** Events the writer had applied to the task (rule-sql.ts: the more advanced snapshot wins). */
  events: number;
  timestamp: number;
  worker: string | null;
  client: string | null;
  retries: number;
  args: string | null;
  kwargs: string | null;
  result: string | null;
  /** The whole result from the result backend, as Python-dialect JSON (backend/result-keeper.ts). */
  result_json: string | null;
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
  sent: number | null;
  received: number | null;
  started: number | null;
  succeeded: number | null;
  failed: number | null;
  retried: number | null;
  revoked: number | null;
  rejected: number | null;
  terminated: number | null;
  /** A signal number or name (`SIGTERM`), as text. */
  signum: string | null;
  expired: number | null;
  /** The broker the task was heard on (masked URL): several servers may write one database. */
  broker: string;
  /** Order of last change (newest first in queries); assigned by the store when written. */
  seq: number;
  /** 0/1: its worker went offline while it was on it (state/lost.ts); schema version 2. */
  lost: number;
  lost_at: number | null;
  /** From the task-message tap (tap/): the whole args/kwargs as JSON text, an undecoded body. */
  args_json: string | null;
  kwargs_json: string | null;
  body: string | null;
  /** The tap's group id (`group` in records); schema version 3. `group` itself is an SQL keyword. */
  group_id: string | null;
}

const flag = (b: boolean | null): number | null => (b === null ? null : b ? 1 : 0);
const bool = (n: number | boolean | null | undefined): boolean | null => (n === null || n === undefined ? null : Boolean(n));

export function taskRow(task: Task, broker: string, whole: WholeResult | undefined): TaskRow {
  return {
    uuid: task.uuid,
    name: task.name,
    state: task.state,
    celery_state: task.celeryState,
    state_at: stateTime(task, task.state, task.timestamp),
    finished_at: isFinished(task) ? task.finishedAt : null,
    requeue: flag(task.requeue),
    events: task.events,
    timestamp: task.timestamp,
    worker: task.worker,
    client: task.client,
    retries: task.retries,
    args: task.args,
    kwargs: task.kwargs,
    result: task.result,
    result_json: whole?.json ?? null,
    exception: task.exception,
    traceback: task.traceback,
    runtime: task.runtime,
    eta: task.eta,
    expires: task.expires,
    queue: task.queue,
    exchange: task.exchange,
    routing_key: task.routing_key,
    parent_id: task.parent_id,
    root_id: task.root_id,
    clock: task.clock,
    sent: task.sent,
    received: task.received,
    started: task.started,
    succeeded: task.succeeded,
    failed: task.failed,
    retried: task.retried,
    revoked: task.revoked,
    rejected: task.rejected,
    terminated: flag(task.terminated),
    signum: task.signum === null ? null : String(task.signum),
    expired: flag(task.expired),
    broker,
    seq: 0,
    lost: task.lost ? 1 : 0,
    lost_at: task.lostAt,
    args_json: task.tapped?.argsJson ?? null,
    kwargs_json: task.tapped?.kwargsJson ?? null,
    body: task.tapped?.body ?? null,
    group_id: task.tapped?.group ?? null,
  };
}

/** The Task a row describes (as the reducer left it), with `shown` at its state. */
export function taskFromRow(r: TaskRow): Task {
  const t = newTask(r.uuid);
  t.name = r.name;
  t.state = r.state;
  t.celeryState = r.celery_state;
  t.finishedAt = r.finished_at;
  t.requeue = bool(r.requeue);
  t.events = r.events;
  t.timestamp = r.timestamp;
  t.worker = r.worker;
  t.client = r.client;
  t.retries = r.retries;
  t.args = r.args;
  t.kwargs = r.kwargs;
  t.result = r.result;
  t.exception = r.exception;
  t.traceback = r.traceback;
  t.runtime = r.runtime;
  t.eta = r.eta;
  t.expires = r.expires;
  t.queue = r.queue;
  t.exchange = r.exchange;
  t.routing_key = r.routing_key;
  t.parent_id = r.parent_id;
  t.root_id = r.root_id;
  t.clock = r.clock;
  t.sent = r.sent;
  t.received = r.received;
  t.started = r.started;
  t.succeeded = r.succeeded;
  t.failed = r.failed;
  t.retried = r.retried;
  t.revoked = r.revoked;
  t.rejected = r.rejected;
  t.terminated = bool(r.terminated);
  t.signum = r.signum === null ? null : /^\d+$/.test(r.signum) ? Number(r.signum) : r.signum;
  t.expired = bool(r.expired);
  t.lost = Boolean(r.lost);
  t.lostAt = t.lost ? r.lost_at : null;
  const argsJson = r.args_json ?? null;
  const kwargsJson = r.kwargs_json ?? null;
  const body = r.body ?? null;
  const group = r.group_id ?? null;
  t.tapped = argsJson === null && kwargsJson === null && body === null && group === null ? null : { argsJson, kwargsJson, body, group };
  t.shown = r.state;
  return t;
}

/** A row's whole backend result, if the server had one. */
export function wholeOf(r: TaskRow): WholeResult | undefined {
  return r.result_json === null ? undefined : { status: 'SUCCESS', json: r.result_json };
}

export const WORKER_COLUMNS = [
  'hostname', 'pid', 'freq', 'active', 'processed', 'loadavg', 'sw_ident', 'sw_ver', 'sw_sys', 'clock', 'timestamp',
  'last_seen', 'alive', 'broker',
] as const;

export interface WorkerRow {
  hostname: string;
  pid: number | null;
  freq: number;
  active: number | null;
  processed: number | null;
  /** JSON array text. */
  loadavg: string | null;
  sw_ident: string | null;
  sw_ver: string | null;
  sw_sys: string | null;
  clock: number;
  timestamp: number;
  last_seen: number;
  alive: number;
  broker: string;
}

export function workerRow(w: Worker, broker: string): WorkerRow {
  return {
    hostname: w.hostname,
    pid: w.pid,
    freq: w.freq,
    active: w.active,
    processed: w.processed,
    loadavg: w.loadavg === null ? null : JSON.stringify(w.loadavg),
    sw_ident: w.sw_ident,
    sw_ver: w.sw_ver,
    sw_sys: w.sw_sys,
    clock: w.clock,
    timestamp: w.timestamp,
    last_seen: w.lastSeen,
    alive: w.alive ? 1 : 0,
    broker,
  };
}

export function workerFromRow(r: WorkerRow): Worker {
  let loadavg: number[] | null = null;
  if (r.loadavg !== null) {
    try {
      const v = JSON.parse(r.loadavg) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'number')) loadavg = v as number[];
    } catch {
      loadavg = null;
    }
  }
  return {
    hostname: r.hostname,
    pid: r.pid,
    freq: r.freq,
    active: r.active,
    processed: r.processed,
    loadavg,
    sw_ident: r.sw_ident,
    sw_ver: r.sw_ver,
    sw_sys: r.sw_sys,
    clock: r.clock,
    timestamp: r.timestamp,
    lastSeen: r.last_seen,
    alive: Boolean(r.alive),
    // Whether it sends events is judged on what this process hears: it starts over.
    firstSeen: 0,
    heartbeats: 0,
    taskEvents: 0,
    processedFirst: null,
    solicited: false,
  };
}

/**
 * The records clearly prints, one per state change: the same shape for live streams and history,
 * for text and for NDJSON. Field names are documented in the README ("Record fields").
 */
import type { ResultSource, Task, TaskState, Worker, WorkerStatus } from '../engine/model.js';
import { eventsStatus, workerEventsSeen, type EventsStatus } from '../engine/state/events-status.js';
import { celeryStateOf, stateTime } from '../engine/state/task-state.js';
import { parseRepr } from '../engine/repr/repr.js';
import { RecentCache } from '../engine/repr/recent-cache.js';
import { reprToJson } from './repr-json.js';
import { parsePythonJson } from '../engine/events/py-json.js';
import { nonFiniteToStrings } from './json-safe.js';

export interface TaskRecord {
  kind: 'task';
  uuid: string;
  name: string | null;
  state: TaskState;
  /** When this state was reached (epoch seconds). */
  timestamp: number;
  /** True for a state clearly inferred because its event was missing or arrived late. */
  generated: boolean;
  worker: string | null;
  retries: number;
  args: unknown;
  kwargs: unknown;
  result: unknown;
  args_repr: string | null;
  kwargs_repr: string | null;
  result_repr: string | null;
  /** Where `result` came from; `truncated` when only the event's cut repr was available. */
  result_source: ResultSource | null;
  exception: string | null;
  traceback: string | null;
  runtime: number | null;
  /**
   * True when `args` / `kwargs` / `result` is not the whole value: Celery cut its repr (at 1024
   * characters) or it could not be parsed. The `*_repr` field holds what arrived.
   */
  args_truncated: boolean;
  kwargs_truncated: boolean;
  result_truncated: boolean;
  routing_key: string | null;
  queue: string | null;
  exchange: string | null;
  parent_id: string | null;
  root_id: string | null;
  client: string | null;
  eta: string | null;
  expires: string | null;
  sent: number | null;
  received: number | null;
  started: number | null;
  succeeded: number | null;
  failed: number | null;
  retried: number | null;
  revoked: number | null;
  rejected: number | null;
  /** The group (or chord header) the task was sent in: only a tapped task message says (null: none or unknown). */
  group: string | null;
  /** The state Celery's own State would hold, only when it differs from `state` (README). */
  celery_state?: TaskState;
  /** Only on a lost task (its worker went offline while it was on it): true, and since when. */
  lost?: true;
  lost_at?: number | null;
  /** Only on a tapped task whose body clearly does not decode: `<pickle, 812 bytes>` (never unpickled). */
  body?: string;
  /** Where the task was heard (masked broker URL), on records from a server's history. */
  broker?: string;
  /**
   * Sent by a server to a `watch` that reconnected: the task's current state, which changed while
   * the client was away (its intermediate states are not repeated).
   */
  resumed?: true;
}

export interface WorkerRecord {
  kind: 'worker';
  hostname: string;
  state: WorkerStatus;
  timestamp: number;
  alive: boolean;
  pid: number | null;
  freq: number;
  active: number | null;
  processed: number | null;
  loadavg: readonly number[] | null;
  sw_ident: string | null;
  sw_ver: string | null;
  sw_sys: string | null;
  /** Local time of the last heartbeat or task event (epoch seconds). */
  last_seen: number;
  /** Whether it sends events, as far as clearly heard (state/events-status.ts). */
  events: EventsStatus;
}

export type OutputRecord = TaskRecord | WorkerRecord;

/**
 * Parsed reprs are cached by their text: a task's args are the same string on every one of its
 * records, and at thousands of records/s re-parsing them is most of the formatting cost.
 */
const CACHE_LIMIT = 2048;

/**
 * A cached parse, with a slot `--json` (record-json.ts) fills on first use, once per repr text
 * rather than once per record: its pieces of NDJSON for the value and for the text itself.
 */
export interface CachedRepr {
  readonly value: unknown;
  readonly truncated: boolean;
  json: object | undefined;
}

/** At most CACHE_LIMIT entries: two generations of half that. */
const parsedCache = new RecentCache<CachedRepr>(CACHE_LIMIT / 2);
const NULL_REPR: { readonly value: unknown; readonly truncated: boolean } = { value: null, truncated: false };

/** A tapped message's whole JSON args (Python's dialect, NaN/Infinity as strings like a repr's); the repr if it does not parse. */
function wholeValue(json: string, repr: string | null): { value: unknown; truncated: boolean } {
  const parsed = parsePythonJson(json);
  if (!parsed.ok) return parseReprValue(repr);
  return { value: parsed.nonFinite ? nonFiniteToStrings(parsed.value) : parsed.value, truncated: false };
}

export function parseReprValue(text: string | null): { value: unknown; truncated: boolean } {
  return text === null ? NULL_REPR : reprCacheEntry(text);
}

/** The parse of `text`, from the cache or parsed now (and cached). */
export function reprCacheEntry(text: string): CachedRepr {
  const hit = parsedCache.get(text);
  if (hit !== undefined) return hit;
  const parsed = parseRepr(text);
  const entry: CachedRepr = {
    value: parsed.ok ? reprToJson(parsed.node) : null,
    truncated: parsed.truncated || !parsed.ok,
    json: undefined,
  };
  parsedCache.set(text, entry);
  return entry;
}

/** The cache entry of `text` if it is cached (never parses). */
export function cachedRepr(text: string): CachedRepr | undefined {
  return parsedCache.get(text);
}

export interface TaskRecordExtras {
  /**
   * A whole result from the result backend, when clearly has one, already JSON-safe
   * (`nonFiniteToStrings`, json-safe.ts): it is printed as it is.
   */
  readonly backendResult?: { readonly value: unknown } | undefined;
}

/**
 * `state` is the state this record shows (a generated one may differ from `task.state`);
 * `fallbackTime` is used when the task holds no timestamp for that state.
 */
export function taskRecord(
  task: Task,
  state: TaskState,
  generated: boolean,
  fallbackTime: number,
  extras?: TaskRecordExtras,
): TaskRecord {
  // The tap's whole args win over the repr (cut at 1024 characters in events and headers).
  const argsJson = task.tapped?.argsJson ?? null;
  const kwargsJson = task.tapped?.kwargsJson ?? null;
  const args = argsJson !== null ? wholeValue(argsJson, task.args) : parseReprValue(task.args);
  const kwargs = kwargsJson !== null ? wholeValue(kwargsJson, task.kwargs) : parseReprValue(task.kwargs);
  let result: unknown = null;
  let source: ResultSource | null = null;
  if (extras?.backendResult !== undefined) {
    result = extras.backendResult.value;
    source = 'backend';
  } else if (task.result !== null) {
    const parsed = parseReprValue(task.result);
    result = parsed.value;
    source = parsed.truncated ? 'truncated' : 'event';
  }
  const record: TaskRecord = {
    kind: 'task',
    uuid: task.uuid,
    name: task.name,
    state,
    timestamp: stateTime(task, state, fallbackTime),
    generated,
    worker: task.worker,
    retries: task.retries,
    args: args.value,
    kwargs: kwargs.value,
    result,
    args_repr: task.args,
    kwargs_repr: task.kwargs,
    result_repr: task.result,
    result_source: source,
    exception: task.exception,
    traceback: task.traceback,
    runtime: task.runtime,
    args_truncated: task.args !== null && args.truncated,
    kwargs_truncated: task.kwargs !== null && kwargs.truncated,
    result_truncated: source === 'truncated',
    routing_key: task.routing_key,
    queue: task.queue,
    exchange: task.exchange,
    parent_id: task.parent_id,
    root_id: task.root_id,
    client: task.client,
    eta: task.eta,
    expires: task.expires,
    sent: task.sent,
    received: task.received,
    started: task.started,
    succeeded: task.succeeded,
    failed: task.failed,
    retried: task.retried,
    revoked: task.revoked,
    rejected: task.rejected,
    group: task.tapped?.group ?? null,
  };
  const celery = celeryStateOf(task, state);
  if (celery !== undefined) record.celery_state = celery;
  if (task.lost) {
    record.lost = true;
    record.lost_at = task.lostAt;
  }
  if (task.tapped !== null && task.tapped.body !== null) record.body = task.tapped.body;
  return record;
}

/** `now`: the time events-on-or-off is judged at (default its last contact). */
export function workerRecord(worker: Worker, state: WorkerStatus, now: number = worker.lastSeen): WorkerRecord {
  return {
    kind: 'worker',
    hostname: worker.hostname,
    state,
    timestamp: worker.timestamp,
    alive: worker.alive,
    pid: worker.pid,
    freq: worker.freq,
    active: worker.active,
    processed: worker.processed,
    loadavg: worker.loadavg,
    sw_ident: worker.sw_ident,
    sw_ver: worker.sw_ver,
    sw_sys: worker.sw_sys,
    last_seen: worker.lastSeen,
    events: eventsStatus(workerEventsSeen(worker, now)).status,
  };
}

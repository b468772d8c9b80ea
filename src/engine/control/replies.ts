/**
 * Typed views of the replies clearly reads: ping, stats, active/reserved and scheduled
 * (PROTOCOL.md §6; shapes from C/worker/control.py, C/worker/request.py `info`, the pool
 * `_get_info`s). Workers run other versions, pools and configs, so every field is optional: a
 * wrong-typed field becomes null, a malformed list item is skipped and counted, and nothing throws.
 */
import type { ControlReply } from './mailbox.js';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
/** Numbers Celery sometimes sends as strings (stats `clock` is `"96"`). */
const numOrNumeric = (v: unknown): number | null =>
  num(v) ?? (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : null);
const fail = (problem: string): { ok: false; problem: string } => ({ ok: false, problem });

/** A worker-side error (`{"error": "KeyError('x')"}`) is not a value of the expected shape. */
function valueOf(reply: ControlReply): Parsed<unknown> {
  if (reply.error !== undefined) return fail(`${reply.hostname} answered with an error: ${reply.error}`);
  return { ok: true, value: reply.value };
}

// --- ping ------------------------------------------------------------------------------------

/** `{"ok": "pong"}`: the `ok` text. */
export function parsePing(reply: ControlReply): Parsed<string> {
  const v = valueOf(reply);
  if (!v.ok) return v;
  const ok = isObj(v.value) ? str(v.value['ok']) : null;
  return ok === null ? fail(`${reply.hostname}: ping reply is not {"ok": "…"}`) : { ok: true, value: ok };
}

// --- stats -----------------------------------------------------------------------------------

export interface PoolStats {
  readonly maxConcurrency: number | null;
  /** Pool process pids (prefork, solo); empty for thread/green pools. */
  readonly processes: readonly number[];
  /** null when unlimited (prefork reports "N/A", solo None). */
  readonly maxTasksPerChild: number | null;
  /** Thread pool only. */
  readonly threads: number | null;
}

export interface BrokerStats {
  readonly transport: string | null;
  readonly hostname: string | null;
  readonly port: number | null;
  readonly virtualHost: string | null;
  readonly userid: string | null;
}

export interface WorkerStats {
  readonly pid: number | null;
  readonly clock: number | null;
  /** Seconds since the worker started. */
  readonly uptime: number | null;
  readonly prefetchCount: number | null;
  readonly pool: PoolStats | null;
  readonly broker: BrokerStats | null;
  /** Tasks processed, by task name. */
  readonly total: Readonly<Record<string, number>>;
  /** `resource.getrusage` numbers; null when the worker reports "N/A". */
  readonly rusage: Readonly<Record<string, number>> | null;
}

export function parseStats(reply: ControlReply): Parsed<WorkerStats> {
  const v = valueOf(reply);
  if (!v.ok) return v;
  const s = v.value;
  if (!isObj(s)) return fail(`${reply.hostname}: stats reply is not an object`);
  return {
    ok: true,
    value: {
      pid: num(s['pid']),
      clock: numOrNumeric(s['clock']),
      uptime: num(s['uptime']),
      prefetchCount: num(s['prefetch_count']),
      pool: isObj(s['pool']) ? parsePool(s['pool']) : null,
      broker: isObj(s['broker']) ? parseBroker(s['broker']) : null,
      total: numberMap(s['total']) ?? {},
      rusage: numberMap(s['rusage']),
    },
  };
}

function parsePool(p: Obj): PoolStats {
  const procs = p['processes'];
  return {
    maxConcurrency: num(p['max-concurrency']),
    processes: Array.isArray(procs) ? procs.filter((x): x is number => num(x) !== null) : [],
    maxTasksPerChild: num(p['max-tasks-per-child']),
    threads: num(p['threads']),
  };
}

function parseBroker(b: Obj): BrokerStats {
  return {
    transport: str(b['transport']),
    hostname: str(b['hostname']),
    port: num(b['port']),
    virtualHost: str(b['virtual_host']),
    userid: str(b['userid']),
  };
}

function numberMap(v: unknown): Record<string, number> | null {
  if (!isObj(v)) return null;
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) {
    const n = num(x);
    if (n !== null) out[k] = n;
  }
  return out;
}

// --- active / reserved / scheduled -------------------------------------------------------------

export interface DeliveryInfo {
  readonly exchange: string | null;
  readonly routingKey: string | null;
  readonly priority: number | null;
  readonly redelivered: boolean | null;
}

/** `Request.info()`: one task a worker holds. */
export interface TaskInfo {
  readonly id: string;
  readonly name: string | null;
  /** Real JSON args, or Celery's repr string when asked with `safe: true`. */
  readonly args: unknown;
  readonly kwargs: unknown;
  readonly type: string | null;
  readonly hostname: string | null;
  /** Epoch seconds the task started (null while only reserved). */
  readonly timeStart: number | null;
  readonly acknowledged: boolean | null;
  readonly workerPid: number | null;
  readonly deliveryInfo: DeliveryInfo | null;
}

export interface ScheduledTaskInfo {
  /** ISO 8601, as the worker formats it (may lack an offset). */
  readonly eta: string | null;
  readonly priority: number | null;
  readonly request: TaskInfo;
}

export interface TaskList<T> {
  readonly tasks: readonly T[];
  /** Items that were not task objects (counted, not fatal). */
  readonly skipped: number;
}

/** `active` and `reserved` replies: a list of `Request.info()`. */
export function parseTaskList(reply: ControlReply): Parsed<TaskList<TaskInfo>> {
  return parseList(reply, parseTaskInfo);
}

/** `scheduled` replies: `[{eta, priority, request: Request.info()}]`. */
export function parseScheduled(reply: ControlReply): Parsed<TaskList<ScheduledTaskInfo>> {
  return parseList(reply, (item) => {
    if (!isObj(item)) return null;
    const request = parseTaskInfo(item['request']);
    return request && { eta: str(item['eta']), priority: num(item['priority']), request };
  });
}

function parseList<T>(reply: ControlReply, item: (v: unknown) => T | null): Parsed<TaskList<T>> {
  const v = valueOf(reply);
  if (!v.ok) return v;
  if (!Array.isArray(v.value)) return fail(`${reply.hostname}: reply is not a list of tasks`);
  const tasks: T[] = [];
  let skipped = 0;
  for (const raw of v.value) {
    const t = item(raw);
    if (t === null) skipped++;
    else tasks.push(t);
  }
  return { ok: true, value: { tasks, skipped } };
}

/** The task id is the one field without which an item means nothing. */
export function parseTaskInfo(v: unknown): TaskInfo | null {
  if (!isObj(v)) return null;
  const id = str(v['id']);
  if (id === null) return null;
  const di = v['delivery_info'];
  return {
    id,
    name: str(v['name']),
    args: v['args'] ?? null,
    kwargs: v['kwargs'] ?? null,
    type: str(v['type']),
    hostname: str(v['hostname']),
    timeStart: num(v['time_start']),
    acknowledged: bool(v['acknowledged']),
    workerPid: num(v['worker_pid']),
    deliveryInfo: isObj(di)
      ? {
          exchange: str(di['exchange']),
          routingKey: str(di['routing_key']),
          priority: num(di['priority']),
          redelivered: bool(di['redelivered']),
        }
      : null,
  };
}

// --- active_queues ---------------------------------------------------------------------------

/** One queue a worker consumes (`active_queues`: kombu `Queue.as_dict(recurse=True)`). */
export interface ConsumedQueue {
  readonly name: string;
  readonly exchange: string | null;
  readonly routingKey: string | null;
}

/** `active_queues` replies, with each queue's exchange and routing key (diagnose): `[{"name": "celery", "exchange": {"name": "celery", …}, "routing_key": "celery", …}]`. */
export function parseConsumedQueues(reply: ControlReply): Parsed<TaskList<ConsumedQueue>> {
  return parseList(reply, (item) => {
    if (!isObj(item)) return null;
    const name = str(item['name']);
    if (name === null) return null;
    const ex = item['exchange'];
    return { name, exchange: isObj(ex) ? str(ex['name']) : str(ex), routingKey: str(item['routing_key']) };
  });
}

/** `active_queues`: the names of the queues the worker consumes from. */
export function parseActiveQueues(reply: ControlReply): Parsed<string[]> {
  const v = valueOf(reply);
  if (!v.ok) return v;
  if (!Array.isArray(v.value)) return fail(`${reply.hostname}: active_queues reply is not a list`);
  const names: string[] = [];
  for (const q of v.value) if (isObj(q) && typeof q['name'] === 'string') names.push(q['name']);
  return { ok: true, value: names };
}

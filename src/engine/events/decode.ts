/**
 * Raw broker message -> typed events. Pure and total: it never throws, whatever arrives; what it
 * cannot use becomes a counted DecodeError and the rest of the message still gets through.
 *
 * This is the per-event hot path: every event object is built with all of its keys in one
 * literal so V8 keeps one shape per kind.
 */
import type {
  CeleryEvent,
  DecodeError,
  DecodeErrorReason,
  DecodeResult,
  OtherEvent,
  RawMessage,
  TaskEvent,
  TaskSubject,
  WorkerEvent,
  WorkerSubject,
} from './types.js';
import { redisBody } from './envelope.js';

/** Larger bodies are refused: a real event is at most a few KB (reprs are cut at 1024 chars). */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

const TASK_SUBJECT: ReadonlyMap<string, TaskSubject> = new Map(
  (['sent', 'received', 'started', 'succeeded', 'failed', 'retried', 'revoked', 'rejected'] as const).map(
    (s) => [`task-${s}`, s],
  ),
);
const WORKER_SUBJECT: ReadonlyMap<string, WorkerSubject> = new Map(
  (['online', 'heartbeat', 'offline'] as const).map((s) => [`worker-${s}`, s]),
);

const NO_ERRORS: DecodeError[] = [];

export interface DecodeOptions {
  maxBodyBytes?: number;
}

export function decodeMessage(raw: RawMessage, options?: DecodeOptions): DecodeResult {
  const max = options?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const body = raw.transport === 'amqp' ? amqpBody(raw.contentType, raw.contentEncoding, raw.body, max) : redisBody(raw.payload, max);
  if (typeof body !== 'string') return { events: [], errors: [body] };
  return decodeBody(body);
}

/** Decode the JSON text of an event body: one event object, or a `task.multi` list of them. */
export function decodeBody(text: string): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return fail('bad-json', `${(e as Error).message}: ${preview(text)}`);
  }
  if (Array.isArray(parsed)) {
    // task.multi: a bad item must not take its siblings down with it.
    const events: CeleryEvent[] = [];
    let errors = NO_ERRORS;
    for (const item of parsed) {
      const ev = decodeEvent(item);
      if ('reason' in ev) {
        if (errors === NO_ERRORS) errors = [];
        errors.push(ev);
      } else events.push(ev);
    }
    return { events, errors };
  }
  const ev = decodeEvent(parsed);
  return 'reason' in ev ? { events: [], errors: [ev] } : { events: [ev], errors: NO_ERRORS };
}

function amqpBody(
  contentType: string | undefined,
  contentEncoding: string | undefined,
  body: Buffer,
  max: number,
): string | DecodeError {
  if (body.length > max) return err('too-large', `${body.length} bytes (limit ${max})`);
  if (contentType !== undefined && contentType !== 'application/json') {
    return err('content-type', `content_type ${JSON.stringify(contentType)}`);
  }
  if (contentEncoding !== undefined && !/^utf-?8$/i.test(contentEncoding)) {
    return err('bad-encoding', `content_encoding ${JSON.stringify(contentEncoding)}`);
  }
  return body.toString('utf8');
}

/** One event object (already JSON-parsed) -> a typed event, or why not. */
export function decodeEvent(obj: unknown): CeleryEvent | DecodeError {
  if (!isObject(obj)) return err('not-an-event', `expected an object, got ${kindOf(obj)}`);
  const type = obj['type'];
  if (typeof type !== 'string') return err('not-an-event', 'no string "type"');
  const timestamp = obj['timestamp'];
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
    return err('missing-field', `${type}: no numeric "timestamp"`);
  }
  const hostname = obj['hostname'];
  if (type.startsWith('task-')) {
    const uuid = obj['uuid'];
    if (typeof uuid !== 'string' || uuid === '') return err('missing-field', `${type}: no "uuid"`);
    if (typeof hostname !== 'string') return err('missing-field', `${type}: no "hostname"`);
    return taskEvent(obj, type, uuid, hostname, timestamp);
  }
  const workerSubject = WORKER_SUBJECT.get(type);
  if (workerSubject !== undefined) {
    if (typeof hostname !== 'string' || hostname === '') return err('missing-field', `${type}: no "hostname"`);
    return workerEvent(obj, type as WorkerEvent['type'], workerSubject, hostname, timestamp);
  }
  const other: OtherEvent = {
    kind: 'other',
    type,
    hostname: typeof hostname === 'string' ? hostname : null,
    timestamp,
    fields: obj,
  };
  return other;
}

function taskEvent(
  o: Record<string, unknown>,
  type: string,
  uuid: string,
  hostname: string,
  timestamp: number,
): TaskEvent {
  return {
    kind: 'task',
    type,
    subject: TASK_SUBJECT.get(type) ?? 'other',
    uuid,
    hostname,
    timestamp,
    clock: int(o['clock']) ?? 0,
    pid: int(o['pid']) ?? null,
    utcoffset: num(o['utcoffset']) ?? 0,
    name: str(o['name']),
    args: str(o['args']),
    kwargs: str(o['kwargs']),
    retries: int(o['retries']),
    root_id: strOrNull(o['root_id']),
    parent_id: strOrNull(o['parent_id']),
    eta: strOrNull(o['eta']),
    expires: strOrNull(o['expires']),
    queue: str(o['queue']),
    exchange: str(o['exchange']),
    routing_key: str(o['routing_key']),
    result: str(o['result']),
    runtime: num(o['runtime']),
    exception: str(o['exception']),
    traceback: str(o['traceback']),
    terminated: bool(o['terminated']),
    signum: signum(o['signum']),
    expired: bool(o['expired']),
    requeue: bool(o['requeue']),
  };
}

function workerEvent(
  o: Record<string, unknown>,
  type: WorkerEvent['type'],
  subject: WorkerSubject,
  hostname: string,
  timestamp: number,
): WorkerEvent {
  return {
    kind: 'worker',
    type,
    subject,
    hostname,
    timestamp,
    clock: int(o['clock']) ?? 0,
    pid: int(o['pid']) ?? null,
    utcoffset: num(o['utcoffset']) ?? 0,
    freq: positive(o['freq']),
    active: int(o['active']),
    processed: int(o['processed']),
    loadavg: numbers(o['loadavg']),
    sw_ident: str(o['sw_ident']),
    sw_ver: str(o['sw_ver']),
    sw_sys: str(o['sw_sys']),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function strOrNull(v: unknown): string | null | undefined {
  return typeof v === 'string' || v === null ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined;
}
function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}
function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}
function signum(v: unknown): number | string | null | undefined {
  return typeof v === 'number' || typeof v === 'string' || v === null ? v : undefined;
}
function numbers(v: unknown): number[] | undefined {
  if (!Array.isArray(v)) return undefined;
  for (const x of v) if (typeof x !== 'number') return undefined;
  return v as number[];
}
function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}
function err(reason: DecodeErrorReason, detail: string): DecodeError {
  return { reason, detail };
}
function fail(reason: DecodeErrorReason, detail: string): DecodeResult {
  return { events: [], errors: [err(reason, detail)] };
}
function preview(text: string): string {
  const t = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return JSON.stringify(t);
}

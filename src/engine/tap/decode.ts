/**
 * A tapped task message -> the task event the reducer merges. Protocol 2: the task fields are in
 * the headers (`task`, `id`, `eta`, `expires`, `retries`, `root_id`, `parent_id`, `group`,
 * `origin`, `argsrepr`, `kwargsrepr`) and the body is `[args, kwargs, embed]`. Protocol 1:
 * no `task` header, the body is `{task, id, args, kwargs, eta, expires, retries, taskset, ...}`
 * (`taskset`: protocol 1's name for the group id, Celery 4+ repeating it as `group`). Bodies
 * in JSON and msgpack (msgpack.ts) are decoded; any other (pickle, yaml) never is: the reprs
 * come from the headers and the body is described (`<pickle, 812 bytes>`). Pure and total.
 */
import type { TapRawMessage } from '../broker/tap-source.js';
import { dumpPythonJson, parsePythonJson } from '../events/py-json.js';
import type { DecodeError, TaskEvent } from '../events/types.js';
import { decodeMsgpack } from './msgpack.js';

export type TapDecoded = { readonly ok: true; readonly event: TaskEvent } | { readonly ok: false; readonly error: DecodeError };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strOrNull = (v: unknown): string | null | undefined => (v === null ? null : str(v));
/** AMQP headers may come as Buffers (longstr) from some publishers. */
const text = (v: unknown): string | undefined => (Buffer.isBuffer(v) ? v.toString('utf8') : str(v));
const textOrNull = (v: unknown): string | null | undefined => (v === null ? null : text(v));

const KIND_OF: Readonly<Record<string, string>> = {
  'application/x-python-serialize': 'pickle',
  'application/x-msgpack': 'msgpack',
  'application/x-yaml': 'yaml',
};

const fail = (reason: DecodeError['reason'], detail: string): TapDecoded => ({ ok: false, error: { reason, detail } });

/** `now`: local receive time (epoch seconds), the task's `sent` when no event says otherwise. */
const MSGPACK = 'application/x-msgpack';

/** The body as values (JSON, msgpack); undefined when it is not decoded (pickle, yaml, junk). */
function readBody(raw: TapRawMessage): unknown {
  if (raw.contentType === undefined || raw.contentType === 'application/json') {
    const parsed = parsePythonJson(raw.body.toString('utf8'));
    return parsed.ok ? parsed.value : undefined;
  }
  if (raw.contentType === MSGPACK) return decodeMsgpack(raw.body)?.value;
  return undefined;
}

export function decodeTapped(raw: TapRawMessage, now: number): TapDecoded {
  const h = raw.headers;
  const v2 = text(h['task']) !== undefined && text(h['id']) !== undefined;
  const isJson = raw.contentType === undefined || raw.contentType === 'application/json';
  const decodable = isJson || raw.contentType === MSGPACK;
  const body = readBody(raw);
  if (decodable && body === undefined && !v2) {
    return fail('bad-json', `tapped message from ${raw.queue}: the body is not ${raw.contentType === MSGPACK ? 'msgpack' : 'JSON'}`);
  }
  const fields: Obj = v2 ? h : isObj(body) ? body : {};
  const uuid = text(fields['id']);
  const name = text(fields['task']);
  if (uuid === undefined || name === undefined) {
    return fail(decodable ? 'missing-field' : 'content-type', `tapped message from ${raw.queue}: no task id/name (${raw.contentType ?? 'no content type'})`);
  }
  let argsJson: string | undefined;
  let kwargsJson: string | undefined;
  if (body !== undefined) {
    const [args, kwargs] = v2 && Array.isArray(body) ? [body[0], body[1]] : isObj(body) ? [body['args'], body['kwargs']] : [undefined, undefined];
    if (Array.isArray(args)) argsJson = dumpPythonJson(args);
    if (isObj(kwargs)) kwargsJson = dumpPythonJson(kwargs);
  }
  const retries = fields['retries'];
  const ev: TaskEvent = {
    kind: 'task',
    type: 'task-sent',
    subject: 'sent',
    uuid,
    hostname: text(h['origin']) ?? text(fields['origin']) ?? 'tap',
    timestamp: now,
    clock: 0,
    pid: null,
    utcoffset: 0,
    name,
    // The reprs as the publisher made them (saferepr, cut at 1024): the events' own form.
    args: text(h['argsrepr']),
    kwargs: text(h['kwargsrepr']),
    retries: typeof retries === 'number' && Number.isInteger(retries) ? retries : undefined,
    root_id: strOrNull(h['root_id'] ?? fields['root_id']),
    parent_id: strOrNull(h['parent_id'] ?? fields['parent_id']),
    eta: strOrNull(fields['eta']),
    expires: strOrNull(fields['expires']),
    // The group (or chord header) the task was sent in. Protocol 1 calls it `taskset` (Celery 4+
    // also writes `group` there); the worker takes `taskset` when there is one (worker/strategy.py).
    group: textOrNull(v2 ? h['group'] : 'taskset' in fields ? fields['taskset'] : fields['group']),
    queue: raw.queue,
    exchange: raw.exchange ?? undefined,
    routing_key: raw.routingKey ?? undefined,
    args_json: argsJson,
    kwargs_json: kwargsJson,
    // Described, never decoded: pickle and yaml (and a msgpack body that did not decode).
    body: body !== undefined || isJson ? undefined : `<${KIND_OF[raw.contentType ?? ''] ?? raw.contentType ?? 'binary'}, ${raw.body.length} bytes>`,
  };
  return { ok: true, event: ev };
}

/**
 * kombu's Redis envelope (`{"body", "content-type", "content-encoding", "headers", "properties"}`,
 * body base64 when `properties.body_encoding` says so) -> the raw message; null when it is not one.
 */
export function unwrapRedisEnvelope(text: string, queue: string): TapRawMessage | null {
  let env: unknown;
  try {
    env = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObj(env) || typeof env['body'] !== 'string') return null;
  const props = isObj(env['properties']) ? env['properties'] : {};
  const di = isObj(props['delivery_info']) ? props['delivery_info'] : {};
  const b64 = props['body_encoding'] === 'base64';
  return {
    body: b64 ? Buffer.from(env['body'], 'base64') : Buffer.from(env['body'], 'utf8'),
    contentType: str(env['content-type']),
    contentEncoding: str(env['content-encoding']),
    headers: isObj(env['headers']) ? env['headers'] : {},
    exchange: str(di['exchange']) ?? null,
    routingKey: str(di['routing_key']) ?? null,
    queue,
  };
}

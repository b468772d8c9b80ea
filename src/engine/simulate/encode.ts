/**
 * Event object → the exact bytes a Celery 5.2 worker / client publishes (PROTOCOL.md §1–§4).
 *
 * Each event type has its own hand-written template instead of a generic serializer because
 * (1) the key order is fixed per type (`hostname, utcoffset, pid, clock, <fields>, timestamp, type`),
 * (2) JS numbers do not say whether Python had an int or a float (`freq` is `2.0`, `active` is `0`),
 * and the type says it, and (3) it is the fastest way to make a string, which matters at 100k+ msg/s.
 */
import { pyFloat, pyInt, pyStr, pyStrOrNull } from './pyjson.js';

interface Common {
  readonly hostname: string;
  readonly utcoffset: number;
  readonly pid: number;
  readonly clock: number;
  /** Epoch seconds, a Python float. */
  readonly timestamp: number;
}

/** The fields of worker-online/heartbeat/offline (C/worker/heartbeat.py `Heart._send`). */
export interface WorkerFields extends Common {
  readonly freq: number;
  readonly active: number;
  readonly processed: number;
  readonly loadavg: readonly number[];
  readonly sw_ident: string;
  readonly sw_ver: string;
  readonly sw_sys: string;
}

export interface WorkerOnline extends WorkerFields { readonly type: 'worker-online' }
export interface WorkerHeartbeat extends WorkerFields { readonly type: 'worker-heartbeat' }
export interface WorkerOffline extends WorkerFields { readonly type: 'worker-offline' }

export interface TaskSent extends Common {
  readonly type: 'task-sent';
  readonly uuid: string;
  readonly root_id: string | null;
  readonly parent_id: string | null;
  readonly name: string;
  readonly args: string;
  readonly kwargs: string;
  readonly retries: number;
  readonly eta: string | null;
  readonly expires: string | null;
  readonly queue: string;
  readonly exchange: string;
  readonly routing_key: string;
}

export interface TaskReceived extends Common {
  readonly type: 'task-received';
  readonly uuid: string;
  readonly name: string;
  readonly args: string;
  readonly kwargs: string;
  readonly root_id: string | null;
  readonly parent_id: string | null;
  readonly retries: number;
  readonly eta: string | null;
  readonly expires: string | null;
}

export interface TaskStarted extends Common { readonly type: 'task-started'; readonly uuid: string }

export interface TaskSucceeded extends Common {
  readonly type: 'task-succeeded';
  readonly uuid: string;
  readonly result: string;
  /** Seconds, a Python float. */
  readonly runtime: number;
}

export interface TaskFailed extends Common {
  readonly type: 'task-failed';
  readonly uuid: string;
  readonly exception: string;
  readonly traceback: string;
}

export interface TaskRetried extends Common {
  readonly type: 'task-retried';
  readonly uuid: string;
  readonly exception: string;
  readonly traceback: string;
}

export interface TaskRevoked extends Common {
  readonly type: 'task-revoked';
  readonly uuid: string;
  readonly terminated: boolean;
  readonly signum: number | string | null;
  readonly expired: boolean;
}

export interface TaskRejected extends Common {
  readonly type: 'task-rejected';
  readonly uuid: string;
  readonly requeue: boolean;
}

/** Task events a worker main process emits; these are the ones that travel in `task.multi`. */
export type WorkerTaskEvent =
  | TaskReceived
  | TaskStarted
  | TaskSucceeded
  | TaskFailed
  | TaskRetried
  | TaskRevoked
  | TaskRejected;

export type WorkerLifecycleEvent = WorkerOnline | WorkerHeartbeat | WorkerOffline;

/** Every event type this generator can encode. */
export type GenEvent = WorkerLifecycleEvent | TaskSent | WorkerTaskEvent;
export type GenEventType = GenEvent['type'];

/** One broker message: a single event, or a worker's `task.multi` batch (which may be empty on AMQP). */
export type EventMessage =
  | { readonly kind: 'single'; readonly event: GenEvent }
  | { readonly kind: 'multi'; readonly hostname: string; readonly events: readonly WorkerTaskEvent[] };

/** What a publisher needs; `body` is pure ASCII (ensure_ascii), so latin1 = UTF-8 bytes. */
export interface EncodedMessage {
  readonly routingKey: string;
  readonly hostname: string;
  readonly body: string;
  /** Events inside (0 for an empty batch); the generator's rate and counts are in events. */
  readonly events: number;
}

const bool = (b: boolean): string => (b ? 'true' : 'false');

function head(e: Common): string {
  return (
    `{"hostname": ${pyStr(e.hostname)}, "utcoffset": ${pyInt(e.utcoffset)}, ` +
    `"pid": ${pyInt(e.pid)}, "clock": ${pyInt(e.clock)}, `
  );
}

function tail(e: Common & { readonly type: string }): string {
  return `"timestamp": ${pyFloat(e.timestamp)}, "type": ${pyStr(e.type)}}`;
}

function workerBody(e: WorkerFields): string {
  return (
    `"freq": ${pyFloat(e.freq)}, "active": ${pyInt(e.active)}, "processed": ${pyInt(e.processed)}, ` +
    `"loadavg": [${e.loadavg.map(pyFloat).join(', ')}], "sw_ident": ${pyStr(e.sw_ident)}, ` +
    `"sw_ver": ${pyStr(e.sw_ver)}, "sw_sys": ${pyStr(e.sw_sys)}, `
  );
}

function signum(s: number | string | null): string {
  if (s === null) return 'null';
  return typeof s === 'number' ? pyInt(s) : pyStr(s);
}

/** The type-specific middle of the object (between `clock` and `timestamp`), with trailing `, `. */
function fields(e: GenEvent): string {
  switch (e.type) {
    case 'worker-online':
    case 'worker-heartbeat':
    case 'worker-offline':
      return workerBody(e);
    case 'task-sent':
      return (
        `"uuid": ${pyStr(e.uuid)}, "root_id": ${pyStrOrNull(e.root_id)}, "parent_id": ${pyStrOrNull(e.parent_id)}, ` +
        `"name": ${pyStr(e.name)}, "args": ${pyStr(e.args)}, "kwargs": ${pyStr(e.kwargs)}, ` +
        `"retries": ${pyInt(e.retries)}, "eta": ${pyStrOrNull(e.eta)}, "expires": ${pyStrOrNull(e.expires)}, ` +
        `"queue": ${pyStr(e.queue)}, "exchange": ${pyStr(e.exchange)}, "routing_key": ${pyStr(e.routing_key)}, `
      );
    case 'task-received':
      return (
        `"uuid": ${pyStr(e.uuid)}, "name": ${pyStr(e.name)}, "args": ${pyStr(e.args)}, "kwargs": ${pyStr(e.kwargs)}, ` +
        `"root_id": ${pyStrOrNull(e.root_id)}, "parent_id": ${pyStrOrNull(e.parent_id)}, ` +
        `"retries": ${pyInt(e.retries)}, ` +
        `"eta": ${pyStrOrNull(e.eta)}, "expires": ${pyStrOrNull(e.expires)}, `
      );
    case 'task-started':
      return `"uuid": ${pyStr(e.uuid)}, `;
    case 'task-succeeded':
      return `"uuid": ${pyStr(e.uuid)}, "result": ${pyStr(e.result)}, "runtime": ${pyFloat(e.runtime)}, `;
    case 'task-failed':
    case 'task-retried':
      return `"uuid": ${pyStr(e.uuid)}, "exception": ${pyStr(e.exception)}, "traceback": ${pyStr(e.traceback)}, `;
    case 'task-revoked':
      return (
        `"uuid": ${pyStr(e.uuid)}, "terminated": ${bool(e.terminated)}, "signum": ${signum(e.signum)}, ` +
        `"expired": ${bool(e.expired)}, `
      );
    case 'task-rejected':
      return `"uuid": ${pyStr(e.uuid)}, "requeue": ${bool(e.requeue)}, `;
    default: {
      const unhandled: never = e;
      throw new TypeError(`unknown event type ${(unhandled as { type: string }).type}`);
    }
  }
}

/** One event as `json.dumps(event)` writes it. */
export function encodeEvent(e: GenEvent): string {
  return head(e) + fields(e) + tail(e);
}

/** A `task.multi` body: `json.dumps(list_of_events)` (item separator `, `; `[]` when empty). */
export function encodeBatch(events: readonly GenEvent[]): string {
  return '[' + events.map(encodeEvent).join(', ') + ']';
}

/** Routing key of a single event: its type with `-` → `.` (dispatcher.publish). */
export function routingKeyOf(type: GenEventType): string {
  let rk = ROUTING_KEYS.get(type);
  if (rk === undefined) ROUTING_KEYS.set(type, (rk = type.replaceAll('-', '.')));
  return rk;
}
const ROUTING_KEYS = new Map<string, string>();

export const TASK_MULTI = 'task.multi';

export function encodeMessage(m: EventMessage): EncodedMessage {
  switch (m.kind) {
    case 'single':
      return {
        routingKey: routingKeyOf(m.event.type),
        hostname: m.event.hostname,
        body: encodeEvent(m.event),
        events: 1,
      };
    case 'multi':
      return { routingKey: TASK_MULTI, hostname: m.hostname, body: encodeBatch(m.events), events: m.events.length };
    default: {
      const unhandled: never = m;
      throw new TypeError(`unknown message kind ${(unhandled as { kind: string }).kind}`);
    }
  }
}

// ---- transport framing ----------------------------------------------------------------------

export const EVENT_EXCHANGE = 'celeryev';

/** assertExchange arguments a 5.2 worker declares; anything else gives 406 PRECONDITION_FAILED. */
export const AMQP_EXCHANGE_OPTIONS = { durable: true, autoDelete: false, internal: false } as const;

/** basic.publish properties of every event (§1): nothing more, nothing less. */
export function amqpPublishOptions(hostname: string): {
  contentType: string;
  contentEncoding: string;
  deliveryMode: number;
  priority: number;
  headers: { hostname: string };
} {
  return {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    deliveryMode: 1,
    priority: 0,
    headers: { hostname },
  };
}

/** kombu's fanout channel for an event on Redis: `/{db}.celeryev/<routing key>` (§2). */
export function redisChannel(db: number, routingKey: string): string {
  return `/${db}.${EVENT_EXCHANGE}/${routingKey}`;
}

/**
 * kombu's virtual-transport envelope (the PUBLISH payload), keys in kombu's order. `body` is the
 * event JSON and goes in base64; `deliveryTag` is a uuid4 string. `body` must be what encodeEvent /
 * encodeBatch return: pure ASCII (ensure_ascii), which is why btoa (Latin-1 only, and faster than a
 * Buffer round trip) gives the base64 of its UTF-8 bytes.
 */
export function redisEnvelope(body: string, routingKey: string, hostname: string, deliveryTag: string): string {
  return (
    `{"body": "${btoa(body)}", "content-encoding": "utf-8", ` +
    `"content-type": "application/json", "headers": {"hostname": ${pyStr(hostname)}}, ` +
    `"properties": {"delivery_mode": 1, "delivery_info": {"exchange": "${EVENT_EXCHANGE}", ` +
    `"routing_key": ${pyStr(routingKey)}}, "priority": 0, "body_encoding": "base64", ` +
    `"delivery_tag": ${pyStr(deliveryTag)}}}`
  );
}

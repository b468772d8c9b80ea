/**
 * Celery remote control (kombu "pidbox", PROTOCOL.md §6), the transport-neutral half: request
 * bodies and headers exactly as Celery builds them, reply decoding, and routing replies to the
 * call that asked (by `ticket`). The broker I/O lives in amqp.ts / redis.ts.
 */
import { randomUUID } from 'node:crypto';
import { pyJsonDumps, pyJsonParse, type ControlProblem, type ControlProblemReason, type Decoded } from './codec.js';

/** `control_exchange` setting (default `celery`) + `.pidbox`; replies come back via `reply.` + that. */
export const DEFAULT_NAMESPACE = 'celery';
export const requestExchange = (ns: string): string => `${ns}.pidbox`;
export const replyExchange = (ns: string): string => `reply.${ns}.pidbox`;
/** kombu `Mailbox.get_reply_queue`: `<oid>.reply.celery.pidbox`, bound with routing key `<oid>`. */
export const replyQueueName = (oid: string, ns: string): string => `${oid}.${replyExchange(ns)}`;
/** control_queue_expires=10 s and control_queue_ttl=300 s, as RabbitMQ queue arguments (ms). */
export const REPLY_QUEUE_ARGS = { 'x-expires': 10_000, 'x-message-ttl': 300_000 } as const;

export type ControlMethod =
  | 'ping'
  | 'stats'
  | 'active'
  | 'reserved'
  | 'scheduled'
  | 'enable_events'
  | 'heartbeat'
  | (string & {});

export interface ControlRequest {
  readonly method: ControlMethod;
  /** Handler keyword arguments; Celery sends `{}` for ping/stats, `{safe: null}` for active. */
  readonly arguments?: Record<string, unknown>;
  /** Nodenames (`w1@host`) that should answer; null/absent means every worker. */
  readonly destination?: readonly string[] | null;
  /** Stop collecting after this long (ms), counted from the publish. */
  readonly timeoutMs: number;
  /** Stop after this many replies; default `destination.length` when a destination is given. */
  readonly limit?: number;
  /** Told about each reply that could not be decoded (the call itself never fails on one). */
  readonly onProblem?: (problem: ControlProblem) => void;
}

/** One worker's answer. `error` is set when the worker's handler raised (`{"error": "<repr>"}`). */
export interface ControlReply {
  readonly hostname: string;
  readonly value: unknown;
  readonly error?: string;
}

export interface ControlClient {
  /** Our reply queue (AMQP queue / Redis list key), for diagnostics and leak checks. */
  readonly replyQueue: string;
  /** Broadcast `req` and collect replies until `timeoutMs` or `limit`; never rejects on a bad reply. */
  call(req: ControlRequest): Promise<ControlReply[]>;
  /** Fire-and-forget (no ticket, no reply_to: workers do not answer). */
  cast(method: string, args?: Record<string, unknown>, destination?: readonly string[] | null): Promise<void>;
  /** Removes everything this client created on the broker and disconnects. */
  close(): Promise<void>;
}

export interface ControlOptions {
  /** Celery `control_exchange` (default `celery`). */
  namespace?: string;
  /** Give up connecting after this long (ms); default 4000 (kombu's connect_timeout). */
  connectTimeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------
// Requests

export interface ReplyAddress {
  readonly ticket: string;
  readonly oid: string;
}

/**
 * The request body in kombu's key order (`Mailbox._publish`). `ticket`/`reply_to` exist only when
 * a reply is wanted: a cast has neither, and that is what tells the worker not to answer.
 */
export function buildRequestBody(
  method: string,
  args: Record<string, unknown> | undefined,
  destination: readonly string[] | null | undefined,
  reply: ReplyAddress | null,
  namespace = DEFAULT_NAMESPACE,
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    method,
    arguments: args ?? {},
    destination: destination ? [...destination] : null,
    pattern: null,
    matcher: null,
  };
  if (reply) {
    body['ticket'] = reply.ticket;
    body['reply_to'] = { exchange: replyExchange(namespace), routing_key: reply.oid };
  }
  return body;
}

/** The request body bytes as Python's `json.dumps` writes them (same bytes as Celery's client). */
export function encodeRequestBody(body: Record<string, unknown>): Buffer {
  return Buffer.from(pyJsonDumps(body), 'utf8');
}

/** Headers `{clock, expires}`; `expires` is epoch seconds (float), `now + timeout` as kombu sets it. */
export function requestHeaders(clock: number, timeoutMs: number, nowMs: number): { clock: number; expires: number } {
  return { clock, expires: timeoutMs > 0 ? (nowMs + timeoutMs) / 1000 : 0 };
}

/** kombu's `LamportClock`: forward on send, adjust to the peer's clock on receive. */
export class LamportClock {
  private value = 0;
  forward(): number {
    return ++this.value;
  }
  adjust(other: unknown): void {
    if (typeof other === 'number' && Number.isFinite(other)) this.value = Math.max(this.value, other) + 1;
  }
}

export function newTicket(): string {
  return randomUUID();
}

// ---------------------------------------------------------------------------------------------
// Replies

const problem = (reason: ControlProblemReason, detail: string): { ok: false; problem: ControlProblem } => ({
  ok: false,
  problem: { reason, detail },
});

/**
 * A reply body `{"<nodename>": <handler return>}` (kombu `Node.dispatch`). A return value of
 * exactly `{"error": "<repr>"}` is how the worker reports that the handler raised.
 */
export function decodeReplyBody(
  body: Buffer,
  contentType: string | undefined,
  contentEncoding: string | undefined,
): Decoded<ControlReply[]> {
  if (contentType !== undefined && contentType !== 'application/json') {
    return problem('content-type', `reply content-type ${contentType} (only JSON replies can be read)`);
  }
  const enc = (contentEncoding ?? 'utf-8').toLowerCase();
  if (enc !== 'utf-8' && enc !== 'utf8') return problem('bad-encoding', `reply content-encoding ${contentEncoding}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return problem('bad-encoding', 'reply body is not UTF-8');
  }
  const parsed = pyJsonParse(text);
  if (!parsed.ok) return problem('bad-json', `reply body is not JSON: ${parsed.error}`);
  const obj = parsed.value;
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return problem('not-a-reply', 'reply body is not a {"<nodename>": …} object');
  }
  const replies: ControlReply[] = [];
  for (const [hostname, value] of Object.entries(obj as Record<string, unknown>)) {
    replies.push(isErrorValue(value) ? { hostname, value, error: value.error } : { hostname, value });
  }
  return { ok: true, value: replies };
}

function isErrorValue(v: unknown): v is { error: string } {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === 'error' && typeof (v as { error: unknown }).error === 'string';
}

// ---------------------------------------------------------------------------------------------
// Collecting replies

interface Pending {
  readonly replies: ControlReply[];
  readonly limit: number | null;
  readonly onProblem: ((p: ControlProblem) => void) | undefined;
  readonly resolve: (r: ControlReply[]) => void;
  readonly reject: (e: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Hands each reply message to the call whose ticket it carries. Several calls may be in flight on
 * one reply queue, so a reply for another (or an expired) ticket is dropped, as kombu does.
 */
export class ReplyRouter {
  private readonly pending = new Map<string, Pending>();

  /** Resolves with the replies after `timeoutMs`, or as soon as `limit` replies arrived. */
  expect(ticket: string, timeoutMs: number, limit: number | null, onProblem?: (p: ControlProblem) => void): Promise<ControlReply[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.finish(ticket), Math.max(0, timeoutMs));
      this.pending.set(ticket, { replies: [], limit: limit && limit > 0 ? limit : null, onProblem, resolve, reject, timer });
    });
  }

  get size(): number {
    return this.pending.size;
  }

  /** One reply message: its `ticket` header and its already-unwrapped body. */
  deliver(ticket: unknown, body: Buffer, contentType: string | undefined, contentEncoding: string | undefined): void {
    const p = typeof ticket === 'string' ? this.pending.get(ticket) : undefined;
    if (!p) return;
    const decoded = decodeReplyBody(body, contentType, contentEncoding);
    if (!decoded.ok) {
      p.onProblem?.(decoded.problem);
      return;
    }
    p.replies.push(...decoded.value);
    if (p.limit !== null && p.replies.length >= p.limit) this.finish(ticket as string);
  }

  /** A reply message we could not even unwrap (e.g. a bad Redis envelope): tell every waiting call. */
  problem(pr: ControlProblem): void {
    for (const p of this.pending.values()) p.onProblem?.(pr);
  }

  /** Ends every call now: with what arrived so far, or with `error` (connection lost). */
  finishAll(error?: unknown): void {
    for (const [ticket, p] of [...this.pending]) {
      if (error === undefined) this.finish(ticket);
      else {
        clearTimeout(p.timer);
        this.pending.delete(ticket);
        p.reject(error);
      }
    }
  }

  /** Ends one call now with the replies it has. */
  finish(ticket: string): void {
    const p = this.pending.get(ticket);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(ticket);
    p.resolve(p.replies);
  }
}

/** kombu: with a destination and no explicit limit, stop once every named node answered. */
export function replyLimit(req: Pick<ControlRequest, 'limit' | 'destination'>): number | null {
  if (req.limit !== undefined) return req.limit > 0 ? req.limit : null;
  return req.destination && req.destination.length > 0 ? req.destination.length : null;
}

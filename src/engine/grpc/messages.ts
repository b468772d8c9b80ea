/**
 * The gRPC contract's messages (proto/clearly/v1/clearly.proto) as TypeScript types, typed by
 * hand: what grpc-js hands over with proto.ts's loader options (keepCase, longs as Number, no
 * defaults, oneofs as a virtual `item` field), and what the CLI's codec (codec/) decodes alike.
 *
 * Decoded messages carry no defaults: a field left at its proto3 default (0, false, '', []) is
 * absent on the receiving side, so every decoded field is optional; `wire.ts` fills them back in.
 */
import type { BackendState } from '../backend/results.js';


export interface FilterMessage {
  pattern?: string;
  states?: string[];
  worker?: string;
}

export interface CaptureRequest {
  filter?: FilterMessage | null;
  tasks?: boolean;
  workers?: boolean;
  /** Epoch seconds: first send the tasks changed since (a client resuming after a reconnect). */
  resume_after?: number;
}

export interface Missed {
  count?: number;
}

/** What the server sends: identity and scalars always, the `optional` ones when known. */
export interface TaskMessage {
  uuid: string;
  name?: string;
  state: string;
  timestamp: number;
  generated?: boolean;
  worker?: string;
  retries?: number;
  args_repr?: string;
  kwargs_repr?: string;
  result_repr?: string;
  /** The whole result from the result backend, as JSON text *as Python writes it*: may hold
   *  bare NaN / Infinity / -Infinity (parse with `parsePythonJson`). */
  result_json?: string;
  result_source?: string;
  exception?: string;
  traceback?: string;
  runtime?: number;
  routing_key?: string;
  queue?: string;
  exchange?: string;
  parent_id?: string;
  root_id?: string;
  client?: string;
  eta?: string;
  expires?: string;
  sent?: number;
  received?: number;
  started?: number;
  succeeded?: number;
  failed?: number;
  retried?: number;
  revoked?: number;
  rejected?: number;
  /** Celery's own State's state, when it differs from `state`. */
  celery_state?: string;
  /** Where the task was heard (masked URL), from a durable store. */
  broker?: string;
  /** Its worker went offline while it was RECEIVED/STARTED there (state/lost.ts); absent when not. */
  lost?: boolean;
  lost_at?: number;
  /** From the task-message tap: the whole args/kwargs as JSON text (Python's dialect), an undecoded body. */
  args_json?: string;
  kwargs_json?: string;
  body?: string;
  /** From the tap: the group (or chord header) the task was sent in (`group` in records). */
  group_id?: string;
  /** On a resumed Capture: the task's current state, changed while the client was away. */
  resumed?: boolean;
}

export interface WorkerMessage {
  hostname: string;
  state: string;
  timestamp: number;
  alive?: boolean;
  pid?: number;
  freq?: number;
  active?: number;
  processed?: number;
  loadavg?: number[];
  sw_ident?: string;
  sw_ver?: string;
  sw_sys?: string;
  last_seen?: number;
  /** on | task-events-off | no-heartbeats | unknown (state/events-status.ts). */
  events?: string;
}

/** As decoded: proto3 drops default values, so even the identity fields may be missing. */
export type Decoded<T> = { [K in keyof T]?: T[K] | undefined };

/** A Capture item as sent (exactly one member set) and as decoded (`item` names the member). */
export type CaptureItem =
  | { item?: 'task'; task: TaskMessage }
  | { item?: 'worker'; worker: WorkerMessage }
  | { item?: 'missed'; missed: Missed };

export type DecodedCaptureItem =
  | { item: 'task'; task: Decoded<TaskMessage> }
  | { item: 'worker'; worker: Decoded<WorkerMessage> }
  | { item: 'missed'; missed: Decoded<Missed> };

export interface TaskQuery {
  filter?: FilterMessage | null;
  /** 0 = no limit; negative is refused (INVALID_ARGUMENT). */
  limit?: number;
  oldest_first?: boolean;
  /** Epoch seconds: tasks whose last event is at or after it. */
  since?: number;
  /** Epoch seconds: tasks whose last event is before it. */
  until?: number;
  /** Words that must all appear in name, args, kwargs, result or exception. */
  search?: string;
  /** Only lost tasks (state/lost.ts). */
  lost?: boolean;
  /** Only tasks that ever retried (a task-retried event, or retries > 0), whatever their state now. */
  retried?: boolean;
}

export interface GetTaskRequest {
  uuid?: string;
}

export interface WorkerQuery {
  pattern?: string;
  alive_only?: boolean;
}

export type SeenTasksRequest = Record<string, never>;
export interface SeenTasksReply {
  names?: string[];
}

export type ResetRequest = Record<string, never>;
export interface ResetReply {
  tasks?: number;
  workers?: number;
}

export type StatsRequest = Record<string, never>;
export type BrokerState = 'connected' | 'reconnecting';

export interface StatsReply {
  events_processed: number;
  messages_received: number;
  tasks_processed: number;
  tasks_stored: number;
  workers_stored: number;
  tasks_evicted: number;
  workers_evicted: number;
  decode_errors: number;
  events_per_second: number;
  consumer_lag_seconds: number;
  clients: number;
  records_dropped: number;
  broker: string;
  broker_state: BrokerState | (string & {});
  uptime_seconds: number;
  max_tasks: number;
  max_workers: number;
  backend: string;
  backend_state: BackendState | (string & {});
  results_fetched: number;
  /** The durable store: kind and location ("memory" when there is none). */
  store: string;
  store_state: 'ok' | 'failing' | 'none' | (string & {});
  store_tasks: number;
  /** -1: unknown. */
  store_bytes: number;
  store_backlog: number;
  store_dropped: number;
  store_pruned: number;
  store_written: number;
  /** Tasks held at most while the store cannot be written (`--store-backlog`); 0 without a store. */
  store_backlog_max: number;
  /** Workers heard from that send no (task) events, as `host (task-events-off)` (state/events-status.ts). */
  workers_without_events: string[];
  /** Tasks appeared first at a worker's task-received, none by task-sent: the publishers do not send it. */
  task_sent_missing: boolean;
  /** Started with --insecure: a non-loopback address without TLS and tokens. */
  insecure: boolean;
  /** The redaction pattern ("": off). */
  redact: string;
  /** The gRPC port speaks TLS. */
  tls: boolean;
  /** none | tokens */
  auth: 'none' | 'tokens' | (string & {});
}

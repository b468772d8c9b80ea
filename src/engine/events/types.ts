/**
 * Typed Celery events, as decoded from the wire (PROTOCOL.md §3).
 *
 * Every field but the identity ones is optional: later task events carry no name/args, a
 * control-induced heartbeat has no active/processed/loadavg, and a malformed publisher may omit
 * anything. The decoder only sets a field when it is present with the right JSON type.
 */

/** The task event subjects Celery 5.2 emits (`task-<subject>`). */
export const TASK_SUBJECTS = [
  'sent',
  'received',
  'started',
  'succeeded',
  'failed',
  'retried',
  'revoked',
  'rejected',
] as const;
export type TaskSubject = (typeof TASK_SUBJECTS)[number];

export const WORKER_SUBJECTS = ['online', 'heartbeat', 'offline'] as const;
export type WorkerSubject = (typeof WORKER_SUBJECTS)[number];

interface EventCommon {
  /** Sender nodename (`w1@host`, or `gen<pid>@host` for a client's task-sent). */
  readonly hostname: string;
  /** Epoch seconds (float, µs precision), already UTC. */
  readonly timestamp: number;
  /** Lamport clock of the sending process (0 when absent). */
  readonly clock: number;
  readonly pid: number | null;
  /** Hours *west* of UTC (Python `time.timezone // 3600`). */
  readonly utcoffset: number;
}

export interface TaskEvent extends EventCommon {
  readonly kind: 'task';
  /** Full wire type, e.g. `task-succeeded`. */
  readonly type: string;
  /** The known subject, or `other` for a custom `task-foo` (Celery's State gives it state `FOO`). */
  readonly subject: TaskSubject | 'other';
  readonly uuid: string;
  readonly name?: string;
  readonly args?: string;
  readonly kwargs?: string;
  readonly retries?: number;
  readonly root_id?: string | null;
  readonly parent_id?: string | null;
  readonly eta?: string | null;
  readonly expires?: string | null;
  readonly queue?: string;
  readonly exchange?: string;
  readonly routing_key?: string;
  readonly result?: string;
  readonly runtime?: number;
  readonly exception?: string;
  readonly traceback?: string;
  readonly terminated?: boolean;
  readonly signum?: number | string | null;
  readonly expired?: boolean;
  readonly requeue?: boolean;
  /**
   * Only from the task-message tap (tap/): the whole args and kwargs, as the message's JSON
   * (Python's dialect: NaN/Infinity tokens), a body clearly does not decode (`<pickle, N bytes>`),
   * and the task's group id (protocol 2's `group` header, protocol 1's `taskset`; null: none).
   */
  readonly args_json?: string;
  readonly kwargs_json?: string;
  readonly body?: string;
  readonly group?: string | null;
}

export interface WorkerEvent extends EventCommon {
  readonly kind: 'worker';
  readonly type: `worker-${WorkerSubject}`;
  readonly subject: WorkerSubject;
  readonly freq?: number;
  readonly active?: number;
  readonly processed?: number;
  readonly loadavg?: readonly number[];
  readonly sw_ident?: string;
  readonly sw_ver?: string;
  readonly sw_sys?: string;
}

/** Any event whose type we do not model (e.g. a future `worker-foo`): passed on, not dropped. */
export interface OtherEvent {
  readonly kind: 'other';
  readonly type: string;
  readonly hostname: string | null;
  readonly timestamp: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

export type CeleryEvent = TaskEvent | WorkerEvent | OtherEvent;

/** Why a message (or one item of a `task.multi` list) could not become an event. */
export type DecodeErrorReason =
  | 'bad-envelope' // Redis: the PUBLISH payload is not kombu's JSON envelope
  | 'bad-encoding' // body_encoding/content-encoding we cannot undo (bad base64, not UTF-8)
  | 'content-type' // not application/json (e.g. pickle)
  | 'bad-json' // body is not JSON
  | 'not-an-event' // JSON, but not an object with a string `type`
  | 'missing-field' // e.g. a task event without `uuid`
  | 'too-large'; // body over the decoder's size limit

export interface DecodeError {
  readonly reason: DecodeErrorReason;
  /** Short human detail for `--debug` (never the whole body). */
  readonly detail: string;
}

export interface DecodeResult {
  readonly events: CeleryEvent[];
  readonly errors: DecodeError[];
}

/** A raw event message as the AMQP consumer hands it over. */
export interface AmqpRawMessage {
  readonly transport: 'amqp';
  readonly routingKey: string;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  readonly body: Buffer;
}

/** A raw event message as the Redis pub/sub subscriber hands it over. */
export interface RedisRawMessage {
  readonly transport: 'redis';
  readonly channel: string;
  /** kombu's JSON envelope (ASCII: Python's json.dumps escapes everything else). */
  readonly payload: string | Buffer;
}

export type RawMessage = AmqpRawMessage | RedisRawMessage;

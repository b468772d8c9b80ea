/**
 * The gRPC contract (proto/clearly/v1/clearly.proto), loaded at run time with proto-loader by the
 * server, and typed by hand: these interfaces are what grpc-js hands over with the options used
 * here (keepCase, longs as Number, no defaults, oneofs as a virtual `item` field). The CLI's client
 * does without proto-loader: proto-client.ts, with a generated table and the same results.
 *
 * Decoded messages carry no defaults: a field left at its proto3 default (0, false, '', []) is
 * absent on the receiving side, so every decoded field is optional; `wire.ts` fills them back in.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { encodeCaptureItemFast } from './capture-encode.js';

export const PROTO_FILE = 'clearly/v1/clearly.proto';
export const SERVICE_NAME = 'clearly.v1.Clearly';

// ---------------------------------------------------------------------------------------------
// Messages (field names as in the .proto)

export interface FilterMessage {
  pattern?: string;
  states?: string[];
  worker?: string;
}

export interface CaptureRequest {
  filter?: FilterMessage | null;
  tasks?: boolean;
  workers?: boolean;
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
export type BackendState = 'connected' | 'unavailable' | 'unsupported' | 'none';

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
}

// ---------------------------------------------------------------------------------------------
// Loading

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  defaults: false,
  oneofs: true,
};

/**
 * The proto directory sits at the repository (or package) root: two levels above `src/engine`
 * under tsx/vitest, three above `dist/src/engine` once compiled. Walk up instead of hard-coding
 * either depth.
 */
export function findProtoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, PROTO_FILE))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find proto/${PROTO_FILE} above ${from}`);
    dir = parent;
  }
}

let cached: grpc.ServiceDefinition | undefined;

/** The service definition (methods with their (de)serializers), loaded once per process. */
export function clearlyService(): grpc.ServiceDefinition {
  if (cached === undefined) {
    const root = findProtoRoot();
    const def = protoLoader.loadSync(PROTO_FILE, { ...LOADER_OPTIONS, includeDirs: [root] });
    cached = def[SERVICE_NAME] as grpc.ServiceDefinition;
  }
  return cached;
}

/**
 * Encode one Capture item (what grpc-js would do per write): done once per record, then shared.
 * Hand-written (proto-encode.ts), byte-identical to the loaded serializer: it is the server's
 * per-record cost.
 */
export function encodeCaptureItem(item: CaptureItem): Buffer {
  return encodeCaptureItemFast(item);
}

export function decodeCaptureItem(bytes: Buffer): DecodedCaptureItem {
  return clearlyService()['Capture']!.responseDeserialize(bytes) as DecodedCaptureItem;
}

/**
 * The definition the server registers: identical, except that Capture's response serializer
 * passes already-encoded Buffers through, so a record encoded once is written to every client.
 */
export function serverService(): grpc.ServiceDefinition {
  const base = clearlyService();
  const capture = base['Capture']!;
  const serialize = capture.responseSerialize;
  return {
    ...base,
    Capture: {
      ...capture,
      responseSerialize: (value: unknown) => (Buffer.isBuffer(value) ? value : serialize(value)),
    },
  };
}

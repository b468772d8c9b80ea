/**
 * The client side of the gRPC contract: `clearly.v1.Clearly` as grpc-js needs it, built from the
 * generated table (schema.ts) and its codec instead of proto-loader, which every one-shot
 * command would otherwise load and run (protobufjs, descriptors: tens of milliseconds per start).
 * What the calls hand over is exactly what proto-loader would decode (see codec.ts).
 */
import * as grpc from '@grpc/grpc-js';
import type {
  CaptureRequest,
  Decoded,
  DecodedCaptureItem,
  GetTaskRequest,
  ResetReply,
  ResetRequest,
  SeenTasksReply,
  SeenTasksRequest,
  StatsReply,
  StatsRequest,
  TaskMessage,
  TaskQuery,
  WorkerMessage,
  WorkerQuery,
} from '../messages.js';
import { decoder, encoder, type Schema } from './codec.js';
import { SCHEMA } from './schema.js';

/** grpc-js' service definition for `schema`'s service (method names as in the .proto). */
export function serviceDefinition(schema: Schema = SCHEMA): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const m of schema.methods) {
    def[m.name] = {
      path: `/${schema.service}/${m.name}`,
      requestStream: m.requestStream,
      responseStream: m.responseStream,
      requestSerialize: encoder(schema, m.request),
      requestDeserialize: decoder(schema, m.request),
      responseSerialize: encoder(schema, m.response),
      responseDeserialize: decoder(schema, m.response),
      // proto-loader's camelCase alias; grpc-js adds it to the client as a second name.
      originalName: m.name.charAt(0).toLowerCase() + m.name.slice(1),
    };
  }
  return def;
}

type Callback<T> = (error: grpc.ServiceError | null, value?: T) => void;

interface Unary<Req, Res> {
  (request: Req, callback: Callback<Res>): grpc.ClientUnaryCall;
  (request: Req, options: Partial<grpc.CallOptions>, callback: Callback<Res>): grpc.ClientUnaryCall;
  (request: Req, metadata: grpc.Metadata, options: Partial<grpc.CallOptions>, callback: Callback<Res>): grpc.ClientUnaryCall;
}

interface ServerStream<Req, Res> {
  (request: Req, options?: Partial<grpc.CallOptions>): grpc.ClientReadableStream<Res>;
  (request: Req, metadata?: grpc.Metadata, options?: Partial<grpc.CallOptions>): grpc.ClientReadableStream<Res>;
}

/** A typed client for `clearly.v1.Clearly`; what grpc-js decodes (see `Decoded`). */
export interface ClearlyClient extends grpc.Client {
  Capture: ServerStream<CaptureRequest, DecodedCaptureItem>;
  FilterTasks: ServerStream<TaskQuery, Decoded<TaskMessage>>;
  GetTask: Unary<GetTaskRequest, Decoded<TaskMessage>>;
  FilterWorkers: ServerStream<WorkerQuery, Decoded<WorkerMessage>>;
  SeenTasks: Unary<SeenTasksRequest, SeenTasksReply>;
  Reset: Unary<ResetRequest, ResetReply>;
  GetStats: Unary<StatsRequest, Decoded<StatsReply>>;
}

/** `address` is `host:port`; plaintext (the server binds loopback by default). */
export function createClearlyClient(
  address: string,
  options: Partial<grpc.ChannelOptions> = {},
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): ClearlyClient {
  const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(), 'Clearly');
  // A task's whole result can exceed grpc-js's 4 MiB default for received messages.
  const merged = { 'grpc.max_receive_message_length': -1, ...options };
  return new Ctor(address, credentials, merged) as unknown as ClearlyClient;
}

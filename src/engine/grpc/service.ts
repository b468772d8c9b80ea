/**
 * The grpc-js implementation of `clearly.v1.Clearly`. Every handler validates its request and
 * answers errors with a status (INVALID_ARGUMENT for a bad filter/limit, NOT_FOUND for an unknown
 * uuid, INTERNAL for a bug): a bad request never takes the server down.
 */
import * as grpc from '@grpc/grpc-js';
import { ClearlyError } from '../../errors.js';
import type { Dispatcher, LiveClient } from './dispatch.js';
import { compileFilter } from '../table/filter.js';
import { compileTaskQuery, compileWorkerQuery, type TaskQuerySpec, type WorkerQuerySpec } from './queries.js';
import type {
  CaptureItem,
  CaptureRequest,
  GetTaskRequest,
  ResetReply,
  SeenTasksReply,
  StatsReply,
  TaskMessage,
  TaskQuery,
  WorkerMessage,
  WorkerQuery,
} from './messages.js';

export interface ServiceContext {
  /** Live clients; payloads are encoded CaptureItems (see proto.ts `serverService`). */
  readonly dispatcher: Dispatcher<Buffer>;
  /** The stored tasks a compiled query matches, as messages (memory, or the durable store). */
  tasks(q: TaskQuerySpec): Promise<TaskMessage[]>;
  /** One task with its whole result when the backend has it; undefined when unknown. */
  task(uuid: string): Promise<TaskMessage | undefined>;
  workers(q: WorkerQuerySpec): WorkerMessage[];
  seen(): string[];
  stats(): Promise<StatsReply>;
  /** Forget everything stored; returns how much was forgotten. */
  reset(): Promise<ResetReply>;
  /** What NOT_FOUND says the server keeps (e.g. "the last 10000 tasks since it started"). */
  readonly keeps: string;
  /** --debug lines (clients coming and going, errors answered). */
  debug(message: string): void;
}

/** How long GetTask waits for the result backend before answering with what it has. */
export const GET_TASK_BACKEND_TIMEOUT_MS = 2000;

interface GrpcError {
  code: grpc.status;
  details: string;
}

function toStatus(e: unknown): GrpcError {
  if (e instanceof ClearlyError) {
    switch (e.code) {
      case 'USAGE':
        return { code: grpc.status.INVALID_ARGUMENT, details: e.message };
      case 'NOT_FOUND':
        return { code: grpc.status.NOT_FOUND, details: e.message };
      case 'TIMEOUT':
        return { code: grpc.status.DEADLINE_EXCEEDED, details: e.message };
      case 'UNAVAILABLE':
        return { code: grpc.status.UNAVAILABLE, details: e.message };
      case 'NOPERM':
        return { code: grpc.status.PERMISSION_DENIED, details: e.message };
      case 'PROTOCOL':
      case 'INTERNAL':
      case 'DATA':
      case 'CANT_CREATE':
        return { code: grpc.status.INTERNAL, details: e.message };
    }
  }
  return { code: grpc.status.INTERNAL, details: `internal error: ${e instanceof Error ? e.message : String(e)}` };
}

type Stream<Req, Res> = grpc.ServerWritableStream<Req, Res>;

/** Writes every item, waiting for 'drain' when the stream is full; stops if the client leaves. */
async function writeAll<T>(call: Stream<unknown, T>, items: readonly T[]): Promise<void> {
  for (const item of items) {
    if (call.cancelled || call.destroyed) return;
    if (!call.write(item)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          call.off('drain', done);
          call.off('cancelled', done);
          call.off('close', done);
          resolve();
        };
        call.on('drain', done);
        call.on('cancelled', done);
        call.on('close', done);
      });
    }
  }
}

/** Answer a server-streaming query: build every item (a bad request fails the call), write, end. */
function streamAll<T>(call: Stream<unknown, T>, ctx: ServiceContext, build: () => Promise<T[]>): void {
  new Promise<T[]>((resolve) => resolve(build()))
    .then((items) => writeAll(call, items))
    .then(
      () => call.end(),
      (e: unknown) => failStream(call, e, ctx),
    );
}

function failStream(call: Stream<unknown, unknown>, e: unknown, ctx: ServiceContext): void {
  const status = toStatus(e);
  ctx.debug(`${call.getPath()}: ${grpc.status[status.code]}: ${status.details}`);
  if (call.cancelled || call.destroyed) return;
  call.emit('error', status);
}

/** Most tasks a resuming client is sent before going live (the rest: a Missed notice). */
const RESUME_MAX = 10_000;

/**
 * A client back after losing the server: the tasks that changed since `resume_after` (their
 * current state, marked `resumed`), oldest first, through the same filter, before anything live
 * (held meanwhile). A task that changes during the catch-up comes again live: never missed.
 */
function resume(client: LiveClient<Buffer | CaptureItem>, req: CaptureRequest, ctx: ServiceContext): void {
  client.hold();
  const spec = compileTaskQuery({ filter: req.filter ?? {}, limit: RESUME_MAX + 1, oldest_first: true, since: req.resume_after });
  ctx.tasks(spec).then(
    (found) => {
      const items: CaptureItem[] = found.slice(0, RESUME_MAX).map((m) => ({ task: { ...m, resumed: true } }));
      if (found.length > RESUME_MAX) items.push({ missed: { count: found.length - RESUME_MAX } });
      ctx.debug(`client resumed from ${new Date(req.resume_after! * 1000).toISOString()}: ${items.length} tasks changed meanwhile`);
      client.release(items);
    },
    (e: unknown) => {
      ctx.debug(`resume: could not read history (${(e as Error).message}); going live`);
      client.release([]);
    },
  );
}

export function clearlyImplementation(ctx: ServiceContext): grpc.UntypedServiceImplementation {
  return {
    Capture(call: Stream<CaptureRequest, Buffer | CaptureItem>): void {
      try {
        const req = call.request;
        // proto3 cannot tell "unset" from false: asking for neither means the default, tasks.
        const workers = req.workers === true;
        const tasks = req.tasks === true || !workers;
        const filter = compileFilter({
          pattern: req.filter?.pattern,
          states: req.filter?.states,
          worker: req.filter?.worker,
          tasks,
          workers,
        });
        const client = ctx.dispatcher.add(call, filter);
        // Headers now: the client knows the call was taken (past the token check) before any event.
        call.sendMetadata(new grpc.Metadata());
        if (req.resume_after !== undefined && Number.isFinite(req.resume_after) && tasks) resume(client, req, ctx);
        const peer = call.getPeer();
        ctx.debug(`client ${peer} capturing (${ctx.dispatcher.size} connected)`);
        let gone = false;
        const leave = (): void => {
          if (gone) return;
          gone = true;
          ctx.dispatcher.remove(client);
          const lost = client.dropped > 0 ? `; ${client.dropped} records dropped for it` : '';
          ctx.debug(`client ${peer} left (${ctx.dispatcher.size} connected${lost})`);
        };
        call.on('cancelled', leave);
        call.on('close', leave);
        call.on('finish', leave);
        call.on('error', leave);
      } catch (e) {
        failStream(call, e, ctx);
      }
    },

    FilterTasks(call: Stream<TaskQuery, TaskMessage>): void {
      streamAll(call, ctx, () => ctx.tasks(compileTaskQuery(call.request)));
    },

    GetTask(call: grpc.ServerUnaryCall<GetTaskRequest, TaskMessage>, callback: grpc.sendUnaryData<TaskMessage>): void {
      const uuid = (call.request.uuid ?? '').trim();
      const answer = async (): Promise<TaskMessage> => {
        if (uuid === '') throw new ClearlyError('USAGE', 'uuid is required');
        const m = await ctx.task(uuid);
        if (m === undefined) throw new ClearlyError('NOT_FOUND', `task ${uuid} is not known to this server (it keeps ${ctx.keeps})`);
        return m;
      };
      answer().then(
        (m) => callback(null, m),
        (e: unknown) => {
          const status = toStatus(e);
          ctx.debug(`GetTask ${uuid}: ${grpc.status[status.code]}: ${status.details}`);
          callback(status);
        },
      );
    },

    FilterWorkers(call: Stream<WorkerQuery, WorkerMessage>): void {
      streamAll(call, ctx, async () => ctx.workers(compileWorkerQuery(call.request)));
    },

    SeenTasks(_call: grpc.ServerUnaryCall<unknown, SeenTasksReply>, callback: grpc.sendUnaryData<SeenTasksReply>): void {
      unary(callback, async () => ({ names: ctx.seen() }));
    },

    Reset(_call: grpc.ServerUnaryCall<unknown, ResetReply>, callback: grpc.sendUnaryData<ResetReply>): void {
      unary(callback, () => ctx.reset());
    },

    GetStats(_call: grpc.ServerUnaryCall<unknown, StatsReply>, callback: grpc.sendUnaryData<StatsReply>): void {
      unary(callback, () => ctx.stats());
    },
  };
}

function unary<T>(callback: grpc.sendUnaryData<T>, fn: () => Promise<T>): void {
  new Promise<T>((resolve) => resolve(fn())).then(
    (value) => callback(null, value),
    (e: unknown) => callback(toStatus(e)),
  );
}

/**
 * The grpc-js implementation of `clearly.v1.Clearly`. Every handler validates its request and
 * answers errors with a status (INVALID_ARGUMENT for a bad filter/limit, NOT_FOUND for an unknown
 * uuid, INTERNAL for a bug): a bad request never takes the server down.
 */
import * as grpc from '@grpc/grpc-js';
import { ClearlyError } from '../../errors.js';
import type { Dispatcher } from './dispatch.js';
import { compileFilter } from '../table/filter.js';
import { compileTaskQuery, compileWorkerQuery, queryTasks, queryWorkers } from './queries.js';
import type { SeenNames } from '../state/seen-names.js';
import type { CaptureItem, CaptureRequest, GetTaskRequest, ResetReply, SeenTasksReply, StatsReply, TaskMessage, TaskQuery, WorkerMessage, WorkerQuery } from './messages.js';
import type { ResultBackend } from '../backend/results.js';
import type { State } from '../state/state.js';
import { taskMessage, workerMessage } from './wire.js';

export interface ServiceContext {
  readonly state: State;
  /** Live clients; payloads are encoded CaptureItems (see proto.ts `serverService`). */
  readonly dispatcher: Dispatcher<Buffer>;
  readonly results: ResultBackend;
  readonly seen: SeenNames;
  stats(): StatsReply;
  /** Forget everything stored; returns how much was forgotten. */
  reset(): ResetReply;
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
      case 'PROTOCOL':
      case 'INTERNAL':
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
function streamAll<T>(call: Stream<unknown, T>, ctx: ServiceContext, build: () => T[]): void {
  let items: T[];
  try {
    items = build();
  } catch (e) {
    failStream(call, e, ctx);
    return;
  }
  writeAll(call, items).then(
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
      // Messages are built now, in one go: the tasks are live objects the next event changes.
      streamAll(call, ctx, () =>
        queryTasks(ctx.state, compileTaskQuery(call.request)).map((t) =>
          taskMessage(t, t.state, false, t.timestamp, ctx.results.get(t.uuid)),
        ),
      );
    },

    GetTask(call: grpc.ServerUnaryCall<GetTaskRequest, TaskMessage>, callback: grpc.sendUnaryData<TaskMessage>): void {
      const uuid = (call.request.uuid ?? '').trim();
      const answer = async (): Promise<TaskMessage> => {
        if (uuid === '') throw new ClearlyError('USAGE', 'uuid is required');
        const task = ctx.state.getTask(uuid);
        if (task === undefined) {
          throw new ClearlyError(
            'NOT_FOUND',
            `task ${uuid} is not known to this server (it keeps the last ${ctx.stats().max_tasks} tasks since it started)`,
          );
        }
        const whole = await ctx.results.fetch(task, GET_TASK_BACKEND_TIMEOUT_MS);
        return taskMessage(task, task.state, false, task.timestamp, whole);
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
      streamAll(call, ctx, () =>
        queryWorkers(ctx.state, compileWorkerQuery(call.request)).map((w) => workerMessage(w, w.alive ? 'ONLINE' : 'OFFLINE')),
      );
    },

    SeenTasks(_call: grpc.ServerUnaryCall<unknown, SeenTasksReply>, callback: grpc.sendUnaryData<SeenTasksReply>): void {
      unary(callback, () => ({ names: ctx.seen.sorted() }));
    },

    Reset(_call: grpc.ServerUnaryCall<unknown, ResetReply>, callback: grpc.sendUnaryData<ResetReply>): void {
      unary(callback, () => ctx.reset());
    },

    GetStats(_call: grpc.ServerUnaryCall<unknown, StatsReply>, callback: grpc.sendUnaryData<StatsReply>): void {
      unary(callback, () => ctx.stats());
    },
  };
}

function unary<T>(callback: grpc.sendUnaryData<T>, fn: () => T): void {
  let value: T;
  try {
    value = fn();
  } catch (e) {
    callback(toStatus(e));
    return;
  }
  callback(null, value);
}

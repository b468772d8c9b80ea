/**
 * `clearly server`: the always-on collector. One broker consumer feeds a bounded State; clients
 * stream live changes (each with its own filter and bounded buffer) and query history over gRPC.
 * Logs go to stderr only. SIGTERM/SIGINT end the streams, remove our broker queue, exit 0.
 */
import * as grpc from '@grpc/grpc-js';
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { startDirect, type DirectSession } from '../cli/direct.js';
import { note } from '../cli/output.js';
import { Dispatcher } from '../engine/grpc/dispatch.js';
import { SeenNames } from '../engine/grpc/queries.js';
import type { Change } from '../engine/model.js';
import { encodeCaptureItem, serverService } from '../engine/grpc/proto.js';
import type { BrokerState, ResetReply } from '../engine/grpc/messages.js';
import { openResultBackend } from '../engine/backend/results.js';
import { EventRate, statsReply } from '../engine/grpc/stats.js';
import { clearlyImplementation, type ServiceContext } from '../engine/grpc/service.js';
import { taskMessage, workerMessage } from '../engine/grpc/wire.js';
import { UnavailableError, UsageError } from '../errors.js';

const options = {
  broker: {
    type: 'string',
    alias: 'b',
    describe: 'Broker to read events from (amqp://… or redis://…); default $CELERY_BROKER_URL',
  },
  backend: {
    type: 'string',
    describe: 'Redis result backend to read whole results from (redis://…/1); default $CELERY_RESULT_BACKEND',
  },
  host: {
    type: 'string',
    default: '127.0.0.1',
    describe: 'Address to listen on. Task arguments and results can hold secrets: expose them on purpose',
  },
  port: { type: 'number', default: 12223, describe: 'gRPC port (0: any free port, printed at start)' },
  'max-tasks': { type: 'number', default: 10_000, describe: 'Tasks kept in memory (finished ones are evicted first)' },
  'max-workers': { type: 'number', default: 100, describe: 'Workers kept in memory (offline ones are evicted first)' },
  'client-buffer': {
    type: 'number',
    default: 10_000,
    describe: 'Records held for a live client that reads slowly; past it, its oldest are dropped and counted',
  },
  debug: { type: 'boolean', default: false, describe: 'Log clients, errors and undecodable messages in detail on stderr' },
} as const;

type ServerArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>>;


export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .options(options)
    .example('$0 server --broker amqp://guest:guest@rabbit:5672// --backend redis://redis:6379/1', 'RabbitMQ events, Redis results')
    .example('CELERY_BROKER_URL=redis://localhost:6379/0 $0 server', "Celery's own environment works too")
    .example('$0 server -b redis://localhost:6379/0 --host 0.0.0.0', 'reachable from other hosts (on purpose: args can hold secrets)');
}

function wholeNumber(value: number, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** `host:port` as gRPC wants it (IPv6 literals in brackets). */
function address(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

const LOOPBACK = /^(127\.|localhost$|\[?::1\]?$)/;
const now = (): number => Date.now() / 1000;

export async function handler(argv: ServerArgs): Promise<number> {
  const brokerUrl = argv.broker ?? process.env['CELERY_BROKER_URL'];
  if (brokerUrl === undefined || brokerUrl === '') {
    throw new UsageError(
      'server needs --broker URL (or CLEARLY_BROKER, or CELERY_BROKER_URL); e.g. --broker amqp://guest:guest@localhost:5672//',
    );
  }
  const port = wholeNumber(argv.port, '--port', 0, 65_535);
  const maxTasks = wholeNumber(argv.maxTasks, '--max-tasks', 1);
  const maxWorkers = wholeNumber(argv.maxWorkers, '--max-workers', 1);
  const clientBuffer = wholeNumber(argv.clientBuffer, '--client-buffer', 1);
  const debug = argv.debug ? note : (): void => {};
  // Listen for signals from the start: one arriving mid-start-up still ends in a clean shutdown.
  const stop = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const results = openResultBackend(argv.backend ?? process.env['CELERY_RESULT_BACKEND'], { maxResults: maxTasks, log: note });

  const dispatcher = new Dispatcher<Buffer>(
    {
      task: (ch, i) => {
        const last = ch.states.length - 1;
        const msg = taskMessage(ch.task, ch.states[i]!, i < last, ch.event.timestamp, results.get(ch.task.uuid));
        return encodeCaptureItem({ task: msg });
      },
      worker: (ch) => encodeCaptureItem({ worker: workerMessage(ch.worker, ch.status) }),
      missed: (count) => encodeCaptureItem({ missed: { count } }),
    },
    { clientBuffer },
  );
  const seen = new SeenNames();
  let brokerState: BrokerState = 'connected';
  const onChange = (change: Change): void => {
    if (change.kind === 'task') {
      seen.add(change.task.name);
      // First, so a whole result pushed by the backend is attached to the live record too.
      results.onTask(change.task);
    }
    dispatcher.publish(change);
  };

  // The broker first: unreachable -> UnavailableError (exit 69) naming the masked URL.
  const session: DirectSession = await startDirect({
    broker: brokerUrl,
    debug: argv.debug,
    maxTasks,
    maxWorkers,
    onChange,
    onStatus: (s) => {
      brokerState = s.kind === 'lost' ? 'reconnecting' : 'connected';
    },
  });
  const { state, counters } = session.pipeline;
  const startedAt = now();
  const rate = new EventRate();
  rate.sample(startedAt, 0);
  const ctx: ServiceContext = {
    state,
    dispatcher,
    results,
    seen,
    debug,
    stats: () =>
      statsReply(
        {
          counters,
          state,
          rate,
          tasksProcessed: state.tasksCreated,
          clients: dispatcher.size,
          recordsDropped: dispatcher.dropped,
          broker: session.masked,
          brokerState,
          startedAt,
          maxTasks,
          maxWorkers,
          backend: results.masked,
          backendState: results.state,
          resultsFetched: results.fetched,
        },
        now(),
      ),
    reset: (): ResetReply => {
      const reply = { tasks: state.taskCount, workers: state.workerCount };
      state.clear();
      seen.clear();
      results.clear();
      note(`reset: forgot ${reply.tasks} tasks and ${reply.workers} workers`);
      return reply;
    },
  };

  const server = new grpc.Server({
    // Notice clients that vanished without closing (their buffers are bounded anyway).
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
  });
  server.addService(serverService(), clearlyImplementation(ctx));
  let boundPort: number;
  try {
    boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address(argv.host, port), grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
  } catch (e) {
    await session.close();
    throw new UnavailableError(
      `cannot listen on ${address(argv.host, port)}: ${(e as Error).message} (is another clearly server running? try --port)`,
      { cause: e },
    );
  }
  await results.start();
  const tick = setInterval(() => rate.sample(now(), counters.events), 1000);

  note(
    `server listening on ${address(argv.host, boundPort)} (gRPC clearly.v1); events from ${session.masked}` +
      (results.masked === '' ? '' : `, whole results from ${results.masked}`) +
      `; keeping up to ${maxTasks} tasks and ${maxWorkers} workers`,
  );
  if (!LOOPBACK.test(argv.host)) {
    note(`warning: listening on ${argv.host}: anyone who can reach this port can read task arguments and results`);
  }

  const signal = await stop;
  note(`${signal}: shutting down`);
  clearInterval(tick);
  dispatcher.endAll();
  await Promise.all([
    // Ended streams deliver their status at once; idle client connections would hold tryShutdown open.
    shutdownGrpc(server, 300),
    withTimeout(session.close(), 1500),
    withTimeout(results.close(), 500),
  ]);
  const c = counters;
  note(
    `served ${c.events} events (${c.decodeErrors} undecodable) in ${(now() - startedAt).toFixed(0)}s; ` +
      `${dispatcher.dropped} records dropped for slow clients`,
  );
  return 0;
}

function shutdownGrpc(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    p.then(
      () => {
        clearTimeout(t);
        resolve();
      },
      () => {
        clearTimeout(t);
        resolve();
      },
    );
  });
}

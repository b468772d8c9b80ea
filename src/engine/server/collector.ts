/**
 * The server's engine, put together once: a session on the broker feeds the State; every change
 * goes to the live clients (the dispatcher, each record encoded once), the seen task names and
 * the result backend. What the gRPC service answers from (`context`), and how it stops.
 *
 * New sinks of changes (the durable store, metrics) join here, in `onChange`, after the State
 * has applied the event: they never hold the reducer up.
 */
import { openResultBackend, type ResultBackend } from '../backend/results.js';
import type { SourceStatus } from '../broker/source.js';
import { Dispatcher } from '../grpc/dispatch.js';
import type { BrokerState, ResetReply } from '../grpc/messages.js';
import { encodeCaptureItem } from '../grpc/proto.js';
import type { ServiceContext } from '../grpc/service.js';
import { EventRate, statsReply } from '../grpc/stats.js';
import { taskMessage, workerMessage } from '../grpc/wire.js';
import type { Change } from '../model.js';
import { startSession, type Session } from '../session.js';
import { SeenNames } from '../state/seen-names.js';

export interface CollectorOptions {
  readonly broker: string;
  readonly backend: string | undefined;
  readonly maxTasks: number;
  readonly maxWorkers: number;
  readonly clientBuffer: number;
  readonly debug: boolean;
  /** Notices for the operator (stderr). */
  readonly log: (message: string) => void;
}

export interface Collector {
  readonly session: Session;
  readonly results: ResultBackend;
  readonly dispatcher: Dispatcher<Buffer>;
  /** What the gRPC service reads and calls. */
  readonly context: ServiceContext;
  /** Epoch seconds. */
  readonly startedAt: number;
  /** Starts the work that needs the rest in place (the result backend's subscription, the rate tick). */
  start(): Promise<void>;
  /** Ends every live stream, then stops the broker session and the backend (bounded waits). */
  stop(): Promise<void>;
}

const now = (): number => Date.now() / 1000;

/** Connects to the broker (UnavailableError, exit 69, when it cannot) and builds the rest around it. */
export async function startCollector(o: CollectorOptions): Promise<Collector> {
  const results = openResultBackend(o.backend, { maxResults: o.maxTasks, log: o.log });
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
    { clientBuffer: o.clientBuffer },
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
  const session = await startSession({
    broker: o.broker,
    debug: o.debug,
    log: o.log,
    maxTasks: o.maxTasks,
    maxWorkers: o.maxWorkers,
    onChange,
    onStatus: (s: SourceStatus) => {
      brokerState = s.kind === 'lost' ? 'reconnecting' : 'connected';
    },
  });
  const { state, counters } = session.pipeline;
  const startedAt = now();
  const rate = new EventRate();
  rate.sample(startedAt, 0);
  let tick: NodeJS.Timeout | undefined;

  const context: ServiceContext = {
    state,
    dispatcher,
    results,
    seen,
    debug: o.debug ? o.log : (): void => {},
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
          maxTasks: o.maxTasks,
          maxWorkers: o.maxWorkers,
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
      o.log(`reset: forgot ${reply.tasks} tasks and ${reply.workers} workers`);
      return reply;
    },
  };

  return {
    session,
    results,
    dispatcher,
    context,
    startedAt,
    async start() {
      await results.start();
      tick = setInterval(() => rate.sample(now(), counters.events), 1000);
    },
    async stop() {
      clearInterval(tick);
      dispatcher.endAll();
      await Promise.all([withTimeout(session.close(), 1500), withTimeout(results.close(), 500)]);
    },
  };
}

/** Waits for `p` at most `ms`, and never rejects: shutting down must not hang or fail on one part. */
export function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    const done = (): void => {
      clearTimeout(t);
      resolve();
    };
    p.then(done, done);
  });
}

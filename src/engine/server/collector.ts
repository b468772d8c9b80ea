/**
 * The server's engine, put together once: a session on the broker feeds the State; every change
 * goes, after the reducer applied it, to the live clients (the dispatcher, each record encoded
 * once), the seen task names, the result backend and the durable store's writer (a map insert; it
 * writes in batches, off the event path) and the metrics (field increments on cached series,
 * metrics/). What the gRPC service answers from (`context`), `/health`'s verdict, and how it stops.
 *
 * With a store, the newest `--max-tasks` tasks, the workers and the names are loaded back at start
 * (the rest stays on disk), so tasks running across a restart go on from where they were, and
 * history queries are answered by the store.
 */
import { openResultBackend, type ResultBackend } from '../backend/results.js';
import type { SourceStatus } from '../broker/source.js';
import type { TapOptions } from '../broker/tap-source.js';
import { Dispatcher } from '../grpc/dispatch.js';
import type { BrokerState, ResetReply } from '../grpc/messages.js';
import { encodeCaptureItem } from '../grpc/proto.js';
import { queryWorkers } from '../grpc/queries.js';
import { GET_TASK_BACKEND_TIMEOUT_MS, type ServiceContext } from '../grpc/service.js';
import { EventRate, NO_STORE, statsReply, type SecurityStats, type StoreStats } from '../grpc/stats.js';
import { taskMessage, workerMessage } from '../grpc/wire.js';
import type { CollectorSnapshot } from '../metrics/clearly-metrics.js';
import { ServerMetrics, type ServerMetricsOptions } from '../metrics/server-metrics.js';
import { serverHealth, type HealthVerdict } from '../metrics/health.js';
import type { Change } from '../model.js';
import type { Redactor } from '../redact/redact.js';
import { startSession, type Session } from '../session.js';
import { SeenNames } from '../state/seen-names.js';
import { openStore } from '../store/open.js';
import { redactRow } from '../store/redact-row.js';
import { taskFromRow, workerFromRow } from '../store/rows.js';
import type { RetentionPolicy, Store } from '../store/store.js';
import type { StoreUrl } from '../store/url.js';
import { warmRows } from '../store/warm.js';
import { StoreWriter } from '../store/writer.js';
import { memoryHistory, storeHistory, type History } from './history.js';

export interface CollectorOptions {
  readonly broker: string;
  readonly backend: string | undefined;
  readonly store: StoreUrl;
  readonly retention: RetentionPolicy;
  /** Tasks held while the store cannot be written (store/writer.ts; default DEFAULT_BACKLOG). */
  readonly storeBacklog?: number;
  readonly maxTasks: number;
  readonly maxWorkers: number;
  readonly clientBuffer: number;
  readonly debug: boolean;
  /** Broadcast enable_events every 5 s (`--enable-events`). */
  readonly enableEvents?: boolean;
  /** The task-message tap (`--tap`, `--tap-exchange`). */
  readonly tap?: TapOptions | undefined;
  /** `/health`: seconds without events (and no worker online) before it says 503; default 60. */
  readonly healthSilenceSeconds?: number;
  /** The metrics fed from the changes (celery-exporter's set, clearly's, Flower's); null: none (`--metrics off`). */
  readonly metrics: ServerMetricsOptions | null;
  /** Secrets out before the reducer and the result backend keep anything (`--redact`); null: off. */
  readonly redactor: Redactor | null;
  /** What `stats` says of TLS, tokens, --insecure and redaction. */
  readonly security: SecurityStats;
  /** Notices for the operator (stderr). */
  readonly log: (message: string) => void;
}

export interface Collector {
  readonly session: Session;
  readonly results: ResultBackend;
  readonly dispatcher: Dispatcher<Buffer>;
  readonly store: Store | null;
  readonly metrics: ServerMetrics | null;
  /** The collector's own numbers now (clearly_ metrics, read at scrape time). */
  snapshot(): CollectorSnapshot;
  /** `/health`: the broker connection is up and events arrive (or workers are online). */
  health(): HealthVerdict;
  /** What the gRPC service reads and calls. */
  readonly context: ServiceContext;
  /** Epoch seconds. */
  readonly startedAt: number;
  /** Starts the work that needs the rest in place (the result backend's subscription, the ticks). */
  start(): Promise<void>;
  /** Ends every live stream, writes what the store has not got yet, stops the broker session. */
  stop(): Promise<void>;
}

const now = (): number => Date.now() / 1000;
const PRUNE_EVERY_MS = 60_000;
const STORE_STATS_EVERY_MS = 5_000;
/** Without events this long (seconds), and no worker online, `/health` says 503 (`--health-silence`). */
const SILENT_AFTER_S = 60;

/**
 * Opens the store first (a PostgreSQL that cannot be reached is exit 69, an unusable file exit
 * 73/65), then connects to the broker (exit 69 when it cannot) and builds the rest around them.
 */
export async function startCollector(o: CollectorOptions): Promise<Collector> {
  const store = await openStore(o.store);
  let session: Session;
  const results = openResultBackend(o.backend, { maxResults: o.maxTasks, log: o.log, redactor: o.redactor });
  const dispatcher = new Dispatcher<Buffer>(
    {
      task: (ch, i) => {
        const last = ch.states.length - 1;
        const msg = taskMessage(ch.task, ch.states[i]!, i < last, ch.event?.timestamp ?? ch.task.timestamp, results.get(ch.task.uuid));
        return encodeCaptureItem({ task: msg });
      },
      worker: (ch) => encodeCaptureItem({ worker: workerMessage(ch.worker, ch.status) }),
      missed: (count) => encodeCaptureItem({ missed: { count } }),
    },
    { clientBuffer: o.clientBuffer },
  );
  const seen = new SeenNames();
  let writer: StoreWriter | null = null;
  let brokerState: BrokerState = 'connected';
  const metrics = o.metrics === null ? null : new ServerMetrics(o.metrics);
  const onChange = (change: Change): void => {
    if (change.kind === 'task') {
      seen.add(change.task.name);
      // First, so a whole result pushed by the backend is attached to the live record too.
      results.onTask(change.task);
    }
    dispatcher.publish(change);
    writer?.onChange(change);
    // Only a worker's change needs the time (when it went offline): no clock read per task event.
    metrics?.onChange(change, change.kind === 'worker' ? now() : 0);
  };
  try {
    session = await startSession({
      broker: o.broker,
      debug: o.debug,
      log: o.log,
      maxTasks: o.maxTasks,
      maxWorkers: o.maxWorkers,
      redactor: o.redactor,
      onChange,
      detectEventsOff: true,
      enableEvents: o.enableEvents === true,
      tap: o.tap,
      onStatus: (s: SourceStatus) => {
        brokerState = s.kind === 'lost' ? 'reconnecting' : 'connected';
      },
    });
  } catch (e) {
    await store?.close().catch(() => undefined);
    throw e;
  }
  const { state, counters } = session.pipeline;
  const startedAt = now();
  const rate = new EventRate();
  rate.sample(startedAt, 0);
  const timers: NodeJS.Timeout[] = [];
  let storeStats: StoreStats = NO_STORE;
  let pruned = 0;
  let lastEventAt: number | null = null;
  let eventsSeen = 0;

  let history: History;
  if (store === null) {
    history = memoryHistory(state, results, session.masked, GET_TASK_BACKEND_TIMEOUT_MS);
  } else {
    writer = new StoreWriter({ store, broker: session.masked, results, log: o.log, ...(o.storeBacklog === undefined ? {} : { maxBacklog: o.storeBacklog }) });
    history = storeHistory(state, store, writer, results, session.masked, GET_TASK_BACKEND_TIMEOUT_MS, o.redactor);
  }
  const location = store === null ? 'memory' : `${store.kind} ${store.location}`;

  const refreshStoreStats = async (): Promise<void> => {
    if (store === null || writer === null) return;
    try {
      const [size, stored] = await Promise.all([store.size(), store.counters()]);
      pruned = stored['tasks_pruned'] ?? pruned;
      const w = writer.stats;
      storeStats = { store: location, state: w.state, tasks: size.tasks, bytes: size.bytes ?? -1, backlog: w.backlog, backlogMax: w.backlogMax, dropped: w.dropped, pruned, written: w.written };
    } catch {
      const w = writer.stats;
      storeStats = { ...storeStats, store: location, state: 'failing', backlog: w.backlog, backlogMax: w.backlogMax, dropped: w.dropped, written: w.written };
    }
  };

  const context: ServiceContext = {
    dispatcher,
    tasks: (q) => history.tasks(q),
    task: (uuid) => history.task(uuid),
    workers: (q) => queryWorkers(state, q).map((w) => workerMessage(w, w.alive ? 'ONLINE' : 'OFFLINE', now())),
    seen: () => seen.sorted(),
    keeps: store === null ? `the last ${o.maxTasks} tasks since it started` : `every task in its store ${location} (retention permitting)`,
    debug: o.debug ? o.log : (): void => {},
    stats: async () => {
      // A store's size is a counter read and a stat of its files: fresh for every answer.
      if (store !== null) await refreshStoreStats();
      const w = writer?.stats;
      return statsReply(
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
          store: w === undefined ? storeStats : { ...storeStats, state: w.state, backlog: w.backlog, backlogMax: w.backlogMax, dropped: w.dropped, written: w.written },
          security: o.security,
        },
        now(),
      );
    },
    reset: async (): Promise<ResetReply> => {
      const size = store === null ? null : await store.size().catch(() => null);
      const reply = { tasks: Math.max(state.taskCount, size?.tasks ?? 0), workers: state.workerCount };
      state.clear();
      seen.clear();
      results.clear();
      metrics?.clear();
      if (store !== null && writer !== null) {
        writer.clear();
        await store.clear();
        await refreshStoreStats();
      }
      o.log(`reset: forgot ${reply.tasks} tasks and ${reply.workers} workers${store === null ? '' : `, in memory and in the store ${location}`}`);
      return reply;
    },
  };

  return {
    session,
    results,
    dispatcher,
    store,
    metrics,
    context,
    startedAt,
    snapshot: () => {
      const w = writer?.stats;
      return {
        eventsProcessed: counters.events,
        decodeErrors: counters.decodeErrors,
        messages: counters.messages,
        consumerLagSeconds: counters.lastEventTimestamp > 0 ? Math.max(0, now() - counters.lastEventTimestamp) : 0,
        brokerConnected: brokerState === 'connected',
        clients: dispatcher.size,
        recordsDropped: dispatcher.dropped,
        tasksInMemory: state.taskCount,
        workersInMemory: state.workerCount,
        tasksEvicted: state.evictedTasks,
        storeBacklog: w?.backlog ?? null,
        storeDropped: w?.dropped ?? null,
        storeWritten: w?.written ?? null,
      };
    },
    health: () => {
      let online = 0;
      for (const w of state.workers()) if (w.alive) online++;
      return serverHealth({ brokerState, broker: session.masked, lastEventAt, startedAt, workersOnline: online, now: now(), silentAfter: o.healthSilenceSeconds ?? SILENT_AFTER_S });
    },
    async start() {
      if (store !== null && writer !== null) {
        // The newest tasks and those still on a worker, oldest first (store/warm.ts).
        for (const row of await warmRows(store, o.maxTasks)) state.restoreTask(taskFromRow(redactRow(row, o.redactor)));
        // A worker that died while the server was down: OFFLINE now, its tasks lost (and written).
        for (const w of await store.workers()) for (const ch of state.restoreWorker(workerFromRow(w), now())) onChange(ch);
        for (const n of await store.names()) seen.add(n);
        writer.start();
        await refreshStoreStats();
        timers.push(setInterval(() => void refreshStoreStats(), STORE_STATS_EVERY_MS));
        // A store that stays down fails every prune: said once, until one succeeds again.
        let pruneFailing = false;
        const prune = (): void => {
          store.prune(o.retention, now()).then(
            (n) => {
              pruneFailing = false;
              if (n > 0) o.log(`retention: pruned ${n} tasks from the store`);
            },
            (e: unknown) => {
              if (!pruneFailing) o.log(`retention: could not prune the store (${(e as Error).message}); trying again every minute`);
              pruneFailing = true;
            },
          );
        };
        prune();
        timers.push(setInterval(prune, PRUNE_EVERY_MS));
      }
      await results.start();
      timers.push(
        setInterval(() => {
          const t = now();
          rate.sample(t, counters.events);
          if (counters.events !== eventsSeen) {
            eventsSeen = counters.events;
            lastEventAt = t;
          }
        }, 1000),
      );
      for (const t of timers) t.unref();
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      dispatcher.endAll();
      await Promise.all([withTimeout(session.close(), 1500), withTimeout(results.close(), 500)]);
      if (store !== null && writer !== null) {
        writer.count('events_processed', counters.events);
        await withTimeout(writer.stop(), 5_000);
        await withTimeout(store.close(), 2_000);
      }
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


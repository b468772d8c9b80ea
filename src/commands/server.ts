/**
 * `clearly server`: the always-on collector. Flags -> the collector (engine/server/collector.ts:
 * broker session, state, live clients, result backend) -> the gRPC listener -> run until SIGTERM
 * or SIGINT, which end the streams, remove our broker queue, exit 0. Logs go to stderr only.
 */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { celeryExporterOptions, parseMetricsAddress, type MetricsAddress } from '../cli/metrics-options.js';
import { redactOption, redactorFor, tapFrom, tapOptions, wholeNumber } from '../cli/options.js';
import { note } from '../cli/output.js';
import { accessNotices, reloadTokensOnSighup, serverAccess } from '../cli/server-access.js';
import { parseBrokerUrl } from '../engine/broker/url.js';
import { compactDuration } from '../engine/health/health.js';
import { parseDuration } from '../engine/health/thresholds.js';
import { exposition } from '../engine/metrics/prom-registry.js';
import { startCollector, type Collector } from '../engine/server/collector.js';
import { address, listen } from '../engine/server/listen.js';
import { listenMetrics, MetricsBindError, type MetricsListener, type MetricsSecurity } from '../engine/server/metrics-listen.js';
import { startQueuePoll, type QueuePoll } from '../engine/server/queue-poll.js';
import { describeStore, parseStoreUrl, type StoreUrl } from '../engine/store/url.js';
import { ClearlyError, UnavailableError, UsageError } from '../errors.js';

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
    describe: 'Address to listen on; one that is not loopback needs --tls-cert/--tls-key and --token-file (or --insecure)',
  },
  'tls-cert': { type: 'string', describe: 'TLS on the gRPC port: this certificate chain (PEM; with --tls-key)' },
  'tls-key': { type: 'string', describe: "TLS: the certificate's private key (PEM)" },
  'tls-client-ca': { type: 'string', describe: 'Mutual TLS: clients must present a certificate signed by this CA (PEM)' },
  'token-file': {
    type: 'string',
    describe: 'Every call needs a token from this file: ROLE NAME TOKEN lines (read or admin), mode 600; re-read on SIGHUP',
  },
  insecure: {
    type: 'boolean',
    default: false,
    describe: 'Listen on a non-loopback address without TLS and tokens anyway (said at start and in stats)',
  },
  port: { default: 12223, ...wholeNumber('--port', 0, 65_535), describe: 'gRPC port (0: any free port, printed at start)' },
  store: {
    type: 'string',
    describe:
      'Where history is kept: a file path or sqlite:PATH, postgres://…, or memory (nothing kept). ' +
      'Default: an SQLite file under $XDG_STATE_HOME/clearly/ named after the broker',
  },
  retention: { type: 'string', default: '14d', describe: 'Keep finished tasks this long in the store (30d, 12h)' },
  'max-stored': {
    ...wholeNumber('--max-stored', 1),
    default: 10_000_000,
    describe: 'At most this many tasks in the store (the oldest finished go first)',
  },
  'store-backlog': {
    ...wholeNumber('--store-backlog', 1),
    default: 200_000,
    describe: 'Tasks whose changes are held while the store cannot be written (PostgreSQL down, disk full); past it, the oldest are dropped and counted',
  },
  'max-tasks': { ...wholeNumber('--max-tasks', 1), default: 10_000, describe: 'Tasks kept in memory, the hot cache (finished ones are evicted first)' },
  'max-workers': { ...wholeNumber('--max-workers', 1), default: 100, describe: 'Workers kept in memory (offline ones are evicted first)' },
  'client-buffer': {
    ...wholeNumber('--client-buffer', 1),
    default: 10_000,
    describe: 'Records held for a live client that reads slowly; past it, its oldest are dropped and counted',
  },
  ...tapOptions,
  'enable-events': {
    type: 'boolean',
    default: false,
    describe: 'Switch task events on in workers that have them off (enable_events every 5 s, as Flower; it changes the workers)',
  },
  metrics: {
    type: 'string',
    describe:
      'Serve Prometheus /metrics and /health on [HOST:]PORT, or off. Default 127.0.0.1:9808 ' +
      "(celery-exporter's port; when it is taken, a warning and no metrics; when given, exit 75)",
  },
  'metric-prefix': { type: 'string', default: 'celery_', describe: "Prefix of celery-exporter's metric names" },
  'metric-static-label': { type: 'string', array: true, describe: 'NAME=VALUE added to every metric (repeatable)' },
  'metrics-generic-hostname': {
    type: 'string',
    array: true,
    describe: 'hostname="generic" on task_sent (sent) or on the other task metrics (worker), to cap cardinality',
  },
  'metrics-default-queue': { type: 'string', default: 'celery', describe: 'queue_name of a task whose events name no queue' },
  queue: { type: 'string', array: true, describe: 'A queue whose length /metrics reports even before a task event names it (repeatable)' },
  'metrics-queue-interval': { type: 'string', default: '15s', describe: 'How often queue lengths and consumers are polled for /metrics (0: never)' },
  'health-silence': { type: 'string', default: '60s', describe: '/health says 503 after this long without events while no worker is online' },
  'metrics-compat': {
    type: 'string',
    array: true,
    choices: ['flower'],
    describe: "Also expose another monitor's metric set: flower (Flower's dashboards, Datadog's Celery check)",
  },
  'metrics-buckets': { type: 'string', describe: "celery_task_runtime's buckets, seconds comma-separated (celery-exporter's --buckets; default Python's 0.005 … 10)" },
  'metrics-queue-wait-buckets': {
    type: 'string',
    describe: "celery_task_queue_wait_time's buckets, seconds comma-separated (celery-exporter's --queue-wait-buckets; default 0.05 … 1800)",
  },
  'metrics-purge-offline': { type: 'string', default: '10m', describe: 'Remove every metric of a host this long after its last heartbeat (0: never)' },
  ...redactOption,
  debug: { type: 'boolean', default: false, describe: 'Log clients, errors and undecodable messages in detail on stderr' },
} as const;

type ServerArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>>;


export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .options(options)
    .example('$0 server --broker amqp://guest:guest@rabbit:5672// --backend redis://redis:6379/1', 'RabbitMQ events, Redis results')
    .example('CELERY_BROKER_URL=redis://redis:6379/0 $0 server', "Celery's own environment works too")
    .example('$0 server -b redis://localhost:6379/0 --store postgres://clearly@db/clearly', "a team's shared history in PostgreSQL")
    .example('$0 server -b redis://localhost:6379/0 --store memory', 'keep nothing across restarts')
    .example('$0 server -b redis://localhost:6379/0 --enable-events', 'switch task events on in workers started without -E')
    .example('$0 server -b amqp://guest:guest@rabbit// --tap-exchange tasks', 'a copy of every task message on the topic exchange tasks')
    .example('$0 server -b redis://localhost:6379/0 --metrics 0.0.0.0:9808', 'Prometheus may scrape from other hosts')
    .example('$0 server -b redis://localhost:6379/0 --metrics off', 'no /metrics')
    .example('$0 server -b redis://localhost:6379/0 --metrics-compat flower', "Flower's metric names too, for its dashboards")
    .example("$0 server -b redis://localhost:6379/0 --redact 'password|iban'", "hide these keys' values instead of the default list ('' : none)")
    .example(
      '$0 server -b redis://localhost:6379/0 --host 0.0.0.0 --tls-cert server.pem --tls-key server-key.pem --token-file /etc/clearly/tokens',
      'for a team: TLS, and a token (read or admin) for every call',
    )
    .example('$0 server -b redis://localhost:6379/0 --host 0.0.0.0 --insecure', 'reachable from other hosts in plaintext, without tokens (on purpose)');
}

export async function handler(argv: ServerArgs): Promise<number> {
  const brokerUrl = argv.broker ?? process.env['CELERY_BROKER_URL'];
  if (brokerUrl === undefined || brokerUrl === '') {
    throw new UsageError(
      'server needs --broker URL (or CLEARLY_BROKER, or CELERY_BROKER_URL); e.g. --broker amqp://guest:guest@localhost:5672//',
    );
  }
  // Whole numbers in range: checked as the flags were parsed (cli/options.ts wholeNumber).
  const { port, maxTasks, maxWorkers, clientBuffer, maxStored, storeBacklog } = argv;
  const retentionSeconds = parseDuration(argv.retention, '--retention');
  const store = parseStoreUrl(argv.store, parseBrokerUrl(brokerUrl, '--broker / CLEARLY_BROKER'));
  const metricsAt = parseMetricsAddress(argv.metrics);
  const queueIntervalS = argv.metricsQueueInterval === '0' ? 0 : parseDuration(argv.metricsQueueInterval, '--metrics-queue-interval');
  const metricsOptions =
    metricsAt.kind === 'off'
      ? null
      : celeryExporterOptions({
          metricPrefix: argv.metricPrefix,
          metricStaticLabel: argv.metricStaticLabel,
          metricsGenericHostname: argv.metricsGenericHostname,
          metricsDefaultQueue: argv.metricsDefaultQueue,
          metricsPurgeOffline: argv.metricsPurgeOffline === '0' ? 0 : parseDuration(argv.metricsPurgeOffline, '--metrics-purge-offline'),
          metricsCompat: argv.metricsCompat,
          metricsBuckets: argv.metricsBuckets,
          metricsQueueWaitBuckets: argv.metricsQueueWaitBuckets,
        });
  const redactor = redactorFor(argv.redact);
  // TLS, tokens and the bind rule for both ports (its own address: --metrics HOST:PORT).
  const access = serverAccess(argv, metricsAt.kind === 'off' ? null : metricsAt.host);
  const { tls, tokens } = access;
  // Listen for signals from the start: one arriving mid-start-up still ends in a clean shutdown.
  const stop = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  // The broker first: unreachable -> UnavailableError (exit 69) naming the masked URL.
  const collector = await startCollector({
    broker: brokerUrl,
    backend: argv.backend ?? process.env['CELERY_RESULT_BACKEND'],
    store,
    retention: { retentionSeconds, maxStored },
    storeBacklog,
    maxTasks,
    maxWorkers,
    clientBuffer,
    debug: argv.debug,
    enableEvents: argv.enableEvents,
    tap: tapFrom(argv),
    metrics: metricsOptions,
    healthSilenceSeconds: parseDuration(argv.healthSilence, '--health-silence'),
    redactor,
    security: { insecure: access.insecure, redact: redactor?.pattern ?? '', tls: tls !== null, auth: tokens === null ? 'none' : 'tokens' },
    log: note,
  });
  let listener;
  try {
    listener = await listen(collector.context, argv.host, port, { tls, tokens, ...(argv.debug ? { debugLog: note } : {}) });
  } catch (e) {
    await collector.stop();
    throw e;
  }
  let metrics: MetricsListener | null;
  try {
    metrics = await serveMetrics(collector, metricsAt, { tls, tokens });
    await collector.start();
  } catch (e) {
    await Promise.all([listener.shutdown(0), collector.stop()]);
    throw e;
  }
  const { session, results } = collector;
  note(
    `server listening on ${address(argv.host, listener.port)} (gRPC clearly.v1); events from ${session.masked}` +
      (results.masked === '' ? '' : `, whole results from ${results.masked}`) +
      `; keeping up to ${maxTasks} tasks and ${maxWorkers} workers in memory`,
  );
  note(storeNotice(store, retentionSeconds, maxStored));
  note(
    redactor === null
      ? "redaction is OFF (--redact ''): task arguments and results are kept and served as they arrive"
      : `redacting the values of keys matching /${redactor.pattern}/ (case-insensitive) before anything is kept`,
  );
  for (const line of accessNotices(access, argv.host)) note(line);
  reloadTokensOnSighup(access, note);
  let queuePoll: QueuePoll | null = null;
  if (metrics !== null && collector.metrics !== null && queueIntervalS > 0) {
    queuePoll = startQueuePoll({ broker: brokerUrl, metrics: collector.metrics.exporter, queues: argv.queue ?? [], intervalMs: queueIntervalS * 1000, log: note });
  }
  if (metrics !== null) {
    const scheme = tls === null ? 'http' : 'https';
    note(`metrics on ${scheme}://${address(metrics.host, metrics.port)}/metrics (Prometheus${tokens === null ? '' : ', a token needed'}), health on /health`);
  }

  const signal = await stop;
  note(`${signal}: shutting down`);
  // Ending the streams first lets the listener's shutdown finish at once.
  queuePoll?.stop();
  const stopping = collector.stop();
  await Promise.all([listener.shutdown(300), stopping, metrics?.close()]);
  const c = session.pipeline.counters;
  note(
    `served ${c.events} events (${c.decodeErrors} undecodable) in ${(Date.now() / 1000 - collector.startedAt).toFixed(0)}s; ` +
      `${collector.dispatcher.dropped} records dropped for slow clients`,
  );
  return 0;
}

/**
 * Binds /metrics. The default address taken (a second server on the host, or celery-exporter
 * itself): said once, and the server runs without metrics. An address given with --metrics or
 * CLEARLY_METRICS that is taken: exit 75 (EX_TEMPFAIL), naming the port and the flag.
 */
async function serveMetrics(collector: Collector, at: MetricsAddress, security: MetricsSecurity): Promise<MetricsListener | null> {
  const m = collector.metrics;
  if (at.kind === 'off' || m === null) return null;
  const expo = exposition(
    () => m.families(),
    () => m.beforeScrape(Date.now() / 1000, collector.snapshot()),
  );
  try {
    return await listenMetrics(expo, () => collector.health(), at.host, at.port, security);
  } catch (e) {
    if (!(e instanceof MetricsBindError)) throw e;
    if (!at.explicit) {
      note(`warning: ${e.message} (another clearly server or celery-exporter?): running without /metrics; choose one with --metrics HOST:PORT`);
      return null;
    }
    if (e.taken) throw new ClearlyError('TEMPFAIL', `${e.message}: port ${at.port} is in use; choose another with --metrics (CLEARLY_METRICS) or --metrics off`, { cause: e });
    throw new UnavailableError(`${e.message} (--metrics / CLEARLY_METRICS)`, { cause: e });
  }
}

/** The start-up line about history: where it is kept (the path, or the masked URL), and for how long. */
function storeNotice(store: StoreUrl, retentionSeconds: number, maxStored: number): string {
  if (store.kind === 'memory') return 'history: in memory only (--store memory): nothing is kept across restarts';
  const where = store.kind === 'sqlite' ? `SQLite file ${describeStore(store)}${store.isDefault ? ' (the default; --store to choose)' : ''}` : `PostgreSQL ${describeStore(store)}`;
  return `history: ${where}, finished tasks kept ${compactDuration(retentionSeconds)}, at most ${maxStored} tasks`;
}

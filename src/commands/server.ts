/**
 * `clearly server`: the always-on collector. Flags -> the collector (engine/server/collector.ts:
 * broker session, state, live clients, result backend) -> the gRPC listener -> run until SIGTERM
 * or SIGINT, which end the streams, remove our broker queue, exit 0. Logs go to stderr only.
 */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { tapFrom, tapOptions } from '../cli/options.js';
import { note } from '../cli/output.js';
import { startCollector } from '../engine/server/collector.js';
import { address, listen, LOOPBACK } from '../engine/server/listen.js';
import { parseBrokerUrl } from '../engine/broker/url.js';
import { compactDuration } from '../engine/health/health.js';
import { parseDuration } from '../engine/health/thresholds.js';
import { describeStore, parseStoreUrl, type StoreUrl } from '../engine/store/url.js';
import { UsageError } from '../errors.js';

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
  store: {
    type: 'string',
    describe:
      'Where history is kept: a file path or sqlite:PATH, postgres://…, or memory (nothing kept). ' +
      'Default: an SQLite file under $XDG_STATE_HOME/clearly/ named after the broker',
  },
  retention: { type: 'string', default: '14d', describe: 'Keep finished tasks this long in the store (30d, 12h)' },
  'max-stored': {
    type: 'number',
    default: 10_000_000,
    describe: 'At most this many tasks in the store (the oldest finished go first)',
  },
  'max-tasks': { type: 'number', default: 10_000, describe: 'Tasks kept in memory, the hot cache (finished ones are evicted first)' },
  'max-workers': { type: 'number', default: 100, describe: 'Workers kept in memory (offline ones are evicted first)' },
  'client-buffer': {
    type: 'number',
    default: 10_000,
    describe: 'Records held for a live client that reads slowly; past it, its oldest are dropped and counted',
  },
  ...tapOptions,
  'enable-events': {
    type: 'boolean',
    default: false,
    describe: 'Switch task events on in workers that have them off (enable_events every 5 s, as Flower; it changes the workers)',
  },
  debug: { type: 'boolean', default: false, describe: 'Log clients, errors and undecodable messages in detail on stderr' },
} as const;

type ServerArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>>;


export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .options(options)
    .example('$0 server --broker amqp://guest:guest@rabbit:5672// --backend redis://redis:6379/1', 'RabbitMQ events, Redis results')
    .example('CELERY_BROKER_URL=redis://localhost:6379/0 $0 server', "Celery's own environment works too")
    .example('$0 server -b redis://localhost:6379/0 --store postgres://clearly@db/clearly', "a team's shared history in PostgreSQL")
    .example('$0 server -b redis://localhost:6379/0 --store memory', 'keep nothing across restarts')
    .example('$0 server -b redis://localhost:6379/0 --enable-events', 'switch task events on in workers started without -E')
    .example('$0 server -b amqp://guest:guest@rabbit// --tap-exchange tasks', 'a copy of every task message on the topic exchange tasks')
    .example('$0 server -b redis://localhost:6379/0 --host 0.0.0.0', 'reachable from other hosts (on purpose: args can hold secrets)');
}

function wholeNumber(value: number, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

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
  const maxStored = wholeNumber(argv.maxStored, '--max-stored', 1);
  const retentionSeconds = parseDuration(argv.retention, '--retention');
  const store = parseStoreUrl(argv.store, parseBrokerUrl(brokerUrl, '--broker / CLEARLY_BROKER'));
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
    maxTasks,
    maxWorkers,
    clientBuffer,
    debug: argv.debug,
    enableEvents: argv.enableEvents,
    tap: tapFrom(argv),
    log: note,
  });
  let listener;
  try {
    listener = await listen(collector.context, argv.host, port);
  } catch (e) {
    await collector.stop();
    throw e;
  }
  try {
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
  if (!LOOPBACK.test(argv.host)) {
    note(`warning: listening on ${argv.host}: anyone who can reach this port can read task arguments and results`);
  }

  const signal = await stop;
  note(`${signal}: shutting down`);
  // Ending the streams first lets the listener's shutdown finish at once.
  const stopping = collector.stop();
  await Promise.all([listener.shutdown(300), stopping]);
  const c = session.pipeline.counters;
  note(
    `served ${c.events} events (${c.decodeErrors} undecodable) in ${(Date.now() / 1000 - collector.startedAt).toFixed(0)}s; ` +
      `${collector.dispatcher.dropped} records dropped for slow clients`,
  );
  return 0;
}

/** The start-up line about history: where it is kept (the path, or the masked URL), and for how long. */
function storeNotice(store: StoreUrl, retentionSeconds: number, maxStored: number): string {
  if (store.kind === 'memory') return 'history: in memory only (--store memory): nothing is kept across restarts';
  const where = store.kind === 'sqlite' ? `SQLite file ${describeStore(store)}${store.isDefault ? ' (the default; --store to choose)' : ''}` : `PostgreSQL ${describeStore(store)}`;
  return `history: ${where}, finished tasks kept ${compactDuration(retentionSeconds)}, at most ${maxStored} tasks`;
}

/**
 * `clearly stats`: a clearly server's counters (throughput, memory, clients, connections); or,
 * with `--broker`, queue depths read straight from the broker.
 */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { serverOption, serverTarget, withServer, type ServerTarget } from '../cli/client.js';
import { parseQueueNames, queuesFromBroker } from '../cli/inspect.js';
import { LineWriter } from '../cli/output.js';
import { collectSamples } from '../cli/task-samples.js';
import { ByName } from '../engine/aggregate/by-name.js';
import { renderByName, taskNameRecord } from '../format/by-name-text.js';
import { outputOptions } from '../cli/options.js';
import { EXIT, UsageError } from '../errors.js';
import { makePalette, shouldColour } from '../format/colors.js';
import { queueRecord } from '../format/inspect-record.js';
import { renderQueues } from '../format/inspect-text.js';
import { renderStats, statsRecord, type StatsRecord } from '../format/stats-text.js';

const options = {
  ...serverOption,
  broker: {
    type: 'string',
    alias: 'b',
    describe: 'Show queue depths read straight from this broker (amqp://… or redis://…) instead of server counters',
  },
  queue: {
    type: 'string',
    array: true,
    alias: 'q',
    describe: 'With --broker: the queues to measure (repeat or comma-separate; default celery)',
  },
  'by-name': { type: 'boolean', default: false, describe: 'One row per task name: counts, failure %, retries, p50/p95/p99 of each latency leg' },
  since: { type: 'string', describe: 'With --by-name: only tasks whose last event is this recent (1h, 2d, or a time)' },
  pattern: { type: 'string', alias: 'p', describe: 'With --by-name: regex on task name, uuid or routing key' },
  for: { type: 'string', describe: 'With --by-name --broker: listen this long (default 10s), then aggregate' },
  ...outputOptions,
} as const;

type StatsArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>>;


export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .options(options)
    .example('$0 stats', 'key/value lines')
    .example('$0 stats --json | jq .events_per_second', 'one JSON object (field names as in the proto)')
    .example('$0 stats --by-name --since 1h', 'per task name: counts, failure %, p50/p95/p99 of queued, prefetched, runtime and total')
    .example("$0 stats --by-name --json | jq 'select(.failure_pct > 5)'", 'one task-name object per name')
    .example('$0 stats --by-name --broker redis://localhost:6379/0 --for 1m', 'no server: a live minute')
    .example('$0 stats --json | jq "{tls, auth, insecure, redact}"', 'how the server is protected')
    .example('$0 stats --broker redis://localhost:6379/0 --queue celery,email', 'messages waiting in each queue (NDJSON with --json: one per queue)');
}

export async function fromServer(server: ServerTarget | string): Promise<StatsRecord> {
  return statsRecord(await withServer(server, (conn) => conn.stats()));
}

/** `--broker`: one queue per line (RabbitMQ also counts consumers); NDJSON: one `queue` record each. */
async function fromBroker(broker: string, argv: StatsArgs): Promise<number> {
  const records = (await queuesFromBroker(broker, parseQueueNames(argv.queue))).map(queueRecord);
  const writer = new LineWriter(process.stdout, () => {});
  if (argv.json) for (const r of records) writer.line(JSON.stringify(r));
  else {
    const palette = makePalette(shouldColour(process.stdout, process.env, argv.color));
    for (const line of renderQueues(records, palette)) writer.line(line);
  }
  await writer.end();
  return EXIT.OK;
}

/** `--by-name`: the aggregation over a server's history or a live broker window. */
async function byName(argv: StatsArgs): Promise<number> {
  if (argv.queue !== undefined) throw new UsageError('--queue measures queue depths; it does not combine with --by-name');
  const agg = new ByName();
  await collectSamples({ server: serverTarget(argv.server, argv), broker: argv.broker, for: argv.for, since: argv.since, pattern: argv.pattern, debug: argv.debug }, (s) => agg.add(s));
  const records = agg.rows().map(taskNameRecord);
  const writer = new LineWriter(process.stdout, () => {});
  if (argv.json) for (const r of records) writer.line(JSON.stringify(r));
  else for (const line of renderByName(records)) writer.line(line);
  await writer.end();
  return EXIT.OK;
}

export async function handler(argv: StatsArgs): Promise<number> {
  if (argv.byName) return byName(argv);
  for (const flag of ['since', 'pattern', 'for'] as const) {
    if (argv[flag] !== undefined) throw new UsageError(`--${flag} goes with --by-name`);
  }
  if (argv.broker !== undefined) return fromBroker(argv.broker, argv);
  if (argv.queue !== undefined) throw new UsageError('--queue measures queues on the broker: add --broker URL');
  const stats = await fromServer(serverTarget(argv.server, argv));
  const writer = new LineWriter(process.stdout, () => {});
  if (argv.json) writer.line(JSON.stringify(stats));
  else {
    const palette = makePalette(shouldColour(process.stdout, process.env, argv.color));
    for (const line of renderStats(stats, palette)) writer.line(line);
  }
  await writer.end();
  return EXIT.OK;
}

/**
 * `clearly watch`: every task and worker state change, live, as text or NDJSON: from a running
 * `clearly server` (default), or straight from the broker with `--broker`. The handler reads as
 * the data flow: flags -> filter -> one printer -> one feed (server or broker) -> run until done.
 */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { serverOption } from '../cli/client.js';
import { brokerFeed, runLive, serverFeed } from '../cli/live.js';
import { brokerOption, displayOptions, filterOptions, outputOptions, tapFrom, tapOptions } from '../cli/options.js';
import { LivePrinter } from '../cli/printer.js';
import { compileFilter, type FilterSpec } from '../engine/table/filter.js';
import { UsageError } from '../errors.js';
import { makePalette, shouldColour } from '../format/colors.js';

const options = {
  ...brokerOption,
  ...serverOption,
  ...filterOptions,
  workers: { type: 'boolean', default: false, describe: 'Also show worker events (online, heartbeat, offline)' },
  'only-workers': { type: 'boolean', default: false, describe: 'Show worker events only' },
  count: { type: 'number', alias: 'n', describe: 'Exit 0 after printing this many records' },
  timeout: { type: 'number', alias: 't', describe: 'Exit 0 after this many seconds' },
  'enable-events': {
    type: 'boolean',
    default: false,
    describe: 'With --broker: switch task events on in workers that have them off (enable_events every 5 s; it changes the workers)',
  },
  ...tapOptions,
  ...displayOptions,
  ...outputOptions,
} as const;

type WatchArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>>;


export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .options(options)
    .example('$0 watch', 'everything, from the clearly server at localhost:12223 (--server / CLEARLY_SERVER)')
    .example('$0 watch --broker amqp://guest:guest@localhost:5672//', 'everything, straight from RabbitMQ (no server)')
    .example("$0 watch -b redis://localhost:6379/0 --json | jq 'select(.state==\"FAILURE\")'", 'failures as JSON')
    .example("$0 watch --pattern '^email' --state '!SUCCESS'", 'email tasks that did not succeed')
    .example('$0 watch --only-workers', 'workers coming and going')
    .example('$0 watch --count 1 --state FAILURE --timeout 60', 'wait up to a minute for the first failure')
    .example('$0 watch -b redis://localhost:6379/0 --enable-events', 'see tasks of workers started without -E too')
    .example('$0 watch -b amqp://guest:guest@rabbit// --tap task-monitor --json', 'every task message copied to task-monitor, whole args, events or not');
}

export async function handler(argv: WatchArgs): Promise<number> {
  if (argv.count !== undefined && (!Number.isInteger(argv.count) || argv.count < 1)) {
    throw new UsageError('--count must be a whole number ≥ 1');
  }
  if (argv.timeout !== undefined && !(argv.timeout > 0)) throw new UsageError('--timeout must be a number of seconds > 0');
  const spec: FilterSpec = {
    pattern: argv.pattern,
    states: argv.state,
    worker: argv.worker,
    tasks: !argv.onlyWorkers,
    workers: argv.workers || argv.onlyWorkers,
  };
  // Checked here in both modes, so a typo fails before any connection.
  const filter = compileFilter(spec);
  const json = argv.json;
  const palette = makePalette(!json && shouldColour(process.stdout, process.env, argv.color));
  const printer = new LivePrinter(process.stdout, { json, palette, text: argv, filter, limit: argv.count });
  if (argv.enableEvents && argv.broker === undefined) {
    throw new UsageError('--enable-events talks to the workers: add --broker URL (a clearly server has its own --enable-events)');
  }
  const tap = tapFrom(argv);
  if (tap !== undefined && argv.broker === undefined) {
    throw new UsageError('--tap/--tap-exchange read task messages from the broker: add --broker URL (a clearly server has its own --tap)');
  }
  const feed = argv.broker === undefined ? serverFeed(argv.server, spec) : brokerFeed(argv.broker, argv.debug, argv.enableEvents, tap);
  return runLive(printer, feed, { timeoutSeconds: argv.timeout });
}

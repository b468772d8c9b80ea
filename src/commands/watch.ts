/** `clearly watch`: every task and worker state change, live, as text or NDJSON. */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { startDirect } from '../cli/direct.js';
import { LineWriter, note } from '../cli/output.js';
import { brokerOption, displayOptions, filterOptions, outputOptions } from '../cli/options.js';
import { makePrinter } from '../cli/printer.js';
import { compileFilter } from '../engine/filter.js';
import { UsageError } from '../errors.js';
import { changeRecords } from '../format/changes.js';
import { makePalette, shouldColour } from '../format/colors.js';

const options = {
  ...brokerOption,
  ...filterOptions,
  workers: { type: 'boolean', default: false, describe: 'Also show worker events (online, heartbeat, offline)' },
  'only-workers': { type: 'boolean', default: false, describe: 'Show worker events only' },
  count: { type: 'number', alias: 'n', describe: 'Exit 0 after printing this many records' },
  timeout: { type: 'number', alias: 't', describe: 'Exit 0 after this many seconds' },
  ...displayOptions,
  ...outputOptions,
} as const;

type WatchArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>>;

export const command = 'watch';
export const describe = 'Show task and worker state changes live';

export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .options(options)
    .example('$0 watch --broker amqp://guest:guest@localhost:5672//', 'everything, straight from RabbitMQ')
    .example("$0 watch -b redis://localhost:6379/0 --json | jq 'select(.state==\"FAILURE\")'", 'failures as JSON')
    .example("$0 watch --pattern '^email' --state '!SUCCESS'", 'email tasks that did not succeed')
    .example('$0 watch --only-workers', 'workers coming and going')
    .example('$0 watch --count 1 --state FAILURE --timeout 60', 'wait up to a minute for the first failure');
}

export async function handler(argv: WatchArgs): Promise<number> {
  if (argv.count !== undefined && (!Number.isInteger(argv.count) || argv.count < 1)) {
    throw new UsageError('--count must be a whole number ≥ 1');
  }
  if (argv.timeout !== undefined && !(argv.timeout > 0)) throw new UsageError('--timeout must be a number of seconds > 0');
  const filter = compileFilter({
    pattern: argv.pattern,
    states: argv.state,
    worker: argv.worker,
    tasks: !argv.onlyWorkers,
    workers: argv.workers || argv.onlyWorkers,
  });
  if (argv.broker === undefined) {
    throw new UsageError(
      'watch needs --broker URL (or CLEARLY_BROKER) to read events straight from the broker; e.g. --broker amqp://guest:guest@localhost:5672//',
    );
  }

  const palette = makePalette(!argv.json && shouldColour(process.stdout, process.env, argv.color));
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finish = resolve));
  const writer = new LineWriter(process.stdout, () => finish(0));
  const print = makePrinter(writer, argv.json, palette, argv);
  const limit = argv.count ?? Infinity;
  let taskRecords = 0;
  let workerRecords = 0;
  const started = Date.now();

  const session = await startDirect({
    broker: argv.broker,
    debug: argv.debug,
    onChange: (change) => {
      if (writer.written >= limit) return;
      for (const record of changeRecords(change, filter)) {
        if (!print(record)) continue;
        if (record.kind === 'task') taskRecords++;
        else workerRecords++;
        if (writer.written >= limit) {
          finish(0);
          return;
        }
      }
    },
  });
  note(`watching ${session.masked} (Ctrl-C to stop)`);

  const timer = argv.timeout === undefined ? undefined : setTimeout(() => finish(0), argv.timeout * 1000);
  const onSignal = (): void => finish(0);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const code = await done;
  if (timer) clearTimeout(timer);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  await session.close();
  await writer.end();
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const c = session.pipeline.counters;
  const dropped = writer.dropped > 0 ? `, ${writer.dropped} dropped (output too slow)` : '';
  note(
    `${taskRecords + workerRecords} records (${taskRecords} task, ${workerRecords} worker) from ${c.events} events in ${secs}s${dropped}` +
      (c.decodeErrors > 0 ? `, ${c.decodeErrors} undecodable messages` : ''),
  );
  return code;
}

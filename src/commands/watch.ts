/**
 * `clearly watch`: every task and worker state change, live, as text or NDJSON: from a running
 * `clearly server` (default), or straight from the broker with `--broker`. The handler reads as
 * the data flow: flags -> filter -> one printer -> one feed (server or broker) -> run until done.
 */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { serverOption, serverTarget } from '../cli/client.js';
import { brokerFeed, runLive, serverFeed, type OpenFeed } from '../cli/live.js';
import {
  brokerOption,
  displayOptions,
  filterOptions,
  outputOptions,
  redactOption,
  redactorFor,
  seconds,
  tapFrom,
  tapOptions,
  wholeNumber,
} from '../cli/options.js';
import { terminalWidth } from '../cli/output.js';
import { UsageError } from '../errors.js';
import { LivePrinter } from '../cli/printer.js';
import { compileFilter, type FilterSpec } from '../engine/table/filter.js';
import { searchWords } from '../engine/table/search.js';
import { makePalette, shouldColour } from '../format/colors.js';
import type { TextOptions } from '../format/text.js';

/** Which records `watch` shows and for how long, whatever the source (`demo` takes these too). */
const selectOptions = {
  ...filterOptions,
  workers: { type: 'boolean', default: false, describe: 'Also show worker events (online, heartbeat, offline)' },
  'only-workers': { type: 'boolean', default: false, describe: 'Show worker events only' },
  search: { type: 'string', describe: 'Only tasks whose name, args, kwargs, result or exception hold all these words (as tasks --search)' },
  count: { alias: 'n', ...wholeNumber('--count', 1), describe: 'Exit 0 after printing this many records' },
  timeout: { alias: 't', ...seconds('--timeout'), describe: 'Exit 0 after this long (90, 90s, 1m30s, 2h)' },
} as const;

/** What only a broker has: `demo` (no broker) does not list or take these. */
const brokerOnlyOptions = {
  'enable-events': {
    type: 'boolean',
    default: false,
    describe: 'With --broker: switch task events on in workers that have them off (enable_events every 5 s; it changes the workers)',
  },
  ...tapOptions,
} as const;

/** What `watch` shows and how, whatever the source (`demo` takes these too). */
export const viewOptions = { ...selectOptions, ...displayOptions, ...outputOptions } as const;

const options = { ...brokerOption, ...redactOption, ...serverOption, ...selectOptions, ...brokerOnlyOptions, ...displayOptions, ...outputOptions } as const;

type WatchArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>>;
export type ViewArgs = ArgumentsCamelCase<InferredOptionTypes<typeof viewOptions>>;


export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .options(options)
    .example('$0 watch', 'everything, from the clearly server at localhost:12223 (--server / CLEARLY_SERVER)')
    .example('$0 watch --broker amqp://guest:guest@localhost:5672//', 'everything, straight from RabbitMQ (no server)')
    .example("$0 watch -b redis://localhost:6379/0 --json | jq 'select(.state==\"FAILURE\")'", 'failures as JSON')
    .example("$0 watch --pattern '^email' --state '!SUCCESS'", 'email tasks that did not succeed')
    .example('$0 watch --only-workers', 'workers coming and going')
    .example("$0 watch --search 'alice invoice'", 'tasks whose args, result or exception mention both words')
    .example('CLEARLY_TOKEN=<token> $0 watch --server grpcs://clearly.internal:12223 --tls-ca ca.pem', "a team's server: TLS and a token")
    .example("$0 watch -b redis://localhost:6379/0 --redact 'password|ssn'", "hide these keys' values (instead of the default list)")
    .example('$0 watch -b redis://localhost:6379/0 --enable-events', 'see tasks of workers started without -E too')
    .example('$0 watch -b amqp://guest:guest@rabbit// --tap task-monitor --json', 'every task message copied to task-monitor, whole args, events or not')
    .example('$0 watch --count 1 --state FAILURE --timeout 60', 'wait up to a minute for the first failure');
}

export async function handler(argv: WatchArgs): Promise<number> {
  const broker = argv.broker;
  const tap = tapFrom(argv);
  if (broker === undefined) {
    if (argv.enableEvents) {
      throw new UsageError('--enable-events talks to the workers: add --broker URL (a clearly server has its own --enable-events)');
    }
    if (tap !== undefined) {
      throw new UsageError('--tap/--tap-exchange read task messages from the broker: add --broker URL (a clearly server has its own --tap)');
    }
    const target = serverTarget(argv.server, argv);
    return watchView(argv, (spec) => serverFeed(target, spec));
  }
  // --redact applies where events are decoded: here with --broker; a server redacts with its own.
  const redactor = redactorFor(argv.redact);
  return watchView(argv, () => brokerFeed(broker, argv.debug, redactor, argv.enableEvents, tap));
}

/** Flags -> filter -> one printer -> the feed `open` picks for the filter -> run until done. */
export async function watchView(argv: ViewArgs, open: (spec: FilterSpec) => OpenFeed, view: Pick<TextOptions, 'wholeIn'> = {}): Promise<number> {
  // --count and --timeout are checked as the flags are parsed (cli/options.ts).
  const spec: FilterSpec = {
    pattern: argv.pattern,
    states: argv.state,
    worker: argv.worker,
    tasks: !argv.onlyWorkers,
    workers: argv.workers || argv.onlyWorkers,
  };
  // Checked here in both modes, so a typo fails before any connection.
  const filter = compileFilter(spec);
  const searchText = (argv.search ?? '').trim();
  const search = searchText === '' ? null : searchWords(searchText);
  if (search !== null && search.length === 0) throw new UsageError(`--search: no words to look for in ${JSON.stringify(searchText)}`);
  const json = argv.json;
  const palette = makePalette(!json && shouldColour(process.stdout, process.env, argv.color));
  const text = { ...argv, ...view, width: terminalWidth(process.stdout, process.env) };
  const printer = new LivePrinter(process.stdout, { json, palette, text, filter, limit: argv.count, search });
  return runLive(printer, open(spec), { timeoutSeconds: argv.timeout });
}

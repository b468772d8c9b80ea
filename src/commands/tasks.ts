/**
 * `clearly tasks`: the tasks a clearly server has stored that match, newest first, as text or
 * NDJSON; or, with `--broker` and `--active`/`--reserved`/`--scheduled`, what the workers hold
 * right now, asked directly (no server, no history).
 */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { serverOption, serverTarget, withServer, type ServerTarget } from '../cli/client.js';
import { inspectOptions, parseDestinations, replyTimeoutMs } from '../cli/inspect.js';
import { HOLDINGS, tasksFromBroker, type Holding } from '../engine/control/inspect.js';
import { LineWriter, note, terminalWidth } from '../cli/output.js';
import { displayOptions, filterOptions, outputOptions, redactOption, redactorFor, wholeNumber } from '../cli/options.js';
import { makePrinter } from '../cli/printer.js';
import { compileFilter, parseStates } from '../engine/table/filter.js';
import type { FilterMessage, TaskQuery } from '../engine/grpc/messages.js';
import { taskRecordFromMessage } from '../format/message-records.js';
import { parseTimeBound } from '../cli/time-bound.js';
import { EXIT, UsageError } from '../errors.js';
import { makePalette, shouldColour } from '../format/colors.js';
import { heldTaskRecord, type HeldTaskRecord } from '../format/inspect-record.js';
import { renderHeldTasks } from '../format/inspect-text.js';
import type { TaskRecord } from '../format/record.js';

/** Enough for a look at what just happened; `--limit 0` for everything stored. */
export const DEFAULT_LIMIT = 100;

const options = {
  ...serverOption,
  ...filterOptions,
  // --state here judges what is stored: the task's current (last) state.
  state: {
    ...filterOptions.state,
    describe: 'Only tasks whose current state is one of these (repeat or comma-separate; !STATE to exclude); --retried for tasks that ever retried',
  },
  retried: {
    type: 'boolean',
    default: false,
    describe: 'Only tasks that ever retried, whatever their state now (a task that retried and then succeeded is SUCCESS)',
  },
  limit: {
    alias: 'l',
    ...wholeNumber('--limit', 0, undefined, ' (0 = all)'),
    default: DEFAULT_LIMIT,
    describe: 'Print at most this many tasks (0 = every stored task that matches)',
  },
  'oldest-first': { type: 'boolean', default: false, describe: 'Oldest first (default: newest first)' },
  since: { type: 'string', describe: 'Only tasks whose last event is this recent: 1h (the last hour), 2d, or a time (2026-12-03T09:00)' },
  until: { type: 'string', describe: 'Only tasks whose last event is older: 1h (up to an hour ago), or a time' },
  search: { type: 'string', describe: 'Only tasks whose name, args, kwargs, result or exception hold all these words' },
  lost: {
    type: 'boolean',
    default: false,
    describe: 'Only lost tasks: RECEIVED or STARTED on a worker that then went offline (nobody will finish them)',
  },
  broker: {
    type: 'string',
    alias: 'b',
    describe: 'Ask the workers straight on this broker what they hold now (with --active, --reserved or --scheduled)',
  },
  active: { type: 'boolean', default: false, describe: 'With --broker: tasks running now' },
  reserved: { type: 'boolean', default: false, describe: 'With --broker: tasks prefetched by workers, waiting for a pool slot' },
  scheduled: { type: 'boolean', default: false, describe: 'With --broker: tasks with an ETA/countdown held until due' },
  ...redactOption,
  ...inspectOptions,
  ...displayOptions,
  ...outputOptions,
} as const;

type TasksArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>>;


export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .options(options)
    .example('$0 tasks', `the ${DEFAULT_LIMIT} most recently updated tasks`)
    .example('$0 tasks --state FAILURE --json | jq .', 'every stored failure, as JSON')
    .example("$0 tasks --pattern '^email' --state '!SUCCESS' --limit 0", 'email tasks that did not succeed, all of them')
    .example("$0 tasks --worker 'w1@' --oldest-first", 'what worker w1 ran, oldest first')
    .example('$0 tasks --state FAILURE --since 1h', 'what failed in the last hour')
    .example('$0 tasks --retried --state SUCCESS', 'tasks that retried and then succeeded (--state is the current state)')
    .example("$0 tasks --search 'alice@example.com' --limit 0", 'every task whose args or result mention her')
    .example('$0 tasks --lost', 'tasks left RECEIVED/STARTED on a worker that died or shut down')
    .example('$0 tasks --server clearly.internal:12223', 'ask a server elsewhere (or set CLEARLY_SERVER)')
    .example('$0 tasks --broker amqp://guest:guest@localhost:5672// --active', 'what every worker is running right now (no server)');
}

/**
 * The query for the server, checked here first so a typo fails before any connection, with the
 * same messages `watch` gives. States are sent normalised (split, upper case, `!` kept).
 */
export function taskQuery(
  argv: Pick<TasksArgs, 'pattern' | 'state' | 'worker' | 'limit' | 'oldestFirst'> & Partial<Pick<TasksArgs, 'since' | 'until' | 'search' | 'retried' | 'lost'>>,
  now: number = Date.now() / 1000,
): TaskQuery {
  const limit = argv.limit;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new UsageError(`--limit must be a whole number ≥ 0 (0 = all), got ${String(limit)}`);
  }
  compileFilter({ pattern: argv.pattern, worker: argv.worker, tasks: true, workers: false });
  const { taskIn, workerIn, out } = parseStates(argv.state);
  if (workerIn.size > 0) {
    throw new UsageError(`--state: ${[...workerIn].join(', ')} is a worker state; \`clearly tasks\` lists tasks (see \`clearly workers\`)`);
  }
  const filter: FilterMessage = { states: [...taskIn, ...[...out].map((s) => `!${s}`)] };
  if (argv.pattern !== undefined && argv.pattern !== '') filter.pattern = argv.pattern;
  if (argv.worker !== undefined && argv.worker !== '') filter.worker = argv.worker;
  const query: TaskQuery = { filter, limit, oldest_first: argv.oldestFirst };
  const since = parseTimeBound(argv.since, '--since', now);
  const until = parseTimeBound(argv.until, '--until', now);
  if (since !== undefined) query.since = since;
  if (until !== undefined) query.until = until;
  if (since !== undefined && until !== undefined && since >= until) {
    throw new UsageError('--since must be earlier than --until (e.g. --since 2h --until 1h: from two hours ago to one hour ago)');
  }
  if (argv.search !== undefined && argv.search.trim() !== '') query.search = argv.search;
  if (argv.retried === true) query.retried = true;
  if (argv.lost === true) query.lost = true;
  return query;
}

/** Stream the matching stored tasks from the server into `emit`; stops early when `signal` aborts. */
export async function fromServer(
  server: ServerTarget | string,
  query: TaskQuery,
  emit: (record: TaskRecord) => void,
  signal: AbortSignal,
): Promise<void> {
  await withServer(server, async (conn) => {
    const reading = conn.filterTasks(query, { onItem: (m) => emit(taskRecordFromMessage(m)) });
    signal.addEventListener('abort', () => reading.cancel(), { once: true });
    await reading.done;
  });
}

/** Which lists `--active`/`--reserved`/`--scheduled` ask for; they only make sense with `--broker`. */
export function holdings(argv: Pick<TasksArgs, 'broker' | 'active' | 'reserved' | 'scheduled'>): Holding[] {
  const asked = HOLDINGS.filter((h) => argv[h]);
  if (argv.broker === undefined && asked.length > 0) {
    throw new UsageError(`--${asked.join('/--')} asks the workers directly: add --broker URL (a clearly server keeps history instead)`);
  }
  if (argv.broker !== undefined && asked.length === 0) {
    throw new UsageError('with --broker, say what to list: --active, --reserved or --scheduled (the broker keeps no history)');
  }
  return asked;
}

/** The state a held task is in, for --state/--pattern/--worker filtering. */
const HELD_STATE: Readonly<Record<Holding, string>> = { active: 'STARTED', reserved: 'RECEIVED', scheduled: 'RECEIVED' };

async function fromBroker(argv: TasksArgs, asked: readonly Holding[]): Promise<number> {
  taskQuery(argv); // the same checks as with a server
  if (argv.retried) throw new UsageError('--retried reads history: a clearly server keeps it (drop --broker)');
  if (argv.lost) throw new UsageError('--lost lists what a clearly server saw; the workers cannot say what a dead worker held (drop --broker)');
  const filter = compileFilter({ pattern: argv.pattern, states: argv.state, worker: argv.worker, tasks: true, workers: false });
  const o = { timeoutMs: replyTimeoutMs(argv.timeout), destination: parseDestinations(argv.destination), note };
  // The workers answer with the tasks' own args and kwargs: secrets out before they are shown.
  const redactor = redactorFor(argv.redact);
  const records: HeldTaskRecord[] = [];
  let held = 0;
  // One after the other: each is a broadcast that every worker answers.
  for (const holding of asked) {
    const { tasks } = await tasksFromBroker(argv.broker!, holding, o);
    held += tasks.length;
    for (const h of tasks) {
      const rec = heldTaskRecord(h);
      const r = redactor === null ? rec : { ...rec, args: redactor.value(rec.args), kwargs: redactor.value(rec.kwargs) };
      const subject = { kind: 'task' as const, name: r.name, uuid: r.uuid, routing_key: r.routing_key, worker: r.worker, state: HELD_STATE[holding] };
      if (filter(subject)) records.push(r);
    }
  }
  const shown = argv.limit > 0 ? records.slice(0, argv.limit) : records;
  const writer = new LineWriter(process.stdout, () => {});
  if (argv.json) for (const r of shown) writer.line(JSON.stringify(r));
  else {
    const palette = makePalette(shouldColour(process.stdout, process.env, argv.color));
    for (const line of renderHeldTasks(shown, palette, Date.now() / 1000)) writer.line(line);
    if (shown.length === 0) note(`no ${asked.join(' or ')} task${held === 0 ? '' : ' matches'}`);
    else if (shown.length < records.length) note(`showing ${shown.length} of ${records.length}; --limit 0 shows all`);
  }
  await writer.end();
  return EXIT.OK;
}

export async function handler(argv: TasksArgs): Promise<number> {
  const asked = holdings(argv);
  if (argv.broker !== undefined) return fromBroker(argv, asked);
  const query = taskQuery(argv);
  const palette = makePalette(!argv.json && shouldColour(process.stdout, process.env, argv.color));
  const stop = new AbortController();
  // A closed stdout (`| head`) ends the stream: nobody reads the rest.
  const writer = new LineWriter(process.stdout, () => stop.abort());
  const print = makePrinter(writer, argv.json, palette, { ...argv, width: terminalWidth(process.stdout, process.env) });
  let shown = 0;
  await fromServer(serverTarget(argv.server, argv), query, (r) => {
    if (print(r)) shown++;
  }, stop.signal);
  await writer.end();
  if (!argv.json) {
    if (shown === 0) note('no stored task matches');
    else if (query.limit !== undefined && query.limit > 0 && shown === query.limit) {
      note(`showing the ${argv.oldestFirst ? 'oldest' : 'newest'} ${shown}; --limit 0 shows every match`);
    }
  }
  return EXIT.OK;
}

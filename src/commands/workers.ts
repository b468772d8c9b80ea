/**
 * `clearly workers`: the workers a clearly server knows, alive or not, as a table or NDJSON; or,
 * with `--broker`, the workers alive right now, asked directly (ping + stats), no server needed.
 */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { serverOption, serverTarget, withServer, type ServerTarget } from '../cli/client.js';
import { inspectOptions, parseDestinations, replyTimeoutMs } from '../cli/inspect.js';
import { workersFromBroker } from '../engine/control/inspect.js';
import { LineWriter, note } from '../cli/output.js';
import { outputOptions } from '../cli/options.js';
import type { WorkerQuery } from '../engine/grpc/messages.js';
import { workerRecordFromMessage } from '../format/message-records.js';
import { EXIT, UsageError } from '../errors.js';
import { makePalette, shouldColour } from '../format/colors.js';
import { liveWorkerRecord } from '../format/inspect-record.js';
import { renderLiveWorkers } from '../format/inspect-text.js';
import type { WorkerRecord } from '../format/record.js';
import { renderWorkerTable } from '../format/workers-text.js';

const options = {
  ...serverOption,
  pattern: { type: 'string', alias: 'p', describe: 'Regex on worker hostname (!re to exclude)' },
  alive: { type: 'boolean', default: false, describe: 'Only workers that are alive (heard from within 2 heartbeats)' },
  broker: {
    type: 'string',
    alias: 'b',
    describe: 'Ask the workers alive right now straight on this broker (amqp://… or redis://…): ping + stats, no server',
  },
  ...inspectOptions,
  ...outputOptions,
} as const;

type WorkersArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>>;


export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .options(options)
    .example('$0 workers', 'a table: hostname, alive/offline, last seen, active, processed, load, software')
    .example('$0 workers --alive --json | jq -r .hostname', 'the hostnames of live workers')
    .example("$0 workers --pattern '!^celery@'", 'workers whose name does not start with celery@')
    .example('$0 workers --broker redis://localhost:6379/0 --json', 'who is alive right now, with pool, processed counts, uptime (no server)');
}

/** Checked here so a bad regex fails before any connection, as `watch` does. */
export function workerQuery(argv: Pick<WorkersArgs, 'pattern' | 'alive'>): WorkerQuery {
  const pattern = argv.pattern ?? '';
  const source = pattern.startsWith('!') ? pattern.slice(1) : pattern;
  try {
    new RegExp(source);
  } catch (e) {
    throw new UsageError(`--pattern: invalid regular expression ${JSON.stringify(source)}: ${(e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '')}`, {
      cause: e,
    });
  }
  return { pattern, alive_only: argv.alive };
}

export async function fromServer(server: ServerTarget | string, query: WorkerQuery): Promise<WorkerRecord[]> {
  const records: WorkerRecord[] = [];
  await withServer(server, async (conn) => {
    await conn.filterWorkers(query, { onItem: (m) => records.push(workerRecordFromMessage(m)) }).done;
  });
  return records;
}

/**
 * `--broker`: every worker that answers within `--timeout`, with its stats. No worker answering is
 * an error (exit 69), as `celery inspect` has it: "nobody answered" must not read as "no workers".
 */
async function fromBroker(argv: WorkersArgs): Promise<number> {
  const raw = workerQuery(argv).pattern ?? ''; // validates the regex
  const o = { timeoutMs: replyTimeoutMs(argv.timeout), destination: parseDestinations(argv.destination), note };
  const pattern = raw === '' ? null : { negate: raw.startsWith('!'), re: new RegExp(raw.replace(/^!/, '')) };
  const records = (await workersFromBroker(argv.broker!, o))
    .filter((w) => pattern === null || pattern.re.test(w.hostname) !== pattern.negate)
    .map(liveWorkerRecord);
  const writer = new LineWriter(process.stdout, () => {});
  if (argv.json) for (const r of records) writer.line(JSON.stringify(r));
  else {
    const palette = makePalette(shouldColour(process.stdout, process.env, argv.color));
    for (const line of renderLiveWorkers(records, palette)) writer.line(line);
    if (records.length === 0) note('no live worker matches --pattern');
  }
  await writer.end();
  return EXIT.OK;
}

export async function handler(argv: WorkersArgs): Promise<number> {
  if (argv.broker !== undefined) return fromBroker(argv);
  const records = await fromServer(serverTarget(argv.server, argv), workerQuery(argv));
  const writer = new LineWriter(process.stdout, () => {});
  if (argv.json) {
    for (const r of records) writer.line(JSON.stringify(r));
  } else {
    const palette = makePalette(shouldColour(process.stdout, process.env, argv.color));
    for (const line of renderWorkerTable(records, palette, Date.now() / 1000)) writer.line(line);
    if (records.length === 0) note(argv.alive ? 'no live worker known to the server' : 'no worker known to the server');
    for (const r of records) {
      if (r.events === 'task-events-off') note(`${r.hostname} sends no task events (its tasks do not show): start it with -E, or run clearly enable-events`);
      if (r.events === 'no-heartbeats') note(`${r.hostname} sends no events at all: drop --without-heartbeat, start it with -E`);
    }
  }
  await writer.end();
  return EXIT.OK;
}

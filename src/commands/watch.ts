/**
 * `clearly watch`: every task and worker state change, live, as text or NDJSON: from a running
 * `clearly server` (default), or straight from the broker with `--broker`.
 */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { serverOption, ServerConnection } from '../cli/client.js';
import { startDirect } from '../cli/direct.js';
import { LineWriter, note } from '../cli/output.js';
import { brokerOption, displayOptions, filterOptions, outputOptions } from '../cli/options.js';
import { ChangePrinter, makePrinter } from '../cli/printer.js';
import { compileFilter, type FilterSpec } from '../engine/table/filter.js';
import type { Change } from '../engine/model.js';
import type { CaptureRequest, DecodedCaptureItem } from '../engine/grpc/messages.js';
import { taskRecordFromMessage, workerRecordFromMessage } from '../format/message-records.js';
import { UnavailableError, UsageError } from '../errors.js';
import { makePalette, shouldColour } from '../format/colors.js';
import type { OutputRecord } from '../format/record.js';

const options = {
  ...brokerOption,
  ...serverOption,
  ...filterOptions,
  workers: { type: 'boolean', default: false, describe: 'Also show worker events (online, heartbeat, offline)' },
  'only-workers': { type: 'boolean', default: false, describe: 'Show worker events only' },
  count: { type: 'number', alias: 'n', describe: 'Exit 0 after printing this many records' },
  timeout: { type: 'number', alias: 't', describe: 'Exit 0 after this many seconds' },
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
    .example('$0 watch --count 1 --state FAILURE --timeout 60', 'wait up to a minute for the first failure');
}

/** Where records come from; the handler owns printing, counting and stopping. */
interface Feed {
  close(): Promise<void>;
  /** What the closing summary says about the source: `from` before the duration, `extra` after it. */
  summary(): { from: string; extra: string };
}

/**
 * The server feed hands records here, the broker feed engine changes (filtered on the way out);
 * `fail` ends the command with an error (exit code from it).
 */
interface Sink {
  readonly emit: (record: OutputRecord) => void;
  readonly change: (change: Change) => void;
  readonly fail: (error: unknown) => void;
}

async function fromBroker(broker: string, debug: boolean, sink: Sink): Promise<Feed> {
  const session = await startDirect({ broker, debug, onChange: (change) => sink.change(change) });
  note(`watching ${session.masked} (Ctrl-C to stop)`);
  return {
    close: () => session.close(),
    summary: () => {
      const c = session.pipeline.counters;
      return { from: ` from ${c.events} events`, extra: c.decodeErrors > 0 ? `, ${c.decodeErrors} undecodable messages` : '' };
    },
  };
}

/** The server filters (same rules as --broker mode); a slow reader is told what it missed. */
function fromServer(server: string, spec: FilterSpec, sink: Sink): Feed {
  const conn = new ServerConnection(server);
  const request: CaptureRequest = {
    filter: { pattern: spec.pattern ?? '', states: [...(spec.states ?? [])], worker: spec.worker ?? '' },
    tasks: spec.tasks,
    workers: spec.workers,
  };
  let missed = 0;
  const onItem = (c: DecodedCaptureItem): void => {
    switch (c.item) {
      case 'task':
        return sink.emit(taskRecordFromMessage(c.task));
      case 'worker':
        return sink.emit(workerRecordFromMessage(c.worker));
      case 'missed': {
        const n = c.missed.count ?? 0;
        missed += n;
        note(`missed ${n} records (this client read too slowly)`);
        return;
      }
    }
  };
  const reading = conn.capture(request, {
    onItem,
    onConnected: () => note(`watching the clearly server at ${conn.address} (Ctrl-C to stop)`),
  });
  reading.done.then(
    // A live stream has no natural end: the server closed it (shutting down).
    () => sink.fail(new UnavailableError(`the clearly server at ${conn.address} ended the stream (shutting down?)`)),
    (e: unknown) => sink.fail(e),
  );
  return {
    close: async () => {
      reading.cancel();
      conn.close();
    },
    summary: () => ({
      from: ` from the server at ${conn.address}`,
      extra: missed > 0 ? `, ${missed} missed (this client read too slowly)` : '',
    }),
  };
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

  const palette = makePalette(!argv.json && shouldColour(process.stdout, process.env, argv.color));
  let finish: (code: number) => void = () => {};
  let fail: (error: unknown) => void = () => {};
  const done = new Promise<number>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const writer = new LineWriter(process.stdout, () => finish(0));
  const print = makePrinter(writer, argv.json, palette, argv);
  const limit = argv.count ?? Infinity;
  const changes = new ChangePrinter(writer, argv.json, palette, argv, filter, limit);
  let taskRecords = 0;
  let workerRecords = 0;
  const started = Date.now();
  const sink: Sink = {
    emit: (record) => {
      if (writer.written >= limit) return;
      if (!print(record)) return;
      if (record.kind === 'task') taskRecords++;
      else workerRecords++;
      if (writer.written >= limit) finish(0);
    },
    change: (change) => {
      changes.printChange(change);
      if (writer.written >= limit) finish(0);
    },
    fail: (e) => fail(e),
  };

  const feed = argv.broker === undefined ? fromServer(argv.server, spec, sink) : await fromBroker(argv.broker, argv.debug, sink);

  const timer = argv.timeout === undefined ? undefined : setTimeout(() => finish(0), argv.timeout * 1000);
  const onSignal = (): void => finish(0);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let code: number;
  try {
    code = await done;
  } finally {
    if (timer) clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await feed.close();
    await writer.end();
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const dropped = writer.dropped > 0 ? `, ${writer.dropped} dropped (output too slow)` : '';
  const { from, extra } = feed.summary();
  taskRecords += changes.tasks;
  workerRecords += changes.workers;
  note(`${taskRecords + workerRecords} records (${taskRecords} task, ${workerRecords} worker)${from} in ${secs}s${dropped}${extra}`);
  return code;
}

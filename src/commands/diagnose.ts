/**
 * `clearly diagnose [QUEUE...]`: "why is nothing moving?", answered in one go straight from the
 * broker. Gathers what the broker and the workers say (cli/diagnose-broker.ts), judges it
 * (engine/diagnose/findings.ts) and prints the verdicts with their fixes, most serious first,
 * exiting as `check` does: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
 */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { gatherFacts } from '../cli/diagnose-broker.js';
import { replyTimeoutMs } from '../cli/inspect.js';
import { LineWriter, note } from '../cli/output.js';
import { outputOptions } from '../cli/options.js';
import { parseBrokerUrl } from '../engine/broker/url.js';
import { diagnose } from '../engine/diagnose/findings.js';
import { STATUS_EXIT } from '../engine/health/health.js';
import { parseDuration } from '../engine/health/thresholds.js';
import { ClearlyError, UsageError } from '../errors.js';
import { makePalette, shouldColour } from '../format/colors.js';
import { diagnosisJson, renderDiagnosis } from '../format/diagnose-text.js';

const options = {
  broker: {
    type: 'string',
    alias: 'b',
    describe: 'The broker to look at (amqp://… or redis://…; or CLEARLY_BROKER)',
  },
  listen: { type: 'string', default: '5s', describe: 'Listen to events this long (heartbeats, task events: are events on?)' },
  timeout: { type: 'string', describe: "How long to collect workers' replies (default 1s)" },
  ...outputOptions,
} as const;

type DiagnoseArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>> & { queue?: string | string[] };

/** The positional queues (one arrives as a string, several as an array), comma-separated or not. */
function queueNames(raw: string | string[] | undefined): string[] {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return [...new Set(list.flatMap((q) => String(q).split(',')).map((q) => q.trim()).filter((q) => q !== ''))];
}

export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .positional('queue', { type: 'string', array: true, describe: 'Queues to look at (default: every queue a worker consumes, and celery)' })
    .options(options)
    .example('$0 diagnose --broker redis://localhost:6379/0', 'every queue the workers consume')
    .example('$0 diagnose bulk reports --broker amqp://guest:guest@rabbit:5672//', 'why these two queues do not move')
    .example('$0 diagnose --broker $BROKER --json | jq .findings', 'the findings as JSON')
    .epilogue('Exit codes as `clearly check`: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (the broker cannot be reached, bad flags).') as never;
}

export async function handler(argv: DiagnoseArgs): Promise<number> {
  const writer = new LineWriter(process.stdout, () => {});
  try {
    if (argv.broker === undefined || argv.broker === '') throw new UsageError('diagnose asks the broker: give --broker URL (or set CLEARLY_BROKER)');
    parseBrokerUrl(argv.broker, '--broker / CLEARLY_BROKER');
    const facts = await gatherFacts({
      broker: argv.broker,
      queues: queueNames(argv.queue),
      timeoutMs: replyTimeoutMs(argv.timeout),
      listenSeconds: parseDuration(argv.listen, '--listen'),
      debug: argv.debug,
      log: note,
    });
    const d = diagnose(facts);
    if (argv.json) writer.line(JSON.stringify(diagnosisJson(facts, d)));
    else {
      const palette = makePalette(shouldColour(process.stdout, process.env, argv.color));
      for (const line of renderDiagnosis(facts, d, palette)) writer.line(line);
    }
    await writer.end();
    return d.exitCode;
  } catch (e) {
    if (!(e instanceof ClearlyError)) throw e;
    note(e.message);
    if (argv.json) writer.line(JSON.stringify({ status: 'UNKNOWN', exit_code: STATUS_EXIT.UNKNOWN, error: e.message }));
    await writer.end();
    return STATUS_EXIT.UNKNOWN;
  }
}

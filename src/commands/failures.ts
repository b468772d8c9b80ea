/**
 * `clearly failures`: failed tasks (and with --retries, retrying ones) grouped by cause: exception
 * type + normalised message + innermost frame. From a server's history (--since) or a live broker
 * window (--broker, --for). Biggest group first; `--json`: one `failure-group` record per group.
 */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { serverOption, serverTarget } from '../cli/client.js';
import { LineWriter } from '../cli/output.js';
import { redactOption, redactorFor } from '../cli/options.js';
import { collectSamples } from '../cli/task-samples.js';
import { Failures } from '../engine/aggregate/failures.js';
import { EXIT } from '../errors.js';
import { failureGroupRecord, renderFailures } from '../format/failures-text.js';

const options = {
  ...serverOption,
  since: { type: 'string', describe: 'Only tasks whose last event is this recent: 1h, 2d, or a time (2026-12-03T09:00)' },
  pattern: { type: 'string', alias: 'p', describe: 'Regex on task name, uuid or routing key (!re to exclude)' },
  retries: { type: 'boolean', default: false, describe: 'Also group tasks that retried (waiting, or since succeeded), by the error they last retried on' },
  broker: { type: 'string', alias: 'b', describe: 'Listen to this broker instead of asking a server (live window, see --for)' },
  for: { type: 'string', describe: 'With --broker: how long to listen (default 10s)' },
  ...redactOption,
  json: { type: 'boolean', default: false, describe: 'One JSON object per group on stdout (kind "failure-group")' },
  debug: { type: 'boolean', default: false, describe: 'Explain skipped messages and errors in detail on stderr' },
} as const;

type FailuresArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>>;

export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .options(options)
    .example('$0 failures --since 1h', 'what failed in the last hour, grouped by cause, biggest first')
    .example("$0 failures --pattern '^shop\\.email' --json | jq -r '.message'", 'the causes of one family of tasks')
    .example('$0 failures --broker redis://localhost:6379/0 --for 1m', 'no server: listen for a minute, then group');
}

export async function handler(argv: FailuresArgs): Promise<number> {
  const failures = new Failures(argv.retries);
  await collectSamples({ server: serverTarget(argv.server, argv), broker: argv.broker, for: argv.for, since: argv.since, pattern: argv.pattern, debug: argv.debug, redactor: redactorFor(argv.redact) }, (s) => void failures.add(s));
  const records = failures.groupsBySize().map(failureGroupRecord);
  const writer = new LineWriter(process.stdout, () => {});
  if (argv.json) for (const r of records) writer.line(JSON.stringify(r));
  else for (const line of renderFailures(records, Date.now() / 1000)) writer.line(line);
  await writer.end();
  return EXIT.OK;
}

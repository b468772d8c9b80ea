/**
 * `clearly enable-events --broker URL`: Celery's `enable_events` to every worker (or those named
 * with --destination), once, and what each answered: switched on, or already on. The change lasts
 * until the worker restarts; the lasting fix is `-E` (or worker_send_task_events = True).
 */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { inspectOptions, parseDestinations, replyTimeoutMs } from '../cli/inspect.js';
import { LineWriter, note } from '../cli/output.js';
import { outputOptions } from '../cli/options.js';
import { parseBrokerUrl } from '../engine/broker/url.js';
import { enableEvents } from '../engine/control/enable-events.js';
import { openControl } from '../engine/control/open.js';
import { EXIT, UnavailableError, UsageError } from '../errors.js';
import { makePalette, shouldColour } from '../format/colors.js';

const options = {
  broker: { type: 'string', alias: 'b', describe: 'The broker the workers use (amqp://… or redis://…)' },
  ...inspectOptions,
  ...outputOptions,
} as const;

type EnableArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>>;

export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .options(options)
    .example('$0 enable-events --broker redis://localhost:6379/0', 'every worker; says which ones it switched on')
    .example('$0 enable-events -b $BROKER -d w2@host', 'only this one')
    .epilogue('Lasts until the worker restarts: start workers with -E (or set worker_send_task_events = True) to keep it.');
}

export async function handler(argv: EnableArgs): Promise<number> {
  if (argv.broker === undefined || argv.broker === '') throw new UsageError('enable-events talks to the workers: give --broker URL');
  const broker = parseBrokerUrl(argv.broker, '--broker / CLEARLY_BROKER');
  const timeoutMs = replyTimeoutMs(argv.timeout);
  const destination = parseDestinations(argv.destination);
  const ctl = await openControl(argv.broker);
  let replies;
  try {
    replies = await enableEvents(ctl, timeoutMs, destination);
  } finally {
    await ctl.close();
  }
  if (replies.length === 0) {
    throw new UnavailableError(`no worker replied within ${timeoutMs / 1000}s on ${broker.masked}: no worker running there, or they need longer (--timeout)`);
  }
  const writer = new LineWriter(process.stdout, () => {});
  const p = makePalette(!argv.json && shouldColour(process.stdout, process.env, argv.color));
  for (const r of replies) {
    if (argv.json) writer.line(JSON.stringify({ hostname: r.hostname, switched: r.switched, said: r.said }));
    else writer.line(`${p.worker(r.hostname)} ${r.switched ? p.state('SUCCESS')('task events switched on') : p.dim(r.said)}`);
  }
  await writer.end();
  const switched = replies.filter((r) => r.switched).length;
  if (!argv.json) note(`${switched} of ${replies.length} workers switched on (until they restart: -E makes it last)`);
  return EXIT.OK;
}

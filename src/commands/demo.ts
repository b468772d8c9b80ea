/**
 * `clearly demo`: the `watch` view of a simulated Celery cluster running in this process (the load
 * generator's workload, `engine/simulate/`), so a newcomer sees clearly work with nothing else
 * installed. No broker: the simulated workers' messages, byte for byte what Celery 5.2 publishes,
 * go straight into the pipeline `watch --broker` uses, then to the same printer. Every `watch`
 * flag that is not about where events come from works here too.
 */
import { randomInt } from 'node:crypto';
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { demoFeed } from '../cli/live.js';
import { UsageError } from '../errors.js';
import { viewOptions, watchView } from './watch.js';

const options = {
  ...viewOptions,
  rate: { type: 'number', default: 20, describe: 'Events per second the simulated cluster sends' },
  seed: { type: 'number', describe: 'Make the traffic reproducible (default: random, printed at start)' },
} as const;

type DemoArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>>;

/** Four workers, as the load generator's default: enough to see work spread, few enough to read. */
const WORKERS = 4;
/** More than a terminal or a person can follow; the load generator is for more. */
const MAX_RATE = 10_000;

export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .options(options)
    .example('$0 demo', '4 simulated workers, 20 events/s (Ctrl-C stops)')
    .example('$0 demo --workers', 'with worker heartbeats too')
    .example("$0 demo --json | jq -c 'select(.state==\"FAILURE\")'", 'the failures, as JSON')
    .example("$0 demo --state FAILURE,RETRY --pattern email", 'filters work as in watch')
    .example('$0 demo --json --count 100 --rate 1000', 'a hundred records at once');
}

export async function handler(argv: DemoArgs): Promise<number> {
  if (!(argv.rate > 0 && argv.rate <= MAX_RATE)) throw new UsageError(`--rate must be a number of events/s in (0, ${MAX_RATE}]`);
  if (argv.seed !== undefined && !Number.isSafeInteger(argv.seed)) throw new UsageError('--seed must be an integer');
  const seed = argv.seed ?? randomInt(1, 2 ** 31);
  // No server holds the simulated tasks: `clearly task <uuid>` would find none of them.
  return watchView(argv, () => demoFeed({ debug: argv.debug, rate: argv.rate, seed, workers: WORKERS }), { wholeIn: () => 'whole in --json' });
}

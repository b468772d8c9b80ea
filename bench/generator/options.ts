/**
 * Command line of the generator, and how a run is split over P processes (shards): workers are
 * dealt round robin (shard i gets w(i+1), w(i+1+P), ...), the event budget and the rate are divided.
 */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { UsageError } from '../../src/errors.js';

export const USAGE = `usage: node dist/bench/generator/cli.js --broker URL [--rate N | --max]
       [--duration S] [--events N] [--workers K] [--processes P] [--seed S]
       [--fail-rate F] [--retry-rate F] [--host NAME]

Publishes Celery 5.2 worker and task events (exactly as a real worker and client do) to the
celeryev exchange (amqp://) or the Redis fanout channels (redis://...[/db]).
  --rate N       events per second (token bucket; default 20, gentle on a shared broker);
                 --max: as fast as the broker takes them (only when asked: it floods the broker)
  --duration S   stop after S seconds; --events N: after exactly N events (both: whichever first);
                 neither: until SIGINT/SIGTERM. Workers always go offline at the end.
  --workers K    simulated workers w1@HOST..wK@HOST (default 4)
  --processes P  publishing processes (default 1); workers, events and rate are split
  --seed S       reproducible workload (default: random, printed in the summary)
  --fail-rate F  share of attempts ending in task-failed (default 0.05); --retry-rate F (0.02)
  --host NAME    host part of the nodenames (default bench)
Prints one JSON line on stdout: {published, messages, tasks, seconds, rate, broker, processes, seed}.`;

/** Events per second without --rate or --max: enough to watch, too little to bother anyone. */
export const DEFAULT_RATE = 20;

export interface GeneratorOptions {
  readonly broker: string;
  readonly transport: 'amqp' | 'redis';
  readonly rate: number | null;
  readonly duration: number | null;
  readonly events: number | null;
  readonly workers: number;
  readonly processes: number;
  readonly seed: number;
  readonly failRate: number;
  readonly retryRate: number;
  readonly host: string;
  /** Set in forked children only: which share of the run this process does. */
  readonly shard: number | null;
}

function num(name: string, raw: string | undefined, check: (n: number) => boolean, what: string): number | null {
  if (raw === undefined) return null;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || !check(n)) {
    throw new UsageError(`--${name} must be ${what}, got '${raw}'`);
  }
  return n;
}
const TRANSPORTS = new Map<string, 'amqp' | 'redis'>([
  ['amqp', 'amqp'],
  ['amqps', 'amqp'],
  ['redis', 'redis'],
  ['rediss', 'redis'],
]);
const positive = (n: number): boolean => n > 0;
const posInt = (n: number): boolean => Number.isInteger(n) && n > 0;
const share = (n: number): boolean => n >= 0 && n <= 1;

export function parseOptions(argv: readonly string[]): GeneratorOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        broker: { type: 'string' },
        rate: { type: 'string' },
        max: { type: 'boolean' },
        duration: { type: 'string' },
        events: { type: 'string' },
        workers: { type: 'string' },
        processes: { type: 'string' },
        seed: { type: 'string' },
        'fail-rate': { type: 'string' },
        'retry-rate': { type: 'string' },
        host: { type: 'string' },
        shard: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help === true) return 'help';
  const broker = values.broker;
  if (broker === undefined) throw new UsageError('--broker is required (amqp://... or redis://...)');
  const scheme = broker.split(':', 1)[0]?.toLowerCase();
  const transport = TRANSPORTS.get(scheme ?? '');
  if (transport === undefined) throw new UsageError(`--broker must be amqp:// or redis://, got '${scheme}:'`);
  const asked = num('rate', values.rate, positive, 'a positive number');
  if (asked !== null && values.max === true) throw new UsageError('--rate and --max exclude each other');
  // A gentle default: the brokers are often shared, and flooding them is done on purpose only.
  const rate = values.max === true ? null : (asked ?? DEFAULT_RATE);
  const workers = num('workers', values.workers, posInt, 'a positive integer') ?? 4;
  const processes = num('processes', values.processes, posInt, 'a positive integer') ?? 1;
  const events = num('events', values.events, posInt, 'a positive integer');
  const host = values.host ?? 'bench';
  if (!/^[A-Za-z0-9._-]+$/.test(host)) throw new UsageError(`--host must be a plain host name, got '${host}'`);
  const options: GeneratorOptions = {
    broker,
    transport,
    rate,
    duration: num('duration', values.duration, positive, 'a positive number of seconds'),
    events,
    workers,
    processes,
    seed: num('seed', values.seed, (n) => Number.isSafeInteger(n), 'an integer') ?? randomInt(1, 2 ** 31),
    failRate: num('fail-rate', values['fail-rate'], share, 'between 0 and 1') ?? 0.05,
    retryRate: num('retry-rate', values['retry-rate'], share, 'between 0 and 1') ?? 0.02,
    host,
    shard: num('shard', values.shard, (n) => Number.isInteger(n) && n >= 0 && n < processes, 'a shard index'),
  };
  for (let i = 0; i < processes; i++) {
    const plan = planShard(options, i);
    if (plan.events !== null && plan.events < 2 * plan.workers.length) {
      throw new UsageError(
        `--events ${events} is too small for ${workers} workers in ${processes} processes: ` +
          'every worker sends at least worker-online and worker-offline',
      );
    }
  }
  return options;
}

export interface ShardPlan {
  readonly workers: string[];
  readonly events: number | null;
  readonly rate: number | null;
  readonly seed: number;
}

/** The part of the run that shard `i` of `o.processes` does. */
export function planShard(o: GeneratorOptions, i: number): ShardPlan {
  const p = o.processes;
  const total = Math.max(o.workers, p);
  const workers: string[] = [];
  for (let w = i; w < total; w += p) workers.push(`w${w + 1}@${o.host}`);
  const events = o.events === null ? null : Math.floor(o.events / p) + (i < o.events % p ? 1 : 0);
  return { workers, events, rate: o.rate === null ? null : o.rate / p, seed: o.seed + i * 7919 };
}

/**
 * Flag groups shared by several subcommands. Every flag is also an environment variable
 * (`--max-tasks` <-> `CLEARLY_MAX_TASKS`) through yargs' `.env('CLEARLY')` in bin/clearly.ts.
 */
import type { Options } from 'yargs';
import type { TapOptions } from '../engine/broker/tap-source.js';
import { UsageError } from '../errors.js';

export const outputOptions = {
  json: { type: 'boolean', default: false, describe: 'Print NDJSON records on stdout (nothing else goes to stdout)' },
  color: { type: 'boolean', describe: 'Force colour on or off (default: on for a TTY; NO_COLOR disables)' },
  debug: { type: 'boolean', default: false, describe: 'Explain skipped messages and errors in detail on stderr' },
} as const satisfies Record<string, Options>;

export const filterOptions = {
  pattern: { type: 'string', alias: 'p', describe: 'Regex on task name, uuid or routing key (!re to exclude)' },
  state: {
    type: 'string',
    array: true,
    alias: 's',
    describe: 'Only these states (repeat or comma-separate; !STATE to exclude)',
  },
  worker: { type: 'string', alias: 'w', describe: 'Regex on worker hostname (!re to exclude)' },
} as const satisfies Record<string, Options>;

export const displayOptions = {
  params: { type: 'boolean', describe: 'Show args/kwargs on every line (default: when a task first shows up)' },
  results: { type: 'boolean', describe: 'Show results of successful tasks (default: on)' },
  errors: { type: 'boolean', describe: 'Show exceptions and tracebacks (default: on; --errors adds retry tracebacks)' },
} as const satisfies Record<string, Options>;

export const brokerOption = {
  broker: {
    type: 'string',
    alias: 'b',
    describe: 'Read events straight from this broker (amqp://… or redis://…) instead of a clearly server',
  },
} as const satisfies Record<string, Options>;

/** The task-message tap (engine/tap/): `watch --broker` and `server`. */
export const tapOptions = {
  tap: {
    type: 'string',
    array: true,
    describe: 'Consume task messages from this monitor queue your topology already fills (repeat): tasks show even with events off',
  },
  'tap-exchange': {
    type: 'string',
    array: true,
    describe: "Bind a queue of clearly's own with # to this topic exchange and consume task messages from it (repeat)",
  },
  'tap-durable': {
    type: 'boolean',
    default: false,
    describe: "With --tap-exchange: keep clearly's queue across restarts, capped at --tap-max-length messages",
  },
  'tap-max-length': { type: 'number', default: 100_000, describe: "With --tap-durable: the cap (x-max-length; Redis: trimmed)" },
} as const satisfies Record<string, Options>;

/** The tap flags as the session takes them; undefined when no tap is asked for. */
export function tapFrom(argv: {
  tap?: readonly string[] | undefined;
  tapExchange?: readonly string[] | undefined;
  tapDurable?: boolean | undefined;
  tapMaxLength?: number | undefined;
}): TapOptions | undefined {
  const split = (v: readonly string[] | undefined): string[] => [...new Set((v ?? []).flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== ''))];
  const queues = split(argv.tap);
  const exchanges = split(argv.tapExchange);
  if (queues.length === 0 && exchanges.length === 0) {
    if (argv.tapDurable === true) throw new UsageError('--tap-durable applies to --tap-exchange: give the exchange to bind to');
    return undefined;
  }
  const maxLength = argv.tapMaxLength ?? 100_000;
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new UsageError(`--tap-max-length must be a whole number ≥ 1, got ${maxLength}`);
  return { queues, exchanges, durable: argv.tapDurable === true, maxLength };
}

/**
 * Flag groups shared by several subcommands. Every flag is also an environment variable
 * (`--max-tasks` <-> `CLEARLY_MAX_TASKS`) through yargs' `.env('CLEARLY')` in bin/clearly.ts.
 */
import type { Options } from 'yargs';
import type { TapOptions } from '../engine/broker/tap-source.js';
import { parseDuration } from '../engine/health/thresholds.js';
import { compileRedactor, DEFAULT_REDACT_PATTERN, type Redactor } from '../engine/redact/redact.js';
import { UsageError } from '../errors.js';

/** The value yargs hands a coerce function: a repeated flag's values arrive as an array (the last wins). */
const lastOf = (value: unknown): unknown => (Array.isArray(value) ? value[value.length - 1] : value);

/**
 * The `coerce` of a flag that takes a whole number, with no yargs `type`: yargs' number type turns
 * `--limit abc` into NaN before anyone can say what was typed; without it, the text arrives here
 * (or the number yargs read), and a bad one is a usage error that quotes it.
 */
export function wholeNumber(flag: string, min: number, max: number = Number.MAX_SAFE_INTEGER, meaning = '') {
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
  const coerce = (value: unknown): number => {
    const v = lastOf(value);
    const text = typeof v === 'string' ? v.trim() : v;
    const n = typeof text === 'number' ? text : typeof text === 'string' && /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      const got = v === true || v === '' ? 'no value' : JSON.stringify(v);
      throw new UsageError(`${flag} must be a whole number ${range}${meaning}, got ${got}`);
    }
    return n;
  };
  // requiresArg: without a type, a bare `--limit` would silently mean its default.
  return { coerce, requiresArg: true } as const;
}

/** The `coerce` of a flag that takes seconds: the one duration syntax (`90`, `90s`, `1m30s`, `2h`, `500ms`). */
export function seconds(flag: string) {
  const coerce = (value: unknown): number => parseDuration(String(lastOf(value)), flag);
  return { type: 'string', coerce, requiresArg: true } as const;
}

export const outputOptions = {
  json: { type: 'boolean', default: false, describe: 'Print NDJSON records on stdout (nothing else goes to stdout)' },
  color: { type: 'boolean', describe: 'Colour on or off, whatever NO_COLOR says (default: on for a TTY, off with NO_COLOR)' },
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
  'tap-max-length': { type: 'number', default: 100_000, describe: 'With --tap-durable: the cap (x-max-length; Redis: trimmed)' },
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

/** `--redact` on the commands that read a broker (`server`, `watch --broker`): on by default. */
export const redactOption = {
  redact: {
    type: 'string',
    describe:
      "Regex on keys (case-insensitive) whose values become '***' before anything is stored or shown " +
      "(default: password, passwd, secret, token, api key, authorization, cookie, session, credit card, cvv…; '' turns it off)",
  },
} as const satisfies Record<string, Options>;

/** The redactor `--redact` / CLEARLY_REDACT asks for: the default pattern when unset, null for ''. */
export function redactorFor(pattern: string | undefined): Redactor | null {
  try {
    return compileRedactor(pattern ?? DEFAULT_REDACT_PATTERN);
  } catch (e) {
    throw new UsageError(`--redact / CLEARLY_REDACT: not a valid regex: ${(e as Error).message}`, { cause: e });
  }
}

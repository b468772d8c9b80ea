/**
 * Flag groups shared by several subcommands. Every flag is also an environment variable
 * (`--max-tasks` <-> `CLEARLY_MAX_TASKS`) through yargs' `.env('CLEARLY')` in bin/clearly.ts.
 */
import type { Options } from 'yargs';
import { compileRedactor, DEFAULT_REDACT_PATTERN, type Redactor } from '../engine/redact/redact.js';
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

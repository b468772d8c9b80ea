/**
 * The CLI edge: parses flags (every flag is also a CLEARLY_* env var), runs one subcommand, and is
 * the one place where errors become exit codes and a line on stderr. The `clearly` executable is
 * bin/start.ts, which runs this file's bundle.
 */
import yargs from 'yargs';
import type { CommandModule as YargsCommand } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { note } from '../src/cli/output.js';
import { lastValueWins } from '../src/cli/argv.js';
import { tameLibraryWarnings } from '../src/cli/library-warnings.js';
import { helpWidth, usageMessage } from '../src/cli/usage.js';
import { findVersion } from '../src/cli/version.js';
import { COMMANDS, requestedCommand, type CommandEntry, type CommandModule } from '../src/commands/index.js';
import { ClearlyError, EXIT, UsageError } from '../src/errors.js';

const EPILOGUE = `Exit codes: 0 ok · 1 failure (task --wait: task failed; reset: not confirmed) · 2 usage error · 4 not found · 65 bad data · 69 broker/server unreachable · 70 internal error · 73 cannot create (store) · 77 no permission (token) · 124 timed out; check: 0 OK · 1 WARNING · 2 CRITICAL · 3 UNKNOWN
Every flag can also be set as an environment variable: --max-tasks → CLEARLY_MAX_TASKS.
Colour is used only on a terminal; NO_COLOR turns it off; --color / --no-color win over NO_COLOR.`;

const NO_COMMAND = 'name a command (listed above)';

let exitCode: number = EXIT.OK;
let debug = process.argv.includes('--debug') || process.env['CLEARLY_DEBUG'] === 'true';

function report(e: unknown): number {
  if (e instanceof ClearlyError) {
    note(e.message);
    if (debug && e.cause !== undefined) note(`cause: ${String((e.cause as Error)?.stack ?? e.cause)}`);
    return e.exitCode;
  }
  note(`internal error: ${(e as Error)?.message ?? String(e)} (please report it; --debug shows the stack)`);
  if (debug) note(String((e as Error)?.stack));
  return EXIT.INTERNAL;
}

/** `mod` is the loaded module of the command being run; the others only need to be listed. */
function wrap(entry: CommandEntry, mod: CommandModule | undefined, flags: CommandFlags): YargsCommand {
  return {
    command: entry.command,
    describe: entry.describe,
    builder: (mod?.builder ?? ((y) => y)) as YargsCommand['builder'],
    handler: async (argv) => {
      debug = debug || argv['debug'] === true;
      try {
        const m = mod ?? (await entry.load());
        exitCode = await m.handler(lastValueWins(argv, flags.arrays) as never);
      } catch (e) {
        exitCode = report(e);
      }
    },
  };
}

interface CommandFlags {
  /** Every option of the command, aliases included. */
  readonly all: readonly string[];
  /** The ones declared `array` (repeatable), aliases included. */
  readonly arrays: readonly string[];
}

/** What the command being run declares, read from its builder on a yargs of its own. */
function flagsOf(mod: CommandModule | undefined): CommandFlags {
  if (mod === undefined) return { all: [], arrays: [] };
  const probe = mod.builder(yargs([])) as unknown as { getOptions(): { key: Record<string, unknown>; array: string[]; alias: Record<string, string[]> } };
  const o = probe.getOptions();
  return { all: [...Object.keys(o.key), ...Object.values(o.alias).flat()], arrays: o.array };
}

/**
 * yargs' `.env('CLEARLY')` turns every CLEARLY_* variable into a flag, and strict mode then rejects
 * one the command does not have (CLEARLY_SERVER set in a profile would break `clearly server`).
 * Keep only the variables that name an option of the command being run.
 */
function dropForeignEnv(flags: CommandFlags): void {
  const known = new Set<string>();
  for (const k of flags.all) known.add(k.toLowerCase().replace(/-/g, '_'));
  for (const name of Object.keys(process.env)) {
    if (!name.startsWith('CLEARLY_')) continue;
    const key = name.slice('CLEARLY_'.length).toLowerCase();
    if (!known.has(key)) delete process.env[name];
  }
}

async function main(): Promise<number> {
  tameLibraryWarnings(note);
  const args = hideBin(process.argv);
  const requested = requestedCommand(args);
  const loaded = requested === undefined ? undefined : await requested.load();
  const flags = flagsOf(loaded);
  dropForeignEnv(flags);
  const cli = yargs(args)
    .scriptName('clearly')
    .usage('$0 <command> [options]\n\nA real-time monitor for Celery: see tasks and workers live,\nquery history, check health.')
    // yargs collects every repetition of a flag; lastValueWins (in the handler) keeps them all
    // for the repeatable ones (--state, --max-queue) and the last for the others.
    .env('CLEARLY')
    .strict()
    .demandCommand(1, NO_COMMAND)
    .recommendCommands()
    .version(findVersion(import.meta.url))
    .help()
    .alias('h', 'help')
    .wrap(helpWidth(process.stdout, process.env))
    .epilogue(EPILOGUE)
    // Throwing is what stops yargs: a fail handler that returns lets it run the command anyway
    // (a mistyped flag would print "Unknown argument" and then stream). main() reports it.
    .fail((msg, err, y) => {
      if (err instanceof ClearlyError) throw err;
      // A flag's coerce (cli/options.ts) threw a UsageError; yargs hands on only its message.
      if (err?.name === 'YError') throw new UsageError(/^Not enough arguments/.test(err.message) ? usageMessage(err.message, requested) : err.message);
      if (err) throw err;
      if (msg === NO_COMMAND) y.showHelp();
      throw new UsageError(usageMessage(msg, requested, flags.all));
    });
  for (const entry of COMMANDS) cli.command(wrap(entry, entry === requested ? loaded : undefined, flags));
  try {
    await cli.parseAsync();
  } catch (e) {
    return report(e);
  }
  return exitCode;
}

// Broker/gRPC sockets may still be open: the command is over, so leave now. (No top-level await:
// this is built as CommonJS, see scripts/bundle.mjs.)
void main().then((code) => process.exit(code));

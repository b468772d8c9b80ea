/**
 * The CLI edge: parses flags (every flag is also a CLEARLY_* env var), runs one subcommand, and is
 * the one place where errors become exit codes and a line on stderr. The `clearly` executable is
 * bin/start.ts, which runs this file's bundle.
 */
import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import type { CommandModule as YargsCommand } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { note } from '../src/cli/output.js';
import { COMMANDS, requestedCommand, type CommandEntry, type CommandModule } from '../src/commands/index.js';
import { ClearlyError, EXIT } from '../src/errors.js';

const EPILOGUE = `Exit codes: 0 ok · 1 failure (task --wait: task failed) · 2 usage error · 4 not found · 69 broker/server unreachable · 70 internal error · 77 no permission (token) · 124 timed out; check: 0 OK · 1 WARNING · 2 CRITICAL · 3 UNKNOWN
Every flag can also be set as an environment variable: --max-tasks → CLEARLY_MAX_TASKS.
Colour is used only on a terminal; NO_COLOR or --no-color turn it off.`;

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}


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
function wrap(entry: CommandEntry, mod: CommandModule | undefined): YargsCommand {
  return {
    command: entry.command,
    describe: entry.describe,
    builder: (mod?.builder ?? ((y) => y)) as YargsCommand['builder'],
    handler: async (argv) => {
      debug = debug || argv['debug'] === true;
      try {
        const m = mod ?? (await entry.load());
        exitCode = await m.handler(argv as never);
      } catch (e) {
        exitCode = report(e);
      }
    },
  };
}

/**
 * yargs' `.env('CLEARLY')` turns every CLEARLY_* variable into a flag, and strict mode then rejects
 * one the command does not have (CLEARLY_SERVER set in a profile would break `clearly server`).
 * Keep only the variables that name an option of the command being run.
 */
function dropForeignEnv(mod: CommandModule | undefined): void {
  const known = new Set<string>();
  if (mod !== undefined) {
    const probe = mod.builder(yargs([])) as unknown as { getOptions(): { key: Record<string, unknown> } };
    for (const k of Object.keys(probe.getOptions().key)) known.add(k.toLowerCase().replace(/-/g, '_'));
  }
  for (const name of Object.keys(process.env)) {
    if (!name.startsWith('CLEARLY_')) continue;
    const key = name.slice('CLEARLY_'.length).toLowerCase();
    if (!known.has(key)) delete process.env[name];
  }
}

async function main(): Promise<number> {
  let usageFailed = false;
  const args = hideBin(process.argv);
  const requested = requestedCommand(args);
  const loaded = requested === undefined ? undefined : await requested.load();
  dropForeignEnv(loaded);
  const cli = yargs(args)
    .scriptName('clearly')
    .usage('$0 <command> [options]\n\nA real-time monitor for Celery: see tasks and workers live,\nquery history, check health.')
    // A repeated single-value flag means "the last one wins", as in most CLIs; array flags
    // (--state) still collect every value.
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .env('CLEARLY')
    .strict()
    .demandCommand(1, NO_COMMAND)
    .recommendCommands()
    .version(version())
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue(EPILOGUE)
    .fail((msg, err, y) => {
      if (err) throw err;
      usageFailed = true;
      if (msg === NO_COMMAND) y.showHelp();
      process.stderr.write(`clearly: ${msg}\nRun "clearly --help" or "clearly <command> --help" for usage.\n`);
    });
  for (const entry of COMMANDS) cli.command(wrap(entry, entry === requested ? loaded : undefined));
  try {
    await cli.parseAsync();
  } catch (e) {
    return report(e);
  }
  return usageFailed ? EXIT.USAGE : exitCode;
}

// Broker/gRPC sockets may still be open: the command is over, so leave now. (No top-level await:
// this is built as CommonJS, see scripts/bundle.mjs.)
void main().then((code) => process.exit(code));

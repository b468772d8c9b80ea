#!/usr/bin/env node
/**
 * The CLI edge: parses flags (every flag is also a CLEARLY_* env var), runs one subcommand, and is
 * the one place where errors become exit codes and a line on stderr.
 */
import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import type { CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { note } from '../src/cli/output.js';
import { COMMANDS, type ClearlyCommand } from '../src/commands/index.js';
import { ClearlyError, EXIT } from '../src/errors.js';

const EPILOGUE = `Exit codes: 0 ok · 1 failure (task --wait: task failed) · 2 usage error · 4 not found · 69 broker/server unreachable · 70 internal error · 124 timed out; check: 0 OK · 1 WARNING · 2 CRITICAL · 3 UNKNOWN
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

function wrap(cmd: ClearlyCommand): CommandModule {
  return {
    command: cmd.command as string | string[],
    describe: cmd.describe,
    builder: cmd.builder as CommandModule['builder'],
    handler: async (argv) => {
      debug = debug || argv['debug'] === true;
      try {
        exitCode = await cmd.handler(argv as never);
      } catch (e) {
        exitCode = report(e);
      }
    },
  };
}

async function main(): Promise<number> {
  let usageFailed = false;
  const cli = yargs(hideBin(process.argv))
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
  for (const cmd of COMMANDS) cli.command(wrap(cmd));
  try {
    await cli.parseAsync();
  } catch (e) {
    return report(e);
  }
  return usageFailed ? EXIT.USAGE : exitCode;
}

const code = await main();
// Broker/gRPC sockets may still be open: the command is over, so leave now.
process.exit(code);

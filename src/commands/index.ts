/**
 * The subcommands, in the order `--help` lists them: live first, then the one-shot questions to a
 * server (history, one task, workers, counters), the health check, the task names, then the one
 * that changes it, then the server itself.
 */
import type { Argv } from 'yargs';
import * as check from './check.js';
import * as reset from './reset.js';
import * as seen from './seen.js';
import * as server from './server.js';
import * as stats from './stats.js';
import * as task from './task.js';
import * as tasks from './tasks.js';
import * as watch from './watch.js';
import * as workers from './workers.js';

export interface ClearlyCommand {
  command: string | readonly string[];
  describe: string;
  builder: (y: Argv) => Argv<unknown>;
  /** Returns the exit code; throws ClearlyError for the ones bin/clearly.ts maps. */
  handler: (argv: never) => Promise<number>;
}

export const COMMANDS: readonly ClearlyCommand[] = [watch, tasks, task, workers, stats, check, seen, reset, server].map(
  (m) => m as unknown as ClearlyCommand,
);

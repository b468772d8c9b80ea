/** The subcommands, in the order `--help` lists them. */
import type { Argv } from 'yargs';
import * as watch from './watch.js';

export interface ClearlyCommand {
  command: string | readonly string[];
  describe: string;
  builder: (y: Argv) => Argv<unknown>;
  /** Returns the exit code; throws ClearlyError for the ones bin/clearly.ts maps. */
  handler: (argv: never) => Promise<number>;
}

export const COMMANDS: readonly ClearlyCommand[] = [watch as unknown as ClearlyCommand];

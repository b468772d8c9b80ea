/**
 * What the CLI edge says about usage: yargs' own messages turned into ours (what is wrong, what to
 * run for help, the flag that was probably meant). bin/clearly.ts raises them as UsageError,
 * before any command runs.
 */
import { terminalWidth } from './output.js';

/** A subcommand as yargs knows it: its name and usage (`task <uuid>`). */
export interface UsageOf {
  readonly name: string;
  readonly command: string;
}

/**
 * yargs' message, made ours: a missing positional names what is missing and the usage (yargs says
 * "Not enough non-option arguments: got 0, need at least 1"), an unknown flag names the known one
 * it is closest to (`--jsn`: did you mean --json?), and every message says where help is.
 */
export function usageMessage(msg: string, command: UsageOf | undefined, flags: readonly string[] = []): string {
  const help = command === undefined ? 'clearly --help' : `clearly ${command.name} --help`;
  const missing = /^Not enough non-option arguments|^Missing required argument/.test(msg);
  const positionals = command?.command.match(/<[^>]+>/g) ?? [];
  let text = msg;
  if (missing && command !== undefined && positionals.length > 0) {
    text = `${command.name}: give ${positionals.join(' ')} (usage: clearly ${command.command})`;
  }
  const valueless = /^Not enough arguments following: (\S+)$/.exec(msg);
  if (valueless !== null) text = `${valueless[1]!.length === 1 ? '-' : '--'}${valueless[1]} needs a value`;
  const unknown = /^Unknown arguments?: (.+)$/.exec(msg);
  if (unknown !== null) {
    const guesses = unknown[1]!.split(', ').flatMap((arg) => {
      const near = closest(arg, flags);
      return near === undefined ? [] : [`--${near}`];
    });
    if (guesses.length > 0) text += ` (did you mean ${guesses.join(', ')}?)`;
  }
  return `${text}\nRun "${help}" for usage.`;
}

/** The flag within two edits of `arg` (a typo), the nearest first; none when nothing is that close. */
function closest(arg: string, flags: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const f of flags) {
    if (f.length < 2) continue; // one-letter aliases are too close to everything
    const d = distance(arg, f);
    if (d < bestDistance) [best, bestDistance] = [f, d];
  }
  return best;
}

/** Levenshtein distance (flags are short: the plain table is enough). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * --help's width: the terminal's; when stdout is not a terminal (a pipe, a file, a test), `COLUMNS`
 * if set (as for text output, cli/output.ts), else 80.
 */
export function helpWidth(stdout: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv = {}): number {
  return terminalWidth(stdout, env) ?? 80;
}

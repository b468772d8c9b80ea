/**
 * Repeated flags, decided once at the CLI edge: a flag declared `array` (`--state`, `--max-queue`,
 * `--queue`, `--destination`) keeps every value it is given, in order; any other flag given twice
 * means "the last one wins", as in most CLIs. yargs is told to collect every repetition
 * (bin/clearly.ts) and this turns the single-value ones back into their last value, so a command
 * never sees an array where it declared a string or a number.
 */

/** `max-queue`, `maxQueue` and `max_queue` are one flag (yargs hands commands both spellings). */
const normal = (key: string): string => key.replace(/[-_]/g, '').toLowerCase();

/** `argv` with every non-array flag reduced to its last value; `arrayFlags` are yargs' `getOptions().array` (aliases included). */
export function lastValueWins<T extends Record<string, unknown>>(argv: T, arrayFlags: readonly string[]): T {
  const keep = new Set(arrayFlags.map(normal));
  const out: Record<string, unknown> = { ...argv };
  for (const [key, value] of Object.entries(argv)) {
    if (key === '_' || key === '$0' || !Array.isArray(value) || keep.has(normal(key))) continue;
    out[key] = value[value.length - 1];
  }
  return out as T;
}

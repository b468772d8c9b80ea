/**
 * Warnings that libraries print on their own with console.warn, said once as ours. ioredis warns
 * "[WARN] This Redis server's `default` user does not require a password, but a password was
 * supplied" on every connection it opens (three or more per command): harmless, and the fix is
 * ours to name. Anything not listed here passes through unchanged.
 */

interface Translation {
  readonly match: RegExp;
  readonly say: string;
}

const TRANSLATIONS: readonly Translation[] = [
  {
    match: /^\[WARN\] (Redis server|This Redis server's `default` user) does not require a password/,
    say: 'the Redis server needs no password but its URL gives one (ignored, it works): remove the password from the URL to silence this',
  },
];

/** Replace console.warn for this process; each known warning becomes one `note`, once. */
export function tameLibraryWarnings(note: (message: string) => void): void {
  const original = console.warn.bind(console);
  const said = new Set<Translation>();
  console.warn = (...args: unknown[]): void => {
    const text = args.map(String).join(' ');
    const t = TRANSLATIONS.find((x) => x.match.test(text));
    if (t === undefined) return original(...args);
    if (said.has(t)) return;
    said.add(t);
    note(t.say);
  };
}

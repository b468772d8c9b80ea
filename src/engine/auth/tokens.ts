/**
 * The server's tokens: parsed from the token file's text (pure) into a table that answers "whose
 * token is this?" in constant time. Only SHA-256 digests are held, and every entry is compared
 * (no early exit), so neither the answer's timing nor a heap dump gives a token away.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ROLES, type Role } from './roles.js';

export interface TokenEntry {
  readonly role: Role;
  readonly name: string;
  readonly digest: Buffer;
}

/** Who presented a known token. */
export interface Principal {
  readonly role: Role;
  readonly name: string;
}

/** A token shorter than this is refused: it could be guessed. */
export const MIN_TOKEN_LENGTH = 16;

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * A field as an error message may quote it: a line with its fields out of order (`TOKEN NAME
 * ROLE`) must not have the token printed in the log. Short fields and ones that read like names
 * (letters and separators) are quoted; anything else long enough to be a token is described.
 */
export function shownField(field: string): string {
  if (field.length < MIN_TOKEN_LENGTH || /^[a-z][a-z._-]*$/i.test(field)) return JSON.stringify(field);
  return `a field of ${field.length} characters (not shown: it could be a token)`;
}

export type ParsedTokens = { readonly ok: true; readonly entries: readonly TokenEntry[] } | { readonly ok: false; readonly line: number; readonly why: string };

/** `ROLE NAME TOKEN` per line; blank lines and `#` comments allowed. The first bad line is named. */
export function parseTokens(text: string): ParsedTokens {
  const entries: TokenEntry[] = [];
  const names = new Set<string>();
  const digests = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fail = (why: string): ParsedTokens => ({ ok: false, line: i + 1, why });
    const fields = line.split(/\s+/);
    if (fields.length !== 3) return fail(`expected ROLE NAME TOKEN (3 fields), got ${fields.length}`);
    const [role, name, token] = fields as [string, string, string];
    if (!(ROLES as readonly string[]).includes(role)) return fail(`role must be ${ROLES.join(' or ')}, got ${shownField(role)} (fields: ROLE NAME TOKEN)`);
    if (token.length < MIN_TOKEN_LENGTH) {
      return fail(`the token of ${shownField(name)} is shorter than ${MIN_TOKEN_LENGTH} characters (fields: ROLE NAME TOKEN; try: openssl rand -hex 32)`);
    }
    if (names.has(name)) return fail(`the name ${name} is used twice (names are what the log shows)`);
    const d = digest(token);
    if (digests.has(d.toString('hex'))) return fail(`the token of ${name} is also another name's token`);
    names.add(name);
    digests.add(d.toString('hex'));
    entries.push({ role: role as Role, name, digest: d });
  }
  if (entries.length === 0) return { ok: false, line: 0, why: 'no tokens in it (one per line: ROLE NAME TOKEN)' };
  return { ok: true, entries };
}

export class TokenTable {
  private entries: readonly TokenEntry[];
  constructor(entries: readonly TokenEntry[]) {
    this.entries = entries;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Swap in a re-read file's tokens (SIGHUP): calls already under way keep what they were given. */
  replace(entries: readonly TokenEntry[]): void {
    this.entries = entries;
  }

  /** The token's owner, or null. Constant time in the token: every entry is compared. */
  lookup(token: string): Principal | null {
    const d = digest(token);
    let found: TokenEntry | null = null;
    for (const e of this.entries) {
      if (timingSafeEqual(d, e.digest) && found === null) found = e;
    }
    return found === null ? null : { role: found.role, name: found.name };
  }
}

/**
 * Reading a token file, as ssh reads a private key: refused when its group or others may read or
 * write it, and refused whole when one line is malformed (naming the line), so a typo never
 * silently locks someone out or lets someone in. The server's file holds `ROLE NAME TOKEN` lines;
 * a client's holds its one token (or one such line, whose last field is taken).
 */
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { parseTokens, type TokenEntry } from './tokens.js';

/** Why a token file was refused (exit 2); the message names the file and, where there is one, the line. */
class TokenFileError extends UsageError {}

function readPrivate(path: string, flag: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (e) {
    throw new TokenFileError(`${flag} ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if ((mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(3, '0');
    const who = [(mode & 0o070) !== 0 ? 'its group' : null, (mode & 0o007) !== 0 ? 'others' : null].filter((w) => w !== null).join(' and ');
    throw new TokenFileError(`${flag} ${path}: open to ${who} (mode ${octal}); tokens must be private: chmod 600 ${path}`);
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new TokenFileError(`${flag} ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** The server's tokens. */
export function readTokenFile(path: string, flag = '--token-file'): readonly TokenEntry[] {
  const parsed = parseTokens(readPrivate(path, flag));
  if (!parsed.ok) throw new TokenFileError(`${flag} ${path}${parsed.line > 0 ? ` line ${parsed.line}` : ''}: ${parsed.why}`);
  return parsed.entries;
}

/** A client's token: its first line that is not blank or a comment (the last field of it). */
export function readClientToken(path: string, flag = '--token-file'): string {
  for (const raw of readPrivate(path, flag).split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    return line.split(/\s+/).pop()!;
  }
  throw new TokenFileError(`${flag} ${path}: no token in it`);
}

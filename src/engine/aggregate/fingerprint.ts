/**
 * A failure's fingerprint: the exception's type, its message with the parts that vary between
 * occurrences normalised (quoted values, uuids, hex ids, numbers), and the innermost frame of the
 * traceback (file and function: a line number moves with every deploy). Two failures with the same
 * cause share it whatever the ids and amounts in their messages.
 */

export interface FailureCause {
  /** The exception's class (`BounceError`), `UnknownException` when the repr does not say. */
  readonly exception: string;
  /** The message as raised (the repr's argument, unquoted when it is one string). */
  readonly message: string;
  /** The message normalised: what groups. */
  readonly normalized: string;
  /** `path/file.py in function`, the innermost frame; null without a traceback. */
  readonly frame: string | null;
  /** A short stable id of (exception, normalized, frame). */
  readonly fingerprint: string;
}

const REPR = /^([A-Za-z_][\w.]*)\(([\s\S]*)\)$/;

/**
 * `BounceError("mailbox 'x' gone")` -> BounceError, mailbox 'x' gone. Each top-level argument
 * that is one string literal is unquoted (so its own quoted parts are what normalise to <str>);
 * `HarnessError('disk 3 full', 42)` -> `disk 3 full, 42`.
 */
export function splitException(exception: string): { type: string; message: string } {
  const text = exception.trim();
  const m = REPR.exec(text);
  if (m === null) {
    // `KeyError: 'x'` (a traceback's last line) or a bare message.
    const colon = /^([A-Za-z_][\w.]*): ([\s\S]*)$/.exec(text);
    if (colon !== null) return { type: colon[1]!, message: colon[2]! };
    return { type: 'UnknownException', message: text };
  }
  return { type: m[1]!, message: splitArgs(m[2]!).map(unquote).join(', ') };
}

/** Top-level comma-separated arguments of a repr's call, quotes and brackets respected. */
export function splitArgs(args: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < args.length; i++) {
    const c = args[i]!;
    if (quote !== null) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(args.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = args.slice(start).trim();
  if (last !== '' || out.length > 0) out.push(last);
  return out.filter((a) => a !== '');
}

/** A single Python string literal's content, escapes undone; anything else as it is. */
function unquote(arg: string): string {
  const m = /^([rbuRBU]?)(['"])([\s\S]*)\2$/.exec(arg);
  if (m === null) return arg;
  return m[3]!.replace(/\\(['"\\])/g, '$1').replace(/\\n/g, '\n');
}

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const HEX = /\b(?:0x[0-9a-f]+|(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{8,})\b/gi;
const QUOTED = /'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|<[^<>\s]+@[^<>\s]+>/g;
// A number, with or without a unit after it (30s, 5ms); not a digit inside a word (worker3).
const NUMBER = /(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?(?!\d)/gi;

export function normalizeMessage(message: string): string {
  return message
    .replace(UUID, '<uuid>')
    .replace(QUOTED, '<str>')
    .replace(HEX, '<hex>')
    .replace(NUMBER, '<num>')
    .replace(/\s+/g, ' ')
    .trim();
}

const FRAME = /^\s*File "([^"]+)", line \d+, in (\S+)/gm;

/** The last `File "...", line N, in f` of a Python traceback, as `file in f`. */
export function innermostFrame(traceback: string | null): string | null {
  if (traceback === null) return null;
  let last: string | null = null;
  for (const m of traceback.matchAll(FRAME)) last = `${m[1]} in ${m[2]}`;
  return last;
}

export function failureCause(exception: string | null, traceback: string | null): FailureCause {
  const { type, message } = splitException(exception ?? '');
  const normalized = normalizeMessage(message);
  const frame = innermostFrame(traceback);
  return { exception: type, message, normalized, frame, fingerprint: fnv1a(`${type}\u0000${normalized}\u0000${frame ?? ''}`) };
}

/** 64-bit FNV-1a as 16 hex digits (two 32-bit halves with different offsets: stable, not cryptographic). */
function fnv1a(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000193 + 2) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

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

/** `BounceError("mailbox 'x' gone")` -> BounceError, mailbox 'x' gone. */
export function splitException(exception: string): { type: string; message: string } {
  const text = exception.trim();
  const m = REPR.exec(text);
  if (m === null) {
    // `KeyError: 'x'` (a traceback's last line) or a bare message.
    const colon = /^([A-Za-z_][\w.]*): ([\s\S]*)$/.exec(text);
    if (colon !== null) return { type: colon[1]!, message: colon[2]! };
    return { type: 'UnknownException', message: text };
  }
  return { type: m[1]!, message: unquote(m[2]!.replace(/,\s*$/, '')) };
}

/** A single Python string literal's content; anything else as it is. */
function unquote(arg: string): string {
  const m = /^([rbuRBU]?)(['"])([\s\S]*)\2$/.exec(arg.trim());
  if (m === null) return arg;
  const body = m[3]!;
  // Only one literal: the same quote unescaped inside means several arguments.
  if (new RegExp(`(^|[^\\\\])${m[2]}`).test(body)) return arg;
  return body.replace(/\\(['"\\])/g, '$1');
}

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const HEX = /\b(?:0x[0-9a-f]+|(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{8,})\b/gi;
const QUOTED = /'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|<[^<>\s]+@[^<>\s]+>/g;
const NUMBER = /(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?(?![\w])/gi;

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

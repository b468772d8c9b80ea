/**
 * Redis: kombu's JSON envelope (PROTOCOL.md §2) -> the text of the event body inside it.
 *
 * Parsing the whole envelope was about half of the Redis hot path: JSON.parse builds five objects
 * and copies the ~1 KB base64 body, and a regex then checked the body character by character.
 * Kombu writes the envelope with Python's json.dumps, always with the same keys in the same order,
 * so `kombuBody` recognises exactly that layout (only the body and four plain strings vary), takes
 * the body out by position and checks the base64 while decoding it. Anything else, however slightly
 * different (key order, spacing, escapes, a missing or extra key), goes to `parseEnvelope`, the
 * full JSON.parse, which alone decides what is wrong with a message: the fast path only ever says
 * "here is the same text parseEnvelope would give" or "not sure".
 */
import type { DecodeError, DecodeErrorReason } from './types.js';

/** Returns the body text, or an error for a message that is not a usable kombu envelope. */
export function redisBody(payload: string | Buffer, max: number): string | DecodeError {
  const size = payload.length;
  // base64 inflates the body by 4/3: compare like with like.
  if (size > (max * 4) / 3 + 4096) return err('too-large', `${size} bytes envelope (limit ${max} body)`);
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  return kombuBody(text) ?? parseEnvelope(text);
}

/** The reference: the whole envelope through JSON.parse. Decides every error. */
export function parseEnvelope(text: string): string | DecodeError {
  let env: unknown;
  try {
    env = JSON.parse(text);
  } catch (e) {
    return err('bad-envelope', `not JSON: ${(e as Error).message}`);
  }
  if (!isObject(env)) return err('bad-envelope', 'not a JSON object');
  const body = env['body'];
  const contentType = env['content-type'];
  if (contentType !== undefined && contentType !== 'application/json') {
    return err('content-type', `content-type ${JSON.stringify(contentType)}`);
  }
  const props = env['properties'];
  const encoding = isObject(props) ? props['body_encoding'] : undefined;
  if (encoding === 'base64') {
    if (typeof body !== 'string') return err('bad-envelope', 'body is not a base64 string');
    if (!isBase64(body)) return err('bad-encoding', 'body is not valid base64');
    return Buffer.from(body, 'base64').toString('utf8');
  }
  if (encoding !== undefined && encoding !== null) {
    return err('bad-encoding', `body_encoding ${JSON.stringify(encoding)}`);
  }
  // No body_encoding: kombu put the body in as-is (a string of JSON).
  if (typeof body === 'string') return body;
  return err('bad-envelope', 'missing body');
}

/**
 * kombu's envelope, as json.dumps writes it: `{"body": "<base64>"` then TAIL, where only four
 * strings vary (hostname, exchange, routing key, delivery tag). Those must hold no escape and no
 * control character (JSON forbids them raw): then JSON.parse would take every value as written.
 * The keys are all distinct, so there is no duplicate whose "last one wins" could matter. One
 * sticky regex checks the whole tail natively (~150 ns): startsWith and charCodeAt loops over
 * its ~330 characters cost 2 to 8 times more.
 */
const HEAD = '{"body": "';
const PLAIN = '[^"\\\\\\x00-\\x1f]*';
const TAIL = new RegExp(
  [
    '", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"hostname": "',
    '"}, "properties": {"delivery_mode": 1, "delivery_info": {"exchange": "',
    '", "routing_key": "',
    '"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "',
    '"}}',
  ]
    .map((piece) => piece.replace(/[{}()[\]\\/.*+?^$|]/g, '\\$&'))
    .join(PLAIN) + '$',
  'y',
);

/** The body text when `text` is exactly kombu's layout with a valid base64 body, else undefined. */
export function kombuBody(text: string): string | undefined {
  if (!text.startsWith(HEAD)) return undefined;
  const end = text.indexOf('"', HEAD.length);
  if (end < 0) return undefined;
  TAIL.lastIndex = end;
  if (!TAIL.test(text)) return undefined;
  return base64Text(text, HEAD.length, end);
}

/**
 * UTF-8 text of the base64 in text[start, end), or undefined unless `isBase64` holds (the full
 * parse then decides). atob validates natively what the old regex did character by character, with
 * two differences that the decoded length shows when the length is a multiple of 4 (kombu pads):
 * atob skips ASCII whitespace, which leaves fewer bytes than n/4*3 minus the padding; and atob
 * refuses a length of 4k+1 data characters, which with n a multiple of 4 cannot happen.
 * (Buffer.from(..., 'base64') validates nothing: it skips bad characters, takes the base64url
 * alphabet, and reads a character above 0xFF by its low byte.)
 */
function base64Text(text: string, start: number, end: number): string | undefined {
  const n = end - start;
  if (n % 4 !== 0) return undefined;
  const pad = n === 0 || text.charCodeAt(end - 1) !== 0x3d ? 0 : text.charCodeAt(end - 2) === 0x3d ? 2 : 1;
  let bytes: string;
  try {
    bytes = atob(text.slice(start, end));
  } catch {
    return undefined;
  }
  if (bytes.length !== (n / 4) * 3 - pad) return undefined;
  // One character per byte: the UTF-8 text itself when every byte is ASCII (json.dumps escapes
  // everything else), else it must be decoded.
  return Buffer.byteLength(bytes, 'utf8') === bytes.length ? bytes : Buffer.from(bytes, 'latin1').toString('utf8');
}

/** A character that cannot appear in base64 (padding included). */
const NOT_BASE64 = /[^A-Za-z0-9+/=]/;

/**
 * `^[A-Za-z0-9+/]*={0,2}$`, in two cheaper steps: a search for a stray character (which V8 runs
 * about twice as fast as the anchored whole-string match), then `=` allowed only as the last one or
 * two characters.
 */
export function isBase64(s: string): boolean {
  if (NOT_BASE64.test(s)) return false;
  const pad = s.indexOf('=');
  if (pad < 0) return true;
  const n = s.length;
  return pad === n - 1 || (pad === n - 2 && s.charCodeAt(n - 1) === 61);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function err(reason: DecodeErrorReason, detail: string): DecodeError {
  return { reason, detail };
}

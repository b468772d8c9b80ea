/**
 * Pieces of NDJSON for record-json.ts: each is exactly what JSON.stringify writes for the value,
 * already encoded, as UTF-8 bytes held one per character in a string (a "byte string": its
 * Latin-1 encoding is the text's UTF-8). Pure ASCII, by far the most common, is its own byte
 * string. A line concatenated from such pieces is written with one Latin-1 copy: no UTF-8
 * encoding per line, and no line widened to two bytes per character by one CJK argument.
 *
 * Whatever recurs is cached where it lives long anyway (per repr text in record.ts's parse
 * cache, per string, per worker), never per task: per-task caches outlived the young generation
 * and were promoted, which cost more garbage collection than they saved.
 */
import { RecentCache } from '../engine/repr/recent-cache.js';
import { cachedRepr, type CachedRepr } from './record.js';

/**
 * Set when a field holds something its type does not allow (a record built by hand from untyped
 * data): the caller must use JSON.stringify instead. Cleared by the caller before each line.
 */
export const status = { irregular: false };

const NON_ASCII = /[^\x00-\x7f]/;
/** Printable ASCII but `"` and `\`: such a string's JSON is itself in quotes. */
const PLAIN = /^[ !#-[\]-~]*$/;

/** `text` as a byte string (see above). */
export function utf8Bytes(text: string): string {
  return NON_ASCII.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}

/** True when `s`'s JSON is `"` + s + `"` (the usual uuid, name or nodename). */
export function isPlain(s: string): boolean {
  return PLAIN.test(s);
}

/**
 * V8 keeps a concatenation as a tree of its pieces (a rope) until something needs it flat; the
 * writer flattens each line, at a cost per piece. A fragment cached for many lines is flattened
 * once here (reading a character flattens a rope in place), so each line copies it as one piece.
 */
export function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

/**
 * JSON string literals of recent strings: worker and client nodenames, names, queues, exception
 * texts recur across tasks. Long strings (tracebacks, big reprs) get a smaller cache of their own
 * (their escaping is the slow kind: newlines, quotes), and the longest none.
 */
const SHORT_STRING = 256;
const LONG_STRING = 8 * 1024;
const shortStrings = new RecentCache<string>(4096);
const longStrings = new RecentCache<string>(32);

export function str(s: string | null): string {
  if (s === null) return 'null';
  if (typeof s !== 'string') return irregular();
  const cache = s.length <= SHORT_STRING ? shortStrings : s.length <= LONG_STRING ? longStrings : undefined;
  let json = cache?.get(s);
  if (json === undefined) {
    json = utf8Bytes(JSON.stringify(s));
    cache?.set(s, json);
  }
  return json;
}

/** A string unlikely to recur across tasks (a uuid): quoted straight, not cached. */
export function id(s: string | null): string {
  if (s === null) return 'null';
  if (typeof s !== 'string') return irregular();
  return PLAIN.test(s) ? '"' + s + '"' : utf8Bytes(JSON.stringify(s));
}

/** `'' + n` is JSON's text for a finite number (JSON has none other: null), from V8's number-string cache. */
export function num(n: number | null): string {
  if (n === null) return 'null';
  if (typeof n !== 'number') return irregular();
  return Number.isFinite(n) ? '' + n : 'null';
}

/** Any value, as JSON.stringify would write it inside the record. */
function anyValue(v: unknown): string {
  const json = JSON.stringify(v) as string | undefined;
  // undefined would drop the key; a top-level toJSON is called with the key by the whole-record
  // stringify: both are left to JSON.stringify.
  if (json === undefined || (typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function')) {
    return irregular();
  }
  return utf8Bytes(json);
}

/** The pieces of one repr text, with their keys, made on first use (the parse cache keeps them). */
class ReprPieces {
  args: string | undefined = undefined;
  kwargs: string | undefined = undefined;
  result: string | undefined = undefined;
  argsRepr: string | undefined = undefined;
  kwargsRepr: string | undefined = undefined;
  resultRepr: string | undefined = undefined;
  /** kwargs then what follows it before the task ends: `,"result":null` */
  kwargsNoResult: string | undefined = undefined;
  /** kwargs_repr then what follows it before the task ends: null result_repr … runtime */
  kwargsReprNoOutcome: string | undefined = undefined;
}

export type ReprField = 'args' | 'kwargs' | 'result' | 'kwargsNoResult';

/** The parse cache entry of a repr text, if it has one (never parses). */
export function reprEntry(repr: string | null): CachedRepr | undefined {
  return typeof repr === 'string' ? cachedRepr(repr) : undefined;
}

/**
 * `prefix` + the JSON of args/kwargs/result + `suffix`: from the repr's cache entry when `v` is the
 * value parsed from it (what taskRecord put there), else serialised here. One piece per field and
 * repr text, whatever the record.
 */
export function valueField(field: ReprField, prefix: string, suffix: string, v: unknown, entry: CachedRepr | undefined): string {
  if (entry === undefined || entry.value !== v) return prefix + (v === null ? 'null' : anyValue(v)) + suffix;
  const pieces = piecesOf(entry);
  let p = pieces[field];
  if (p === undefined) {
    // reprToJson gives only JSON values (null, booleans, finite numbers, strings, arrays, objects)
    p = flat(prefix + utf8Bytes(JSON.stringify(v)) + suffix);
    pieces[field] = p;
  }
  return p;
}

export type ReprTextField = 'argsRepr' | 'kwargsRepr' | 'resultRepr' | 'kwargsReprNoOutcome';

/** `prefix` + the repr text itself as a JSON string + `suffix`, cached with its parse. */
export function reprField(field: ReprTextField, prefix: string, suffix: string, repr: string | null, entry: CachedRepr | undefined): string {
  if (entry === undefined) return prefix + str(repr) + suffix;
  const pieces = piecesOf(entry);
  let p = pieces[field];
  if (p === undefined) {
    p = flat(prefix + utf8Bytes(JSON.stringify(repr)) + suffix);
    pieces[field] = p;
  }
  return p;
}

function piecesOf(entry: CachedRepr): ReprPieces {
  let pieces = entry.json as ReprPieces | undefined;
  if (pieces === undefined) {
    pieces = new ReprPieces();
    entry.json = pieces;
  }
  return pieces;
}

export function irregular(): string {
  status.irregular = true;
  return '';
}

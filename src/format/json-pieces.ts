/**
 * Pieces of NDJSON for record-json.ts: each is exactly what JSON.stringify writes for the value,
 * already encoded, as UTF-8 bytes held one per character in a string (a "byte string": its
 * Latin-1 encoding is the text's UTF-8). Pure ASCII, by far the most common, is its own byte
 * string. A line concatenated from such pieces is written with one Latin-1 copy: no UTF-8
 * encoding per line, and no line widened to two bytes per character by one CJK argument.
 */
import { RecentCache } from './recent-cache.js';
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
 * JSON string literals of recent strings: worker and client nodenames, names, queues, reprs
 * recur across tasks. Long strings (tracebacks, big reprs) get a smaller cache of their own
 * (their escaping is the slow kind: newlines, quotes), and the longest none.
 */
const SHORT_STRING = 256;
const LONG_STRING = 16 * 1024;
const shortStrings = new RecentCache<string>(4096);
const longStrings = new RecentCache<string>(64);

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

export function bool(b: boolean): string {
  return b === true ? 'true' : b === false ? 'false' : irregular();
}

/** The cache entry of a repr text, if any (args/kwargs/result come from there). */
export function reprEntry(repr: string | null): CachedRepr | undefined {
  return typeof repr === 'string' ? cachedRepr(repr) : undefined;
}

/** args/kwargs/result: the piece cached with their parsed repr when `v` came from there, else made here. */
export function value(v: unknown, entry: CachedRepr | undefined): string {
  if (v === null) return 'null';
  if (entry !== undefined && entry.value === v) {
    // reprToJson gives only JSON values (null, booleans, finite numbers, strings, arrays, objects)
    entry.valueJson ??= utf8Bytes(JSON.stringify(v));
    return entry.valueJson;
  }
  const json = JSON.stringify(v) as string | undefined;
  // undefined would drop the key; a top-level toJSON is called with the key by the whole-record
  // stringify: both are left to JSON.stringify.
  if (json === undefined || (typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function')) {
    return irregular();
  }
  return utf8Bytes(json);
}

/** The JSON string of a repr text, from its cache entry when it has one. */
export function reprText(repr: string | null, entry: CachedRepr | undefined): string {
  if (entry === undefined) return str(repr);
  entry.textJson ??= utf8Bytes(JSON.stringify(repr));
  return entry.textJson;
}

function irregular(): string {
  status.irregular = true;
  return '';
}

/**
 * Redaction at the source: a value whose key matches the pattern becomes `'***'`, in repr text
 * (args, kwargs, results, exceptions, tracebacks of task events) and in JSON values (whole results
 * from the result backend). Pure and total: it never throws on any text, and text it cannot make
 * sense of is rewritten as far as it goes (a value cut short is redacted to the end).
 *
 * Why text and not the parsed repr: Celery cuts reprs at 1024 characters and some never parse,
 * and those are exactly the ones the parser gives up on; a lexical scan (strings, brackets,
 * commas) finds `key: value` and `key=value` in any of them.
 */

/** The usual names of secrets (the README lists them); matched case-insensitively, anywhere in a key. */
export const DEFAULT_REDACT_PATTERN =
  'passw(?:or)?d|pwd|secret|token|api[-_ ]?key|private[-_ ]?key|authorization|cookie|session|credit[-_ ]?card|card[-_ ]?number|cvv|cvc';

export const REDACTED = '***';

export interface Redactor {
  /** The pattern as given (for `stats` and the start-up line). */
  readonly pattern: string;
  /** Repr or free text with every matching key's value replaced by `'***'`; the same string when nothing matched. */
  text(s: string): string;
  /** A JSON value with every matching key's value replaced by `'***'`; the same reference when nothing matched. */
  value(v: unknown): unknown;
}

/**
 * `null` for `''` (redaction off). Throws SyntaxError for an invalid regex (the caller names its flag).
 * The pattern is matched case-insensitively.
 */
export function compileRedactor(pattern: string): Redactor | null {
  if (pattern === '') return null;
  const re = new RegExp(pattern, 'i');
  // An unanchored pattern that matches a key matches the whole text the key is in, so one test of
  // the whole text rules out the common case. Anchors and lookarounds could match a key alone and
  // not the text around it: then every text is scanned.
  const prefilter = !/[\^$]|\(\?<?[=!]/.test(pattern);
  const text = (s: string): string => (prefilter && !re.test(s) ? s : scan(s, re, prefilter, "'", 0));
  return {
    pattern,
    text,
    value: (v) => redactValue(v, re, text),
  };
}

const SQ = 39; // '
const DQ = 34; // "
const BS = 92; // backslash
const COLON = 58;
const EQ = 61;
const COMMA = 44;

const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isIdentPart = (c: number): boolean => isIdentStart(c) || (c >= 48 && c <= 57) || c === 45; // '-': x-api-key
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;
const isOpen = (c: number): boolean => c === 40 || c === 91 || c === 123; // ( [ {
const isClose = (c: number): boolean => c === 41 || c === 93 || c === 125; // ) ] }

function skipSpace(s: string, i: number): number {
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i;
}

/** Index of the quote closing the string literal that opens at `i`, or -1 when the text ends first (cut). */
function closingQuote(s: string, i: number): number {
  const q = s.charCodeAt(i);
  const n = s.length;
  let j = i + 1;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (c === BS) j += 2;
    else if (c === q) return j;
    else j++;
  }
  return -1;
}

/** Index just past the string literal that opens at `i`, or the text's end when cut. */
function stringEnd(s: string, i: number): number {
  const q = closingQuote(s, i);
  return q < 0 ? s.length : q + 1;
}

/**
 * Where the value starting at `i` ends: at a comma or closing bracket outside any string or
 * bracket it opened, or at the end of the text (a cut value runs to the end).
 */
function valueEnd(s: string, i: number): number {
  const n = s.length;
  let depth = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === SQ || c === DQ) {
      i = stringEnd(s, i);
      continue;
    }
    if (c === BS) {
      // `\'` inside a string's text (we are one level down): an escaped quote, part of the value.
      i += 2;
      continue;
    }
    if (isOpen(c)) depth++;
    else if (isClose(c)) {
      if (depth === 0) return i;
      depth--;
    } else if (c === COMMA && depth === 0) return i;
    i++;
  }
  return n;
}

/** After a key ending at `j`: where its value starts (past `:` or `=`), or -1 when no value follows. */
function valueStart(s: string, j: number): number {
  // A key inside a string's text may close with an escaped quote: `{\'password\': …}`.
  if (s.charCodeAt(j) === BS && (s.charCodeAt(j + 1) === SQ || s.charCodeAt(j + 1) === DQ)) j += 2;
  j = skipSpace(s, j);
  const c = s.charCodeAt(j);
  if (c === COLON || (c === EQ && s.charCodeAt(j + 1) !== EQ)) return skipSpace(s, j + 1);
  return -1;
}

/** Last non-space index before `i`, or -1. */
function prevNonSpace(s: string, i: number): number {
  let j = i - 1;
  while (j >= 0 && isSpace(s.charCodeAt(j))) j--;
  return j;
}

/**
 * For a string literal from `start` to `end` (past its quote) that opens a pair inside a list of
 * pairs, `[(KEY, VALUE), …` or `…, (KEY, VALUE)` (Python's repr of an OrderedDict before 3.12,
 * of dict.items()): where VALUE starts; -1 otherwise.
 */
function pairValueStart(s: string, start: number, end: number): number {
  const open = prevNonSpace(s, start);
  if (open < 0 || s.charCodeAt(open) !== 40) return -1; // (
  const before = prevNonSpace(s, open);
  if (before < 0 || (s.charCodeAt(before) !== 91 && s.charCodeAt(before) !== COMMA)) return -1; // [ or ,
  const j = skipSpace(s, end);
  if (s.charCodeAt(j) !== COMMA) return -1;
  const v = skipSpace(s, j + 1);
  return isClose(s.charCodeAt(v)) ? -1 : v; // `('token',)`: a one-element tuple, no value
}

/**
 * One pass over `s`. `quote` is the quote to write the placeholder with (inside a string's text,
 * the other one, so the outer literal stays whole); `depth` bounds the descent into strings.
 */
function scan(s: string, re: RegExp, prefilter: boolean, quote: string, depth: number): string {
  const n = s.length;
  const placeholder = `${quote}${REDACTED}${quote}`;
  let out = '';
  let last = 0;
  let i = 0;
  const redactFrom = (start: number): void => {
    const end = valueEnd(s, start);
    out += s.slice(last, start) + placeholder;
    last = end;
    i = end;
  };
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === SQ || c === DQ) {
      const q = closingQuote(s, i);
      const closed = q >= 0;
      const contentEnd = closed ? q : n;
      const end = closed ? q + 1 : n;
      const content = s.slice(i + 1, contentEnd);
      const v = closed ? valueStart(s, end) : -1;
      if (v >= 0 && content.length > 0 && re.test(content)) {
        redactFrom(v);
        continue;
      }
      // A dict as key/value pairs: `OrderedDict([('password', 'x')])`, `dict_items([...])`.
      const p = closed ? pairValueStart(s, i, end) : -1;
      if (p >= 0 && content.length > 0 && re.test(content)) {
        redactFrom(p);
        continue;
      }
      // Not a secret's key: its text may hold `key: value` (a header, JSON, a str() of a dict).
      // (The prefilter may rule that out; an anchored pattern must look inside.)
      if (depth < 3 && content.length > 0 && (!prefilter || re.test(content))) {
        const inner = scan(content, re, prefilter, c === SQ ? '"' : "'", depth + 1);
        if (inner !== content) {
          out += s.slice(last, i + 1) + inner;
          last = contentEnd;
        }
      }
      i = end;
      continue;
    }
    if (c === BS) {
      i += 2;
      continue;
    }
    if (isDigit(c)) {
      // 1e5, 0x1f: no name starts inside a number.
      i++;
      while (i < n && (isIdentPart(s.charCodeAt(i)) || s.charCodeAt(i) === 46)) i++;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(s.charCodeAt(j))) j++;
      const next = s.charCodeAt(j);
      if (next === SQ || next === DQ) {
        // A string prefix (b'…', rb"…") or a name just before a string: the string comes next.
        i = j;
        continue;
      }
      const v = valueStart(s, j);
      if (v >= 0 && re.test(s.slice(i, j))) {
        redactFrom(v);
        continue;
      }
      i = j;
      continue;
    }
    i++;
  }
  return last === 0 ? s : out + s.slice(last);
}

function redactValue(v: unknown, re: RegExp, text: (s: string) => string): unknown {
  if (typeof v === 'string') return text(v);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const r = redactValue(v[i], re, text);
      if (r !== v[i]) (copy ??= v.slice())[i] = r;
    }
    return copy ?? v;
  }
  const o = v as Record<string, unknown>;
  let copy: Record<string, unknown> | null = null;
  for (const k of Object.keys(o)) {
    const r = re.test(k) ? REDACTED : redactValue(o[k], re, text);
    if (r !== o[k]) (copy ??= { ...o })[k] = r;
  }
  return copy ?? o;
}

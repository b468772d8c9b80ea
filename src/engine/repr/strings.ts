/**
 * String and bytes literals in both dialects (repr.ts): saferepr's (`'…'`, only `'` escaped, so a
 * raw trailing backslash makes the end ambiguous) and real Python ones (escapes decoded).
 */
import type { ReprNode } from './node.js';
import { C, FAIL, validAfter, type ReprCursor } from './cursor.js';

const HEX_RE = /^(?:[0-9a-f]{2})+$/;
/** Characters of saferepr output outside strings: punctuation, numbers, names, `<…>` reprs. */
const STRUCTURAL: boolean[] = [];
for (const ch of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.,:()[]{}<> +-=') {
  STRUCTURAL[ch.charCodeAt(0)] = true;
}
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** saferepr string: only `'` is escaped. A raw trailing backslash makes `\'` ambiguous (see below). */
export function saferString(p: ReprCursor): string {
  const s = p.s;
  const start = p.i;
  let j = start + 1;
  // A `\'` followed by what may follow a value is a candidate end (content ending in a raw `\`);
  // prefer the first unescaped `'` when it is itself followed by a valid continuation.
  const forced = p.overrides.get(start);
  if (forced !== undefined) return strEnd(p, start, forced);
  let cand = -1;
  for (;;) {
    const q = s.indexOf("'", j);
    if (q < 0) {
      if (cand < 0) throw FAIL;
      return strEnd(p, start, cand);
    }
    if (s.charCodeAt(q - 1) === C.Bs) {
      if (validAfter(p, q + 1)) cand = q;
      j = q + 1;
      continue;
    }
    if (cand < 0) return strEnd(p, start, q);
    const end = opensNext(p, cand, q) || !validAfter(p, q + 1) ? cand : q;
    p.ambiguous.push([start, end === q ? cand : q]);
    return strEnd(p, start, end);
  }
}

/**
 * Whether the `'` at q looks like the opening quote of a later string, the one at `cand` ending
 * this one: q follows an opener or `, `/`: `, and only punctuation and bare tokens lie between.
 */
function opensNext(p: ReprCursor, cand: number, q: number): boolean {
  const s = p.s;
  const before = s.charCodeAt(q - 1);
  if (before === C.Space) {
    const sep = s.charCodeAt(q - 2);
    if (sep !== C.Comma && sep !== C.Colon) return false;
  } else if (before !== C.LPar && before !== C.LBr && before !== C.LBr2) {
    return false;
  }
  // saferepr's own spacing: `, ` and `: ` only (`,)` ends a 1-tuple)
  for (let k = cand + 1; k < q; k++) {
    const c = s.charCodeAt(k);
    if (!STRUCTURAL[c]) return false;
    const next = s.charCodeAt(k + 1);
    if (c === C.Comma && next !== C.Space && next !== C.RPar) return false;
    if (c === C.Colon && next !== C.Space) return false;
    if (c === C.Space && k > cand + 1 && s.charCodeAt(k - 1) !== C.Comma && s.charCodeAt(k - 1) !== C.Colon) return false;
  }
  return s.indexOf("'", q + 1) >= 0; // the next string must close somewhere
}

function strEnd(p: ReprCursor, start: number, q: number): string {
  p.i = q + 1;
  const body = p.s.slice(start + 1, q);
  return body.includes("\\'") ? body.replaceAll("\\'", "'") : body;
}

/** saferepr bytes: the UTF-8 text unescaped, or hex digits when not decodable. */
export function saferBytes(p: ReprCursor): ReprNode {
  const s = p.s;
  const start = p.i;
  let q = s.indexOf("'", start + 1);
  while (q >= 0 && !validAfter(p, q + 1)) q = s.indexOf("'", q + 1);
  if (q < 0) throw FAIL;
  p.i = q + 1;
  const value = s.slice(start + 1, q);
  return { kind: 'bytes', value, hex: looksHex(value) };
}

/** A real Python string literal (call arguments, `"…"`), escapes decoded. */
export function pyString(p: ReprCursor, quote: number): string {
  const s = p.s;
  const n = p.n;
  let j = p.i + 1;
  let seg = j;
  const parts: string[] = [];
  for (;;) {
    if (j >= n) throw FAIL;
    const c = s.charCodeAt(j);
    if (c === quote) {
      parts.push(s.slice(seg, j));
      p.i = j + 1;
      return parts.length === 1 ? (parts[0] as string) : parts.join('');
    }
    if (c === C.Bs) {
      parts.push(s.slice(seg, j));
      j = escape(s, j, parts);
      seg = j;
    } else {
      j++;
    }
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '',
};

/** Decodes the escape at `s[j] === '\\'` into `parts`; returns the index after it. */
function escape(s: string, j: number, parts: string[]): number {
  const e = s[j + 1];
  if (e === undefined) throw FAIL;
  const simple = SIMPLE_ESCAPES[e];
  if (simple !== undefined) {
    parts.push(simple);
    return j + 2;
  }
  const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
  if (width > 0) {
    const hex = s.slice(j + 2, j + 2 + width);
    const code = hex.length === width && /^[0-9a-fA-F]+$/.test(hex) ? parseInt(hex, 16) : -1;
    if (code >= 0 && code <= 0x10ffff) {
      parts.push(String.fromCodePoint(code));
      return j + 2 + width;
    }
  } else if (e >= '0' && e <= '7') {
    let k = j + 1;
    while (k < j + 4 && s[k]! >= '0' && s[k]! <= '7') k++;
    parts.push(String.fromCharCode(parseInt(s.slice(j + 1, k), 8)));
    return k;
  }
  parts.push('\\' + e); // unknown escape (or `\N{…}`): Python keeps it verbatim too
  return j + 2;
}

/** saferepr prints undecodable bytes as hex: hex digits whose bytes are not valid UTF-8. */
function looksHex(value: string): boolean {
  const digits = value.endsWith('...') ? value.slice(0, -3) : value;
  if (!HEX_RE.test(digits)) return false;
  try {
    utf8.decode(Buffer.from(digits, 'hex'));
    return false;
  } catch {
    return true;
  }
}

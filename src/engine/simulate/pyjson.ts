/**
 * The scalar formatting of Python's `json.dumps` (default settings) and `repr(float)`, so that a
 * generated event is byte-identical to what a Celery 5.2 worker puts on the wire (PROTOCOL.md §1).
 *
 * Why not JSON.stringify: it keeps non-ASCII raw (Python's ensure_ascii escapes it), leaves DEL
 * (0x7f) raw, prints the float 2.0 as `2`, and switches to exponent notation at other thresholds
 * (JS: ≥ 1e21 or < 1e-6; Python repr: ≥ 1e16 or < 1e-4, with a 2-digit exponent `1e-05`).
 */

/** Everything Python's ESCAPE_ASCII regex (`[\\"]|[^\ -~]`) leaves alone. */
const PLAIN_ASCII = /^[ !#-[\]-~]*$/;
/** What JSON.stringify leaves raw but ensure_ascii escapes: DEL and everything above ASCII. */
const NON_ASCII = /[\u007f-\uffff]/g;

function hex4(code: number): string {
  return '\\u' + code.toString(16).padStart(4, '0');
}

/**
 * A JSON string literal exactly as `json.dumps(s)` writes it: `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`,
 * other control characters and every code unit ≥ 0x7f as lowercase `\uXXXX` (astral characters as
 * their surrogate pair, which is what UTF-16 code units already are).
 */
export function pyStr(s: string): string {
  if (s.length < MEMO_MIN_LENGTH) return encodeStr(s);
  // Long strings (args, results, tracebacks) come from a small pool and repeat on every task:
  // scanning them once is enough. Map lookups reuse the string's cached hash.
  let out = memo.get(s);
  if (out === undefined) {
    if (memo.size >= MEMO_MAX_ENTRIES) memo.clear();
    out = encodeStr(s);
    memo.set(s, out);
  }
  return out;
}

const MEMO_MIN_LENGTH = 40;
const MEMO_MAX_ENTRIES = 4096;
const memo = new Map<string, string>();

function encodeStr(s: string): string {
  if (PLAIN_ASCII.test(s)) return '"' + s + '"';
  // JSON.stringify already escapes quotes, backslashes and C0 controls the way Python does
  // (short forms \b \f \n \r \t, lowercase \u00XX otherwise) and lone surrogates as \udXXX.
  return JSON.stringify(s).replace(NON_ASCII, (ch) => hex4(ch.charCodeAt(0)));
}

/** `pyStr`, or `null` for JSON null (eta, expires, parent_id ...). */
export function pyStrOrNull(s: string | null): string {
  return s === null ? 'null' : pyStr(s);
}

/** A Python int (the value must be an integer: clocks, pids, counters). */
export function pyInt(n: number): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`not an integer: ${n}`);
  return String(n);
}

/**
 * Python's `repr(float)`: the shortest round-trip digits (the same digits JS picks), in fixed notation
 * with a forced `.0` when the decimal exponent is in [-4, 16), else `d.ddde±XX`.
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(x);
  if (abs >= 1e-4 && abs < 1e16) {
    // Both languages use fixed notation here with the same shortest digits; only an integral
    // value differs (`2` in JS, `2.0` in Python). This is the hot path (timestamps, runtimes).
    return Number.isInteger(x) ? `${x}.0` : String(x);
  }
  // toExponential() without an argument gives the shortest digits that round-trip.
  const [mant = '', expStr = '0'] = x.toExponential().split('e');
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intLen = exp + 1;
  if (digits.length <= intLen) return `${sign}${digits}${'0'.repeat(intLen - digits.length)}.0`;
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

/** A Python float as `json.dumps` writes it (repr, but `NaN`/`Infinity` tokens for the specials). */
export function pyFloat(x: number): string {
  // The events of one simulation step share their timestamp: remember the last one.
  if (x === lastFloat && x !== 0) return lastFloatText;
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  lastFloat = x;
  lastFloatText = pyFloatRepr(x);
  return lastFloatText;
}
let lastFloat = NaN;
let lastFloatText = 'NaN';

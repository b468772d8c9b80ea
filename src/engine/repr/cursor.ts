/**
 * The parser's state (repr.ts explains the grammar) and the scans that need no recursion:
 * whitespace, saferepr's `, ...` budget marker and lenient closers after it, depth markers
 * (`{...}`), where a cut or unparseable token ends, `<…>` reprs.
 *
 * The parser is one object (ReprParser, parser.ts); the routines here, in strings.ts
 * and in containers.ts are plain functions of it, called exactly where they were its
 * methods when this was one file: no call added, and one class, so no constructor chain.
 */
import type { ReprNode } from './node.js';

/** Longest token saferepr may cut (its budget is 1024 in Celery; be generous). */
export const CUT_WINDOW = 8192;
/** Re-parses with an ambiguous string end flipped, at most (parseRepr, and `guard` in parser.ts). */
export const RETRIES = 3;

export const FAIL = { fail: true }; // thrown internally (cheap: no stack capture), caught in parseRepr

// The exponent's digits are optional only so that a cut `1e+...` is seen whole; checked in `value`.
export const NUM_RE = /[-+]?(?:\d[\d_]*(?:\.(?!\.)\d*)?|\.\d+)(?:[eE][-+]?\d*)?/y;
export const IDENT_RE = /[A-Za-z_\u00c0-\uffff][\w\u00c0-\uffff]*(?:\.[A-Za-z_\u00c0-\uffff][\w\u00c0-\uffff]*)*/y;
export const COMPLEX_RE = /\(-?(?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|inf|nan)[-+](?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|inf|nan)j\)/y;

// A const enum: esbuild inlines its members in the bundle, as it did when this was one file.
export const enum C {
  Tab = 9, Nl = 10, Cr = 13, Space = 32, Dq = 34, Sq = 39, LPar = 40, RPar = 41, Comma = 44,
  Dot = 46, Colon = 58, Lt = 60, Eq = 61, Gt = 62, LBr = 91, Bs = 92, RBr = 93, LBr2 = 123, RBr2 = 125,
}

/** Where the parse is and what it has learnt on the way (ReprParser's fields). */
export interface ReprCursor {
  readonly s: string;
  readonly n: number;
  /** Forced string ends: opening quote index -> closing quote index (parseRepr's retries). */
  readonly overrides: Map<number, number>;
  i: number;
  truncated: boolean;
  /** Whether the last sequence ended with `,` before its closer (`(x,)` vs `(x)`). */
  trailingComma: boolean;
  /** Closers of the containers being parsed, innermost last (for lenient missing closers). */
  readonly open: number[];
  /** Ambiguous string ends taken: [opening quote index, the other possible closing quote]. */
  readonly ambiguous: Array<[number, number]>;
}

/** A cursor that can also read one value of any kind (the parser): what containers.ts recurses through. */
export interface ValueReader extends ReprCursor {
  value(py: boolean, depth: number): ReprNode;
}

export function ws(p: ReprCursor): void {
  const s = p.s;
  let c = s.charCodeAt(p.i);
  while (c === C.Space || c === C.Nl || c === C.Tab || c === C.Cr) c = s.charCodeAt(++p.i);
}

/** What may follow a complete value: end of input, a separator or a closer. */
export function validAfter(p: ReprCursor, k: number): boolean {
  if (k >= p.n) return true;
  const c = p.s.charCodeAt(k);
  // No whitespace: `'a\', 'b'` must not read as one string ending before ` b'`.
  return c === C.Comma || c === C.RPar || c === C.RBr || c === C.RBr2 || c === C.Colon;
}

export function atMarker(p: ReprCursor): boolean {
  return p.s.startsWith(', ...', p.i) && p.s.charCodeAt(p.i + 5) !== C.Dot;
}

/**
 * Consumes a `, ...` marker. saferepr emits only dangling closers after it (one may be missing
 * or, when the budget ran out on an opener, one extra), so if that is all that is left we stop:
 * every open container then ends at end of input.
 */
export function takeMarker(p: ReprCursor): void {
  p.truncated = true;
  p.i += 5;
  const s = p.s;
  let k = p.i;
  while (k < p.n) {
    const c = s.charCodeAt(k);
    if (c === C.RPar || c === C.RBr || c === C.RBr2) k++;
    else if (c === C.Comma && s.charCodeAt(k + 1) === C.RPar) k += 2;
    else if (s.startsWith(', ...', k)) k += 5;
    else return;
  }
  p.i = p.n;
}

/** After a `, ...` marker a closer may be missing: accept one that closes an outer container. */
export function lenientClose(p: ReprCursor, c: number): boolean {
  if (!p.truncated || !(c === C.RPar || c === C.RBr || c === C.RBr2)) return false;
  if (p.open.lastIndexOf(c) < 0) throw FAIL;
  return true;
}

/** A scalar token saferepr may have cut: `123...`, `datetime.datetime(2024,...`. */
export function scalarEnd(p: ReprCursor, py: boolean, start: number, end: number, node: ReprNode): ReprNode {
  if (!py && p.s.startsWith('...', end)) {
    // the cut prefix may itself end in dots (`datetime.` + `...`)
    let k = end + 3;
    while (p.s.charCodeAt(k) === C.Dot) k++;
    p.truncated = true;
    p.i = k;
    return { kind: 'opaque', text: p.s.slice(start, k) };
  }
  p.i = end;
  return node;
}

/** Depth markers `[...]`, `{...}`, `(...)`, `(...,)` (saferepr's maxlevels, Python's recursion). */
export function nested(p: ReprCursor, closer: number, text: string): ReprNode | null {
  const s = p.s;
  const i = p.i;
  if (!s.startsWith('...', i + 1)) return null;
  if (s.charCodeAt(i + 4) === closer) {
    p.i = i + 5;
    return { kind: 'ellipsis', text };
  }
  if (closer === C.RPar && s.startsWith(',)', i + 4)) {
    p.i = i + 6;
    return { kind: 'ellipsis', text: '(...,)' };
  }
  // saferepr cut the marker token itself: `{` + `...` + `...` (the prefix of `{...}` and `...`)
  let k = i + 1;
  while (s.charCodeAt(k) === C.Dot || (s.charCodeAt(k) === C.Comma && s.charCodeAt(k + 1) === C.Dot)) k++;
  if (k - i >= 4 && s.startsWith('...', k - 3) && validAfter(p, k)) {
    p.truncated = true;
    p.i = k;
    return { kind: 'opaque', text: s.slice(i, k) };
  }
  return null;
}

/**
 * Where an unparseable call/`<…>` token ends, in one bounded pass: at the bracket that balances
 * its first opener, or at a cut (a run of dots followed by what may follow a value, not a depth
 * marker like `{...}`), whichever comes first. Returns the end, negated for a cut, or 0.
 * A cut token is at most saferepr's budget long, so the window keeps this linear overall.
 */
export function fallbackEnd(p: ReprCursor, start: number): number {
  const s = p.s;
  const limit = Math.min(p.n, start + CUT_WINDOW);
  const angle = s.charCodeAt(start) === C.Lt;
  let depth = 0;
  let quote = 0;
  for (let j = start; j < limit; j++) {
    const c = s.charCodeAt(j);
    if (c === C.Dot && s.startsWith('...', j)) {
      let end = j + 3;
      while (s.charCodeAt(end) === C.Dot) end++;
      const open = s.charCodeAt(j - 1);
      const marker = end === j + 3 && isOpener(open) &&
        (s.charCodeAt(end) === closerOf(open) || (open === C.LPar && s.startsWith(',)', end)));
      if (!marker && validAfter(p, end)) return -end;
      j = end - 1;
    } else if (quote !== 0) {
      if (c === C.Bs) j++;
      else if (c === quote) quote = 0;
    } else if (angle) {
      if (c === C.Lt) depth++;
      else if (c === C.Gt && --depth === 0) return validAfter(p, j + 1) ? j + 1 : 0;
    } else if (c === C.Sq || c === C.Dq) {
      quote = c;
    } else if (isOpener(c)) {
      depth++;
    } else if (c === C.RPar || c === C.RBr || c === C.RBr2) {
      if (--depth <= 0) return depth === 0 && validAfter(p, j + 1) ? j + 1 : 0;
    }
  }
  return 0;
}

/** `<object object at 0x…>`, `<function <lambda> at 0x…>`: up to the matching `>`. */
export function angle(p: ReprCursor): ReprNode {
  const s = p.s;
  const limit = Math.min(p.n, p.i + CUT_WINDOW);
  let depth = 0;
  let end = -1;
  for (let j = p.i; j < limit; j++) {
    const c = s.charCodeAt(j);
    if (c === C.Lt) depth++;
    else if (c === C.Gt && --depth === 0) {
      end = j + 1;
      break;
    }
  }
  if (end < 0) throw FAIL;
  const text = p.s.slice(p.i, end);
  p.i = end;
  return { kind: 'opaque', text };
}

function isOpener(c: number): boolean {
  return c === C.LPar || c === C.LBr || c === C.LBr2;
}

function closerOf(c: number): number {
  return c === C.LPar ? C.RPar : c === C.LBr ? C.RBr : C.RBr2;
}

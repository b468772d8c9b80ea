/**
 * Parser for the Python reprs Celery puts in events (args/kwargs/result via `saferepr(x, 1024)`,
 * exception via real `repr()`), PROTOCOL.md §3 "saferepr format". Never evals, never throws.
 *
 * Two string dialects share one grammar:
 * - saferepr (top level and its containers): strings are `'…'` with only `'` escaped as `\'`;
 *   backslashes and control chars are raw; bytes are `b'…'` with nothing escaped at all.
 * - Python (inside `Name(…)` call arguments, which saferepr copies from the object's own repr):
 *   real escapes (`\\`, `\n`, `\x00`, `\'`) and `"…"` strings.
 *
 * Truncation (saferepr budget): a cut token ends in `...` (strings keep their quotes; numbers and
 * calls become `12...`, `datetime.datetime(2026,...`), then `, ...` replaces the next token, then
 * the pending closers follow — minus the closer the budget ran out on, or plus one when it ran out
 * on an opener. After a marker, closers are therefore matched leniently.
 *
 * Ambiguity: a saferepr string ending in a raw backslash ends in `\'`, like an escaped quote. We
 * guess from what follows, and on failure re-parse with the guess flipped (a bounded few times).
 *
 * Recursive descent with a depth cap: past MAX_DEPTH the whole input falls back to `raw`, so the
 * renderers (also recursive) never see a tree deeper than that. Every scan is bounded or advances,
 * so time stays linear in the input.
 */

export type ReprNode =
  | { kind: 'str'; value: string } // unescaped content
  | { kind: 'bytes'; value: string; hex: boolean }
  | { kind: 'int'; text: string }
  | { kind: 'float'; text: string }
  | { kind: 'const'; value: 'None' | 'True' | 'False' | 'inf' | '-inf' | 'nan' }
  | { kind: 'list' | 'tuple' | 'set' | 'frozenset'; items: ReprNode[] }
  | { kind: 'dict'; entries: Array<readonly [ReprNode, ReprNode]> }
  | { kind: 'call'; callee: string; args: ReprNode[]; kwargs: Array<readonly [string, ReprNode]> }
  | { kind: 'ellipsis'; text: string } // saferepr's `...` marker, or `{...}`/`[...]`/`(...)`
  /** A valid repr we keep as text: `<object at 0x…>`, bare names (`datetime.timezone.utc`),
   *  complex numbers, calls whose arguments are not literals, tokens saferepr cut (`1...`). */
  | { kind: 'opaque'; text: string }
  | { kind: 'raw'; text: string }; // what could not be parsed, verbatim

export interface ParsedRepr {
  node: ReprNode;
  /** The whole text was understood (a truncated saferepr output still counts). */
  ok: boolean;
  /** saferepr's budget markers (`, ...`) or a cut token were seen. */
  truncated: boolean;
}

export const MAX_DEPTH = 200;
/** Longest token saferepr may cut (its budget is 1024 in Celery; be generous). */
const CUT_WINDOW = 8192;
const RETRIES = 3;
/** The `, ...` budget marker. */
export const CUT_MARKER: ReprNode = Object.freeze({ kind: 'ellipsis', text: '...' });

/** Whether a node is saferepr's `...` budget marker (not a `{...}` depth marker). */
export function isCut(node: ReprNode | undefined): boolean {
  return node?.kind === 'ellipsis' && node.text === '...';
}

const FAIL = { fail: true }; // thrown internally (cheap: no stack capture), caught in parseRepr

// The exponent's digits are optional only so that a cut `1e+...` is seen whole; checked below.
const NUM_RE = /[-+]?(?:\d[\d_]*(?:\.(?!\.)\d*)?|\.\d+)(?:[eE][-+]?\d*)?/y;
const IDENT_RE = /[A-Za-z_\u00c0-\uffff][\w\u00c0-\uffff]*(?:\.[A-Za-z_\u00c0-\uffff][\w\u00c0-\uffff]*)*/y;
const COMPLEX_RE = /\(-?(?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|inf|nan)[-+](?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|inf|nan)j\)/y;
const HEX_RE = /^(?:[0-9a-f]{2})+$/;
/** Characters of saferepr output outside strings: punctuation, numbers, names, `<…>` reprs. */
const STRUCTURAL: boolean[] = [];
for (const ch of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.,:()[]{}<> +-=') {
  STRUCTURAL[ch.charCodeAt(0)] = true;
}
const WORDISH: boolean[] = [];
for (const ch of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-') WORDISH[ch.charCodeAt(0)] = true;
const CONSTS = new Set(['None', 'True', 'False', 'inf', 'nan']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

const enum C {
  Tab = 9, Nl = 10, Cr = 13, Space = 32, Dq = 34, Sq = 39, LPar = 40, RPar = 41, Comma = 44,
  Dot = 46, Colon = 58, Lt = 60, Eq = 61, Gt = 62, LBr = 91, Bs = 92, RBr = 93, LBr2 = 123, RBr2 = 125,
}

export function parseRepr(text: string): ParsedRepr {
  // Where a saferepr string ends can be ambiguous (see saferString); on failure, retry a few times
  // with the latest ambiguous choice flipped. Bounded, so garbage costs at most RETRIES+1 parses.
  const overrides = new Map<number, number>();
  let truncated = false;
  for (let attempt = 0; ; attempt++) {
    const p = new Parser(text, overrides);
    try {
      p.ws();
      const node = p.value(false, 0);
      p.ws();
      if (p.i === text.length) return { node, ok: true, truncated: p.truncated };
    } catch (e) {
      if (e !== FAIL) break; // not expected: stay safe, the caller gets the raw text
    }
    truncated ||= p.truncated;
    const flip = p.ambiguous.pop();
    if (flip === undefined || attempt >= RETRIES) break;
    overrides.set(flip[0], flip[1]);
  }
  return { node: { kind: 'raw', text }, ok: false, truncated };
}

class Parser {
  i = 0;
  truncated = false;
  /** Whether the last sequence ended with `,` before its closer (`(x,)` vs `(x)`). */
  private trailingComma = false;
  /** Closers of the containers being parsed, innermost last (for lenient missing closers). */
  private readonly open: number[] = [];
  private readonly n: number;
  /** Ambiguous string ends taken: [opening quote index, the other possible closing quote]. */
  readonly ambiguous: Array<[number, number]> = [];
  constructor(
    private readonly s: string,
    private readonly overrides: Map<number, number>,
  ) {
    this.n = s.length;
  }

  ws(): void {
    const s = this.s;
    let c = s.charCodeAt(this.i);
    while (c === C.Space || c === C.Nl || c === C.Tab || c === C.Cr) c = s.charCodeAt(++this.i);
  }

  /** What may follow a complete value: end of input, a separator or a closer. */
  private validAfter(k: number): boolean {
    if (k >= this.n) return true;
    const c = this.s.charCodeAt(k);
    // No whitespace: `'a\', 'b'` must not read as one string ending before ` b'`.
    return c === C.Comma || c === C.RPar || c === C.RBr || c === C.RBr2 || c === C.Colon;
  }

  private atMarker(): boolean {
    return this.s.startsWith(', ...', this.i) && this.s.charCodeAt(this.i + 5) !== C.Dot;
  }

  /**
   * Consumes a `, ...` marker. saferepr emits only dangling closers after it (one may be missing
   * or, when the budget ran out on an opener, one extra), so if that is all that is left we stop:
   * every open container then ends at end of input.
   */
  private takeMarker(): void {
    this.truncated = true;
    this.i += 5;
    const s = this.s;
    let k = this.i;
    while (k < this.n) {
      const c = s.charCodeAt(k);
      if (c === C.RPar || c === C.RBr || c === C.RBr2) k++;
      else if (c === C.Comma && s.charCodeAt(k + 1) === C.RPar) k += 2;
      else if (s.startsWith(', ...', k)) k += 5;
      else return;
    }
    this.i = this.n;
  }

  value(py: boolean, depth: number): ReprNode {
    if (depth > MAX_DEPTH) throw FAIL;
    const s = this.s;
    const start = this.i;
    const c = s.charCodeAt(start);
    if (c === C.Sq) return { kind: 'str', value: py ? this.pyString(C.Sq) : this.saferString() };
    if (c === C.Dq) return { kind: 'str', value: this.pyString(C.Dq) };
    if (c === C.LBr) {
      const e = this.nested(C.RBr, '[...]');
      if (e) return this.scalarEnd(py, start, this.i, e);
      this.i++;
      return { kind: 'list', items: this.seq(C.RBr, py, depth, []) };
    }
    if (c === C.LBr2) {
      const e = this.nested(C.RBr2, '{...}');
      return e ? this.scalarEnd(py, start, this.i, e) : this.braces(py, depth);
    }
    if (c === C.LPar) {
      const e = this.nested(C.RPar, '(...)');
      if (e) return this.scalarEnd(py, start, this.i, e);
      COMPLEX_RE.lastIndex = start;
      if (COMPLEX_RE.test(s)) return this.scalarEnd(py, start, COMPLEX_RE.lastIndex, { kind: 'opaque', text: s.slice(start, COMPLEX_RE.lastIndex) });
      this.i++;
      const items = this.seq(C.RPar, py, depth, []);
      // `(x)` is not a tuple: Python writes `(x,)`.
      // (A truncated tuple may show one item and `)`: its `,)` was never reached.)
      if (items.length === 1 && !this.trailingComma && !this.truncated) throw FAIL;
      return { kind: 'tuple', items };
    }
    if (c === 0x62 /* b */ && (s.charCodeAt(start + 1) === C.Sq || s.charCodeAt(start + 1) === C.Dq)) {
      this.i++;
      if (py || s.charCodeAt(this.i) === C.Dq) return { kind: 'bytes', value: this.pyString(s.charCodeAt(this.i)), hex: false };
      return this.saferBytes();
    }
    if (c === C.Lt) return this.guard(py, start, () => this.angle());
    if (c === 0x2d /* - */ && s.startsWith('-inf', start)) {
      return this.scalarEnd(py, start, start + 4, { kind: 'const', value: '-inf' });
    }
    NUM_RE.lastIndex = start;
    if (NUM_RE.test(s)) {
      const end = NUM_RE.lastIndex;
      const text = s.slice(start, end);
      if (s.charCodeAt(end) === 0x6a /* j */) return this.scalarEnd(py, start, end + 1, { kind: 'opaque', text: text + 'j' });
      const float = text.includes('.') || text.includes('e') || text.includes('E');
      const node = this.scalarEnd(py, start, end, float ? { kind: 'float', text } : { kind: 'int', text });
      const last = text.charCodeAt(text.length - 1);
      if (node.kind === 'float' && !(last >= 0x30 && last <= 0x39)) throw FAIL; // `1e+` not cut
      return node;
    }
    IDENT_RE.lastIndex = start;
    if (IDENT_RE.test(s)) {
      const end = IDENT_RE.lastIndex;
      const name = s.slice(start, end);
      if (s.charCodeAt(end) === C.LPar) {
        return this.guard(py, start, () => {
          this.i = end;
          return this.call(name, py, depth);
        });
      }
      const node: ReprNode = CONSTS.has(name)
        ? { kind: 'const', value: name as 'None' | 'True' | 'False' | 'inf' | 'nan' }
        : { kind: 'opaque', text: name };
      return this.scalarEnd(py, start, end, node);
    }
    // a token saferepr cut early (`-...` of `-5`, `-in...` of `-inf`)
    let k = start;
    while (k < start + 64 && WORDISH[s.charCodeAt(k)]) k++;
    if (!py && k > start && s.startsWith('...', k)) return this.scalarEnd(py, start, k, { kind: 'raw', text: '' });
    throw FAIL;
  }

  /** A scalar token saferepr may have cut: `123...`, `datetime.datetime(2024,...`. */
  private scalarEnd(py: boolean, start: number, end: number, node: ReprNode): ReprNode {
    if (!py && this.s.startsWith('...', end)) {
      // the cut prefix may itself end in dots (`datetime.` + `...`)
      let k = end + 3;
      while (this.s.charCodeAt(k) === C.Dot) k++;
      this.truncated = true;
      this.i = k;
      return { kind: 'opaque', text: this.s.slice(start, k) };
    }
    this.i = end;
    return node;
  }


  /**
   * Calls and `<…>` reprs come from the object's own `__repr__`. If one does not parse at saferepr
   * level (not inside another call), keep it as opaque text: either saferepr cut it (`...` then a
   * continuation) or it is balanced but not made of literals (`Foo(a b)`). Failures inside calls
   * propagate up to here, so this fallback runs at most once per top-level token (linear time).
   */
  private guard(py: boolean, start: number, parse: () => ReprNode): ReprNode {
    const openDepth = this.open.length;
    const wasTruncated = this.truncated;
    const ambiguous = this.ambiguous.length;
    for (let attempt = 0; ; attempt++) {
      try {
        const node = parse();
        return this.scalarEnd(py, start, this.i, node);
      } catch (e) {
        if (e !== FAIL || py) throw e;
        this.open.length = openDepth;
        this.truncated = wasTruncated;
        this.i = start;
        // a string inside (e.g. in `frozenset({…})`) may have ended at the wrong quote: retry
        const flip = this.ambiguous.length > ambiguous ? this.ambiguous.pop() : undefined;
        this.ambiguous.length = ambiguous;
        if (flip === undefined || attempt >= RETRIES) break;
        this.overrides.set(flip[0], flip[1]);
      }
    }
    const end = this.fallbackEnd(start);
    if (end === 0) throw FAIL;
    this.i = Math.abs(end);
    if (end < 0) this.truncated = true;
    return { kind: 'opaque', text: this.s.slice(start, Math.abs(end)) };
  }

  /**
   * Where an unparseable call/`<…>` token ends, in one bounded pass: at the bracket that balances
   * its first opener, or at a cut (a run of dots followed by what may follow a value, not a depth
   * marker like `{...}`), whichever comes first. Returns the end, negated for a cut, or 0.
   * A cut token is at most saferepr's budget long, so the window keeps this linear overall.
   */
  private fallbackEnd(start: number): number {
    const s = this.s;
    const limit = Math.min(this.n, start + CUT_WINDOW);
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
        if (!marker && this.validAfter(end)) return -end;
        j = end - 1;
      } else if (quote !== 0) {
        if (c === C.Bs) j++;
        else if (c === quote) quote = 0;
      } else if (angle) {
        if (c === C.Lt) depth++;
        else if (c === C.Gt && --depth === 0) return this.validAfter(j + 1) ? j + 1 : 0;
      } else if (c === C.Sq || c === C.Dq) {
        quote = c;
      } else if (isOpener(c)) {
        depth++;
      } else if (c === C.RPar || c === C.RBr || c === C.RBr2) {
        if (--depth <= 0) return depth === 0 && this.validAfter(j + 1) ? j + 1 : 0;
      }
    }
    return 0;
  }

  /** Depth markers `[...]`, `{...}`, `(...)`, `(...,)` (saferepr's maxlevels, Python's recursion). */
  private nested(closer: number, text: string): ReprNode | null {
    const s = this.s;
    const i = this.i;
    if (!s.startsWith('...', i + 1)) return null;
    if (s.charCodeAt(i + 4) === closer) {
      this.i = i + 5;
      return { kind: 'ellipsis', text };
    }
    if (closer === C.RPar && s.startsWith(',)', i + 4)) {
      this.i = i + 6;
      return { kind: 'ellipsis', text: '(...,)' };
    }
    // saferepr cut the marker token itself: `{` + `...` + `...` (the prefix of `{...}` and `...`)
    let k = i + 1;
    while (s.charCodeAt(k) === C.Dot || (s.charCodeAt(k) === C.Comma && s.charCodeAt(k + 1) === C.Dot)) k++;
    if (k - i >= 4 && s.startsWith('...', k - 3) && this.validAfter(k)) {
      this.truncated = true;
      this.i = k;
      return { kind: 'opaque', text: s.slice(i, k) };
    }
    return null;
  }

  /** After a `, ...` marker a closer may be missing: accept one that closes an outer container. */
  private lenientClose(c: number): boolean {
    if (!this.truncated || !(c === C.RPar || c === C.RBr || c === C.RBr2)) return false;
    if (this.open.lastIndexOf(c) < 0) throw FAIL;
    return true;
  }

  /** Items up to `closer` (opener already consumed). Sets `trailingComma` for the 1-tuple check. */
  private seq(closer: number, py: boolean, depth: number, items: ReprNode[]): ReprNode[] {
    const s = this.s;
    this.open.push(closer);
    let expectValue = items.length === 0;
    this.trailingComma = false;
    for (;;) {
      this.ws();
      if (this.i >= this.n) {
        if (this.truncated) break;
        throw FAIL;
      }
      const c = s.charCodeAt(this.i);
      if (c === closer) {
        this.i++;
        break;
      }
      if (this.atMarker()) {
        items.push(CUT_MARKER);
        this.takeMarker();
        expectValue = false;
      } else if (this.lenientClose(c)) {
        break;
      } else if (expectValue) {
        items.push(this.value(py, depth + 1));
        expectValue = false;
      } else if (c === C.Comma) {
        this.i++;
        expectValue = true;
      } else {
        throw FAIL;
      }
    }
    this.trailingComma = expectValue && items.length > 0;
    this.open.pop();
    return items;
  }

  /** `{…}`: a dict, or a set when the first item is not followed by `:`. */
  private braces(py: boolean, depth: number): ReprNode {
    this.i++;
    this.ws();
    const c = this.s.charCodeAt(this.i);
    if (c === C.RBr2) {
      this.i++;
      return { kind: 'dict', entries: [] };
    }
    if (this.atMarker()) return this.dict(py, depth, null);
    this.open.push(C.RBr2); // so a key cut short may be closed by our `}`
    const first = this.value(py, depth + 1);
    this.open.pop();
    this.ws();
    if (this.s.charCodeAt(this.i) === C.Colon) return this.dict(py, depth, first);
    return { kind: 'set', items: this.seq(C.RBr2, py, depth, [first]) };
  }

  private dict(py: boolean, depth: number, firstKey: ReprNode | null): ReprNode {
    const s = this.s;
    const entries: Array<readonly [ReprNode, ReprNode]> = [];
    let key = firstKey;
    // 0: key expected, 1: `:` expected, 2: value expected, 3: `,` or `}` expected
    let state = key === null ? 0 : 1;
    this.open.push(C.RBr2);
    for (;;) {
      this.ws();
      const c = s.charCodeAt(this.i);
      if (c === C.RBr2) {
        if (state === 1 || state === 2) {
          if (!this.truncated || key === null) throw FAIL;
          entries.push([key, CUT_MARKER]);
        }
        this.i++;
        break;
      }
      if (this.i >= this.n || this.lenientClose(c)) {
        if (!this.truncated) throw FAIL;
        if (key !== null) entries.push([key, CUT_MARKER]);
        break;
      }
      if (this.atMarker()) {
        // `{'a': 1, ...}`, or the budget ran out after a key (`'sq...', ...`) or after `: `.
        entries.push(key === null ? [CUT_MARKER, CUT_MARKER] : [key, CUT_MARKER]);
        key = null;
        this.takeMarker();
        state = 3;
      } else if (state === 0) {
        key = this.value(py, depth + 1);
        state = 1;
      } else if (state === 1 && c === C.Colon) {
        this.i++;
        state = 2;
      } else if (state === 2) {
        entries.push([key ?? CUT_MARKER, this.value(py, depth + 1)]);
        key = null;
        state = 3;
      } else if (state === 3 && c === C.Comma) {
        this.i++;
        state = 0;
      } else {
        throw FAIL;
      }
    }
    this.open.pop();
    return { kind: 'dict', entries };
  }

  private call(name: string, py: boolean, depth: number): ReprNode {
    const s = this.s;
    this.i++; // `(`
    this.ws();
    if ((name === 'set' || name === 'frozenset') && s.charCodeAt(this.i) === C.RPar) {
      this.i++;
      return { kind: name, items: [] };
    }
    if (name === 'frozenset' && s.charCodeAt(this.i) === C.LBr2) {
      // saferepr writes `frozenset({` … `})` itself, so the items keep the caller's dialect.
      this.open.push(C.RPar);
      const inner = this.value(py, depth + 1);
      this.open.pop();
      this.ws();
      const closed = s.charCodeAt(this.i) === C.RPar;
      if (closed || (this.truncated && (this.i >= this.n || this.lenientClose(s.charCodeAt(this.i))))) {
        if (closed) this.i++;
        if (inner.kind === 'set') return { kind: 'frozenset', items: inner.items };
        // `frozenset({, ...})`: the budget ran out right after the opener
        if (inner.kind === 'dict' && inner.entries.every(([k]) => k === CUT_MARKER)) {
          return { kind: 'frozenset', items: [CUT_MARKER] };
        }
        if (inner.kind === 'ellipsis') return { kind: 'ellipsis', text: `frozenset(${inner.text})` };
      }
      throw FAIL;
    }
    const args: ReprNode[] = [];
    const kwargs: Array<readonly [string, ReprNode]> = [];
    this.open.push(C.RPar);
    let expectValue = true;
    for (;;) {
      this.ws();
      if (this.i >= this.n) {
        if (this.truncated) break;
        throw FAIL;
      }
      const c = s.charCodeAt(this.i);
      if (c === C.RPar) {
        this.i++;
        break;
      }
      if (this.lenientClose(c)) break;
      if (expectValue) {
        IDENT_RE.lastIndex = this.i;
        const end = IDENT_RE.test(s) ? IDENT_RE.lastIndex : -1;
        if (end > 0 && s.charCodeAt(end) === C.Eq && s.charCodeAt(end + 1) !== C.Eq) {
          const kw = s.slice(this.i, end);
          this.i = end + 1;
          this.ws();
          kwargs.push([kw, this.value(true, depth + 1)]);
        } else {
          args.push(this.value(true, depth + 1));
        }
        expectValue = false;
      } else if (c === C.Comma) {
        this.i++;
        expectValue = true;
      } else {
        throw FAIL;
      }
    }
    this.open.pop();
    return { kind: 'call', callee: name, args, kwargs };
  }

  /** saferepr string: only `'` is escaped. A raw trailing backslash makes `\'` ambiguous (see below). */
  private saferString(): string {
    const s = this.s;
    const start = this.i;
    let j = start + 1;
    // A `\'` followed by what may follow a value is a candidate end (content ending in a raw `\`);
    // prefer the first unescaped `'` when it is itself followed by a valid continuation.
    const forced = this.overrides.get(start);
    if (forced !== undefined) return this.strEnd(start, forced);
    let cand = -1;
    for (;;) {
      const q = s.indexOf("'", j);
      if (q < 0) {
        if (cand < 0) throw FAIL;
        return this.strEnd(start, cand);
      }
      if (s.charCodeAt(q - 1) === C.Bs) {
        if (this.validAfter(q + 1)) cand = q;
        j = q + 1;
        continue;
      }
      if (cand < 0) return this.strEnd(start, q);
      const end = this.opensNext(cand, q) || !this.validAfter(q + 1) ? cand : q;
      this.ambiguous.push([start, end === q ? cand : q]);
      return this.strEnd(start, end);
    }
  }

  /**
   * Whether the `'` at q looks like the opening quote of a later string, the one at `cand` ending
   * this one: q follows an opener or `, `/`: `, and only punctuation and bare tokens lie between.
   */
  private opensNext(cand: number, q: number): boolean {
    const s = this.s;
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

  private strEnd(start: number, q: number): string {
    this.i = q + 1;
    const body = this.s.slice(start + 1, q);
    return body.includes("\\'") ? body.replaceAll("\\'", "'") : body;
  }

  /** saferepr bytes: the UTF-8 text unescaped, or hex digits when not decodable. */
  private saferBytes(): ReprNode {
    const s = this.s;
    const start = this.i;
    let q = s.indexOf("'", start + 1);
    while (q >= 0 && !this.validAfter(q + 1)) q = s.indexOf("'", q + 1);
    if (q < 0) throw FAIL;
    this.i = q + 1;
    const value = s.slice(start + 1, q);
    return { kind: 'bytes', value, hex: looksHex(value) };
  }

  /** A real Python string literal (call arguments, `"…"`), escapes decoded. */
  private pyString(quote: number): string {
    const s = this.s;
    const n = this.n;
    let j = this.i + 1;
    let seg = j;
    const parts: string[] = [];
    for (;;) {
      if (j >= n) throw FAIL;
      const c = s.charCodeAt(j);
      if (c === quote) {
        parts.push(s.slice(seg, j));
        this.i = j + 1;
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

  /** `<object object at 0x…>`, `<function <lambda> at 0x…>`: up to the matching `>`. */
  private angle(): ReprNode {
    const s = this.s;
    const limit = Math.min(this.n, this.i + CUT_WINDOW);
    let depth = 0;
    let end = -1;
    for (let j = this.i; j < limit; j++) {
      const c = s.charCodeAt(j);
      if (c === C.Lt) depth++;
      else if (c === C.Gt && --depth === 0) {
        end = j + 1;
        break;
      }
    }
    if (end < 0) throw FAIL;
    const text = this.s.slice(this.i, end);
    this.i = end;
    return { kind: 'opaque', text };
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

function isOpener(c: number): boolean {
  return c === C.LPar || c === C.LBr || c === C.LBr2;
}

function closerOf(c: number): number {
  return c === C.LPar ? C.RPar : c === C.LBr ? C.RBr : C.RBr2;
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

/**
 * The parser: its state (ReprCursor) and `value`, one value of any kind at the cursor, where the
 * recursive descent (repr.ts explains the grammar) turns: scalars here, strings through
 * strings.ts, containers and calls through containers.ts, which call `value` back.
 */
import { MAX_DEPTH, type ReprNode } from './node.js';
import { braces, call, seq } from './containers.js';
import { angle, C, COMPLEX_RE, FAIL, fallbackEnd, IDENT_RE, nested, NUM_RE, RETRIES, scalarEnd, type ReprCursor } from './cursor.js';
import { pyString, saferBytes, saferString } from './strings.js';

const WORDISH: boolean[] = [];
for (const ch of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-') WORDISH[ch.charCodeAt(0)] = true;
const CONSTS = new Set(['None', 'True', 'False', 'inf', 'nan']);

export class ReprParser implements ReprCursor {
  i = 0;
  truncated = false;
  trailingComma = false;
  readonly open: number[] = [];
  readonly n: number;
  readonly ambiguous: Array<[number, number]> = [];
  constructor(
    readonly s: string,
    readonly overrides: Map<number, number>,
  ) {
    this.n = s.length;
  }

  /** The value at `i`, in the Python dialect (`py`: inside call arguments) or saferepr's. */
  value(py: boolean, depth: number): ReprNode {
    if (depth > MAX_DEPTH) throw FAIL;
    const s = this.s;
    const start = this.i;
    const c = s.charCodeAt(start);
    if (c === C.Sq) return { kind: 'str', value: py ? pyString(this, C.Sq) : saferString(this) };
    if (c === C.Dq) return { kind: 'str', value: pyString(this, C.Dq) };
    if (c === C.LBr) {
      const e = nested(this, C.RBr, '[...]');
      if (e) return scalarEnd(this, py, start, this.i, e);
      this.i++;
      return { kind: 'list', items: seq(this, C.RBr, py, depth, []) };
    }
    if (c === C.LBr2) {
      const e = nested(this, C.RBr2, '{...}');
      return e ? scalarEnd(this, py, start, this.i, e) : braces(this, py, depth);
    }
    if (c === C.LPar) {
      const e = nested(this, C.RPar, '(...)');
      if (e) return scalarEnd(this, py, start, this.i, e);
      COMPLEX_RE.lastIndex = start;
      if (COMPLEX_RE.test(s)) return scalarEnd(this, py, start, COMPLEX_RE.lastIndex, { kind: 'opaque', text: s.slice(start, COMPLEX_RE.lastIndex) });
      this.i++;
      const items = seq(this, C.RPar, py, depth, []);
      // `(x)` is not a tuple: Python writes `(x,)`.
      // (A truncated tuple may show one item and `)`: its `,)` was never reached.)
      if (items.length === 1 && !this.trailingComma && !this.truncated) throw FAIL;
      return { kind: 'tuple', items };
    }
    if (c === 0x62 /* b */ && (s.charCodeAt(start + 1) === C.Sq || s.charCodeAt(start + 1) === C.Dq)) {
      this.i++;
      if (py || s.charCodeAt(this.i) === C.Dq) return { kind: 'bytes', value: pyString(this, s.charCodeAt(this.i)), hex: false };
      return saferBytes(this);
    }
    if (c === C.Lt) return this.guard(py, start, () => angle(this));
    if (c === 0x2d /* - */ && s.startsWith('-inf', start)) {
      return scalarEnd(this, py, start, start + 4, { kind: 'const', value: '-inf' });
    }
    NUM_RE.lastIndex = start;
    if (NUM_RE.test(s)) {
      const end = NUM_RE.lastIndex;
      const text = s.slice(start, end);
      if (s.charCodeAt(end) === 0x6a /* j */) return scalarEnd(this, py, start, end + 1, { kind: 'opaque', text: text + 'j' });
      const float = text.includes('.') || text.includes('e') || text.includes('E');
      const node = scalarEnd(this, py, start, end, float ? { kind: 'float', text } : { kind: 'int', text });
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
          return call(this, name, py, depth);
        });
      }
      const node: ReprNode = CONSTS.has(name)
        ? { kind: 'const', value: name as 'None' | 'True' | 'False' | 'inf' | 'nan' }
        : { kind: 'opaque', text: name };
      return scalarEnd(this, py, start, end, node);
    }
    // a token saferepr cut early (`-...` of `-5`, `-in...` of `-inf`)
    let k = start;
    while (k < start + 64 && WORDISH[s.charCodeAt(k)]) k++;
    if (!py && k > start && s.startsWith('...', k)) return scalarEnd(this, py, start, k, { kind: 'raw', text: '' });
    throw FAIL;
  }

  /**
   * Calls and `<…>` reprs come from the object's own `__repr__`. If one does not parse at saferepr
   * level (not inside another call), keep it as opaque text: either saferepr cut it (`...` then a
   * continuation) or it is balanced but not made of literals (`Foo(a b)`). Failures inside calls
   * propagate up to here, so this fallback runs at most once per top-level token (linear time).
   */
  guard(py: boolean, start: number, parse: () => ReprNode): ReprNode {
    const openDepth = this.open.length;
    const wasTruncated = this.truncated;
    const ambiguous = this.ambiguous.length;
    for (let attempt = 0; ; attempt++) {
      try {
        const node = parse();
        return scalarEnd(this, py, start, this.i, node);
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
    const end = fallbackEnd(this, start);
    if (end === 0) throw FAIL;
    this.i = Math.abs(end);
    if (end < 0) this.truncated = true;
    return { kind: 'opaque', text: this.s.slice(start, Math.abs(end)) };
  }
}

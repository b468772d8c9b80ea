/**
 * Lists, tuples, sets, dicts and `Name(…)` calls: their items up to the closer, or to the end of
 * input after saferepr's `, ...` budget marker. Each item is the parser's `value` (parser.ts), reached through
 * the ValueReader interface (cursor.ts), so this file does not import the parser.
 */
import { CUT_MARKER, type ReprNode } from './node.js';
import { atMarker, C, FAIL, IDENT_RE, lenientClose, takeMarker, ws, type ValueReader } from './cursor.js';

/**
 * After the blanks, the code of the next character of a sequence ending at `closer`, or -1 when
 * the sequence ends here: at `closer` (consumed) or at the end of a cut input. Fails at the end of
 * an input that was not cut.
 */
function nextItem(p: ValueReader, closer: number): number {
  ws(p);
  if (p.i >= p.n) {
    if (p.truncated) return -1;
    throw FAIL;
  }
  const c = p.s.charCodeAt(p.i);
  if (c === closer) {
    p.i++;
    return -1;
  }
  return c;
}

/** Items up to `closer` (opener already consumed). Sets `trailingComma` for the 1-tuple check. */
export function seq(p: ValueReader, closer: number, py: boolean, depth: number, items: ReprNode[]): ReprNode[] {
  p.open.push(closer);
  let expectValue = items.length === 0;
  p.trailingComma = false;
  for (;;) {
    const c = nextItem(p, closer);
    if (c < 0) break;
    if (atMarker(p)) {
      items.push(CUT_MARKER);
      takeMarker(p);
      expectValue = false;
    } else if (lenientClose(p, c)) {
      break;
    } else if (expectValue) {
      items.push(p.value(py, depth + 1));
      expectValue = false;
    } else if (c === C.Comma) {
      p.i++;
      expectValue = true;
    } else {
      throw FAIL;
    }
  }
  p.trailingComma = expectValue && items.length > 0;
  p.open.pop();
  return items;
}

/** `{…}`: a dict, or a set when the first item is not followed by `:`. */
export function braces(p: ValueReader, py: boolean, depth: number): ReprNode {
  p.i++;
  ws(p);
  const c = p.s.charCodeAt(p.i);
  if (c === C.RBr2) {
    p.i++;
    return { kind: 'dict', entries: [] };
  }
  if (atMarker(p)) return dict(p, py, depth, null);
  p.open.push(C.RBr2); // so a key cut short may be closed by our `}`
  const first = p.value(py, depth + 1);
  p.open.pop();
  ws(p);
  if (p.s.charCodeAt(p.i) === C.Colon) return dict(p, py, depth, first);
  return { kind: 'set', items: seq(p, C.RBr2, py, depth, [first]) };
}

function dict(p: ValueReader, py: boolean, depth: number, firstKey: ReprNode | null): ReprNode {
  const s = p.s;
  const entries: Array<readonly [ReprNode, ReprNode]> = [];
  let key = firstKey;
  // 0: key expected, 1: `:` expected, 2: value expected, 3: `,` or `}` expected
  let state = key === null ? 0 : 1;
  p.open.push(C.RBr2);
  for (;;) {
    ws(p);
    const c = s.charCodeAt(p.i);
    if (c === C.RBr2) {
      if (state === 1 || state === 2) {
        if (!p.truncated || key === null) throw FAIL;
        entries.push([key, CUT_MARKER]);
      }
      p.i++;
      break;
    }
    if (p.i >= p.n || lenientClose(p, c)) {
      if (!p.truncated) throw FAIL;
      if (key !== null) entries.push([key, CUT_MARKER]);
      break;
    }
    if (atMarker(p)) {
      // `{'a': 1, ...}`, or the budget ran out after a key (`'sq...', ...`) or after `: `.
      entries.push(key === null ? [CUT_MARKER, CUT_MARKER] : [key, CUT_MARKER]);
      key = null;
      takeMarker(p);
      state = 3;
    } else if (state === 0) {
      key = p.value(py, depth + 1);
      state = 1;
    } else if (state === 1 && c === C.Colon) {
      p.i++;
      state = 2;
    } else if (state === 2) {
      entries.push([key ?? CUT_MARKER, p.value(py, depth + 1)]);
      key = null;
      state = 3;
    } else if (state === 3 && c === C.Comma) {
      p.i++;
      state = 0;
    } else {
      throw FAIL;
    }
  }
  p.open.pop();
  return { kind: 'dict', entries };
}

export function call(p: ValueReader, name: string, py: boolean, depth: number): ReprNode {
  const s = p.s;
  p.i++; // `(`
  ws(p);
  if ((name === 'set' || name === 'frozenset') && s.charCodeAt(p.i) === C.RPar) {
    p.i++;
    return { kind: name, items: [] };
  }
  if (name === 'frozenset' && s.charCodeAt(p.i) === C.LBr2) {
    // saferepr writes `frozenset({` … `})` itself, so the items keep the caller's dialect.
    p.open.push(C.RPar);
    const inner = p.value(py, depth + 1);
    p.open.pop();
    ws(p);
    const closed = s.charCodeAt(p.i) === C.RPar;
    if (closed || (p.truncated && (p.i >= p.n || lenientClose(p, s.charCodeAt(p.i))))) {
      if (closed) p.i++;
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
  p.open.push(C.RPar);
  let expectValue = true;
  for (;;) {
    const c = nextItem(p, C.RPar);
    if (c < 0) break;
    if (lenientClose(p, c)) break;
    if (expectValue) {
      IDENT_RE.lastIndex = p.i;
      const end = IDENT_RE.test(s) ? IDENT_RE.lastIndex : -1;
      if (end > 0 && s.charCodeAt(end) === C.Eq && s.charCodeAt(end + 1) !== C.Eq) {
        const kw = s.slice(p.i, end);
        p.i = end + 1;
        ws(p);
        kwargs.push([kw, p.value(true, depth + 1)]);
      } else {
        args.push(p.value(true, depth + 1));
      }
      expectValue = false;
    } else if (c === C.Comma) {
      p.i++;
      expectValue = true;
    } else {
      throw FAIL;
    }
  }
  p.open.pop();
  return { kind: 'call', callee: name, args, kwargs };
}

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
 *
 * One job per file: node.ts the tree; parser.ts the parser object and `value`, where
 * the descent turns; cursor.ts the state and the scans without recursion; strings.ts
 * string literals; containers.ts containers and calls; here the entry point and its retries.
 */
import { FAIL, RETRIES, ws } from './cursor.js';
import type { ParsedRepr } from './node.js';
import { ReprParser } from './parser.js';

export { CUT_MARKER, isCut, MAX_DEPTH, type ParsedRepr, type ReprNode } from './node.js';

export function parseRepr(text: string): ParsedRepr {
  // Where a saferepr string ends can be ambiguous (see saferString); on failure, retry a few times
  // with the latest ambiguous choice flipped. Bounded, so garbage costs at most RETRIES+1 parses.
  const overrides = new Map<number, number>();
  let truncated = false;
  for (let attempt = 0; ; attempt++) {
    const p = new ReprParser(text, overrides);
    try {
      ws(p);
      const node = p.value(false, 0);
      ws(p);
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

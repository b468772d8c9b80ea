/**
 * A port of celery.utils.saferepr (5.2) for a small Python value model, so generated `args`,
 * `kwargs` and `result` strings look exactly like a worker's (PROTOCOL.md §3 "saferepr format"),
 * including the quirks of the 1024-character budget: strings cut by `truncate()` to the last space
 * plus `...`, then `, ...` and only the closing brackets still pending (a bracket whose token was
 * reached when the budget ran out is lost, as in Celery).
 */
import { pyFloatRepr } from './pyjson.js';

/**
 * Python values: `null` None, boolean, number = int, string = str, array = list, and tagged
 * objects for what JS cannot tell apart (float vs int, tuple vs list, dict key order/types) or
 * does not have (`repr` = any other object whose `repr()` is given, e.g. `datetime.date(2024, 2, 29)`).
 */
export type PyValue =
  | null
  | boolean
  | number
  | string
  | readonly PyValue[]
  | { readonly float: number }
  | { readonly tuple: readonly PyValue[] }
  | { readonly dict: readonly (readonly [PyKey, PyValue])[] }
  | { readonly repr: string };
export type PyKey = string | number;

export const float = (x: number): PyValue => ({ float: x });
export const tuple = (...items: PyValue[]): PyValue => ({ tuple: items });
/** A dict with str keys, in insertion order. */
export const dict = (o: Readonly<Record<string, PyValue>>): PyValue => ({ dict: Object.entries(o) });
export const pyrepr = (text: string): PyValue => ({ repr: text });

/** Python counts code points; JS strings count UTF-16 units. Only differs with astral characters. */
const ASTRAL = /[\ud800-\udbff][\udc00-\udfff]/;
function pyLen(s: string): number {
  return ASTRAL.test(s) ? Array.from(s).length : s.length;
}
function pySlice(s: string, n: number): string {
  return ASTRAL.test(s) ? Array.from(s).slice(0, n).join('') : s.slice(0, n);
}

/** celery.utils.text.truncate: `s[:maxlen].rsplit(' ', 1)[0] + '...'` once `len(s) >= maxlen`. */
export function truncate(s: string, maxlen: number): string {
  if (maxlen && pyLen(s) >= maxlen) {
    const cut = pySlice(s, maxlen);
    const space = cut.lastIndexOf(' ');
    return (space >= 0 ? cut.slice(0, space) : cut) + '...';
  }
  return s;
}

interface Literal {
  readonly t: 'lit';
  readonly value: string;
  readonly dir: -1 | 0 | 1;
  /** On an opening bracket: its closing one (`)` or `,)` for a 1-tuple). */
  readonly closer?: string;
}
type Token =
  | Literal
  | { readonly t: 'key'; readonly key: PyKey }
  | { readonly t: 'quoted'; readonly s: string }
  | { readonly t: 'text'; readonly s: string };

const SEP: Literal = { t: 'lit', value: ', ', dir: 0 };
const KVSEP: Literal = { t: 'lit', value: ': ', dir: 0 };
const open = (v: string, closer: string): Literal => ({ t: 'lit', value: v, dir: 1, closer });
const close = (v: string): Literal => ({ t: 'lit', value: v, dir: -1 });

function scalarText(v: number | boolean | null | { readonly float: number } | { readonly repr: string }): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  return 'float' in v ? pyFloatRepr(v.float) : v.repr;
}

/** reprstream: the token stream of a value, containers past `maxlevels` collapsed to `[...]` etc. */
function* stream(v: PyValue, level: number, maxlevels: number): Generator<Token> {
  if (typeof v === 'string') {
    yield { t: 'quoted', s: v };
    return;
  }
  if (v === null || typeof v !== 'object' || 'float' in v || 'repr' in v) {
    yield { t: 'text', s: scalarText(v) };
    return;
  }
  let start: string;
  let end: string;
  let items: Generator<Token>;
  if ('tuple' in v) {
    [start, end] = ['(', v.tuple.length === 1 ? ',)' : ')'];
    items = seq(v.tuple, level + 1, maxlevels);
  } else if ('dict' in v) {
    [start, end] = ['{', '}'];
    items = entries(v.dict, level + 1, maxlevels);
  } else {
    [start, end] = ['[', ']'];
    items = seq(v, level + 1, maxlevels);
  }
  if (maxlevels && level >= maxlevels) {
    yield { t: 'text', s: `${start}...${end}` };
    return;
  }
  yield open(start, end);
  yield* items;
  yield close(end);
}

function* seq(items: readonly PyValue[], level: number, maxlevels: number): Generator<Token> {
  for (let i = 0; i < items.length; i++) {
    if (i > 0) yield SEP;
    yield* stream(items[i] as PyValue, level, maxlevels);
  }
}

function* entries(items: readonly (readonly [PyKey, PyValue])[], level: number, maxlevels: number): Generator<Token> {
  for (let i = 0; i < items.length; i++) {
    const [k, v] = items[i] as readonly [PyKey, PyValue];
    if (i > 0) yield SEP;
    yield { t: 'key', key: k };
    yield KVSEP;
    yield* stream(v, level, maxlevels);
  }
}

/** `saferepr(value, maxlen, maxlevels)` of Celery 5.2 (argsrepr/kwargsrepr/resultrepr use 1024). */
export function saferepr(value: PyValue, maxlen: number | null = 1024, maxlevels = 3): string {
  let out = '';
  let budget = maxlen;
  // Closing brackets of the containers open after the current token: what Celery still prints.
  const pending: string[] = [];
  for (const tok of stream(value, 0, maxlevels)) {
    if (tok.t === 'lit' && tok.dir === 1) pending.push(tok.closer ?? '');
    if (tok.t === 'lit' && tok.dir === -1) pending.pop();
    if (budget !== null && budget <= 0) {
      out += ', ...';
      for (let i = pending.length - 1; i >= 0; i--) out += pending[i];
      return out;
    }
    let val: string;
    switch (tok.t) {
      case 'lit':
        val = tok.value;
        break;
      case 'key':
        val = saferepr(tok.key, budget, maxlevels);
        break;
      case 'quoted':
        val = `'${truncate(tok.s, budget ?? 0).replaceAll("'", "\\'")}'`;
        break;
      case 'text':
        val = truncate(tok.s, budget ?? 0);
        break;
      default: {
        const unhandled: never = tok;
        throw new TypeError(`unknown token ${String(unhandled)}`);
      }
    }
    out += val;
    if (budget !== null) budget -= pyLen(val);
  }
  return out;
}

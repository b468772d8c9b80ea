/**
 * A parsed value pretty-printed across lines, as Python's pprint (and IPython) would: a value that
 * fits in what is left of the line stays on it; a container that does not puts one item per line,
 * aligned after its opening bracket; a string too long for a line becomes adjacent literals in
 * parentheses, split after spaces. Nothing is left out (`clearly task` shows values whole), and
 * nothing is broken inside a token but a single word wider than the whole line.
 */
import type { Palette } from './colors.js';
import { isCut, type ReprNode } from '../engine/repr/repr.js';
import { paintTokens, quote, reprNodeTokens, visible, type RenderOptions } from './repr-render.js';

export interface PrettyOptions extends RenderOptions {
  /** Terminal columns. */
  readonly width: number;
  /** The column the value starts at (after its label). */
  readonly column: number;
}

/** The value laid out; its lines after the first start with spaces up to their column. */
export function prettyRepr(node: ReprNode, p: Palette, o: PrettyOptions): string {
  if (o.kwargs === true && node.kind === 'dict' && node.entries.every(([k]) => k.kind === 'str' || isCut(k))) {
    return kwargsLines(node.entries, p, o.column, o.width);
  }
  return pretty(node, p, o.column, o.width, 0);
}

const flatWidth = (node: ReprNode, p: Palette): number => {
  let n = 0;
  for (const t of reprNodeTokens(node, p)) n += t.text.length;
  return n;
};

const flat = (node: ReprNode, p: Palette): string => paintTokens(reprNodeTokens(node, p));

const newline = (col: number): string => '\n' + ' '.repeat(col);

/** `node` starting at `col`; `after` columns must stay free on its last line (closing brackets, a comma). */
function pretty(node: ReprNode, p: Palette, col: number, width: number, after: number): string {
  if (col + flatWidth(node, p) + after <= width) return flat(node, p);
  switch (node.kind) {
    case 'list':
      return items(node.items, p, p.list, '[', ']', col, width, after);
    case 'tuple':
      return items(node.items, p, p.tuple, '(', node.items.length === 1 && !isCut(node.items[0]) ? ',)' : ')', col, width, after);
    case 'set':
      return node.items.length === 0 ? flat(node, p) : items(node.items, p, p.set, '{', '}', col, width, after);
    case 'frozenset':
      return node.items.length === 0 ? flat(node, p) : items(node.items, p, p.set, 'frozenset({', '})', col, width, after);
    case 'dict':
      return dict(node.entries, p, col, width, after);
    case 'call': {
      const open = `${visible(node.callee)}(`;
      const parts: Array<(c: number, a: number) => string> = [
        ...node.args.map((a) => (c: number, rest: number) => pretty(a, p, c, width, rest)),
        ...node.kwargs.map(([k, v]) => (c: number, rest: number) => p.key(visible(k)) + p.punct('=') + pretty(v, p, c + visible(k).length + 1, width, rest)),
      ];
      return lined(parts, p, p.call, open, ')', col, width, after);
    }
    case 'str':
      return longString(node.value, p, col, width, after);
    case 'bytes':
    case 'int':
    case 'float':
    case 'const':
    case 'ellipsis':
    case 'opaque':
    case 'raw':
      return flat(node, p);
    default: {
      const unhandled: never = node;
      throw new Error(`unhandled repr node ${JSON.stringify(unhandled)}`);
    }
  }
}

function items(
  nodes: readonly ReprNode[],
  p: Palette,
  paint: (t: string) => string,
  open: string,
  close: string,
  col: number,
  width: number,
  after: number,
): string {
  return lined(
    nodes.map((n) => (c: number, rest: number) => pretty(n, p, c, width, rest)),
    p,
    paint,
    open,
    close,
    col,
    width,
    after,
  );
}

/** `open` item, newline item, … `close`: each item at the column after `open`, a comma after all but the last. */
function lined(
  parts: ReadonlyArray<(col: number, after: number) => string>,
  p: Palette,
  paint: (t: string) => string,
  open: string,
  close: string,
  col: number,
  width: number,
  after: number,
): string {
  const inner = col + open.length;
  let s = paint(open);
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (i > 0) s += p.punct(',') + newline(inner);
    s += part(inner, last ? close.length + after : 1);
  });
  return s + paint(close);
}

function dict(entries: ReadonlyArray<readonly [ReprNode, ReprNode]>, p: Palette, col: number, width: number, after: number): string {
  const parts = entries.map(([k, v]) => (c: number, rest: number): string => {
    if (isCut(k)) return flat(k, p);
    if (isCut(v)) return flat(k, p) + p.punct(', ') + flat(v, p);
    const key = flat(k, p) + p.punct(': ');
    return key + pretty(v, p, c + flatWidth(k, p) + 2, width, rest);
  });
  return lined(parts, p, p.dict, '{', '}', col, width, after);
}

function kwargsLines(entries: ReadonlyArray<readonly [ReprNode, ReprNode]>, p: Palette, col: number, width: number): string {
  return entries
    .map(([k, v], i) => {
      const last = i === entries.length - 1;
      if (k.kind !== 'str') return p.truncated('...');
      const key = visible(k.value);
      return p.key(key) + p.punct('=') + pretty(v, p, col + key.length + 1, width, last ? 0 : 1);
    })
    .join(p.punct(',') + newline(col));
}

/** pprint's way with a long string: `('first words '\n 'more words')`, split after spaces. */
function longString(value: string, p: Palette, col: number, width: number, after: number): string {
  const room = Math.max(20, width - col - 1 - after);
  const words = value.split(/(?<= )/);
  const chunks: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur !== '' && quote(cur + w).length > room) {
      chunks.push(cur);
      cur = '';
    }
    cur += w;
  }
  if (cur !== '' || chunks.length === 0) chunks.push(cur);
  if (chunks.length === 1) return p.str(quote(value));
  return p.punct('(') + chunks.map((c) => p.str(quote(c))).join(newline(col + 1)) + p.punct(')');
}

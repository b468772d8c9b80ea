/**
 * Renders parsed reprs back as Python-looking text, coloured like the Python Clearly: strings,
 * numbers, keywords and each container type in its own colour. Whatever came off the wire, no raw
 * control character reaches the terminal: strings are re-escaped, other text made visible.
 */
import type { Palette } from './colors.js';
import { isCut, parseRepr, type ReprNode } from '../engine/repr/repr.js';

export interface RenderOptions {
  /** A dict whose keys are all strings renders as `a=1, b='x'` (no braces), as task kwargs. */
  readonly kwargs?: boolean;
}

export function renderRepr(node: ReprNode, p: Palette, opts?: RenderOptions): string {
  const out: string[] = [];
  if (opts?.kwargs === true && node.kind === 'dict' && isKwargs(node.entries)) {
    renderKwargs(node.entries, p, out);
  } else {
    render(node, p, out);
  }
  return out.join('');
}

/** Parse + render; text that is not a complete repr is shown as-is with control chars made visible. */
export function renderReprText(text: string, p: Palette, opts?: RenderOptions): string {
  const parsed = parseRepr(text);
  return parsed.ok ? renderRepr(parsed.node, p, opts) : p.raw(visible(text));
}

type Entry = readonly [ReprNode, ReprNode];

function isKwargs(entries: readonly Entry[]): boolean {
  return entries.every(([k]) => k.kind === 'str' || isCut(k));
}

function renderKwargs(entries: readonly Entry[], p: Palette, out: string[]): void {
  entries.forEach(([k, v], i) => {
    if (i > 0) out.push(p.punct(', '));
    if (k.kind !== 'str') {
      out.push(p.truncated('...'));
      return;
    }
    out.push(p.key(visible(k.value)), p.punct('='));
    render(v, p, out);
  });
}

function render(node: ReprNode, p: Palette, out: string[]): void {
  switch (node.kind) {
    case 'str':
      out.push(p.str(quote(node.value)));
      return;
    case 'bytes':
      out.push(p.bytes('b' + (node.hex ? `'${node.value}'` : quote(node.value))));
      return;
    case 'int':
    case 'float':
      out.push(p.num(node.text));
      return;
    case 'const':
      out.push(p.keyword(node.value));
      return;
    case 'list':
      return seq(node.items, p.list, '[', ']', p, out);
    case 'tuple':
      // `(x,)` for a 1-tuple, unless that one item is the cut marker
      return seq(node.items, p.tuple, '(', node.items.length === 1 && !isCut(node.items[0]) ? ',)' : ')', p, out);
    case 'set':
      if (node.items.length === 0) out.push(p.set('set()'));
      else seq(node.items, p.set, '{', '}', p, out);
      return;
    case 'frozenset':
      if (node.items.length === 0) out.push(p.set('frozenset()'));
      else seq(node.items, p.set, 'frozenset({', '})', p, out);
      return;
    case 'dict':
      out.push(p.dict('{'));
      node.entries.forEach(([k, v], i) => {
        if (i > 0) out.push(p.punct(', '));
        render(k, p, out);
        if (isCut(k)) return; // the cut marker stands for the rest of the dict
        out.push(p.punct(': '));
        render(v, p, out);
      });
      out.push(p.dict('}'));
      return;
    case 'call':
      out.push(p.call(visible(node.callee) + '('));
      node.args.forEach((a, i) => {
        if (i > 0) out.push(p.punct(', '));
        render(a, p, out);
      });
      node.kwargs.forEach(([k, v], i) => {
        if (i > 0 || node.args.length > 0) out.push(p.punct(', '));
        out.push(p.key(visible(k)), p.punct('='));
        render(v, p, out);
      });
      out.push(p.call(')'));
      return;
    case 'ellipsis':
      out.push(p.truncated(node.text));
      return;
    case 'opaque':
      out.push(p.call(visible(node.text)));
      return;
    case 'raw':
      out.push(p.raw(visible(node.text)));
      return;
    default:
      return assertNever(node);
  }
}

function seq(items: readonly ReprNode[], paint: (t: string) => string, open: string, close: string, p: Palette, out: string[]): void {
  out.push(paint(open));
  items.forEach((item, i) => {
    if (i > 0) out.push(p.punct(', '));
    render(item, p, out);
  });
  out.push(paint(close));
}

function assertNever(x: never): never {
  throw new Error(`unhandled repr node ${JSON.stringify(x)}`);
}

/**
 * Non-printing characters as Python's repr shows them: C0/C1 controls and DEL, format characters
 * (bidi overrides that could reorder the terminal line; zero-width joiners are kept for emoji),
 * line/paragraph separators and lone surrogates.
 */
const UNPRINTABLE = /[\p{Cc}\p{Zl}\p{Zp}\p{Cs}]|(?![\u200c\u200d])\p{Cf}/gu;
const NEEDS_QUOTE_ESCAPE = /[\\'\p{Cc}\p{Zl}\p{Zp}\p{Cs}\p{Cf}]/u;
const QUOTE_ESCAPES = /[\\']|[\p{Cc}\p{Zl}\p{Zp}\p{Cs}]|(?![\u200c\u200d])\p{Cf}/gu;

function escapeChar(ch: string): string {
  switch (ch) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    case '\\':
      return '\\\\';
    case "'":
      return "\\'";
    default: {
      const code = ch.charCodeAt(0);
      return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    }
  }
}

/** A Python string literal in single quotes (`\\`, `\'`, `\n`, `\x1b`…). */
export function quote(value: string): string {
  return NEEDS_QUOTE_ESCAPE.test(value) ? `'${value.replace(QUOTE_ESCAPES, escapeChar)}'` : `'${value}'`;
}

/**
 * Text with its non-printing characters escaped (`\n`, `\x1b`, `\u202e`) and everything else,
 * backslashes included, as is. With `keepLines`, newlines and tabs stay (tracebacks).
 */
export function visible(text: string, keepLines = false): string {
  UNPRINTABLE.lastIndex = 0;
  if (!UNPRINTABLE.test(text)) return text;
  return text.replace(UNPRINTABLE, (ch) => (keepLines && (ch === '\n' || ch === '\t') ? ch : escapeChar(ch)));
}

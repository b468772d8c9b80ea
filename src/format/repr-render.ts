/**
 * Renders parsed reprs back as Python-looking text, coloured like the Python Clearly: strings,
 * numbers, keywords and each container type in its own colour. Whatever came off the wire, no raw
 * control character reaches the terminal: strings are re-escaped, other text made visible.
 *
 * The renderer emits tokens (plain text + its paint, and where a line may break: after `, `), so
 * that format/fit.ts can lay a value out at the terminal's width without breaking inside a token.
 */
import type { Paint, Palette } from './colors.js';
import { isCut, parseRepr, type ReprNode } from '../engine/repr/repr.js';

export interface RenderOptions {
  /** A dict whose keys are all strings renders as `a=1, b='x'` (no braces), as task kwargs. */
  readonly kwargs?: boolean;
}

/** A piece of rendered text: what it reads, how it is painted, whether a line may break after it. */
export interface Token {
  readonly text: string;
  readonly paint: Paint;
  readonly breakAfter: boolean;
  /** A string literal: the one kind of token fit.ts may split (at its spaces) when it is too long for a line. */
  readonly str?: boolean;
}

/** The tokens of a rendered repr, and whether saferepr cut it (then the text ends in its `...` marks). */
export interface RenderedRepr {
  readonly tokens: Token[];
  readonly truncated: boolean;
}

export function renderRepr(node: ReprNode, p: Palette, opts?: RenderOptions): string {
  return paintTokens(reprNodeTokens(node, p, opts));
}

export function reprNodeTokens(node: ReprNode, p: Palette, opts?: RenderOptions): Token[] {
  const out: Token[] = [];
  if (opts?.kwargs === true && node.kind === 'dict' && isKwargs(node.entries)) {
    renderKwargs(node.entries, p, out);
  } else {
    render(node, p, out);
  }
  return out;
}

export function paintTokens(tokens: readonly Token[]): string {
  let s = '';
  for (const t of tokens) s += t.paint(t.text);
  return s;
}

/** Parse + render; text that is not a complete repr is shown as-is with control chars made visible. */
export function renderReprText(text: string, p: Palette, opts?: RenderOptions): string {
  return paintTokens(reprTokens(text, p, opts).tokens);
}

/** Parse + tokens, as renderReprText renders them. */
export function reprTokens(text: string, p: Palette, opts?: RenderOptions): RenderedRepr {
  const parsed = parseRepr(text);
  if (!parsed.ok) return { tokens: [{ text: visible(text), paint: p.raw, breakAfter: false, str: true }], truncated: parsed.truncated };
  return { tokens: reprNodeTokens(parsed.node, p, opts), truncated: parsed.truncated };
}

type Entry = readonly [ReprNode, ReprNode];

function isKwargs(entries: readonly Entry[]): boolean {
  return entries.every(([k]) => k.kind === 'str' || isCut(k));
}

const tok = (out: Token[], paint: Paint, text: string): void => {
  out.push({ text, paint, breakAfter: false });
};
/** `, ` between items: a line may break after it. */
const comma = (out: Token[], p: Palette): void => {
  out.push({ text: ', ', paint: p.punct, breakAfter: true });
};

function renderKwargs(entries: readonly Entry[], p: Palette, out: Token[]): void {
  entries.forEach(([k, v], i) => {
    if (i > 0) comma(out, p);
    if (k.kind !== 'str') {
      tok(out, p.truncated, '...');
      return;
    }
    tok(out, p.key, visible(k.value));
    tok(out, p.punct, '=');
    render(v, p, out);
  });
}

function render(node: ReprNode, p: Palette, out: Token[]): void {
  switch (node.kind) {
    case 'str':
      out.push({ text: quote(node.value), paint: p.str, breakAfter: false, str: true });
      return;
    case 'bytes':
      tok(out, p.bytes, 'b' + (node.hex ? `'${node.value}'` : quote(node.value)));
      return;
    case 'int':
    case 'float':
      tok(out, p.num, node.text);
      return;
    case 'const':
      tok(out, p.keyword, node.value);
      return;
    case 'list':
      return seq(node.items, p.list, '[', ']', p, out);
    case 'tuple':
      // `(x,)` for a 1-tuple, unless that one item is the cut marker
      return seq(node.items, p.tuple, '(', node.items.length === 1 && !isCut(node.items[0]) ? ',)' : ')', p, out);
    case 'set':
      if (node.items.length === 0) tok(out, p.set, 'set()');
      else seq(node.items, p.set, '{', '}', p, out);
      return;
    case 'frozenset':
      if (node.items.length === 0) tok(out, p.set, 'frozenset()');
      else seq(node.items, p.set, 'frozenset({', '})', p, out);
      return;
    case 'dict':
      tok(out, p.dict, '{');
      node.entries.forEach(([k, v], i) => {
        if (i > 0) comma(out, p);
        render(k, p, out);
        if (isCut(k)) return; // the cut marker stands for the rest of the dict
        // A key saferepr cut (`'na...', ...`): the budget ran out before its value.
        if (isCut(v)) comma(out, p);
        else tok(out, p.punct, ': ');
        render(v, p, out);
      });
      tok(out, p.dict, '}');
      return;
    case 'call':
      tok(out, p.call, visible(node.callee) + '(');
      node.args.forEach((a, i) => {
        if (i > 0) comma(out, p);
        render(a, p, out);
      });
      node.kwargs.forEach(([k, v], i) => {
        if (i > 0 || node.args.length > 0) comma(out, p);
        tok(out, p.key, visible(k));
        tok(out, p.punct, '=');
        render(v, p, out);
      });
      tok(out, p.call, ')');
      return;
    case 'ellipsis':
      tok(out, p.truncated, node.text);
      return;
    case 'opaque':
      tok(out, p.call, visible(node.text));
      return;
    case 'raw':
      out.push({ text: visible(node.text), paint: p.raw, breakAfter: false, str: true });
      return;
    default:
      return assertNever(node);
  }
}

function seq(items: readonly ReprNode[], paint: Paint, open: string, close: string, p: Palette, out: Token[]): void {
  tok(out, paint, open);
  items.forEach((item, i) => {
    if (i > 0) comma(out, p);
    render(item, p, out);
  });
  tok(out, paint, close);
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

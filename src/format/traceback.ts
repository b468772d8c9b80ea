/**
 * Python tracebacks for the terminal. highlight.js has no traceback grammar, so the frame
 * structure (`File "…", line N, in f`, caret lines, the final exception line) is coloured here
 * and only the source lines go through cli-highlight's Python grammar.
 */
import { createRequire } from 'node:module';
import type { Theme } from 'cli-highlight';
import type { Palette } from './colors.js';
import { visible } from './repr-render.js';

type Highlight = (typeof import('cli-highlight'))['highlight'];
let highlightFn: Highlight | undefined;

/** Loaded on first use: highlight.js registers ~190 grammars (~100 ms), which `--json` never needs. */
function highlight(...args: Parameters<Highlight>): string {
  highlightFn ??= (createRequire(import.meta.url)('cli-highlight') as typeof import('cli-highlight')).highlight;
  return highlightFn(...args);
}

const FILE_LINE = /^(\s*)File "(.*)", line (\d+), in (.*)$/;
const CARETS = /^\s*[~^]+\s*$/;
const EXCEPTION_LINE = /^([A-Za-z_][\w.]*)(:.*)?$/;
const NOTES = new Set([
  'Traceback (most recent call last):',
  'During handling of the above exception, another exception occurred:',
  'The above exception was the direct cause of the following exception:',
]);

/** Highlighted when the palette is enabled, else plain; control chars but `\n`/`\t` made visible. */
export function renderTraceback(tb: string, p: Palette): string {
  const text = visible(tb, true);
  if (!p.enabled) return text;
  try {
    const theme = themeFor(p);
    return text
      .split('\n')
      .map((line) => renderLine(line, p, theme))
      .join('\n');
  } catch {
    return text; // a highlighter bug must never hide the traceback
  }
}

function renderLine(line: string, p: Palette, theme: Theme): string {
  if (line === '') return line;
  if (NOTES.has(line.trim())) return p.bold(line);
  const file = FILE_LINE.exec(line);
  if (file) {
    const [, indent = '', path = '', lineNo = '', func = ''] = file;
    return `${indent}${p.dim('File')} ${p.str(`"${path}"`)}${p.dim(', line')} ${p.num(lineNo)}${p.dim(', in')} ${p.name(func)}`;
  }
  if (CARETS.test(line)) return p.error(line);
  if (line.startsWith('  ')) {
    // a source line; Python shows it stripped and indented by four spaces
    const indent = /^\s*/.exec(line)?.[0] ?? '';
    return indent + highlight(line.slice(indent.length), { language: 'python', ignoreIllegals: true, theme });
  }
  if (line.startsWith('[Previous line repeated')) return p.dim(line);
  const exc = EXCEPTION_LINE.exec(line);
  if (exc) return p.bold(p.error(exc[1] ?? '')) + (exc[2] ?? '');
  return line;
}

/**
 * Every token styled from the palette: cli-highlight's default theme colours through chalk, which
 * decides on its own whether the stream is a TTY; the palette already made that choice.
 */
function themeFor(p: Palette): Theme {
  const plain = (t: string): string => t;
  return {
    keyword: p.keyword,
    built_in: p.call,
    type: p.call,
    literal: p.keyword,
    number: p.num,
    regexp: p.str,
    string: p.str,
    subst: plain,
    symbol: p.num,
    class: p.name,
    function: p.name,
    title: p.name,
    params: plain,
    comment: p.dim,
    doctag: p.dim,
    meta: p.dim,
    section: plain,
    tag: plain,
    name: plain,
    attr: plain,
    attribute: plain,
    variable: plain,
    bullet: plain,
    code: plain,
    emphasis: plain,
    strong: plain,
    formula: plain,
    link: plain,
    quote: plain,
    addition: plain,
    deletion: plain,
    default: plain,
  };
}

/**
 * Lays a rendered value (repr-render.ts tokens) out at the terminal's width for `watch`: lines
 * break only between tokens (after `, `, or at the spaces of a long string), continuation lines
 * are indented, and a value that needs more than `maxLines` lines is cut at a token boundary,
 * followed by a line saying how many characters were left out and how to see them (`more`).
 * A token that alone is wider than a line (one long word) is the only thing ever split.
 */
import type { Paint } from './colors.js';
import type { Token } from './repr-render.js';

export interface FitOptions {
  /** Terminal columns. */
  readonly width: number;
  /** Columns the first line already uses before the value (its label). */
  readonly first: number;
  /** Prefix of continuation lines (spaces). */
  readonly indent: string;
  /** Lines the value may take, the first included; the marker line comes on top. */
  readonly maxLines: number;
  /** The marker line's text (after `indent`) for `left` characters left out. */
  readonly more: (left: number) => string;
  readonly dim: Paint;
}

/** The narrowest line worth laying out on: below it, a terminal this narrow wraps anyway. */
const MIN_ROOM = 20;

interface Piece {
  readonly text: string;
  readonly paint: Paint;
  /** A line may break after this piece. */
  readonly breakAfter: boolean;
}

/** Tokens as pieces no wider than `room`: long strings split after their spaces, anything else hard. */
function pieces(tokens: readonly Token[], room: number): Piece[] {
  const out: Piece[] = [];
  for (const t of tokens) {
    if (t.text.length <= room) {
      out.push(t);
      continue;
    }
    const words = t.str === true ? t.text.split(/(?<= )/) : [t.text];
    words.forEach((w, i) => {
      const last = i === words.length - 1;
      for (let at = 0; at < w.length; at += room) {
        const end = at + room >= w.length;
        out.push({ text: w.slice(at, at + room), paint: t.paint, breakAfter: end && (!last || t.breakAfter) });
      }
    });
  }
  return out;
}

/** The value laid out: its first line (to follow the label) and the rest, joined by newlines. */
export function fitTokens(tokens: readonly Token[], o: FitOptions): string {
  const room = Math.max(MIN_ROOM, o.width - o.indent.length);
  const all = pieces(tokens, room);
  let total = 0;
  for (const p of all) total += p.text.length;

  const lines: Piece[][] = [[]];
  let col = o.first;
  let shown = 0;
  let i = 0;
  while (i < all.length) {
    // The group: pieces up to the next break opportunity; it stays on one line if it can.
    let j = i;
    let w = 0;
    while (j < all.length) {
      w += all[j]!.text.length;
      if (all[j++]!.breakAfter) break;
    }
    const trailing = all[j - 1]!.breakAfter ? all[j - 1]!.text.length - all[j - 1]!.text.trimEnd().length : 0;
    const line = lines[lines.length - 1]!;
    let fits = col + w - trailing <= o.width;
    if (!fits && line.length > 0) {
      if (lines.length >= o.maxLines) break;
      lines.push([]);
      col = o.indent.length;
      fits = col + w - trailing <= o.width;
    }
    if (fits || (w <= room && col === o.indent.length)) {
      for (let k = i; k < j; k++) lines[lines.length - 1]!.push(all[k]!);
      col += w;
      shown += w;
      i = j;
      continue;
    }
    // A group wider than a whole line (`{'a': [1, 2]}` with no comma in reach): break between its pieces.
    const p = all[i]!;
    if (col + p.text.trimEnd().length > o.width && (lines[lines.length - 1]!.length > 0 || col > o.indent.length)) {
      if (lines.length >= o.maxLines) break;
      lines.push([]);
      col = o.indent.length;
    }
    lines[lines.length - 1]!.push(p);
    col += p.text.length;
    shown += p.text.length;
    i++;
  }

  const text = lines.map((l) => paintLine(l)).join('\n' + o.indent);
  if (i >= all.length) return text;
  // The space after the last piece shown is not shown either (paintLine trims it).
  const lastLine = lines[lines.length - 1]!;
  const last = lastLine[lastLine.length - 1];
  const hidden = last === undefined ? 0 : last.text.length - last.text.trimEnd().length;
  return `${text}\n${o.indent}${o.dim(o.more(total - shown + hidden))}`;
}

/** A line's pieces painted, without the space a break left at its end. */
function paintLine(line: readonly Piece[]): string {
  let s = '';
  line.forEach((p, k) => {
    const text = k === line.length - 1 ? p.text.trimEnd() : p.text;
    if (text !== '') s += p.paint(text);
  });
  return s;
}

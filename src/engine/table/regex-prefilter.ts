/**
 * Running a regex once over many values joined into one text, instead of once per value, and
 * knowing it cannot miss: the uuid prefilter of task-scan.ts.
 *
 * The text is the values joined by "\n", searched with the regex plus the `g` and `m` flags.
 * Claim: if the original regex matches a value v, some match of the derived one overlaps v's span
 * (from its first character to the separator after it, so an empty match at its end counts).
 *
 * Why. A match in v is a path through v's characters and zero-width assertions at positions of v.
 * With `m`, `^` and `$` hold at v's ends inside the text (a separator or the text's end is next
 * to them) and, at v's inner positions, at least wherever they held in v alone; `\b`/`\B` at v's
 * ends see the separator, a non-word character, as v alone sees nothing, also a non-word. So the
 * same path matches in the text from v's position P. A backtracking search is complete (it finds
 * a match at P whenever a path exists) and the global iteration tries every position it does not
 * cover with an earlier match, so either a match starts at P or an earlier one spans P.
 *
 * That argument needs every construct to see only the characters its path consumes. It fails for
 * lookarounds (a negative one may see past v, and any of them captures for a backreference), for
 * backreferences (which capture the first path found, possibly across a separator), and for flag
 * modifiers like `(?-m:^)`. Regexes with any of those get no prefilter: `null`, scan exactly.
 * Extra matches (across separators, `^` after a line break inside a value) only cost a check.
 */

/** Flags of the original that keep the argument: case folding and dotAll work per character. */
const SAFE_FLAGS = /^[ims]*$/;

/** The regex to run over "\n"-joined values, or null when it could miss a value `re` matches. */
export function prefilterRegex(re: RegExp): RegExp | null {
  if (!SAFE_FLAGS.test(re.flags) || !onlyLocalConstructs(re.source)) return null;
  const flags = re.flags.includes('m') ? re.flags : `${re.flags}m`;
  return new RegExp(re.source, `${flags}g`);
}

/**
 * True when the pattern has no lookaround, backreference or group modifier. Deliberately
 * coarse: `\1`–`\9` and `\k` outside a class are refused even where Annex B reads them as an
 * octal or identity escape, and every `(?` other than `(?:` and a named group `(?<name>`.
 */
export function onlyLocalConstructs(source: string): boolean {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1];
      if (!inClass && next !== undefined && (next === 'k' || (next >= '1' && next <= '9'))) return false;
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '(' && source[i + 1] === '?') {
      const kind = source[i + 2];
      const named = kind === '<' && source[i + 3] !== '=' && source[i + 3] !== '!';
      if (kind !== ':' && !named) return false;
    }
  }
  return true;
}

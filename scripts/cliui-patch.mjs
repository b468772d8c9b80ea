// cliui (yargs' --help layout), as the built CLI (scripts/bundle.mjs) and `npm run dev`
// (bin/dev-word-wrap.mjs) both take it: its CommonJS build, whose wrap-ansi wraps between words,
// with one fix. A flag's type ("[string]") goes on the description's last line when it fits; cliui
// tests that with `<` where it needs `<=`, so a line that fits with no space to spare reads
// "clearly server[string]". The fix keeps at least one space (or moves the type to its own line).
const INLINE_TEST = 'if (leadingWhitespace < targetTextWidth) {';
const INLINE_FIXED = 'if (leadingWhitespace <= targetTextWidth) {';

/** cliui's source with the fix; throws if this cliui has no such line (a new version: look again). */
export function patchCliui(source, file) {
  if (!source.includes(INLINE_TEST)) throw new Error(`${file}: cliui changed, its inline test is not "${INLINE_TEST}": check scripts/cliui-patch.mjs`);
  return source.replace(INLINE_TEST, INLINE_FIXED);
}

/**
 * `npm run dev` only (tsx on bin/clearly.ts, as ES modules): yargs' ESM build imports cliui's ESM
 * build, whose wrap is a stand-in that cuts every N characters, inside words ("query histo" /
 * "ry"). This module hook hands yargs cliui's CommonJS build instead (wrap-ansi: word
 * boundaries), patched as scripts/cliui-patch.mjs says, as scripts/bundle.mjs does for the built
 * CLI, so --help reads the same both ways. Loaded with `tsx --import ./bin/dev-word-wrap.mjs`
 * (package.json's dev script).
 */
import { register } from 'node:module';

const PATCH = new URL('../scripts/cliui-patch.mjs', import.meta.url).href;
const HOOKS = `
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { patchCliui } from ${JSON.stringify(PATCH)};
const cliuis = new Set();
export async function resolve(specifier, context, next) {
  if (specifier === 'cliui' && context.parentURL !== undefined && /[\\\\/]node_modules[\\\\/]yargs[\\\\/]/.test(fileURLToPath(context.parentURL))) {
    const url = pathToFileURL(createRequire(context.parentURL).resolve('cliui')).href;
    cliuis.add(url);
    return { url, format: 'commonjs', shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (!cliuis.has(url)) return next(url, context);
  const file = fileURLToPath(url);
  return { format: 'commonjs', source: patchCliui(readFileSync(file, 'utf8'), file), shortCircuit: true };
}
`;

register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, import.meta.url);

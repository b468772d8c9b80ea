// Bundles the CLI into dist/cli/ (what `bin` runs):
//  - clearly.bundle.cjs: bin/clearly.ts and everything it imports, as ONE CommonJS file, so that
//    bin/start.ts can compile it through V8's code cache (src/cli/code-cache.ts); commands are
//    still initialised only when run (esbuild turns their import() into lazy module inits);
//  - clearly.js: bin/start.ts, the small launcher, told the bundle's name, hash and commands;
//  - sqlite-worker.cjs: the SQLite store's worker thread;
//  - dist/src/engine/grpc/codec/clearly-pb.cjs: the generated protobuf code, which tsc does not copy.
// `tsc` (npm run build) runs first: it type-checks and emits dist/ for the benchmarks, and this
// script reads the command names from dist/src/commands/index.js.
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { COMMANDS } from '../dist/src/commands/index.js';
import { patchCliui } from './cliui-patch.mjs';

const OUT = 'dist/cli';
const BUNDLE = 'clearly.bundle.cjs';

/** grpc-js gets src/cli/fast-net.ts for `net`: the same module, without a slow first isIPv6. */
const grpcJsFastNet = {
  name: 'grpc-js-fast-net',
  setup(b) {
    b.onResolve({ filter: /^(node:)?net$/ }, (args) =>
      /[\\/]node_modules[\\/]@grpc[\\/]grpc-js[\\/]/.test(args.importer) ? { path: fileURLToPath(new URL('../src/cli/fast-net.ts', import.meta.url)) } : undefined,
    );
  },
};

/**
 * cliui (yargs' --help layout) gets its CommonJS build: its ESM build (what an `import` resolves
 * to) wraps with a stand-in that cuts every N characters, inside words ("query histo" / "ry");
 * the CommonJS one wraps at word boundaries (wrap-ansi). Each importer gets its own version's.
 * yargs' one also gets the fix of scripts/cliui-patch.mjs (bin/dev-word-wrap.mjs does the same
 * for `npm run dev`).
 */
const cliuiWordWrap = {
  name: 'cliui-word-wrap',
  setup(b) {
    const yargsCliuis = new Set();
    b.onResolve({ filter: /^cliui$/ }, (args) => {
      const path = createRequire(join(args.resolveDir, 'x.js')).resolve('cliui');
      if (/[\\/]node_modules[\\/]yargs[\\/]/.test(args.importer)) yargsCliuis.add(path);
      return { path };
    });
    b.onLoad({ filter: /[\\/]cliui[\\/]build[\\/]index\.cjs$/ }, (args) =>
      yargsCliuis.has(args.path) ? { contents: patchCliui(readFileSync(args.path, 'utf8'), args.path), loader: 'js' } : undefined,
    );
  },
};

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' };
const EXTERNAL = ['better-sqlite3', 'pg-native'];

rmSync(OUT, { recursive: true, force: true });
await build({
  ...common,
  entryPoints: ['bin/clearly.ts'],
  outfile: `${OUT}/${BUNDLE}`,
  // CommonJS has no import.meta: the few modules that locate files use the bundle's own path.
  define: { 'import.meta.url': '__clearlyImportMetaUrl' },
  banner: { js: 'var __clearlyImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [grpcJsFastNet, cliuiWordWrap],
  // Native (better-sqlite3) or optional (pg-native) modules stay outside, required at run time.
  external: EXTERNAL,
  sourcemap: true,
});
// esbuild escapes non-ASCII characters in code (its default charset) but not in the comments it
// keeps; written as \u{...} there too, the file is ASCII, and bin/start.ts can read it as a
// one-byte string, several milliseconds faster than decoding UTF-8 into a two-byte one. (A line
// this does not recognise as a comment is left alone: the bundle then still works, read as UTF-8.)
const COMMENT_LINE = /^\s*(\*|\/\/|\/\*)/;
const code = readFileSync(`${OUT}/${BUNDLE}`, 'utf8')
  .split('\n')
  .map((line, i) => {
    if (!/[^\0-\x7f]/u.test(line)) return line;
    if (COMMENT_LINE.test(line)) return line.replace(/[^\0-\x7f]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`);
    console.warn(`${BUNDLE}:${i + 1}: non-ASCII outside a comment line; the CLI will start a few ms slower`);
    return line;
  })
  .join('\n');
// Node's CommonJS module wrapper, written into the file so bin/start.ts compiles it as it is; on
// the first line, so that positions in stack traces and the source map stay right.
writeFileSync(`${OUT}/${BUNDLE}`, `(function (exports, require, module, __filename, __dirname) { ${code}\n})`);
const hash = createHash('sha256').update(readFileSync(`${OUT}/${BUNDLE}`)).digest('hex').slice(0, 16);
await build({
  ...common,
  entryPoints: ['bin/start.ts'],
  outfile: `${OUT}/clearly.js`,
  define: { CLEARLY_BUNDLE: JSON.stringify({ file: BUNDLE, hash, commands: COMMANDS.map((c) => c.name) }) },
});
// The SQLite store's thread (src/engine/store/sqlite.ts starts it beside the bundle).
await build({
  ...common,
  entryPoints: ['src/engine/store/sqlite-worker.ts'],
  outfile: `${OUT}/sqlite-worker.cjs`,
  external: EXTERNAL,
});
// tsc emits no .cjs: the client's generated protobuf code (npm run proto) goes beside its importer in
// dist/src/ for what runs from there (the benchmarks); the bundle above already holds it.
copyFileSync('src/engine/grpc/codec/clearly-pb.cjs', 'dist/src/engine/grpc/codec/clearly-pb.cjs');
// The package is ESM ("type": "module"); these files are CommonJS.
writeFileSync(`${OUT}/package.json`, '{ "type": "commonjs" }\n');

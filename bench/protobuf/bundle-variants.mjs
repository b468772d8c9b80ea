/**
 * clearly's CLI bundle (scripts/bundle.mjs, the same steps) once per client codec, into
 * gen/cli-NAME/clearly.js: `hand` is clearly as built (the hand-written table codec up to commit
 * 9a4b0c0, protobufjs static code since); the others replace
 * src/engine/grpc/codec/client.ts (the generated table and its codec) with client-NAME.mjs (a
 * generator's code and its runtime library). Everything else in the CLI is the same code.
 * Run from the repository root after `npm run build` and ./gen.sh.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { COMMANDS } from '../../dist/src/commands/index.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = resolve(HERE, '../..');
const BUNDLE = 'clearly.bundle.cjs';

const grpcJsFastNet = {
  name: 'grpc-js-fast-net',
  setup(b) {
    b.onResolve({ filter: /^(node:)?net$/ }, (args) =>
      /[\\/]node_modules[\\/]@grpc[\\/]grpc-js[\\/]/.test(args.importer) ? { path: join(ROOT, 'src/cli/fast-net.ts') } : undefined,
    );
  },
};
const cliuiWordWrap = {
  name: 'cliui-word-wrap',
  setup(b) {
    b.onResolve({ filter: /^cliui$/ }, (args) => ({ path: createRequire(join(args.resolveDir, 'x.js')).resolve('cliui') }));
  },
};
/** The variant's client in place of the generated table's. */
const swapClient = (name) => ({
  name: 'swap-client',
  setup(b) {
    b.onResolve({ filter: /codec\/client\.js$/ }, (args) =>
      name === 'hand' || !/src[\\/]cli[\\/]client\.ts$/.test(args.importer) ? undefined : { path: join(HERE, `client-${name}.mjs`) },
    );
  },
});

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning', absWorkingDir: ROOT };

for (const name of ['hand', 'pbjs', 'es', 'ts-proto']) {
  const out = join(HERE, 'gen', `cli-${name}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    ...common,
    entryPoints: ['bin/clearly.ts'],
    outfile: join(out, BUNDLE),
    define: { 'import.meta.url': '__clearlyImportMetaUrl' },
    banner: { js: 'var __clearlyImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    plugins: [grpcJsFastNet, cliuiWordWrap, swapClient(name)],
    external: ['better-sqlite3', 'pg-native'],
  });
  const code = readFileSync(join(out, BUNDLE), 'utf8').replace(/[^\0-\x7f]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`);
  writeFileSync(join(out, BUNDLE), `(function (exports, require, module, __filename, __dirname) { ${code}\n})`);
  const hash = createHash('sha256').update(readFileSync(join(out, BUNDLE))).digest('hex').slice(0, 16);
  await build({
    ...common,
    entryPoints: ['bin/start.ts'],
    outfile: join(out, 'clearly.js'),
    define: { CLEARLY_BUNDLE: JSON.stringify({ file: BUNDLE, hash, commands: COMMANDS.map((c) => c.name) }) },
  });
  writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n');
  console.log(`${name}: ${readFileSync(join(out, BUNDLE)).length} bytes`);
}

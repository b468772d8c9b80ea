// Bundles the CLI into dist/cli/ (what `bin` runs): one entry plus one chunk per lazily loaded
// command, so a command reads a few files instead of resolving hundreds of modules at start-up.
// `tsc` (npm run build) still type-checks and emits dist/ for the benchmarks.
import { build } from 'esbuild';

await build({
  entryPoints: ['bin/clearly.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  splitting: true,
  outdir: 'dist/cli',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  // Bundled CommonJS packages call require() for Node's built-ins; ESM has none of its own.
  banner: {
    js: "import { createRequire as __clearlyRequire } from 'node:module'; const require = __clearlyRequire(import.meta.url);",
  },
  sourcemap: true,
  logLevel: 'warning',
});

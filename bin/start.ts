#!/usr/bin/env node
/**
 * What `clearly` runs (dist/cli/clearly.js): loads the CLI bundle (bin/clearly.ts and all it
 * imports, one CommonJS file) through V8's code cache; see src/cli/code-cache.ts.
 * scripts/bundle.mjs builds it as CommonJS and fills in CLEARLY_BUNDLE.
 */
import { join } from 'node:path';
import { runBundle } from '../src/cli/code-cache.js';

declare const CLEARLY_BUNDLE: { readonly file: string; readonly hash: string; readonly commands: readonly string[] };

// CommonJS once built: __dirname is dist/cli/, with symlinks (npm's bin link) resolved.
runBundle({ ...CLEARLY_BUNDLE, path: join(__dirname, CLEARLY_BUNDLE.file) }, process.argv.slice(2), process.env);

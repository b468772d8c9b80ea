import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findVersion } from '../../src/cli/version.js';

describe('findVersion: the nearest package.json that is clearly’s, at any depth', () => {
  const root = mkdtempSync(join(tmpdir(), 'clearly-version-'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'clearly', version: '9.8.7' }));
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  mkdirSync(join(root, 'bin'), { recursive: true });
  // dist/cli/ has a package.json of its own ({"type": "commonjs"}), not the package's.
  writeFileSync(join(root, 'dist', 'cli', 'package.json'), '{ "type": "commonjs" }\n');

  it.each([['bin/clearly.ts'], ['dist/cli/clearly.bundle.cjs'], ['dist/bin/clearly.js']])('from %s', (file) => {
    expect(findVersion(pathToFileURL(join(root, file)).href)).toBe('9.8.7');
  });

  it('unknown when there is none', () => {
    expect(findVersion(pathToFileURL(join(tmpdir(), 'nowhere', 'x.js')).href)).toBe('unknown');
  });
});

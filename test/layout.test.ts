/**
 * The layout rules of ARCHITECTURE.md that dependency-cruiser does not check (it checks the
 * imports): no source file over 400 lines, each opens with a header comment saying what it owns,
 * every sub-system folder of src/engine/ has a README saying what it owns and may import, and the
 * tests mirror src/'s folders.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAX_LINES = 400;

function files(dir: string, keep: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'node_modules' && name !== 'gen') out.push(...files(path, keep));
    } else if (keep(path)) out.push(path);
  }
  return out;
}

const sources = ['src', 'bin', 'bench'].flatMap((d) => files(join(ROOT, d), (p) => p.endsWith('.ts') && !p.endsWith('.d.ts')));
const folders = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);

describe('the layout', () => {
  it('finds the sources', () => {
    expect(sources.length).toBeGreaterThan(150);
  });

  it(`has no source file over ${MAX_LINES} lines`, () => {
    const long = sources
      .map((p) => ({ file: relative(ROOT, p), lines: readFileSync(p, 'utf8').split('\n').length - 1 }))
      .filter((f) => f.lines > MAX_LINES);
    expect(long).toEqual([]);
  });

  it('opens every source file with a header comment', () => {
    const bare = sources.filter((p) => !/^(#![^\n]*\n)?\s*(\/\*\*|\/\*|\/\/)/.test(readFileSync(p, 'utf8'))).map((p) => relative(ROOT, p));
    expect(bare).toEqual([]);
  });

  it('gives every sub-system folder of src/engine/ a README saying what it owns and may import', () => {
    const engine = folders('src/engine');
    expect(engine.length).toBeGreaterThan(10);
    const missing = engine.filter((f) => {
      const readme = join(ROOT, 'src/engine', f, 'README.md');
      if (!existsSync(readme)) return true;
      const text = readFileSync(readme, 'utf8');
      return !/Owns/.test(text) || !/May import|imports? nothing|Only .* imports/i.test(text);
    });
    expect(missing).toEqual([]);
  });

  it('mirrors src/ in test/: a test folder for every source folder', () => {
    const mirror = (dir: string): string[] =>
      folders(dir).flatMap((f) => [join(dir, f), ...mirror(join(dir, f))]).filter((d) => !existsSync(join(ROOT, 'test', relative('src', d))));
    expect(mirror('src')).toEqual([]);
  });
});

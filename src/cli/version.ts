/**
 * clearly's version, from its package.json, found from wherever the running file is: the bundle
 * (dist/cli/clearly.bundle.cjs), tsc's output (dist/bin/) or the sources under tsx (`npm run dev`,
 * bin/clearly.ts) sit at different depths, so walk up to the nearest package.json that is ours.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function findVersion(fromUrl: string): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      // dist/cli/package.json ({"type": "commonjs"}) has no name: not ours, go on up.
      if (pkg.name === 'clearly' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // none here
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

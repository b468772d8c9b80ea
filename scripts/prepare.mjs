// The `prepare` script (npm ci / npm install in the checkout): builds dist/ (`npm run build`),
// except under `npx clearly` when dist/ is already built. npm 7+ runs a package's own bin by
// installing the checkout into its npx cache (a link), which runs `prepare` again: without this,
// a newcomer's first `npx clearly demo` rebuilt everything behind a spinner, and an interrupted
// rebuild left npx's cache entry broken (every later `npx clearly` failed with ENOENT). Later
// `npx clearly` runs use that link and the dist/ that `npm run build` keeps up to date.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const BUILT = new URL('../dist/cli/clearly.js', import.meta.url);

if (process.env['npm_command'] === 'exec' && existsSync(BUILT)) process.exit(0);
const r = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(r.status ?? 1);

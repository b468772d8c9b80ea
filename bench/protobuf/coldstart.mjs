/**
 * The client's cold start with each codec: spawn to exit of `clearly stats --json` (and
 * `tasks --limit 10 --json`) against one running server, each bundle of bundle-variants.mjs run
 * through clearly's launcher and V8 code cache, as users run clearly. Runs interleave the variants
 * (run 1 of each, then run 2 of each...). Run from the repository root:
 *
 *   node bench/protobuf/coldstart.mjs 127.0.0.1:PORT [runs]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const server = process.argv[2];
const runs = Number(process.argv[3] ?? 21);
const VARIANTS = ['hand', 'pbjs', 'es', 'ts-proto'];
const bin = (v) => fileURLToPath(new URL(`gen/cli-${v}/clearly.js`, import.meta.url));
const COMMANDS = { stats: ['stats', '--json', '--server', server], tasks: ['tasks', '--limit', '10', '--json', '--server', server] };

function once(args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    p.once('error', reject);
    p.once('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const times = {};
for (const [c, args] of Object.entries(COMMANDS)) {
  for (const v of VARIANTS) for (let i = 0; i < 2; i++) await once([bin(v), ...args]); // code cache written, files cached
  for (const v of ['node', ...VARIANTS]) times[`${c} ${v}`] = [];
  for (let r = 0; r < runs; r++) {
    times[`${c} node`].push(await once(['-e', '']));
    for (const v of VARIANTS) times[`${c} ${v}`].push(await once([bin(v), ...args]));
  }
}
for (const [k, xs] of Object.entries(times)) {
  const [c, v] = k.split(' ');
  const hand = median(times[`${c} hand`]);
  console.log(JSON.stringify({ command: c, variant: v, medianMs: +median(xs).toFixed(1), vsHand: +(median(xs) / hand - 1).toFixed(3), minMs: +Math.min(...xs).toFixed(1), maxMs: +Math.max(...xs).toFixed(1) }));
}

/**
 * Cold start: whole-process time (spawn to exit) of one-shot commands against a running server,
 * and of `clearly --help`; bare `node -e ''` alongside for what Node itself costs here.
 */
import { spawn } from 'node:child_process';
import { withUnit, type BenchContext, type Measurement, type MeasurementBody } from './lib/context.js';
import { runClearly, type CommandRun } from './lib/procs.js';
import type { Cell, Figure, TargetCheck } from './lib/results.js';
import { median, summarize } from './lib/stats.js';

export const TARGET_STATS_MS = 150;

function nodeBaseline(): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    p.once('error', reject);
    p.once('close', (code) => resolve({ code, stdout: '', stderr: '', ms: performance.now() - t0 }));
  });
}

async function run(ctx: BenchContext): Promise<MeasurementBody> {
  const runs = ctx.quick ? 5 : 9;
  const size = ctx.sizes[0] ?? 100_000;
  const { server } = await ctx.filled.get(size);
  const commands: { name: string; run: () => Promise<CommandRun> }[] = [
    { name: "node -e '' (Node.js alone)", run: nodeBaseline },
    { name: 'clearly --help', run: () => runClearly(['--help']) },
    { name: 'clearly stats --json', run: () => runClearly(['stats', '--json', '--server', server.address]) },
    { name: 'clearly tasks --limit 10 --json', run: () => runClearly(['tasks', '--limit', '10', '--json', '--server', server.address]) },
  ];
  const figures: Figure[] = [];
  const targets: TargetCheck[] = [];
  const rows: Cell[][] = [];
  for (const c of commands) {
    await c.run(); // warm the file cache
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await c.run();
      if (r.code !== 0) throw new Error(`${c.name} exited ${r.code}: ${r.stderr}`);
      times.push(r.ms);
    }
    const s = summarize(times);
    const med = median(times);
    ctx.log(`coldstart: ${c.name}: median ${med.toFixed(0)} ms`);
    rows.push([c.name, Math.round(med), Math.round(s.min), Math.round(s.max)]);
    figures.push({ label: c.name, value: Math.round(med), unit: 'ms (median)' });
    if (c.name.startsWith('clearly stats')) {
      targets.push({
        what: 'cold start, clearly stats --json against a running server',
        target: `≤ ${TARGET_STATS_MS} ms median`,
        actual: withUnit(med, 'ms'),
        met: med <= TARGET_STATS_MS,
      });
    }
  }
  return {
    figures,
    targets,
    tables: [{ title: `Spawn to exit, ${runs} runs after one warm-up`, columns: ['command', 'median ms', 'min ms', 'max ms'], rows }],
    notes: [
      `Against a running clearly server holding ${size.toLocaleString('en-US')} tasks, on this machine's loopback; the whole process is timed from spawn to exit (Node start, module loading, connecting, the call, output).`,
    ],
  };
}

export const coldstart: Measurement = { name: 'coldstart', title: 'Cold start of one-shot commands', run };

/**
 * `npm run bench`: the benchmark suite (not part of `npm test`; it needs the brokers and a quiet-ish
 * machine, and takes a few minutes).
 *
 *   npm run bench                         every measurement, results to bench/results.{json,md}
 *   npm run bench -- --only hotpath,ingest  just these (merged into the existing results)
 *   npm run bench -- --quick              shorter runs and smaller stores, for trying things out
 *
 * Measurements run one after another (they would skew each other otherwise); the servers filled
 * with N tasks are shared by memory, queries and coldstart within a run.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { coldstart } from './coldstart.js';
import { hotpath } from './hotpath.js';
import { ingest } from './ingest.js';
import { latency } from './latency.js';
import { memory } from './memory.js';
import { queries } from './queries.js';
import { scrape } from './scrape.js';
import { store } from './store.js';
import { runMeasurement, type BenchContext, type Measurement } from './lib/context.js';
import { FilledServers } from './lib/filled-server.js';
import { describeMachine } from './lib/machine.js';
import { USAGE, parseOnly } from './lib/args.js';
import { mergeResults, readResults, writeResults, type MeasurementName, type Results } from './lib/results.js';

const ALL: Readonly<Record<MeasurementName, Measurement>> = { hotpath, ingest, latency, memory, queries, coldstart, store, scrape };

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { only: { type: 'string', multiple: true }, quick: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help === true) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const names = parseOnly(values.only);
  const quick = values.quick === true;
  const log = (m: string): void => void process.stderr.write(`bench: ${m}\n`);
  const filled = new FilledServers(log);
  const ctx: BenchContext = { quick, log, filled, sizes: quick ? [20_000, 100_000] : [100_000, 1_000_000] };
  const machine = await describeMachine();
  log(`${machine.cpuModel} × ${machine.cores}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.rabbitmq ?? 'no RabbitMQ'}, ${machine.redis ?? 'no Redis'}, load ${machine.loadavg.join(' ')}`);
  if (machine.rabbitmq === null || machine.redis === null) throw new Error('both brokers must be reachable (see bench/lib/brokers.ts)');
  const t0 = performance.now();
  const results: Results = { generatedAt: '', machine, measurements: {} };
  try {
    for (const name of names) {
      log(`--- ${name}`);
      results.measurements[name] = await runMeasurement(ALL[name], ctx);
    }
  } finally {
    await filled.closeAll();
  }
  const dir = fileURLToPath(new URL('../../bench/', import.meta.url));
  const merged = mergeResults(await readResults(`${dir}results.json`), { ...results, generatedAt: new Date().toISOString() });
  await writeResults(`${dir}results.json`, `${dir}results.md`, merged);
  log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s: bench/results.json, bench/results.md`);
  for (const name of names) {
    for (const t of merged.measurements[name]?.targets ?? []) {
      log(`${t.met ? 'met   ' : t.stretch === true ? 'missed (stretch)' : 'MISSED'} ${t.what}: ${t.actual} (target ${t.target})`);
    }
  }
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);

/**
 * Makes test/fixtures/celery-exporter/: celery-exporter (danihodovic/celery-exporter, run from its
 * source) and a raw capture of the same event stream, side by side on one real workload. The test
 * (test/engine/metrics/exporter-compat.test.ts) replays the capture through clearly's decoder,
 * reducer and metrics, and compares the exposition with celery-exporter's family by family.
 *
 *   npx tsx test/celery/exporter-fixture.ts --exporter DIR --broker redis://127.0.0.1:6379/13
 *
 * DIR is a checkout of celery-exporter with an empty pretty_errors.py in it; Debian's
 * python3-celery python3-flask python3-waitress python3-loguru python3-click
 * python3-prometheus-client provide the rest. The broker db must be one nobody else uses.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { DEFAULT_SCENARIOS, PYTHON, runWorkload, startWorker } from '../helpers/celery.js';
import { FIXTURES } from '../helpers/fixtures.js';

const arg = (name: string): string => {
  const i = process.argv.indexOf(name);
  const v = i === -1 ? undefined : process.argv[i + 1];
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};
const exporterDir = arg('--exporter');
const broker = arg('--broker');
const port = 19809;
const PURGE_AFTER_S = 6;
/** The third exporter: its metric prefix, two static labels, both generic hostnames, another default queue. */
const FLAGS = [
  '--metric-prefix', 'acme_', '--static-label', 'env=prod', '--static-label', 'region=eu',
  '--generic-hostname-task-sent-metric', '--generic-hostname-worker-task-metric', '--default-queue-name', 'dq',
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const out = `${FIXTURES}celery-exporter/`;

async function main(): Promise<void> {
  const db = Number(new URL(broker).pathname.slice(1) || 0);
  const sub = new Redis(broker);
  const lines: string[] = [];
  sub.on('pmessageBuffer', (_p: Buffer, channel: Buffer, message: Buffer) => {
    lines.push(JSON.stringify({ t: Date.now() / 1000, channel: channel.toString(), raw_b64: message.toString('base64') }));
  });
  await sub.psubscribe(`/${db}.celeryev/*`);

  // Three exporters on the same events: one with its defaults, one purging a host 6 s after its
  // last heartbeat (--purge-offline-worker-metrics 6), one with the cardinality flags (FLAGS).
  const exporter = (p: number, extra: string[]) =>
    spawn(PYTHON, ['cli.py', '--broker-url', broker, '--port', String(p), '--host', '127.0.0.1', ...extra], {
      cwd: exporterDir,
      env: { ...process.env, PYTHONPATH: exporterDir },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  const exporters = [exporter(port, []), exporter(port + 1, ['--purge-offline-worker-metrics', String(PURGE_AFTER_S)]), exporter(port + 2, FLAGS)];
  try {
    await sleep(4000);
    const worker = await startWorker({ broker, queues: ['fixture'], concurrency: 2, hostname: 'fixture-worker' });
    // A second worker on another host part, stopped (worker-offline) after the workload:
    // celery_worker_up 0 (kept) in the default exporter, every series of its host purged in the other.
    const gone = await startWorker({ broker, queues: ['fixture'], concurrency: 1, hostname: 'fixture-gone@gonehost' });
    await runWorkload({ broker, queue: 'fixture', scenarios: DEFAULT_SCENARIOS });
    await runWorkload({ broker, queue: 'fixture', call: { task: 'tasks.slow', args: [0.3], count: 3 } });
    await sleep(8000); // every scenario settles (the eta/revoke ones take a few seconds), heartbeats go on
    await gone.stop();
    await sleep((PURGE_AFTER_S + 4) * 1000); // past the purge window since gonehost's last heartbeat
    const scrape = async (p: number) => {
      const t = Date.now() / 1000;
      return { t, text: await (await fetch(`http://127.0.0.1:${p}/metrics`)).text() };
    };
    const [plain, purged, flags] = [await scrape(port), await scrape(port + 1), await scrape(port + 2)];
    await sub.punsubscribe();
    sub.disconnect();
    await worker.stop();
    writeFileSync(`${out}exposition.prom`, plain.text);
    writeFileSync(`${out}exposition-purge.prom`, purged.text);
    writeFileSync(`${out}exposition-flags.prom`, flags.text);
    writeFileSync(`${out}scrapes.json`, `${JSON.stringify({ exposition: plain.t, purge: purged.t, flags: flags.t, purgeAfterSeconds: PURGE_AFTER_S, flagArgs: FLAGS })}\n`);
    writeFileSync(`${out}redis-events.ndjson`, `${lines.join('\n')}\n`);
    process.stderr.write(`wrote ${lines.length} events and ${plain.text.length} + ${purged.text.length} bytes of exposition to ${out}\n`);
  } finally {
    for (const e of exporters) e.kill('SIGTERM');
  }
}

await main();

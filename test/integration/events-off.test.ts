/**
 * Events switched off, with real Celery workers on both brokers: a worker started without -E
 * (worker_send_task_events False) runs tasks that no monitor sees. `watch --broker` names it on
 * stderr with the fix; `--enable-events` switches its task events on (and says so), after which
 * its tasks appear; `clearly enable-events` does it once and says which worker it switched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKERS, BROKER_KINDS, assertBrokerReachable, purgeQueue, uniqueQueue } from '../helpers/brokers.js';
import { assertCeleryAvailable, runWorkload, startWorker, type WorkerHandle } from '../helpers/celery.js';
import { runClearly, spawnClearly, type ClearlyProcess } from '../helpers/cli.js';

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.each(BROKER_KINDS)('events off on %s', (kind) => {
  const broker = BROKERS[kind];
  let worker: WorkerHandle | undefined;
  let second: WorkerHandle | undefined;
  let watch: ClearlyProcess | undefined;
  let server: ClearlyProcess | undefined;
  let address = '';
  const queue = uniqueQueue('clearly-evoff');
  const queue2 = uniqueQueue('clearly-evoff2');

  beforeAll(async () => {
    await assertCeleryAvailable();
    await assertBrokerReachable(broker);
    worker = await startWorker({ broker, queues: [queue], taskEvents: false });
  }, 60_000);

  afterAll(async () => {
    await watch?.stop('SIGINT');
    await server?.stop('SIGINT');
    await Promise.all([worker?.kill('SIGKILL'), second?.kill('SIGKILL')]);
    await purgeQueue(broker, queue).catch(() => 0);
    await purgeQueue(broker, queue2).catch(() => 0);
  });

  it('watch --broker names the worker that sends no task events, once, with the fix; its tasks never get past PENDING', async () => {
    watch = spawnClearly(['watch', '--broker', broker, '--json', '--workers']);
    server = spawnClearly(['server', '--broker', broker, '--port', '0', '--store', 'memory']);
    const [, port] = await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 20_000);
    address = `127.0.0.1:${port}`;
    await watch.waitForStderr(/watching/, 15_000);
    // Its own heartbeat first (with `processed`): the count it rises from.
    await watch.waitForRecord((r) => r.kind === 'worker' && r.hostname === worker!.hostname && r.state === 'HEARTBEAT' && r.processed !== null, 15_000);
    const published = await runWorkload({ broker, queue, call: { task: 'tasks.add', args: [1, 1], count: 4 } });
    const [line] = await watch.waitForStderr(new RegExp(`${escapeRe(worker!.hostname)} sends no task events: [^\\n]*Fix: start the worker with -E[^\\n]*`), 30_000);
    expect(line).toContain('clearly enable-events');
    // The publisher's task-sent shows them PENDING; nothing from the worker moves them on.
    const mine = watch.records().filter((r) => r.kind === 'task' && published.some((p) => p.id === r.uuid));
    expect(mine.map((r) => r.state)).toEqual(published.map(() => 'PENDING'));
    await new Promise((r) => setTimeout(r, 3000));
    expect(watch.stderr().split(worker!.hostname + ' sends no task events').length - 1).toBe(1);
    await watch.stop('SIGINT');
    watch = undefined;
    // The server saw the same: on its stderr, in workers --json, in stats, and check goes CRITICAL.
    await server!.waitForStderr(new RegExp(`${escapeRe(worker!.hostname)} sends no task events`), 15_000);
    const workers = (await runClearly(['workers', '--server', address, '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { hostname: string; events: string });
    expect(workers.find((w) => w.hostname === worker!.hostname)?.events).toBe('task-events-off');
    const stats = JSON.parse((await runClearly(['stats', '--server', address, '--json'])).stdout) as { workers_without_events: string[] };
    expect(stats.workers_without_events).toContain(`${worker!.hostname} (task-events-off)`);
    const check = await runClearly(['check', '--server', address, '--max-events-off', '0']);
    expect(check.exitCode).toBe(2);
    expect(check.stdout).toMatch(/^CLEARLY CRITICAL - \d+ workers? without events/);
    await server!.stop('SIGINT');
    server = undefined;
  }, 90_000);

  it('watch --enable-events switches them on, says which worker, and its tasks then appear', async () => {
    watch = spawnClearly(['watch', '--broker', broker, '--json', '--enable-events', '--worker', `^${escapeRe(worker!.hostname)}$`]);
    await watch.waitForStderr(new RegExp(`--enable-events: switched task events on in [^\\n]*${escapeRe(worker!.hostname)}`), 20_000);
    const published = await runWorkload({ broker, queue, call: { task: 'tasks.add', args: [2, 3], count: 2 } });
    await watch.waitForRecords(
      (rs) => published.every((p) => rs.some((r) => r.kind === 'task' && r.uuid === p.id && r.state === 'SUCCESS')),
      30_000,
    );
    await watch.stop('SIGINT');
    watch = undefined;
  }, 90_000);

  it('clearly enable-events does it once and says which worker it switched', async () => {
    second = await startWorker({ broker, queues: [queue2], taskEvents: false });
    const r = await runClearly(['enable-events', '--broker', broker, '--json', '--destination', second.hostname, '--timeout', '3s']);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ hostname: second.hostname, switched: true, said: 'task events enabled' });
    const again = await runClearly(['enable-events', '--broker', broker, '--json', '--destination', second.hostname, '--timeout', '3s']);
    expect(JSON.parse(again.stdout.trim())).toMatchObject({ hostname: second.hostname, switched: false, said: 'task events already enabled' });
  }, 90_000);
});

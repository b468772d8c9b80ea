/**
 * Lost tasks across a restart, with a real Celery worker and the SQLite store: a worker SIGKILLed
 * while the server is down (no worker-offline, its heartbeats simply stop) leaves a task STARTED
 * and one RECEIVED on it; the server, started again after the worker's window ran out, marks both
 * lost from what its store kept (as it would have had it been up), writes that, and a second
 * restart still has them lost. Memory holds 5 tasks (`--max-tasks 5`) and 10 newer tasks wait in
 * a queue nobody consumes: the two on the dead worker are loaded back all the same.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBrokerReachable, BROKERS, purgeQueue, uniqueQueue } from '../helpers/brokers.js';
import { assertCeleryAvailable, runWorkload, startWorker, type WorkerHandle } from '../helpers/celery.js';
import { runClearly, spawnClearly, type ClearlyProcess, type TaskRecord } from '../helpers/cli.js';

type LostRecord = TaskRecord & { lost?: boolean; lost_at?: number | null };

const dir = mkdtempSync(join(tmpdir(), 'clearly-store-lost-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startServer(broker: string, store: string): Promise<{ proc: ClearlyProcess; address: string }> {
  const proc = spawnClearly(['server', '--broker', broker, '--port', '0', '--store', store, '--metrics', 'off', '--max-tasks', '5']);
  const [, port] = await proc.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 30_000);
  return { proc, address: `127.0.0.1:${port}` };
}

async function tasks(address: string, ids: readonly string[], extra: string[] = []): Promise<Map<string, LostRecord>> {
  const r = await runClearly(['tasks', '--json', '--limit', '0', ...extra, '--server', address], { timeoutMs: 30_000 });
  expect(r.exitCode, r.stderr).toBe(0);
  const out = new Map<string, LostRecord>();
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    const rec = JSON.parse(line) as LostRecord;
    if (ids.includes(rec.uuid)) out.set(rec.uuid, rec);
  }
  return out;
}

describe('a worker that died while the server was down', () => {
  const broker = BROKERS.redis;
  const queue = uniqueQueue('clearly-store-lost');
  const nobody = `${queue}-nobody`;
  const file = join(dir, 'lost.sqlite');
  let worker: WorkerHandle | undefined;
  let server: { proc: ClearlyProcess; address: string } | undefined;
  let running = '';
  let waiting = '';

  beforeAll(async () => {
    await assertCeleryAvailable();
    await assertBrokerReachable(broker);
    server = await startServer(broker, file);
    // One process: the first task runs (STARTED), the second waits prefetched (RECEIVED).
    worker = await startWorker({ broker, queues: [queue], concurrency: 1 });
    const published = await runWorkload({ broker, queue, call: { task: 'tasks.slow', args: [120], count: 2, expect: 'STARTED' } });
    const ids = published.map((p) => p.id);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const got = await tasks(server.address, ids);
      const started = ids.find((id) => got.get(id)?.state === 'STARTED');
      const received = ids.find((id) => got.get(id)?.state === 'RECEIVED');
      if (started !== undefined && received !== undefined) {
        [running, waiting] = [started, received];
        break;
      }
      if (Date.now() > deadline) throw new Error(`want one STARTED and one RECEIVED: ${JSON.stringify([...got.values()].map((t) => t.state))}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    // Ten newer tasks (PENDING: no worker reads their queue) push those two out of the newest 5.
    const pending = await runWorkload({ broker, queue: nobody, call: { task: 'tasks.add', args: [1, 1], count: 10, expect: 'PENDING' } });
    for (;;) {
      const got = await tasks(server.address, pending.map((p) => p.id));
      if (got.size === pending.length) break;
      if (Date.now() > deadline + 30_000) throw new Error(`the pending tasks never showed: ${got.size}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }, 120_000);

  afterAll(async () => {
    await server?.proc.stop('SIGTERM');
    await worker?.kill('SIGKILL');
    await purgeQueue(broker, queue).catch(() => 0);
    await purgeQueue(broker, nobody).catch(() => 0);
  });

  it('is OFFLINE after the restart and its RECEIVED and STARTED tasks are lost, in the store too', async () => {
    await new Promise((r) => setTimeout(r, 800)); // past one batch window: the store has both
    const stopped = await server!.proc.stop('SIGTERM');
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    await worker!.kill('SIGKILL');
    // Celery's heartbeat is every 2 s; the worker counts as gone 4 s after the last one.
    await new Promise((r) => setTimeout(r, 6_000));
    const restartedAt = Date.now() / 1000;
    server = await startServer(broker, file);
    const got = await tasks(server.address, [running, waiting], ['--lost']);
    expect(got.get(running)).toMatchObject({ state: 'STARTED', lost: true, worker: worker!.hostname });
    expect(got.get(waiting)).toMatchObject({ state: 'RECEIVED', lost: true, worker: worker!.hostname });
    expect(got.get(running)!.lost_at).toBeGreaterThanOrEqual(restartedAt - 1);
    const workers = await runClearly(['workers', '--json', '--server', server.address]);
    const w = workers.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { hostname: string; state: string });
    expect(w.find((x) => x.hostname === worker!.hostname)?.state).toBe('OFFLINE');

    // Written back: another restart still has them lost (same lost_at).
    await new Promise((r) => setTimeout(r, 800));
    await server.proc.stop('SIGTERM');
    server = await startServer(broker, file);
    const again = await tasks(server.address, [running, waiting], ['--lost']);
    expect(again.get(running)).toMatchObject({ lost: true, lost_at: got.get(running)!.lost_at });
    expect(again.get(waiting)).toMatchObject({ lost: true });
  }, 90_000);
});

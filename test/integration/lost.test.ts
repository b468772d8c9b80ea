/**
 * Lost tasks with real Celery workers on both brokers: a worker SIGKILLed while a task is STARTED
 * on it (no worker-offline: its heartbeats stop) makes that task `lost` once the expiry window
 * runs out, in `watch --broker` (text and --json) and in a server (`tasks --lost`, `check
 * --max-lost`). The state stays STARTED, as Celery's does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKERS, BROKER_KINDS, assertBrokerReachable, purgeQueue, uniqueQueue } from '../helpers/brokers.js';
import { assertCeleryAvailable, runWorkload, startWorker, type WorkerHandle } from '../helpers/celery.js';
import { parseRecords, runClearly, spawnClearly, type ClearlyProcess, type TaskRecord } from '../helpers/cli.js';

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.each(BROKER_KINDS)('lost tasks on %s', (kind) => {
  const broker = BROKERS[kind];
  const queue = uniqueQueue('clearly-lost');
  let worker: WorkerHandle | undefined;
  let watch: ClearlyProcess | undefined;
  let text: ClearlyProcess | undefined;
  let server: ClearlyProcess | undefined;
  let address = '';
  let id = '';

  beforeAll(async () => {
    await assertCeleryAvailable();
    await assertBrokerReachable(broker);
    server = spawnClearly(['server', '--broker', broker, '--port', '0', '--store', 'memory']);
    const [, port] = await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 20_000);
    address = `127.0.0.1:${port}`;
    watch = spawnClearly(['watch', '--broker', broker, '--json']);
    text = spawnClearly(['watch', '--broker', broker, '--state', 'STARTED']);
    await Promise.all([watch.waitForStderr(/watching/, 15_000), text.waitForStderr(/watching/, 15_000)]);
    worker = await startWorker({ broker, queues: [queue], concurrency: 1 });
    const [published] = await runWorkload({ broker, queue, call: { task: 'tasks.slow', args: [120], expect: 'STARTED' } });
    id = published!.id;
    await watch.waitForRecord((r) => r.kind === 'task' && r.uuid === id && r.state === 'STARTED', 30_000);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([watch?.stop('SIGINT'), text?.stop('SIGINT'), server?.stop('SIGINT')]);
    await worker?.kill('SIGKILL');
    await purgeQueue(broker, queue).catch(() => 0);
  });

  it('a SIGKILLed worker leaves its STARTED task lost, with lost_at, once its heartbeats stop', async () => {
    expect((await watch!.records()).some((r) => r.kind === 'task' && r.uuid === id && (r as { lost?: boolean }).lost === true)).toBe(false);
    const killedAt = Date.now() / 1000;
    await worker!.kill('SIGKILL');
    const rec = (await watch!.waitForRecord((r) => r.kind === 'task' && r.uuid === id && (r as { lost?: boolean }).lost === true, 20_000)) as TaskRecord & {
      lost: boolean;
      lost_at: number;
    };
    expect(rec).toMatchObject({ state: 'STARTED', worker: worker!.hostname, lost: true });
    expect(rec.lost_at).toBeGreaterThanOrEqual(killedAt);
    expect(rec.lost_at).toBeLessThan(killedAt + 20);
  }, 60_000);

  it('text says which worker went offline, and since when', async () => {
    const re = new RegExp(`STARTED \\(worker ${escapeRe(worker!.hostname)} offline since \\d\\d:\\d\\d:\\d\\d\\) tasks\\.slow ${id}`);
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 15_000;
      const poll = (): void => {
        if (re.test(text!.stdout())) return resolve();
        if (Date.now() > deadline) return reject(new Error(`no lost line in:\n${text!.stdout()}`));
        setTimeout(poll, 200);
      };
      poll();
    });
  });

  it('a server lists it with tasks --lost, and check --max-lost goes CRITICAL naming it', async () => {
    // The server expires workers on its own tick, which may come a moment after watch's.
    const deadline = Date.now() + 15_000;
    let records: (TaskRecord & { lost?: boolean })[] = [];
    for (;;) {
      const listed = await runClearly(['tasks', '--server', address, '--lost', '--json', '--worker', `^${escapeRe(worker!.hostname)}$`]);
      expect(listed.exitCode).toBe(0);
      records = parseRecords(listed.stdout) as (TaskRecord & { lost?: boolean })[];
      if (records.length > 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(records.map((r) => [r.uuid, r.state, r.lost])).toEqual([[id, 'STARTED', true]]);
    const check = await runClearly(['check', '--server', address, '--max-lost', '0']);
    expect(check.exitCode).toBe(2);
    // Other test files on the same broker may lose tasks too: at least ours.
    expect(check.stdout).toMatch(/^CLEARLY CRITICAL - \d+ lost tasks?/);
    const json = JSON.parse((await runClearly(['check', '--server', address, '--max-lost', '0', '--json'])).stdout) as {
      measured: { lost: { oldest: { uuid: string }[] } };
    };
    expect(json.measured.lost.oldest.map((t) => t.uuid)).toContain(id);
  });
});

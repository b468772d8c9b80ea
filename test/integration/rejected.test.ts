/**
 * A real Celery task that raises `Reject(requeue=False)` (acks_late): the worker sends
 * task-received, task-started, task-rejected. Celery's own State (and Flower) keep it STARTED for
 * ever; clearly shows REJECTED in `watch` (from the broker and from a server), `tasks` and `task`,
 * and says in the record what Celery's State holds (`celery_state: "STARTED"`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBrokerReachable, BROKER_KINDS, BROKERS, purgeQueue, uniqueQueue } from '../helpers/brokers.js';
import { runWorkload, startWorker, type PublishedTask, type WorkerHandle } from '../helpers/celery.js';
import { runClearly, spawnClearly, type ClearlyProcess, type ClearlyRecord } from '../helpers/cli.js';

type Rec = ClearlyRecord & { state?: string; uuid?: string; celery_state?: string };

describe.each(BROKER_KINDS)('a rejected task on %s', (kind) => {
  const broker = BROKERS[kind];
  const queue = uniqueQueue('clearly-reject');
  let server: ClearlyProcess;
  let watchBroker: ClearlyProcess;
  let watchServer: ClearlyProcess;
  let address: string;
  let worker: WorkerHandle;
  let rejected: PublishedTask;

  const mine = (r: Rec): boolean => r.kind === 'task' && r.uuid === rejected?.id;

  beforeAll(async () => {
    await assertBrokerReachable(broker);
    server = spawnClearly(['server', '--broker', broker, '--port', '0']);
    const [, port] = await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 20_000);
    address = `127.0.0.1:${port}`;
    watchBroker = spawnClearly(['watch', '--broker', broker, '--json']);
    watchServer = spawnClearly(['watch', '--server', address, '--json']);
    await Promise.all([watchBroker.waitForStderr(/watching /, 20_000), watchServer.waitForStderr(/watching /, 20_000)]);
    worker = await startWorker({ broker, queues: [queue] });
    [rejected] = (await runWorkload({ broker, queue, scenarios: ['reject'] })) as [PublishedTask];
    // Celery's own State ends it STARTED (the workload computes that with Celery's code).
    expect(rejected.expect).toBe('STARTED');
  });

  afterAll(async () => {
    await Promise.all([watchBroker?.stop(), watchServer?.stop()]);
    await worker?.stop();
    await purgeQueue(broker, queue).catch(() => 0);
    await server?.stop('SIGTERM');
  });

  it('watch shows it REJECTED, from the broker and from the server, with celery_state STARTED', async () => {
    for (const w of [watchBroker, watchServer]) {
      const done = (await w.waitForRecord((r) => mine(r as Rec) && (r as Rec).state === 'REJECTED', 30_000)) as Rec;
      expect(done.celery_state).toBe('STARTED');
      // PENDING first when the publisher's task-sent arrives before the worker's events.
      const shown = (w.records() as Rec[]).filter(mine).map((r) => r.state);
      expect(shown.filter((s) => s !== 'PENDING')).toEqual(['RECEIVED', 'STARTED', 'REJECTED']);
    }
  });

  it('tasks --json and task --json hold it REJECTED with celery_state STARTED; task shows REJECTED', async () => {
    const list = await runClearly(['tasks', '--json', '--limit', '0', '--state', 'REJECTED', '--server', address]);
    expect(list.exitCode, list.stderr).toBe(0);
    const found = list.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec).filter(mine);
    expect(found.map((r) => [r.state, r.celery_state])).toEqual([['REJECTED', 'STARTED']]);
    const one = await runClearly(['task', rejected.id, '--json', '--server', address]);
    expect(one.exitCode, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ state: 'REJECTED', celery_state: 'STARTED', rejected: expect.any(Number) });
    const text = await runClearly(['task', rejected.id, '--server', address]);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/REJECTED/);
    expect(text.stdout).toMatch(/celery state STARTED \(what Celery's own State and Flower show/);
  });
});

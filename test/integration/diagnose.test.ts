/**
 * `clearly diagnose` against real Celery workers on both brokers, one finding per test: a queue
 * with messages and no consumer, a worker with task events off, a saturated worker. Each test
 * has its own queue and worker, and looks only at its own queue (the brokers are shared).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKERS, BROKER_KINDS, assertBrokerReachable, deleteQueue, purgeQueue, uniqueQueue } from '../helpers/brokers.js';
import { assertCeleryAvailable, runWorkload, startWorker, type WorkerHandle } from '../helpers/celery.js';
import { runClearly } from '../helpers/cli.js';

interface Finding {
  kind: string;
  status: string;
  subject: string | null;
  message: string;
  fix: string | null;
}
interface Diagnosis {
  status: string;
  exit_code: number;
  findings: Finding[];
  queues: { name: string; messages: number | null; consumed_by: string[]; next: { id: string | null } | { unavailable: string } | null }[];
  workers: { hostname: string; events: string; saturated: boolean; concurrency: number | null }[];
}

async function diagnose(args: string[]): Promise<{ exitCode: number; d: Diagnosis; stdout: string }> {
  const r = await runClearly(['diagnose', ...args, '--json'], { timeoutMs: 60_000 });
  return { exitCode: r.exitCode ?? -1, d: JSON.parse(r.stdout) as Diagnosis, stdout: r.stdout };
}

describe.each(BROKER_KINDS)('diagnose on %s', (kind) => {
  const broker = BROKERS[kind];
  const workers: WorkerHandle[] = [];
  const queues: string[] = [];

  beforeAll(async () => {
    await assertCeleryAvailable();
    await assertBrokerReachable(broker);
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    for (const q of queues) {
      await purgeQueue(broker, q).catch(() => 0);
      await deleteQueue(broker, q).catch(() => undefined);
    }
  });

  it('names a queue with messages and no consumer, CRITICAL (exit 2), with the fix', async () => {
    const bulk = uniqueQueue('clearly-diag-bulk');
    queues.push(bulk);
    await runWorkload({ broker, queue: bulk, call: { task: 'tasks.add', args: [1, 2], count: 3, expect: 'PENDING' } });
    const { exitCode, d } = await diagnose([bulk, '--broker', broker, '--listen', '1s']);
    expect(exitCode).toBe(2);
    expect(d.status).toBe('CRITICAL');
    const f = d.findings.find((x) => x.kind === 'no-consumer' && x.subject === bulk);
    expect(f).toMatchObject({ status: 'CRITICAL', message: `no worker consumes queue \`${bulk}\` (3 messages waiting)` });
    expect(f?.fix).toContain(`-Q ${bulk}`);
    expect(d.findings[0]?.status).toBe('CRITICAL');
    const q = d.queues.find((x) => x.name === bulk)!;
    expect(q.messages).toBe(3);
    if (kind === 'redis') expect(q.next).toMatchObject({ id: expect.any(String) });
    else expect(q.next).toMatchObject({ unavailable: expect.stringContaining('RabbitMQ') });
  }, 90_000);

  it('names a worker with task events off, WARNING, with -E and enable-events as the fix', async () => {
    const queue = uniqueQueue('clearly-diag-noev');
    queues.push(queue);
    const w = await startWorker({ broker, queues: [queue], taskEvents: false });
    workers.push(w);
    const run = diagnose([queue, '--broker', broker, '--listen', '7s']);
    // Tasks run while diagnose listens: its heartbeats' `processed` rises, no task event comes.
    await new Promise((r) => setTimeout(r, 1500));
    await runWorkload({ broker, queue, call: { task: 'tasks.add', args: [2, 2], count: 5 } });
    const { exitCode, d } = await run;
    const f = d.findings.find((x) => x.kind === 'task-events-off' && x.subject === w.hostname);
    expect(f, JSON.stringify(d.findings)).toMatchObject({ status: 'WARNING' });
    expect(f?.message).toMatch(new RegExp(`^${w.hostname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has task events disabled: it finished \\d+ tasks?`));
    expect(f?.fix).toMatch(/-E .*clearly enable-events/);
    expect(d.workers.find((x) => x.hostname === w.hostname)?.events).toBe('task-events-off');
    expect(exitCode).toBeGreaterThanOrEqual(1);
  }, 90_000);

  it('names a saturated worker: all its slots busy, with the task that holds them', async () => {
    const queue = uniqueQueue('clearly-diag-busy');
    queues.push(queue);
    const w = await startWorker({ broker, queues: [queue], concurrency: 1 });
    workers.push(w);
    await runWorkload({ broker, queue, call: { task: 'tasks.slow', args: [60], count: 2, expect: 'STARTED' } });
    await w.waitForLog(/Task tasks\.slow\[[^\]]+\] received/, 20_000);
    const deadline = Date.now() + 30_000;
    let result = await diagnose([queue, '--broker', broker, '--listen', '1s']);
    // The first task may still be between received and started.
    while (!result.d.findings.some((x) => x.kind === 'saturated') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      result = await diagnose([queue, '--broker', broker, '--listen', '1s']);
    }
    const f = result.d.findings.find((x) => x.kind === 'saturated' && x.subject === w.hostname);
    expect(f, JSON.stringify(result.d.findings)).toMatchObject({ status: 'WARNING' });
    expect(f?.message).toMatch(new RegExp(`^all 1 slots of ${w.hostname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} busy for [\\d.]+s with \`tasks\\.slow\``));
    expect(result.d.workers.find((x) => x.hostname === w.hostname)).toMatchObject({ saturated: true, concurrency: 1 });
    expect(result.exitCode).toBeGreaterThanOrEqual(1);
  }, 120_000);
});

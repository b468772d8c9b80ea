/**
 * `clearly diagnose` on a broker of its own (RabbitMQ vhost, Redis db), so every worker it sees is
 * this file's and its verdict is exact: a healthy queue is OK (exit 0) with every field, in text
 * and in --json; a worker with task events off makes it WARNING (exit 1); a queue with messages
 * and no consumer makes it CRITICAL (exit 2), that finding first; an unreachable broker is
 * UNKNOWN (exit 3). Real Celery workers on both brokers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKERS, BROKER_KINDS, ISOLATED_DB, assertBrokerReachable, uniqueQueue } from '../helpers/brokers.js';
import { assertCeleryAvailable, runWorkload, startWorker, type WorkerHandle } from '../helpers/celery.js';
import { runClearly } from '../helpers/cli.js';
import { isolatedBroker, type IsolatedBroker } from '../helpers/isolated.js';

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Diagnosis {
  status: string;
  exit_code: number;
  findings: { kind: string; status: string; subject: string | null; message: string; fix: string | null }[];
  queues: { name: string; exists: boolean; messages: number | null; consumers: number | null; consumed_by: string[]; next: unknown; waited_at_least_seconds: number | null }[];
  workers: {
    hostname: string;
    queues: string[] | null;
    concurrency: number | null;
    active: { id: string; name: string | null; started_at: number | null }[] | null;
    reserved: number | null;
    scheduled: number | null;
    saturated: boolean;
    events: string;
    heartbeat_age_seconds: number | null;
    answers_pidbox: boolean;
  }[];
}

describe.each(BROKER_KINDS)('diagnose verdicts on %s (a broker of its own)', (kind) => {
  let iso: IsolatedBroker;
  const workers: WorkerHandle[] = [];
  const queue = uniqueQueue('clearly-diagv-ok');
  let w: WorkerHandle;
  let slowId = '';
  let blindQueue = '';

  const diagnose = async (args: string[], json = true): Promise<{ exitCode: number | undefined; stdout: string; d: Diagnosis }> => {
    const r = await runClearly(['diagnose', ...args, '--broker', iso.url, ...(json ? ['--json'] : [])], { timeoutMs: 60_000 });
    return { exitCode: r.exitCode, stdout: r.stdout, d: json ? (JSON.parse(r.stdout) as Diagnosis) : (null as never) };
  };

  beforeAll(async () => {
    await assertCeleryAvailable();
    await assertBrokerReachable(BROKERS[kind]);
    iso = await isolatedBroker(kind, 'diagv', ISOLATED_DB.diagnose);
    w = await startWorker({ broker: iso.url, queues: [queue], concurrency: 2 });
    workers.push(w);
    // One slot busy, one ETA task held by the worker until due.
    const [slow] = await runWorkload({ broker: iso.url, queue, call: { task: 'tasks.slow', args: [120], expect: 'STARTED' } });
    slowId = slow!.id;
    await runWorkload({ broker: iso.url, queue, call: { task: 'tasks.add', args: [1, 1], countdown: 3600, expect: 'PENDING' } });
    await w.waitForLog(new RegExp(`Task tasks\\.slow\\[${slowId}\\] received`), 20_000);
    await w.waitForLog(/Task tasks\.add\[[^\]]+\] received/, 20_000);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((x) => x.kill('SIGKILL')));
    await iso?.dispose();
  }, 60_000);

  it('a healthy queue: OK, exit 0, with every field in --json', async () => {
    const run = diagnose([queue, '--listen', '5s']);
    // Tasks run while it listens: its task events say events are on.
    await new Promise((r) => setTimeout(r, 1000));
    await runWorkload({ broker: iso.url, queue, call: { task: 'tasks.add', args: [2, 2], count: 2 } });
    const { exitCode, d } = await run;
    expect([exitCode, d.status, d.exit_code], JSON.stringify(d.findings)).toEqual([0, 'OK', 0]);
    expect(d.findings.map((f) => f.kind)).toEqual(['all-clear']);
    expect(d.queues).toEqual([
      {
        name: queue,
        exists: true,
        messages: 0,
        consumers: kind === 'amqp' ? 1 : null,
        consumed_by: [w.hostname],
        next: kind === 'amqp' ? { unavailable: expect.stringMatching(/RabbitMQ/) } : null,
        waited_at_least_seconds: null,
      },
    ]);
    const me = d.workers.find((x) => x.hostname === w.hostname)!;
    expect(me).toMatchObject({ queues: [queue], concurrency: 2, reserved: 0, scheduled: 1, saturated: false, events: 'on', answers_pidbox: true });
    expect(me.active).toEqual([{ id: slowId, name: 'tasks.slow', started_at: expect.any(Number) }]);
    expect(me.heartbeat_age_seconds).toBeGreaterThanOrEqual(0);
    expect(me.heartbeat_age_seconds).toBeLessThan(5);
  }, 90_000);

  it('the same in text: queues, workers, then the verdict', async () => {
    const { exitCode, stdout } = await diagnose([queue, '--listen', '3s'], false);
    expect(exitCode).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/: listened \d/);
    const consumers = kind === 'amqp' ? `1 consumer \\(${escapeRe(w.hostname)}\\), oldest message: not available \\([^)]*RabbitMQ[^)]*\\)` : `1 consumer \\(${escapeRe(w.hostname)}\\)`;
    expect(lines[1]).toMatch(new RegExp(`^queue ${escapeRe(queue)}, 0 waiting, ${consumers}$`));
    expect(lines[2]).toMatch(
      new RegExp(`^worker ${escapeRe(w.hostname)}, 1/2 slots busy, 0 prefetched, 1 scheduled, queues ${escapeRe(queue)}, events (on|unknown \\(idle\\)), heartbeat [\\d.]+m?s ago$`),
    );
    expect(lines.slice(3)).toEqual(['', 'OK       nothing found wrong: 1 worker answering, 1 queue consumed', '']);
  }, 90_000);

  it('a worker with task events off: WARNING, exit 1, named with the fix', async () => {
    const q = uniqueQueue('clearly-diagv-off');
    blindQueue = q;
    const blind = await startWorker({ broker: iso.url, queues: [q], taskEvents: false });
    workers.push(blind);
    const run = diagnose([queue, q, '--listen', '7s']);
    await new Promise((r) => setTimeout(r, 1500));
    await runWorkload({ broker: iso.url, queue: q, call: { task: 'tasks.add', args: [3, 3], count: 4 } });
    const { exitCode, d } = await run;
    expect([exitCode, d.status], JSON.stringify(d.findings)).toEqual([1, 'WARNING']);
    expect(d.findings.map((f) => `${f.status} ${f.kind} ${f.subject}`)).toEqual([`WARNING task-events-off ${blind.hostname}`]);
    expect(d.findings[0]!.fix).toMatch(/-E .*clearly enable-events/);
  }, 90_000);

  it('then a queue with messages and no consumer: CRITICAL, exit 2, first; the WARNING after it', async () => {
    const bulk = uniqueQueue('clearly-diagv-bulk');
    await runWorkload({ broker: iso.url, queue: bulk, call: { task: 'tasks.add', args: [1, 2], count: 2, expect: 'PENDING' } });
    const blind = workers[1]!;
    const run = diagnose([queue, blindQueue, bulk, '--listen', '7s']);
    await new Promise((r) => setTimeout(r, 1500));
    await runWorkload({ broker: iso.url, queue: blindQueue, call: { task: 'tasks.add', args: [5, 5], count: 3 } });
    const { exitCode, d } = await run;
    expect([exitCode, d.status], JSON.stringify(d.findings)).toEqual([2, 'CRITICAL']);
    expect(d.findings.map((f) => `${f.status} ${f.kind} ${f.subject}`)).toEqual([`CRITICAL no-consumer ${bulk}`, `WARNING task-events-off ${blind.hostname}`]);
    const q = d.queues.find((x) => x.name === bulk)!;
    expect(q.messages).toBe(2);
    if (kind === 'redis') {
      // The same message was next before and after listening: it waited at least that long.
      expect(q.next).toMatchObject({ id: expect.any(String), task: 'tasks.add' });
      expect(q.waited_at_least_seconds).toBeGreaterThan(5);
    } else expect(q.next).toMatchObject({ unavailable: expect.stringContaining('RabbitMQ') });
  }, 90_000);

  it('a broker it cannot reach: UNKNOWN, exit 3', async () => {
    const url = kind === 'amqp' ? 'amqp://guest:guest@127.0.0.1:1//' : 'redis://127.0.0.1:1/0';
    const r = await runClearly(['diagnose', '--broker', url, '--json', '--listen', '1s'], { timeoutMs: 60_000 });
    expect(r.exitCode).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'UNKNOWN', exit_code: 3, error: expect.stringMatching(/127\.0\.0\.1:1/) });
  }, 60_000);
});

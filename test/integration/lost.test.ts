/**
 * Lost tasks with real Celery workers on both brokers: a worker SIGKILLed while a task is STARTED
 * on it (no worker-offline: its heartbeats stop) makes that task `lost` once the expiry window
 * runs out, in `watch --broker` (text and --json) and in a server (`tasks --lost`, `check
 * --max-lost`). The state stays STARTED, as Celery's does. A worker stopped under a running task
 * does the same, and a pool child that dies under its task stays the FAILURE Celery reports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKERS, BROKER_KINDS, assertBrokerReachable, purgeQueue, uniqueQueue } from '../helpers/brokers.js';
import { assertCeleryAvailable, runWorkload, startWorker, type WorkerHandle } from '../helpers/celery.js';
import { parseRecords, runClearly, spawnClearly, type ClearlyProcess, type TaskRecord } from '../helpers/cli.js';

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `tasks --server ADDRESS --lost --json` for these workers, asked again until it lists something:
 * the server expires a silent worker on its own one-second tick, a moment after watch may have.
 */
async function lostOnServer(address: string, hostnames: string[], timeoutMs = 15_000): Promise<(TaskRecord & { lost?: boolean })[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const listed = await runClearly(['tasks', '--server', address, '--lost', '--json', '--worker', `^(${hostnames.map(escapeRe).join('|')})$`]);
    expect(listed.exitCode, listed.stderr).toBe(0);
    const records = parseRecords(listed.stdout) as (TaskRecord & { lost?: boolean })[];
    if (records.length > 0 || Date.now() > deadline) return records;
    await new Promise((r) => setTimeout(r, 250));
  }
}

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
    const records = await lostOnServer(address, [worker!.hostname]);
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

  it('a restarted worker that gets the message again (acks_late) clears the mark, and the task moves on', async () => {
    const q = uniqueQueue('clearly-lost-again');
    // RabbitMQ hands an unacknowledged message out again when the connection drops. Redis (kombu
    // 5.2) when a worker's consumer starts, if it is older than the visibility timeout (1 s here).
    const env = { CLEARLY_TEST_VISIBILITY_TIMEOUT: '1' };
    const first = await startWorker({ broker, queues: [q], concurrency: 1, env });
    let second: WorkerHandle | undefined;
    try {
      const [t] = await runWorkload({ broker, queue: q, call: { task: 'tasks.slow_late', args: [6] } });
      await watch!.waitForRecord((r) => r.kind === 'task' && r.uuid === t!.id && r.state === 'STARTED', 30_000);
      await first.kill('SIGKILL');
      await watch!.waitForRecord((r) => r.kind === 'task' && r.uuid === t!.id && (r as { lost?: boolean }).lost === true, 20_000);
      second = await startWorker({ broker, queues: [q], concurrency: 1, env });
      const done = (await watch!.waitForRecord((r) => r.kind === 'task' && r.uuid === t!.id && r.state === 'SUCCESS', 60_000)) as TaskRecord & { lost?: boolean };
      expect(done).toMatchObject({ worker: second.hostname });
      expect(done.lost ?? false).toBe(false);
      // The mark went as soon as the second worker said it had the task again.
      const mine = watch!.records().filter((r) => r.kind === 'task' && r.uuid === t!.id) as (TaskRecord & { lost?: boolean })[];
      const lostAt = mine.findIndex((r) => r.lost === true);
      const back = mine.findIndex((r, i) => i > lostAt && r.worker === second!.hostname);
      expect(back).toBeGreaterThan(lostAt);
      expect(mine.slice(back).every((r) => r.lost !== true)).toBe(true);
      const listed = await runClearly(['tasks', '--server', address, '--lost', '--json', '--worker', `^(${escapeRe(first.hostname)}|${escapeRe(second.hostname)})$`]);
      expect(parseRecords(listed.stdout)).toEqual([]);
    } finally {
      await Promise.all([first.kill('SIGKILL'), second?.kill('SIGKILL')]);
      await purgeQueue(broker, q).catch(() => 0);
    }
  }, 150_000);

  it("a worker shut down (cold) under a STARTED task marks it lost; prefork's WorkerLostError FAILURE stays a FAILURE, never lost", async () => {
    const q = uniqueQueue('clearly-lost-clean');
    const w = await startWorker({ broker, queues: [q], concurrency: 1 });
    try {
      // A pool child that exits under its task: the main process reports WorkerLostError.
      const [died] = await runWorkload({ broker, queue: q, call: { task: 'tasks.die', expect: 'FAILURE' } });
      const failed = (await watch!.waitForRecord((r) => r.kind === 'task' && r.uuid === died!.id && r.state === 'FAILURE', 30_000)) as TaskRecord;
      // Celery 5.2 sends it as ExceptionWithTraceback(); the traceback names it.
      expect((failed as TaskRecord & { traceback: string | null }).traceback).toMatch(/billiard\.exceptions\.WorkerLostError: Worker exited prematurely/);
      const [held] = await runWorkload({ broker, queue: q, call: { task: 'tasks.slow', args: [120], expect: 'STARTED' } });
      await watch!.waitForRecord((r) => r.kind === 'task' && r.uuid === held!.id && r.state === 'STARTED', 30_000);
      // Warm shutdown waits for the running task: a second SIGTERM makes it a cold one (worker-offline still sent).
      const stopping = w.stop({ timeoutMs: 30_000 });
      await w.waitForLog(/worker: Warm shutdown/, 15_000);
      process.kill(w.pid, 'SIGQUIT');
      await stopping;
      const lost = (await watch!.waitForRecord((r) => r.kind === 'task' && r.uuid === held!.id && (r as { lost?: boolean }).lost === true, 20_000)) as TaskRecord;
      expect(lost).toMatchObject({ state: 'STARTED', worker: w.hostname });
      expect((await lostOnServer(address, [w.hostname])).map((r) => [r.uuid, r.state])).toEqual([[held!.id, 'STARTED']]);
      const dead = JSON.parse((await runClearly(['task', died!.id, '--server', address, '--json'])).stdout) as TaskRecord & { lost?: boolean };
      expect(dead).toMatchObject({ state: 'FAILURE' });
      expect(dead.lost ?? false).toBe(false);
      expect(watch!.records().some((r) => r.kind === 'task' && r.uuid === died!.id && (r as { lost?: boolean }).lost === true)).toBe(false);
    } finally {
      await w.kill('SIGKILL');
      await purgeQueue(broker, q).catch(() => 0);
    }
  }, 120_000);
});

/**
 * `clearly task <uuid> --wait` against real Celery workers on both brokers: from a clearly
 * server's live stream, and straight from the broker's events (plus the result backend): exit 0
 * on SUCCESS, 1 on FAILURE/REVOKED, 124 on --timeout, at once for a task that already finished.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBrokerReachable, BROKER_KINDS, BROKERS, ISOLATED_DB, RESULT_BACKEND, uniqueQueue, withRedis } from '../helpers/brokers.js';
import { runWorkload, startWorker, type WorkerHandle } from '../helpers/celery.js';
import { runClearly, spawnClearly, type ClearlyProcess, type CliResult } from '../helpers/cli.js';
import { isolatedBroker, type IsolatedBroker } from '../helpers/isolated.js';

interface Waited {
  kind: string;
  uuid: string;
  name: string | null;
  state: string;
  result: unknown;
  exception: string | null;
  worker: string | null;
  result_source: string | null;
}

function record(r: CliResult): Waited {
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  return JSON.parse(lines[0]!) as Waited;
}

/** Until Celery has stored the task's result in the backend (a fixed sleep is a guess on a loaded machine). */
async function untilStored(ids: readonly string[], timeoutMs = 20_000): Promise<void> {
  const keys = ids.map((id) => `celery-task-meta-${id}`);
  const deadline = Date.now() + timeoutMs;
  while ((await withRedis(RESULT_BACKEND, (r) => r.exists(...keys))) < keys.length) {
    if (Date.now() > deadline) throw new Error(`results of ${ids.join(', ')} not stored within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function timed(run: Promise<CliResult>): Promise<CliResult & { ms: number }> {
  const t0 = Date.now();
  const r = await run;
  return { ...r, ms: Date.now() - t0 };
}

describe.each(BROKER_KINDS)('task --wait on %s', (kind) => {
  let iso: IsolatedBroker;
  let url: string;
  const queue = uniqueQueue('clearly-wait');
  let server: ClearlyProcess | undefined;
  let address: string;
  let worker: WorkerHandle | undefined;

  const publish = async (task: string, args: unknown[], expect = 'SUCCESS'): Promise<string> => {
    const [p] = await runWorkload({ broker: url, backend: RESULT_BACKEND, queue, call: { task, args, count: 1, expect } });
    return p!.id;
  };
  const viaServer = (id: string, ...args: string[]) => runClearly(['task', id, '--wait', '--json', '--server', address, ...args]);
  const viaBroker = (id: string, ...args: string[]) => runClearly(['task', id, '--wait', '--json', '--broker', url, ...args]);

  beforeAll(async () => {
    await assertBrokerReachable(BROKERS[kind]);
    iso = await isolatedBroker(kind, 'wait', ISOLATED_DB.wait);
    url = iso.url;
    server = spawnClearly(['server', '--broker', url, '--port', '0']);
    const [, port] = await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 20_000);
    address = `127.0.0.1:${port}`;
    worker = await startWorker({ broker: url, backend: RESULT_BACKEND, queues: [queue], concurrency: 2 });
  });

  afterAll(async () => {
    await worker?.kill('SIGKILL');
    await server?.stop('SIGTERM');
    await iso?.dispose();
  });

  it('server: waits for a running task, exit 0 on SUCCESS, and returns at once when it is done', async () => {
    const id = await publish('tasks.slow', [3]);
    const r = await timed(viaServer(id, '--timeout', '30s'));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(record(r)).toMatchObject({ kind: 'task', uuid: id, name: 'tasks.slow', state: 'SUCCESS', result: 3, worker: worker!.hostname });
    expect(r.ms).toBeGreaterThan(1000); // it did wait for the task
    expect(r.stderr).toMatch(new RegExp(`^clearly: task ${id} SUCCESS after waiting \\d`, 'm'));

    const again = await timed(viaServer(id));
    expect(again.exitCode).toBe(0);
    expect(record(again).state).toBe('SUCCESS');
    expect(again.ms).toBeLessThan(3000);
  });

  it('server: exit 1 on FAILURE and on REVOKED', async () => {
    const failed = await publish('tasks.fail', [], 'FAILURE');
    const r = await viaServer(failed, '--timeout', '30s');
    expect(r.exitCode, r.stderr).toBe(1);
    expect(record(r)).toMatchObject({ uuid: failed, state: 'FAILURE', exception: `HarnessError('kaboom "quoted" \\'single\\'', 42)` });

    const [revoke] = await runWorkload({ broker: url, backend: RESULT_BACKEND, queue, scenarios: ['revoke'] });
    const rv = await viaServer(revoke!.id, '--timeout', '30s');
    expect(rv.exitCode, rv.stderr).toBe(1);
    expect(record(rv)).toMatchObject({ uuid: revoke!.id, state: 'REVOKED' });
  });

  it('server: exit 124 when --timeout runs out, for a running task and for one never seen', async () => {
    const id = await publish('tasks.slow', [8]);
    const r = await timed(viaServer(id, '--timeout', '1500ms'));
    expect(r.exitCode).toBe(124);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`clearly: task ${id} did not finish within 1\\.5s \\(last seen (PENDING|RECEIVED|STARTED)\\)`));
    expect(r.ms).toBeLessThan(6000);

    const ghost = '00000000-0000-4000-8000-000000000000';
    const g = await viaServer(ghost, '--timeout', '1s');
    expect(g.exitCode).toBe(124);
    expect(g.stderr).toContain(`clearly: the server at ${address} does not know task ${ghost} yet: waiting for it`);
    expect(g.stderr).toContain(`clearly: task ${ghost} did not finish within 1s (never seen)`);
  });

  it('broker: follows the events, exit 0 on SUCCESS, 1 on FAILURE, 124 on --timeout', async () => {
    // 6 s: clearly (a fresh process) must be listening before the task ends, on a loaded machine too.
    const ok = await publish('tasks.slow', [6]);
    const r = await viaBroker(ok, '--timeout', '30s');
    expect(r.exitCode, r.stderr).toBe(0);
    // (Its name is known only if clearly heard task-received, which may come before it listens.)
    expect(record(r)).toMatchObject({ uuid: ok, state: 'SUCCESS', result: 6, worker: worker!.hostname });

    // A countdown keeps it from failing before clearly listens (its events would be gone).
    const [p] = await runWorkload({ broker: url, queue, call: { task: 'tasks.fail', count: 1, countdown: 6, expect: 'FAILURE' } });
    const failed = p!.id;
    const f = await viaBroker(failed, '--timeout', '30s');
    expect(f.exitCode, f.stderr).toBe(1);
    expect(record(f)).toMatchObject({ uuid: failed, state: 'FAILURE' });

    const slow = await publish('tasks.slow', [8]);
    const t = await viaBroker(slow, '--timeout', '1s');
    expect(t.exitCode).toBe(124);
    expect(t.stderr).toMatch(new RegExp(`clearly: task ${slow} did not finish within 1s \\(last seen (RECEIVED|STARTED)\\)|\\(never seen\\)`));
  }, 40_000);

  it('broker + backend: a task that already finished returns at once, with its stored result', async () => {
    const done = await publish('tasks.add', [20, 22]);
    const failed = await publish('tasks.fail', [], 'FAILURE');
    await untilStored([done, failed]);

    const r = await timed(viaBroker(done, '--backend', RESULT_BACKEND, '--timeout', '20s'));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(record(r)).toMatchObject({ uuid: done, state: 'SUCCESS', result: 42, result_source: 'backend' });
    expect(r.ms).toBeLessThan(5000);

    const f = await viaBroker(failed, '--backend', RESULT_BACKEND, '--timeout', '20s');
    expect(f.exitCode, f.stderr).toBe(1);
    expect(record(f)).toMatchObject({ uuid: failed, state: 'FAILURE', exception: `HarnessError('kaboom "quoted" \\'single\\'', 42)` });

    // Without the backend, a finished task's events are gone: only --timeout ends the wait.
    const missed = await viaBroker(done, '--timeout', '1s');
    expect(missed.exitCode).toBe(124);
    expect(missed.stderr).toContain('a task that finished before now is only found with --backend');
  }, 40_000);

  it('usage: the wait flags need --wait; --backend needs --broker', async () => {
    const a = await runClearly(['task', 'abc', '--timeout', '1s', '--server', '127.0.0.1:1']);
    expect(a.exitCode).toBe(2);
    expect(a.stderr).toBe('clearly: --timeout only apply with --wait\n');
    const b = await runClearly(['task', 'abc', '--wait', '--backend', RESULT_BACKEND, '--server', '127.0.0.1:1']);
    expect(b.exitCode).toBe(2);
    expect(b.stderr).toBe('clearly: --backend is read with --broker (a clearly server reads its own result backend)\n');
  });
});

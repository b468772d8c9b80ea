/**
 * `clearly watch --broker` against real Celery 5 workers (prefork, -E, task-sent events) on
 * RabbitMQ and Redis: every task's final state and parsed args, never a step backwards, workers
 * online and (after SIGKILL) offline within 2 × freq.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKERS, BROKER_KINDS, assertBrokerReachable, purgeQueue, uniqueQueue } from '../helpers/brokers.js';
import { assertCeleryAvailable, runWorkload, startWorker, type PublishedTask, type WorkerHandle } from '../helpers/celery.js';
import { runClearly, spawnClearly, type ClearlyProcess, type ClearlyRecord, type TaskRecord } from '../helpers/cli.js';

/** Allowed forward steps of what a person sees (RETRY loops back to RECEIVED or PENDING). */
const NEXT: Record<string, readonly string[]> = {
  PENDING: ['RECEIVED', 'REVOKED'],
  RECEIVED: ['STARTED', 'REVOKED', 'REJECTED'],
  STARTED: ['SUCCESS', 'FAILURE', 'RETRY', 'REVOKED', 'REJECTED'],
  RETRY: ['RECEIVED', 'PENDING'],
  SUCCESS: [],
  FAILURE: [],
  REVOKED: [],
  REJECTED: [],
};

function tasksOf(records: ClearlyRecord[]): Map<string, TaskRecord[]> {
  const by = new Map<string, TaskRecord[]>();
  for (const r of records) {
    if (r.kind !== 'task') continue;
    let list = by.get(r.uuid);
    if (!list) by.set(r.uuid, (list = []));
    list.push(r);
  }
  return by;
}

function reached(records: ClearlyRecord[], published: readonly PublishedTask[]): boolean {
  const by = tasksOf(records);
  return published.every((p) => by.get(p.id)?.some((r) => r.state === p.expect) ?? false);
}

describe.each(BROKER_KINDS)('watch --broker on %s with a real Celery worker', (kind) => {
  const broker = BROKERS[kind];
  const queue = uniqueQueue('clearly-watch');
  let worker: WorkerHandle;
  let watch: ClearlyProcess;
  let published: PublishedTask[] = [];
  let records: ClearlyRecord[] = [];

  beforeAll(async () => {
    await assertCeleryAvailable();
    await assertBrokerReachable(broker);
    watch = spawnClearly(['watch', '--broker', broker, '--json', '--workers']);
    await watch.waitForStderr(/watching/, 15_000);
    worker = await startWorker({ broker, queues: [queue] });
    published = await runWorkload({ broker, queue });
    records = await watch.waitForRecords((rs) => reached(rs, published), 60_000);
    // Let late events (e.g. a task-sent after the worker's events) arrive too.
    await new Promise((r) => setTimeout(r, 1500));
    records = watch.records();
  }, 120_000);

  afterAll(async () => {
    await watch?.stop('SIGINT');
    await worker?.kill('SIGKILL');
    await purgeQueue(broker, queue).catch(() => 0);
  });

  it('prints only NDJSON records on stdout', () => {
    expect(records.length).toBeGreaterThan(published.length);
    for (const line of watch.lines()) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('ends every task in the state Celery itself reaches', () => {
    const by = tasksOf(records);
    for (const p of published) {
      const seen = by.get(p.id) ?? [];
      const last = seen.at(-1);
      // Where clearly deliberately differs (README, "Where clearly differs from Celery's State"): a
      // task whose last event is task-rejected without requeue is final, REJECTED, and the record
      // says where Celery's State stays (celery_state).
      if (p.final_event === 'task-rejected' && p.expect !== 'REJECTED') {
        expect(last?.state, `${p.scenario} ${p.task} ${p.id}`).toBe('REJECTED');
        expect(last?.celery_state, `${p.scenario} ${p.task} ${p.id}`).toBe(p.expect);
      } else {
        expect(last?.state, `${p.scenario} ${p.task} ${p.id}`).toBe(p.expect);
      }
      expect(last?.name).toBe(p.task);
    }
  });

  it('never shows a task going backwards, and every step is a forward one', () => {
    for (const [uuid, seen] of tasksOf(records)) {
      // A task shown again in the same state is a refresh (a late event filled in fields), not a step.
      const states = seen.map((r) => r.state).filter((s, i, all) => i === 0 || s !== all[i - 1]);
      for (let i = 1; i < states.length; i++) {
        expect(NEXT[states[i - 1]!] ?? [], `${uuid}: ${states.join(' → ')}`).toContain(states[i]);
      }
    }
  });

  it('shows the retries of a retried task and its final success', () => {
    const flaky = published.find((p) => p.scenario === 'flaky');
    expect(flaky).toBeDefined();
    const states = (tasksOf(records).get(flaky!.id) ?? []).map((r) => r.state);
    expect(states.filter((s) => s === 'RETRY')).toHaveLength(2);
    expect(states.at(-1)).toBe('SUCCESS');
    const last = tasksOf(records).get(flaky!.id)!.at(-1)!;
    expect(last.retries).toBe(2);
  });

  it('parses rich args and kwargs into JSON values, keeping the raw reprs', () => {
    const rich = published.find((p) => p.scenario === 'echo' && p.args_repr?.startsWith("('unicode"));
    expect(rich).toBeDefined();
    const rec = tasksOf(records).get(rich!.id)!.at(-1)!;
    expect(rec.args_repr).toBe(rich!.args_repr);
    expect(rec.kwargs_repr).toBe(rich!.kwargs_repr);
    const args = rec.args as unknown[];
    expect(args[0]).toBe('unicode: héllo wörld ✓ 日本語 😀');
    expect(args.slice(2, 6)).toEqual([null, true, false, 3.14]);
    expect(args[8]).toBe('1180591620717411303424'); // 2**70: not a safe JS integer, kept exact
    expect(args[11]).toEqual([1, 'two', 3]);
    expect(args[12]).toBe('2024-01-02T03:04:05.678901+00:00');
    expect(args[14]).toBe('3.14159265358979323846');
    expect(args[15]).toBe('12345678-1234-5678-1234-567812345678');
    expect(args[16]).toBe('control:\x00\x01\x07\t\n\r\x1b[31m \'quote\' "dq" back\\slash');
    expect(rec.kwargs).toMatchObject({ when: '2030-12-31T23:59:59+00:00', empty: {}, flag: true, name: 'clearly' });
    expect(rec.result_repr).toBe(rich!.result_repr);
  });

  it('marks a result cut by saferepr as truncated and still parses what is there', () => {
    const big = published.find((p) => p.scenario === 'big')!;
    const rec = tasksOf(records).get(big.id)!.at(-1)! as TaskRecord & { result_source: string };
    expect(rec.state).toBe('SUCCESS');
    expect(rec.result_source).toBe('truncated');
    expect((rec.result as { n: number }).n).toBe(2000);
  });

  it('shows failures with exception and traceback', () => {
    const fail = published.find((p) => p.scenario === 'fail')!;
    const rec = tasksOf(records).get(fail.id)!.at(-1)!;
    expect(rec.state).toBe('FAILURE');
    expect(rec.exception).toBe(fail.exception);
    expect(rec.traceback).toMatch(/^Traceback \(most recent call last\)/);
    expect(rec.worker).toBe(worker.hostname);
  });

  it('links chain steps by parent and root id', () => {
    const steps = published.filter((p) => p.scenario === 'chain').sort((a, b) => (a.step ?? 0) - (b.step ?? 0));
    expect(steps).toHaveLength(3);
    const by = tasksOf(records);
    for (const s of steps.slice(1)) {
      const rec = by.get(s.id)!.at(-1)!;
      expect(rec.root_id).toBe(steps[0]!.id);
      expect(rec.parent_id).toBe(s.parent_id);
    }
  });

  it('shows the worker online and, once killed with SIGKILL, offline within 2 × freq', async () => {
    const online = records.find((r) => r.kind === 'worker' && r.hostname === worker.hostname && r.state === 'ONLINE');
    expect(online).toMatchObject({ sw_ident: 'py-celery', freq: 2 });
    const killedAt = Date.now();
    await worker.kill('SIGKILL');
    await watch.waitForRecord(
      (r) => r.kind === 'worker' && r.hostname === worker.hostname && r.state === 'OFFLINE',
      2 * 2000 + 6000,
    );
    // 2 × freq, plus the 1 s expiry tick and room for a loaded machine (kill() waits for the exit too).
    expect(Date.now() - killedAt).toBeLessThan(2 * 2000 + 6000);
  });
});

describe('watch: filters, limits and errors', () => {
  const broker = BROKERS.redis;
  const queue = uniqueQueue('clearly-watch-f');
  let worker: WorkerHandle;

  beforeAll(async () => {
    await assertBrokerReachable(broker);
    worker = await startWorker({ broker, queues: [queue] });
  }, 60_000);
  afterAll(async () => {
    await worker?.kill('SIGKILL');
    await purgeQueue(broker, queue).catch(() => 0);
  });

  it('--state FAILURE --count 1 exits 0 after the first failure, printing only it', async () => {
    const watch = spawnClearly([
      'watch', '--broker', broker, '--json', '--state', 'FAILURE', '--count', '1', '--timeout', '60',
      '--worker', `^${worker.hostname}$`,
    ]);
    await watch.waitForStderr(/watching/, 15_000);
    const published = await runWorkload({ broker, queue, scenarios: ['basic', 'fail'] });
    const result = await watch.result;
    expect(result.exitCode).toBe(0);
    const recs = watch.records();
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ kind: 'task', state: 'FAILURE', uuid: published.find((p) => p.scenario === 'fail')!.id });
    expect(result.stderr).toMatch(/1 records/);
  });

  it('--pattern with ! excludes matching tasks; text output has no colour when piped', async () => {
    // --timeout ends the watch: long enough for the workload's Python start-up on a loaded machine.
    const watch = spawnClearly(['watch', '--broker', broker, '--pattern', '!^tasks\\.add$', '--timeout', '15']);
    await watch.waitForStderr(/watching/, 15_000);
    const published = await runWorkload({ broker, queue, scenarios: ['basic'] });
    const result = await watch.result;
    expect(result.exitCode).toBe(0);
    const mul = published.find((p) => p.task === 'tasks.mul')!;
    const add = published.find((p) => p.task === 'tasks.add')!;
    expect(result.stdout).toContain(mul.id);
    expect(result.stdout).not.toContain(add.id);
    expect(result.stdout).toMatch(/SUCCESS\s+tasks\.mul/);
    expect(result.stdout).toContain('result 42');
    expect(result.stdout).not.toContain('\x1b[');
  }, 40_000);

  it('ends quietly when the reader goes away (| head)', async () => {
    // The worker heartbeats every 2 s: the first one fills `head`, which then closes the pipe.
    const { execa } = await import('execa');
    const { CLEARLY_BIN } = await import('../helpers/cli.js');
    const piped = await execa('bash', ['-o', 'pipefail', '-c', `node ${CLEARLY_BIN} watch --broker ${broker} --only-workers --worker '^${worker.hostname}$' --json | head -n 1`], {
      reject: false,
      timeout: 30_000,
    });
    expect(piped.exitCode).toBe(0);
    expect(JSON.parse(piped.stdout)).toMatchObject({ kind: 'worker', hostname: worker.hostname });
    expect(piped.stderr).not.toMatch(/EPIPE|Error/);
  }, 60_000);

  it('Ctrl-C exits 0 and prints a summary on stderr only', async () => {
    const watch = spawnClearly(['watch', '--broker', broker, '--json', '--only-workers', '--worker', `^${worker.hostname}$`]);
    await watch.waitForStderr(/watching/, 15_000);
    await watch.waitForRecord((r) => r.kind === 'worker', 10_000);
    const r = await watch.stop('SIGINT');
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/clearly: [1-9]\d* records \(0 task, [1-9]\d* worker\) from \d+ events in \d+\.\ds/);
    for (const line of r.stdout.trim().split('\n')) expect(JSON.parse(line)).toMatchObject({ kind: 'worker' });
  });

  it('an unreachable broker exits 69 within a few seconds with one line naming it (password masked)', async () => {
    const started = Date.now();
    const r = await runClearly(['watch', '--broker', 'amqp://guest:secret@127.0.0.1:1//']);
    expect(r.exitCode).toBe(69);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/amqp:\/\/guest:\*\*\*\*@127\.0\.0\.1:1/);
    expect(r.stderr).not.toContain('secret');
    const redis = await runClearly(['watch', '--broker', 'redis://127.0.0.1:1/0']);
    expect(redis.exitCode).toBe(69);
    expect(redis.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/0/);
  });

  it('usage errors exit 2 and name the flag', async () => {
    const bad = await runClearly(['watch', '--broker', broker, '--pattern', '(']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--pattern/);
    const state = await runClearly(['watch', '--broker', broker, '--state', 'DONE']);
    expect(state.exitCode).toBe(2);
    expect(state.stderr).toMatch(/unknown state "DONE"/);
    const scheme = await runClearly(['watch', '--broker', 'sqs://x']);
    expect(scheme.exitCode).toBe(2);
    const flag = await runClearly(['watch', '--bogus']);
    expect(flag.exitCode).toBe(2);
  });
});

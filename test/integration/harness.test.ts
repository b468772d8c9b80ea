/**
 * Proves the integration harness itself against real Celery on both brokers: workers start, run the
 * workload to the expected states (checked in the Redis result backend and the worker log), die
 * with their whole process group, and the CLI helpers see NDJSON and stderr as they stream.
 * Nothing here skips: a missing broker or Celery is a broken environment and must fail loudly.
 */
import { hostname as osHostname } from 'node:os';
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BROKERS,
  BROKER_KINDS,
  RESULT_BACKEND,
  assertBrokerReachable,
  deleteQueue,
  purgeQueue,
  queueLength,
  uniqueQueue,
  withRedis,
} from '../helpers/brokers.js';
import {
  DEFAULT_SCENARIOS,
  assertCeleryAvailable,
  liveGroupMembers,
  runWorkload,
  startWorker,
  type PublishedTask,
  type WorkerHandle,
} from '../helpers/celery.js';
import { runNode, spawnNode } from '../helpers/cli.js';

/** Poll until `fn` returns a value (not undefined) or fail with `what` after `timeoutMs`. */
async function poll<T>(fn: () => Promise<T | undefined>, what: () => string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `celery-task-meta-<id>` values (raw JSON text: Python may write NaN, which JSON.parse rejects). */
async function storedMeta(ids: readonly string[]): Promise<Map<string, string>> {
  return withRedis(RESULT_BACKEND, async (r) => {
    const values = await r.mget(ids.map((id) => `celery-task-meta-${id}`));
    return new Map(ids.flatMap((id, i) => (values[i] ? [[id, values[i]] as [string, string]] : [])));
  });
}

const statusOf = (raw: string): string | undefined => /^\{"status": "(\w+)"/.exec(raw)?.[1];

/** Pids whose command line mentions `needle` (to prove a failed start left nothing behind). */
function pidsWithArg(needle: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('harness prerequisites', () => {
  it('finds Celery 5 in /usr/bin/python3', async () => {
    expect(await assertCeleryAvailable()).toMatch(/^5\.\d+\.\d+/);
  });

  it('throws (never skips) with a clear message when a broker is unreachable', async () => {
    await expect(assertBrokerReachable('redis://127.0.0.1:1/0')).rejects.toThrow(
      /^Redis is not reachable at redis:\/\/127\.0\.0\.1:1\/0: .*ECONNREFUSED.*run \.ci\/run/,
    );
    await expect(assertBrokerReachable('amqp://guest:guest@127.0.0.1:1//')).rejects.toThrow(
      /^RabbitMQ is not reachable at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1\/\/: .*ECONNREFUSED/,
    );
  });
});

describe.each(BROKER_KINDS)('real Celery worker on %s', (kind) => {
  const broker = BROKERS[kind];
  // A queue of our own: a concurrent test run on the same broker cannot take our tasks.
  const queue = uniqueQueue('harness');
  let worker: WorkerHandle;
  let published: PublishedTask[] = [];

  beforeAll(async () => {
    await assertBrokerReachable(broker);
    worker = await startWorker({ broker, backend: RESULT_BACKEND, queues: [queue] });
  });

  afterAll(async () => {
    await worker?.kill();
    await deleteQueue(broker, queue);
  });

  it('starts a prefork worker (main + 2 children) in its own process group, named name@host', () => {
    expect(worker.hostname).toMatch(new RegExp(`^t${process.pid}-\\d+-\\w+@${osHostname().replace(/\./g, '\\.')}$`));
    expect(worker.log()).toContain(`${worker.hostname} ready.`);
    const group = worker.groupPids();
    expect(group).toContain(worker.pid);
    expect(group).toHaveLength(3);
  });

  it('runs the default workload to the states Celery reports', async () => {
    published = await runWorkload({ broker, backend: RESULT_BACKEND, queue });
    expect(new Set(published.map((t) => t.scenario))).toEqual(new Set(DEFAULT_SCENARIOS));
    expect(published).toHaveLength(17);

    // The backend stores SUCCESS/FAILURE/REVOKED; a rejected task stores nothing (PROTOCOL.md §7).
    const stored = published.filter((t) => t.scenario !== 'reject');
    const meta = await poll(
      async () => {
        const m = await storedMeta(stored.map((t) => t.id));
        return stored.every((t) => statusOf(m.get(t.id) ?? '') === t.expect) ? m : undefined;
      },
      () => `backend states for ${stored.map((t) => `${t.scenario}:${t.expect}`).join(', ')}\n${worker.log().slice(-3000)}`,
      25_000,
    );
    const byScenario = (s: string): PublishedTask[] => published.filter((t) => t.scenario === s);
    const value = (t: PublishedTask | undefined): { result: unknown } => JSON.parse(meta.get(t?.id ?? '') ?? 'null');

    expect(value(byScenario('basic')[0]).result).toBe(5);
    expect(value(byScenario('flaky')[0]).result).toBe('ok after 2 retries');
    expect(byScenario('chain').map((t) => value(t).result)).toEqual([3, 6, 60]);
    expect(value(byScenario('fail')[0]).result).toEqual({
      exc_type: 'HarnessError',
      exc_message: ['kaboom "quoted" \'single\'', 42],
      exc_module: 'tasks',
    });
    for (const [scenario, why] of [['revoke', 'revoked'], ['expired', 'expired'], ['revoke_terminate', 'terminated']]) {
      expect(value(byScenario(scenario ?? '')[0]).result, scenario).toMatchObject({ exc_message: [why] });
    }
    const [rejected] = byScenario('reject');
    expect(rejected?.expect).toBe('STARTED');
    expect((await storedMeta([rejected?.id ?? ''])).size).toBe(0);
  }, 40_000);

  it('shows in the worker log that this worker ran the tasks', async () => {
    for (const t of published.filter((p) => p.expect === 'SUCCESS')) {
      expect(worker.log(), t.scenario).toContain(`Task ${t.task}[${t.id}] succeeded in`);
    }
    const [fail] = published.filter((t) => t.scenario === 'fail');
    expect(worker.log()).toContain(`Task tasks.fail[${fail?.id}] raised unexpected`);
    const [terminated] = published.filter((t) => t.scenario === 'revoke_terminate');
    await worker.waitForLog(new RegExp(`Terminating ${terminated?.id} \\(15\\)`), 5_000);
  });

  it('SIGKILL takes the whole process group down', async () => {
    // revoke_terminate killed a pool child: wait until billiard has replaced it.
    await poll(async () => (worker.groupPids().length === 3 ? true : undefined), () => `3 pids: ${worker.groupPids()}`, 5_000);
    await worker.kill();
    expect(await worker.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(liveGroupMembers(worker.pid)).toEqual([]);
  });

  it('stop() is a warm shutdown that leaves no process behind', async () => {
    const w = await startWorker({ broker, queues: [queue], concurrency: 1 });
    try {
      expect(w.groupPids()).toHaveLength(2);
      // Stop a worker that is in its consume loop (it ran a task), not one that has only just
      // logged "ready.": a SIGTERM in the moments after that line, while kombu still sets up its
      // consumer, was seen to hang Celery 5.2's warm shutdown on a loaded machine for 20 s.
      const [t] = await runWorkload({ broker, queue, call: { task: 'tasks.add', args: [2, 3] } });
      await w.waitForLog(new RegExp(`Task tasks\\.add\\[${t!.id}\\] succeeded in`), 20_000);
      const t0 = Date.now();
      await w.stop();
      expect(Date.now() - t0, w.log().slice(-2000)).toBeLessThan(10_000);
      expect(await w.exited).toEqual({ code: 0, signal: null });
      expect(w.log()).toContain('worker: Warm shutdown (MainProcess)');
      expect(liveGroupMembers(w.pid)).toEqual([]);
    } finally {
      await w.kill();
    }
  }, 40_000);

  it('startWorker rejects with the log tail and kills the worker when it cannot get ready', async () => {
    const name = `nostart-${process.pid}-${kind}`;
    const dead = kind === 'amqp' ? 'amqp://guest:guest@127.0.0.1:1//' : 'redis://127.0.0.1:1/0';
    // Room for Python and Celery to boot on a loaded machine and log a failed connection (retried every 2 s).
    await expect(startWorker({ broker: dead, hostname: name, readyTimeoutMs: 12_000 })).rejects.toThrow(
      /celery worker did not start: worker \d+ did not log .* within 12000 ms\n[\s\S]*Cannot connect to/,
    );
    expect(pidsWithArg(name)).toEqual([]);
  }, 40_000);

  it('publishes --call tasks onto a queue, counts them, and purges them', async () => {
    const idle = uniqueQueue('purge');
    try {
      const tasks = await runWorkload({ broker, queue: idle, call: { task: 'tasks.add', args: [1, 1], count: 3 } });
      expect(tasks.map((t) => [t.scenario, t.task, t.expect, t.args_repr])).toEqual(
        Array(3).fill(['call', 'tasks.add', 'SUCCESS', '(1, 1)']),
      );
      expect(await queueLength(broker, idle)).toBe(3);
      expect(await purgeQueue(broker, idle)).toBe(3);
      expect(await queueLength(broker, idle)).toBe(0);
    } finally {
      await deleteQueue(broker, idle);
    }
  });
});

describe('CLI process helpers (on a stand-in node script)', () => {
  // Behaves like `clearly watch --json`: "watching" on stderr, NDJSON on stdout, exit 0 on SIGINT.
  const STREAMER = `
    process.stderr.write('clearly: watching redis://x\\n');
    let n = 0;
    const timer = setInterval(() => {
      n += 1;
      process.stdout.write(JSON.stringify({ kind: 'task', uuid: 'u' + n, state: 'SUCCESS' }).slice(0, 10));
      setTimeout(() => process.stdout.write(JSON.stringify({ kind: 'task', uuid: 'u' + n, state: 'SUCCESS' }).slice(10) + '\\n'), 5);
    }, 20);
    process.on('SIGINT', () => { clearInterval(timer); process.stdout.write('{"kind":"worker","hostname":"bye"}\\n'); process.exit(0); });
  `;

  it('streams records and stderr, never parses half a line, and stops with SIGINT', async () => {
    const p = spawnNode(['-e', STREAMER]);
    const match = await p.waitForStderr(/watching (\S+)/, 5_000);
    expect(match[1]).toBe('redis://x');
    const records = await p.waitForRecords((rs) => rs.length >= 3, 5_000);
    expect(records.slice(0, 3)).toEqual([1, 2, 3].map((n) => ({ kind: 'task', uuid: `u${n}`, state: 'SUCCESS' })));
    expect(p.lines().every((l) => l.endsWith('}'))).toBe(true);
    const rec = await p.waitForRecord((r) => r.kind === 'task' && r.uuid === 'u5', 5_000);
    expect(rec).toEqual({ kind: 'task', uuid: 'u5', state: 'SUCCESS' });
    const result = await p.stop();
    expect(result.exitCode).toBe(0);
    expect(result.stdout.endsWith('{"kind":"worker","hostname":"bye"}\n')).toBe(true);
    expect(p.records().at(-1)).toEqual({ kind: 'worker', hostname: 'bye' });
  });

  it('rejects waits on timeout, on exit, and on a non-JSON line, with the output attached', async () => {
    const quiet = spawnNode(['-e', 'process.stderr.write("nothing here\\n"); setTimeout(() => {}, 10000)']);
    await expect(quiet.waitForRecords((rs) => rs.length > 0, 300)).rejects.toThrow(
      /timed out after 300 ms waiting for records[\s\S]*--- stderr ---\nnothing here/,
    );
    expect((await quiet.stop('SIGTERM')).signal).toBe('SIGTERM');

    const exits = spawnNode(['-e', 'console.error("boom"); process.exit(3)']);
    await expect(exits.waitForStderr(/watching/, 5_000)).rejects.toThrow(/clearly exited before stderr \/watching\/[\s\S]*boom/);
    expect((await exits.result).exitCode).toBe(3);

    const garbage = spawnNode(['-e', 'console.log("{\\"kind\\":\\"task\\"}"); console.log("not json")']);
    await expect(garbage.waitForRecords(() => false, 5_000)).rejects.toThrow(
      'clearly printed a stdout line that is not JSON: "not json"',
    );
  });

  it('runNode returns exit code and exact output, with NO_COLOR set by default', async () => {
    const r = await runNode(['-e', 'console.log(process.env.NO_COLOR); console.error("e"); process.exit(7)']);
    expect(r).toEqual({ exitCode: 7, signal: undefined, timedOut: false, stdout: '1\n', stderr: 'e\n' });
    const colored = await runNode(['-e', 'console.log(String(process.env.NO_COLOR))'], { env: { NO_COLOR: undefined } });
    expect(colored.stdout).toBe('undefined\n');
  });
});

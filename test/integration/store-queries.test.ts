/**
 * Queries across the whole history with a real Celery worker: a server whose memory holds only 5
 * tasks (`--max-tasks 5`) answers `tasks` (with --search, --since, --until, --state), `task`,
 * `workers` and `seen` from its SQLite store, and every answer is the one a server that keeps
 * everything in memory gives (another server on the same broker, `--store memory`). `watch
 * --search` (from the broker and from the server) shows only the tasks with the words.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBrokerReachable, BROKERS, purgeQueue, uniqueQueue } from '../helpers/brokers.js';
import { assertCeleryAvailable, runWorkload, startWorker, type PublishedTask, type WorkerHandle } from '../helpers/celery.js';
import { runClearly, spawnClearly, type ClearlyProcess, type TaskRecord } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'clearly-store-queries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startServer(broker: string, extra: string[]): Promise<{ proc: ClearlyProcess; address: string }> {
  const proc = spawnClearly(['server', '--broker', broker, '--port', '0', '--metrics', 'off', ...extra]);
  const [, port] = await proc.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 30_000);
  return { proc, address: `127.0.0.1:${port}` };
}

describe('a store answers what memory cannot, as memory would', () => {
  const broker = BROKERS.redis;
  const queue = uniqueQueue('clearly-store-queries');
  const word = `inv${Math.random().toString(36).slice(2, 8)}`;
  let worker: WorkerHandle;
  let stored: { proc: ClearlyProcess; address: string };
  let memory: { proc: ClearlyProcess; address: string };
  let first: PublishedTask[] = [];
  let second: PublishedTask[] = [];
  let between = '';
  let mine = new Set<string>();
  const watches: ClearlyProcess[] = [];

  /** The command's lines that are about this test's tasks (other tests may share the broker). */
  async function lines(address: string, args: string[]): Promise<string[]> {
    const r = await runClearly([...args, '--json', '--server', address], { timeoutMs: 60_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout.split('\n').filter((l) => l !== '' && mine.has((JSON.parse(l) as TaskRecord).uuid));
  }

  beforeAll(async () => {
    await assertCeleryAvailable();
    await assertBrokerReachable(broker);
    [stored, memory] = await Promise.all([
      startServer(broker, ['--store', join(dir, 'q.sqlite'), '--max-tasks', '5']),
      startServer(broker, ['--store', 'memory']),
    ]);
    for (const source of [['--broker', broker], ['--server', stored.address]]) {
      const w = spawnClearly(['watch', ...source, '--json', '--search', `Alice ${word}`]);
      await w.waitForStderr(/watching/, 20_000);
      watches.push(w);
    }
    worker = await startWorker({ broker, queues: [queue] });
    first = [
      ...(await runWorkload({ broker, queue, call: { task: 'tasks.echo', kwargs: { customer: 'alice', invoice: word }, count: 3 } })),
      ...(await runWorkload({ broker, queue, call: { task: 'tasks.add', args: [1, 2], count: 10 } })),
      ...(await runWorkload({ broker, queue, scenarios: ['fail'] })),
    ];
    mine = new Set(first.map((p) => p.id));
    const final = async (ps: PublishedTask[]): Promise<void> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const got = new Map((await lines(stored.address, ['tasks', '--limit', '0'])).map((l) => JSON.parse(l) as TaskRecord).map((r) => [r.uuid, r.state]));
        if (ps.every((p) => got.get(p.id) === p.expect)) return;
        if (Date.now() > deadline) throw new Error('the tasks never all finished');
        await new Promise((r) => setTimeout(r, 400));
      }
    };
    await final(first);
    await new Promise((r) => setTimeout(r, 1_100));
    between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 1_100));
    second = [
      ...(await runWorkload({ broker, queue, call: { task: 'tasks.echo', kwargs: { customer: 'bob', invoice: word }, count: 3 } })),
      ...(await runWorkload({ broker, queue, call: { task: 'tasks.mul', args: [3, 4], count: 5 } })),
    ];
    for (const p of second) mine.add(p.id);
    await final([...first, ...second]);
    await new Promise((r) => setTimeout(r, 800)); // past a batch window
  }, 180_000);

  afterAll(async () => {
    await Promise.all(watches.map((w) => w.stop('SIGINT')));
    await Promise.all([stored?.proc.stop('SIGTERM'), memory?.proc.stop('SIGTERM')]);
    await worker?.kill('SIGKILL');
    await purgeQueue(broker, queue).catch(() => 0);
  });

  it('memory holds 5 tasks; the store answers all of them, as the memory-only server does', async () => {
    const stats = JSON.parse((await runClearly(['stats', '--json', '--server', stored.address])).stdout) as Record<string, number>;
    expect(stats['tasks_stored']).toBeLessThanOrEqual(5);
    const all = await lines(stored.address, ['tasks', '--limit', '0']);
    expect(all).toHaveLength(first.length + second.length);
    expect(all).toEqual(await lines(memory.address, ['tasks', '--limit', '0']));
  });

  it.each([
    ['--search ALICE and the word', (w: string) => ['--search', `ALICE ${w}`], 3],
    ['--search the word (both customers)', (w: string) => ['--search', w], 6],
    ['--search in an exception', () => ['--search', 'kaboom', '--state', 'FAILURE'], 1],
    ['--since the moment between', (_: string, t: string) => ['--since', t], 8],
    ['--until the moment between', (_: string, t: string) => ['--until', t], 14],
    ['--since 1h', () => ['--since', '1h'], 22],
    ['--until 1h (none is that old)', () => ['--until', '1h'], 0],
    ['--since, --search and --oldest-first together', (w: string, t: string) => ['--since', t, '--search', w, '--oldest-first'], 3],
    ['--state and --limit', () => ['--state', 'SUCCESS', '--limit', '4'], 4],
    ['--pattern', () => ['--pattern', '^tasks\\.mul$'], 5],
  ])('%s: the same records as memory', async (_name, args, n) => {
    const a = args(word, between);
    const got = await lines(stored.address, ['tasks', '--limit', '0', ...a]);
    // --limit applies to every task the server has (other tests' too) when it is not 0.
    if (!a.includes('--limit')) expect(got).toHaveLength(n);
    expect(got).toEqual(await lines(memory.address, ['tasks', '--limit', '0', ...a]));
  });

  it('task, for one memory forgot long ago: the same record as memory', async () => {
    const old = first[0]!.id;
    const r = await runClearly(['task', old, '--json', '--server', stored.address]);
    expect(r.exitCode, r.stderr).toBe(0);
    const m = await runClearly(['task', old, '--json', '--server', memory.address]);
    expect(r.stdout).toBe(m.stdout);
    expect((JSON.parse(r.stdout) as TaskRecord).kwargs_repr).toContain('alice');
  });

  it('seen and workers: what memory says', async () => {
    const seen = await runClearly(['seen', '--server', stored.address]);
    for (const n of ['tasks.add', 'tasks.echo', 'tasks.fail', 'tasks.mul']) expect(seen.stdout.split('\n')).toContain(n);
    const w = await runClearly(['workers', '--json', '--server', stored.address]);
    expect(w.stdout).toContain(worker.hostname);
  });

  it('watch --search, from the broker and from the server: only the tasks with every word, to their end', async () => {
    const alice = first.slice(0, 3).map((p) => p.id).sort();
    for (const w of watches) {
      await w.waitForRecords((rs) => alice.every((id) => rs.some((r) => r.kind === 'task' && r.uuid === id && r.state === 'SUCCESS')), 30_000);
      const ours = w.records().filter((r): r is TaskRecord => r.kind === 'task' && mine.has(r.uuid));
      expect([...new Set(ours.map((r) => r.uuid))].sort()).toEqual(alice);
    }
  });
});

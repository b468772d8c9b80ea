/**
 * Two `clearly server`s on one broker sharing one SQLite file (the default when both start with
 * the same broker and state directory), with a real Celery worker: both write every task (busy
 * timeout, the same state rule in SQL as PostgreSQL's), neither fails a write, the file holds one
 * row per task in its final state, and either server answers the whole history.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBrokerReachable, BROKERS, purgeQueue, uniqueQueue } from '../helpers/brokers.js';
import { assertCeleryAvailable, runWorkload, startWorker, type PublishedTask, type WorkerHandle } from '../helpers/celery.js';
import { REPO_ROOT, runClearly, runNode, spawnClearly, type ClearlyProcess, type TaskRecord } from '../helpers/cli.js';

const stateHome = mkdtempSync(join(tmpdir(), 'clearly-store-shared-'));
afterAll(() => rmSync(stateHome, { recursive: true, force: true }));

const finalOf = (p: PublishedTask): string => (p.final_event === 'task-rejected' ? 'REJECTED' : p.expect);

async function startServer(broker: string): Promise<{ proc: ClearlyProcess; address: string; file: string }> {
  // No --store: the default file, named after the broker, under this test's XDG_STATE_HOME.
  const proc = spawnClearly(['server', '--broker', broker, '--port', '0', '--metrics', 'off'], { env: { XDG_STATE_HOME: stateHome } });
  const [, port] = await proc.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 30_000);
  const [, file] = await proc.waitForStderr(/history: SQLite file (\S+?) \(the default/, 10_000);
  return { proc, address: `127.0.0.1:${port}`, file: file! };
}

async function records(args: string[]): Promise<TaskRecord[]> {
  const r = await runClearly(args, { timeoutMs: 60_000 });
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as TaskRecord);
}

describe('two servers on one broker sharing the default SQLite file', () => {
  const broker = BROKERS.redis;
  const queue = uniqueQueue('clearly-store-shared');
  let worker: WorkerHandle;
  let a: { proc: ClearlyProcess; address: string; file: string };
  let b: { proc: ClearlyProcess; address: string; file: string };
  let published: PublishedTask[] = [];

  beforeAll(async () => {
    await assertCeleryAvailable();
    await assertBrokerReachable(broker);
    [a, b] = await Promise.all([startServer(broker), startServer(broker)]);
    worker = await startWorker({ broker, queues: [queue] });
    published = [
      ...(await runWorkload({ broker, queue })),
      ...(await runWorkload({ broker, queue, call: { task: 'tasks.add', args: [1, 2], count: 40 } })),
    ];
    const deadline = Date.now() + 90_000;
    for (;;) {
      const got = new Map((await records(['tasks', '--json', '--limit', '0', '--server', a.address])).map((r) => [r.uuid, r.state]));
      if (published.every((p) => got.get(p.id) === finalOf(p))) break;
      if (Date.now() > deadline) throw new Error(`not final in server a:\n${a.proc.stderr()}\n${b.proc.stderr()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 800)); // past one batch window of each
  }, 150_000);

  afterAll(async () => {
    await Promise.all([a?.proc.stop('SIGTERM'), b?.proc.stop('SIGTERM')]);
    await worker?.kill('SIGKILL');
    await purgeQueue(broker, queue).catch(() => 0);
  });

  it('both use the file named after the broker (0600, its directory 0700, WAL files too), and no write of either failed', () => {
    expect(a.file).toBe(join(stateHome, 'clearly', `redis-127.0.0.1-${new URL(broker).port}-${new URL(broker).pathname.slice(1) || '0'}.sqlite`));
    expect(b.file).toBe(a.file);
    expect(statSync(join(stateHome, 'clearly')).mode & 0o777).toBe(0o700);
    const files = [a.file, `${a.file}-wal`, `${a.file}-shm`].filter((f) => existsSync(f));
    expect(files).toContain(`${a.file}-wal`);
    for (const f of files) expect(statSync(f).mode & 0o777, f).toBe(0o600);
    for (const s of [a, b]) expect(s.proc.stderr()).not.toMatch(/cannot write to the store/);
  });

  it('each server answers every task once, in its final state', async () => {
    for (const s of [a, b]) {
      const mine = (await records(['tasks', '--json', '--limit', '0', '--server', s.address])).filter((r) => published.some((p) => p.id === r.uuid));
      expect(mine.length).toBe(published.length);
      const byId = new Map(mine.map((r) => [r.uuid, r.state]));
      for (const p of published) expect(byId.get(p.id), `${p.scenario} ${p.id}`).toBe(finalOf(p));
    }
  });

  it('the file holds one row per task, in its final state (read with no server)', async () => {
    const rows = (await records(['export', '--store', a.file])).filter((r) => published.some((p) => p.id === r.uuid));
    expect(rows.length).toBe(published.length);
    expect(new Set(rows.map((r) => r.uuid)).size).toBe(rows.length);
    const byId = new Map(rows.map((r) => [r.uuid, r.state]));
    for (const p of published) expect(byId.get(p.id), `${p.scenario} ${p.id}`).toBe(finalOf(p));
  });
});

describe('servers opening one new SQLite file at the same moment', () => {
  it('one creates the schema, the others wait for it and open it (never "table already exists")', async () => {
    const mod = join(REPO_ROOT, 'dist', 'src', 'engine', 'store', 'sqlite-db.js');
    for (let round = 0; round < 4; round++) {
      const file = join(stateHome, `race-${round}.sqlite`);
      const code = `const { SqliteDb } = await import(${JSON.stringify(mod)}); new SqliteDb(${JSON.stringify(file)}).close();`;
      const runs = await Promise.all(Array.from({ length: 6 }, () => runNode(['--input-type=module', '-e', code], { timeoutMs: 30_000 })));
      for (const r of runs) expect(r.exitCode, r.stderr).toBe(0);
    }
  }, 120_000);
});

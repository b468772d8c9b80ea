/**
 * The durable store with real Celery workers, as an operator uses it: history complete after a
 * clean restart and after SIGKILL (both brokers), a task that starts before a restart and finishes
 * after it, two servers on one broker writing one real PostgreSQL, retention, export then import,
 * and the faults' messages and exit codes. Store files live in a temporary directory of the
 * test's own; PostgreSQL databases are the test's own (test/helpers/postgres.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBrokerReachable, BROKER_KINDS, BROKERS, purgeQueue, uniqueQueue } from '../helpers/brokers.js';
import { assertCeleryAvailable, runWorkload, startWorker, type PublishedTask, type WorkerHandle } from '../helpers/celery.js';
import { runClearly, spawnClearly, type ClearlyProcess, type TaskRecord } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

const dir = mkdtempSync(join(tmpdir(), 'clearly-store-it-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The state clearly ends a published task in: Celery's, except a rejection is final (README). */
const finalOf = (p: PublishedTask): string => (p.final_event === 'task-rejected' ? 'REJECTED' : p.expect);

async function startServer(broker: string, store: string, extra: string[] = []): Promise<{ proc: ClearlyProcess; address: string }> {
  const proc = spawnClearly(['server', '--broker', broker, '--port', '0', '--store', store, ...extra]);
  const [, port] = await proc.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 30_000);
  return { proc, address: `127.0.0.1:${port}` };
}

async function tasksOf(address: string, ids: readonly string[]): Promise<Map<string, TaskRecord>> {
  const r = await runClearly(['tasks', '--json', '--limit', '0', '--server', address], { timeoutMs: 60_000 });
  expect(r.exitCode, r.stderr).toBe(0);
  const wanted = new Set(ids);
  const out = new Map<string, TaskRecord>();
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    const rec = JSON.parse(line) as TaskRecord;
    if (!wanted.has(rec.uuid)) continue;
    expect(out.has(rec.uuid), `${rec.uuid} listed twice`).toBe(false);
    out.set(rec.uuid, rec);
  }
  return out;
}

/** Polls `tasks` until every published task is in its final state; returns them. */
async function untilFinal(address: string, published: readonly PublishedTask[], timeoutMs = 60_000): Promise<Map<string, TaskRecord>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await tasksOf(address, published.map((p) => p.id));
    const missing = published.filter((p) => got.get(p.id)?.state !== finalOf(p));
    if (missing.length === 0) return got;
    if (Date.now() > deadline) {
      throw new Error(`not final: ${missing.map((p) => `${p.scenario} ${p.id} ${got.get(p.id)?.state ?? 'absent'} (want ${finalOf(p)})`).join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

const byUuid = (m: Map<string, TaskRecord>): TaskRecord[] => [...m.values()].sort((a, b) => a.uuid.localeCompare(b.uuid));

/** The store writes at most ~250 ms after a change: wait past one batch window. */
const pastBatchWindow = (): Promise<void> => new Promise((r) => setTimeout(r, 800));

describe.each(BROKER_KINDS)('the SQLite store on %s with a real worker', (kind) => {
  const broker = BROKERS[kind];
  const queue = uniqueQueue('clearly-store');
  const file = join(dir, `${kind}.sqlite`);
  let worker: WorkerHandle;
  let server: { proc: ClearlyProcess; address: string } | undefined;
  let published: PublishedTask[] = [];
  let before: TaskRecord[] = [];

  beforeAll(async () => {
    await assertCeleryAvailable();
    await assertBrokerReachable(broker);
    server = await startServer(broker, file);
    worker = await startWorker({ broker, queues: [queue] });
    published = await runWorkload({ broker, queue });
    before = byUuid(await untilFinal(server.address, published));
    await pastBatchWindow();
  }, 150_000);

  afterAll(async () => {
    await server?.proc.stop('SIGTERM');
    await worker?.kill('SIGKILL');
    await purgeQueue(broker, queue).catch(() => 0);
  });

  it('after a clean restart, every task is there exactly as before', async () => {
    const stopped = await server!.proc.stop('SIGTERM');
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    server = await startServer(broker, file);
    await server.proc.waitForStderr(/history: SQLite file (\S+?),/, 10_000).then(([, path]) => expect(path).toBe(file));
    expect(byUuid(await tasksOf(server.address, published.map((p) => p.id)))).toEqual(before);
    // One task asked for alone, and the workers, come back too.
    const one = await runClearly(['task', published[0]!.id, '--json', '--server', server.address]);
    expect(one.exitCode, one.stderr).toBe(0);
    expect((JSON.parse(one.stdout) as TaskRecord).state).toBe(finalOf(published[0]!));
    const workers = await runClearly(['workers', '--json', '--server', server.address]);
    expect(workers.stdout).toContain(worker.hostname);
  }, 60_000);

  it('after SIGKILL, every task finished a batch window before is there', async () => {
    const more = await runWorkload({ broker, queue, call: { task: 'tasks.add', args: [2, 3], count: 20 } });
    const done = byUuid(await untilFinal(server!.address, more));
    await pastBatchWindow();
    const killed = await server!.proc.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    server = await startServer(broker, file);
    expect(byUuid(await tasksOf(server.address, more.map((p) => p.id)))).toEqual(done);
    expect(byUuid(await tasksOf(server.address, published.map((p) => p.id)))).toEqual(before);
  }, 90_000);

  it('a task that starts before a restart and finishes after it ends SUCCESS, its start kept', async () => {
    const [slow] = (await runWorkload({ broker, queue, call: { task: 'tasks.slow', args: [5] } })) as [PublishedTask];
    const deadline = Date.now() + 30_000;
    let started: TaskRecord | undefined;
    while (started === undefined) {
      const got = (await tasksOf(server!.address, [slow.id])).get(slow.id);
      if (got?.state === 'STARTED') started = got;
      else if (Date.now() > deadline) throw new Error(`never STARTED: ${JSON.stringify(got)}`);
      else await new Promise((r) => setTimeout(r, 200));
    }
    await pastBatchWindow();
    await server!.proc.stop('SIGKILL');
    server = await startServer(broker, file);
    // Before it finishes, the new server already knows it as STARTED (from the store).
    expect((await tasksOf(server.address, [slow.id])).get(slow.id)?.state).toBe('STARTED');
    const finished = (await untilFinal(server.address, [slow], 30_000)).get(slow.id)!;
    expect(finished.started).toBe(started.started);
    expect(finished.received).toBe(started.received);
    expect(finished.runtime).toBeGreaterThan(4);
  }, 90_000);
});

describe('two servers on one broker writing one PostgreSQL', () => {
  const broker = BROKERS.redis;
  const queue = uniqueQueue('clearly-store-pg');
  let db: TestDatabase;
  let worker: WorkerHandle;
  let a: { proc: ClearlyProcess; address: string };
  let b: { proc: ClearlyProcess; address: string };
  let published: PublishedTask[] = [];

  beforeAll(async () => {
    await assertBrokerReachable(broker);
    db = await createTestDatabase('it_two');
    a = await startServer(broker, db.url);
    b = await startServer(broker, db.url);
    await a.proc.waitForStderr(/history: PostgreSQL /, 10_000);
    expect(a.proc.stderr()).not.toContain(new URL(db.url).password || '\u0000');
    worker = await startWorker({ broker, queues: [queue] });
    published = [
      ...(await runWorkload({ broker, queue })),
      ...(await runWorkload({ broker, queue, call: { task: 'tasks.add', args: [1, 1], count: 30 } })),
    ];
    await Promise.all([untilFinal(a.address, published), untilFinal(b.address, published)]).catch((e: Error) => {
      throw new Error(`${e.message}\nserver a: ${a.proc.stderr()}\nserver b: ${b.proc.stderr()}`);
    });
    await pastBatchWindow();
  }, 150_000);

  afterAll(async () => {
    await Promise.all([a?.proc.stop('SIGTERM'), b?.proc.stop('SIGTERM')]);
    await worker?.kill('SIGKILL');
    await purgeQueue(broker, queue).catch(() => 0);
    await db?.drop();
  });

  it('each server answers every task once, in its final state, saying which broker it came from', async () => {
    for (const s of [a, b]) {
      const got = await tasksOf(s.address, published.map((p) => p.id));
      expect(got.size).toBe(published.length);
      for (const p of published) {
        expect(got.get(p.id)?.state, `${p.scenario} ${p.id}`).toBe(finalOf(p));
        expect((got.get(p.id) as TaskRecord & { broker?: string }).broker).toBe(broker.replace(/\/\/[^@]*@/, '//'));
      }
    }
  });

  it('the database holds one row per task', async () => {
    const r = await runClearly(['export', '--store', db.url], { timeoutMs: 60_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const uuids = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as TaskRecord).uuid);
    const mine = uuids.filter((u) => published.some((p) => p.id === u));
    expect(mine.length).toBe(published.length);
    expect(new Set(mine).size).toBe(mine.length);
  });

  it('export from a server, import into a new store, export again: the same lines', async () => {
    const exported = await runClearly(['export', '--server', a.address], { timeoutMs: 60_000 });
    expect(exported.exitCode, exported.stderr).toBe(0);
    expect(exported.stderr).toMatch(/exported \d+ tasks/);
    const file = join(dir, 'export.ndjson');
    writeFileSync(file, exported.stdout);
    const target = join(dir, 'imported.sqlite');
    const imported = await runClearly(['import', '--store', target, file], { timeoutMs: 60_000 });
    expect(imported.exitCode, imported.stderr).toBe(0);
    const again = await runClearly(['export', '--store', target], { timeoutMs: 60_000 });
    expect(again.exitCode, again.stderr).toBe(0);
    const sorted = (s: string): string[] => s.trim().split('\n').sort();
    expect(sorted(again.stdout)).toEqual(sorted(readFileSync(file, 'utf8')));
    expect(sorted(again.stdout).length).toBeGreaterThanOrEqual(published.length);
  }, 90_000);

  it('retention: a restart with --max-stored keeps the newest, --retention prunes the finished, stats says so', async () => {
    await Promise.all([a.proc.stop('SIGTERM'), b.proc.stop('SIGTERM')]);
    a = await startServer(broker, db.url, ['--max-stored', '10']);
    await a.proc.waitForStderr(/retention: pruned \d+ tasks/, 20_000);
    const stats = JSON.parse((await runClearly(['stats', '--json', '--server', a.address])).stdout) as Record<string, number>;
    expect(stats['store_tasks']).toBe(10);
    expect(stats['store_pruned']).toBeGreaterThanOrEqual(published.length - 10);
    await a.proc.stop('SIGTERM');
    a = await startServer(broker, db.url, ['--retention', '1s']);
    await a.proc.waitForStderr(/retention: pruned \d+ tasks/, 20_000);
    const after = JSON.parse((await runClearly(['stats', '--json', '--server', a.address])).stdout) as Record<string, number>;
    expect(after['store_tasks']).toBe(0);
    b = await startServer(broker, db.url); // for afterAll
  }, 90_000);
});

describe('faults: a clear message and exit code, nothing overwritten', () => {
  it('a store path that cannot be created: exit 73 naming the path and --store', async () => {
    const r = await runClearly(['server', '--broker', BROKERS.redis, '--port', '0', '--store', '/proc/clearly/none.sqlite']);
    expect(r.exitCode).toBe(73);
    expect(r.stderr).toMatch(/\/proc\/clearly\/none\.sqlite.*--store/);
    expect(r.stdout).toBe('');
  });

  it('a file that is not a clearly store: refused, exit 65, the file as it was', async () => {
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'my notes\n');
    const r = await runClearly(['server', '--broker', BROKERS.redis, '--port', '0', '--store', notes]);
    expect(r.exitCode).toBe(65);
    expect(r.stderr).toMatch(/not a clearly store/);
    expect(readFileSync(notes, 'utf8')).toBe('my notes\n');
  });

  it('PostgreSQL unreachable at start: exit 69 naming the masked URL', async () => {
    const r = await runClearly(['server', '--broker', BROKERS.redis, '--port', '0', '--store', 'postgres://clearly:s3cret@127.0.0.1:1/clearly']);
    expect(r.exitCode).toBe(69);
    expect(r.stderr).toContain('postgres://clearly:****@127.0.0.1:1/clearly');
    expect(r.stderr).not.toContain('s3cret');
  });

  it('import: bad lines skipped and counted (exit 65), the rest imported; a missing file exit 4', async () => {
    const file = join(dir, 'mixed.ndjson');
    const rec = { kind: 'task', uuid: 'u-1', state: 'SUCCESS', timestamp: 1_700_000_000, name: 'a.b' };
    writeFileSync(file, `${JSON.stringify(rec)}\nnot json\n${JSON.stringify({ ...rec, uuid: 'u-2' })}\n{"kind":"worker"}\n`);
    const store = join(dir, 'mixed.sqlite');
    const r = await runClearly(['import', '--store', store, file]);
    expect(r.exitCode).toBe(65);
    expect(r.stderr).toMatch(/imported 2 task records.*skipped 1 record/);
    expect(r.stderr).toMatch(/1 line is not JSON/);
    const back = await runClearly(['export', '--store', store]);
    expect(back.stdout.trim().split('\n').map((l) => (JSON.parse(l) as TaskRecord).uuid)).toEqual(['u-1', 'u-2']);
    const missing = await runClearly(['import', '--store', store, join(dir, 'nope.ndjson')]);
    expect(missing.exitCode).toBe(4);
    const noStore = await runClearly(['export', '--store', join(dir, 'nope.sqlite')]);
    expect(noStore.exitCode).toBe(4);
    expect(noStore.stderr).toMatch(/no store at/);
  });
});

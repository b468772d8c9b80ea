/**
 * PostgreSQL lost while a real `clearly server` runs, with a real Celery worker: a small TCP proxy
 * of the test's own sits between clearly and the real PostgreSQL (the shared server is never
 * stopped) and is cut mid-run (every connection dropped, new ones refused). While it is cut the
 * server keeps ingesting and answering from memory, `stats` shows the backlog and the failing
 * store, stderr says so once; once the proxy is back the backlog lands in the database (read
 * straight from PostgreSQL, not through clearly). Past `--store-backlog` the tasks that could not be
 * kept are counted in `stats` and said once on stderr.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBrokerReachable, BROKERS, purgeQueue, uniqueQueue } from '../helpers/brokers.js';
import { assertCeleryAvailable, runWorkload, startWorker, type PublishedTask, type WorkerHandle } from '../helpers/celery.js';
import { runClearly, spawnClearly, type ClearlyProcess, type TaskRecord } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

/** A TCP proxy that can be cut (listener closed, every connection destroyed) and restored on the same port. */
class CuttableProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async listen(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    const closed = new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  get connections(): number {
    return this.sockets.size;
  }
}

type Stats = Record<string, number | string>;

async function stats(address: string): Promise<Stats> {
  const r = await runClearly(['stats', '--json', '--server', address], { timeoutMs: 30_000 });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Stats;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Every published task final in the server's answer (memory while the store is down). */
async function allFinal(address: string, published: readonly PublishedTask[]): Promise<Map<string, TaskRecord>> {
  return until(
    'the tasks to be final in the server',
    async () => {
      const r = await runClearly(['tasks', '--json', '--limit', '0', '--server', address], { timeoutMs: 30_000 });
      if (r.exitCode !== 0) throw new Error(`tasks exited ${r.exitCode}: ${r.stderr}`);
      const got = new Map<string, TaskRecord>();
      for (const line of r.stdout.split('\n')) if (line !== '') got.set((JSON.parse(line) as TaskRecord).uuid, JSON.parse(line) as TaskRecord);
      return published.every((p) => got.get(p.id)?.state === p.expect) ? got : undefined;
    },
    60_000,
  );
}

/** The rows PostgreSQL itself holds for these uuids: uuid -> state. */
async function rowsInDatabase(url: string, ids: readonly string[]): Promise<Map<string, string>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ uuid: string; state: string }>('SELECT uuid, state FROM tasks WHERE uuid = ANY($1::text[])', [ids]);
    return new Map(r.rows.map((row) => [row.uuid, row.state]));
  } finally {
    await c.end();
  }
}

const count = (text: string, re: RegExp): number => text.split('\n').filter((l) => re.test(l)).length;

describe('PostgreSQL lost while the server runs (a proxy cut mid-run)', () => {
  const broker = BROKERS.redis;
  const queue = uniqueQueue('clearly-store-outage');
  const add = (count: number): Promise<PublishedTask[]> => runWorkload({ broker, queue, call: { task: 'tasks.add', args: [2, 2], count } });
  let db: TestDatabase;
  let proxy: CuttableProxy;
  let worker: WorkerHandle;
  let server: ClearlyProcess;
  let address = '';
  let storeUrl = '';
  const BOUND = 25;

  beforeAll(async () => {
    await assertCeleryAvailable();
    await assertBrokerReachable(broker);
    db = await createTestDatabase('it_outage');
    const target = new URL(db.url);
    proxy = new CuttableProxy(target.hostname, Number(target.port || 5432));
    await proxy.listen();
    const via = new URL(db.url);
    via.port = String(proxy.port);
    storeUrl = via.toString();
    server = spawnClearly(['server', '--broker', broker, '--port', '0', '--store', storeUrl, '--store-backlog', String(BOUND), '--metrics', 'off']);
    const [, port] = await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 30_000);
    address = `127.0.0.1:${port}`;
    worker = await startWorker({ broker, queues: [queue] });
  }, 120_000);

  afterAll(async () => {
    await server?.stop('SIGTERM');
    await worker?.kill('SIGKILL');
    await proxy?.cut();
    await purgeQueue(broker, queue).catch(() => 0);
    await db?.drop();
  });

  it('before the cut, tasks reach the database', async () => {
    const before = await add(5);
    await allFinal(address, before);
    await until('the rows in PostgreSQL', async () => {
      const rows = await rowsInDatabase(db.url, before.map((p) => p.id));
      return before.every((p) => rows.get(p.id) === 'SUCCESS') ? true : undefined;
    }, 30_000);
    expect(proxy.connections).toBeGreaterThan(0);
    expect((await stats(address))['store_state']).toBe('ok');
  }, 60_000);

  it('cut: ingest and answers go on from memory, stats shows the backlog, stderr says so once; restored: the rows land', async () => {
    await proxy.cut();
    const during = await add(20);
    const got = await allFinal(address, during);
    for (const p of during) expect(got.get(p.id)?.state).toBe('SUCCESS');
    // One task asked for alone is answered too (from memory).
    const one = await runClearly(['task', during[0]!.id, '--json', '--server', address], { timeoutMs: 30_000 });
    expect(one.exitCode, one.stderr).toBe(0);
    expect((JSON.parse(one.stdout) as TaskRecord).state).toBe('SUCCESS');
    const s = await until('stats to show the failing store', async () => {
      const st = await stats(address);
      return st['store_state'] === 'failing' && Number(st['store_backlog']) >= during.length ? st : undefined;
    }, 30_000);
    expect(s['store_dropped']).toBe(0);
    expect(s['store_backlog_max']).toBe(BOUND);
    const text = await runClearly(['stats', '--server', address], { timeoutMs: 30_000, env: { NO_COLOR: '1' } });
    expect(text.stdout).toMatch(new RegExp(`failing\\): .*\\d+ waiting to be written \\(held, up to ${BOUND}\\)`));
    // Several retries have failed by now (the backoff's first steps are 0.5, 1, 2 s): said once.
    await new Promise((r) => setTimeout(r, 4_000));
    expect(count(server.stderr(), /cannot write to the store/)).toBe(1);
    expect(server.stderr()).toContain(`cannot write to the store ${storeUrl.replace(/\/$/, '')}`);
    expect(await rowsInDatabase(db.url, during.map((p) => p.id))).toEqual(new Map());

    await proxy.listen();
    await server.waitForStderr(/is writable again/, 30_000);
    const rows = await until('the backlog in PostgreSQL', async () => {
      const r = await rowsInDatabase(db.url, during.map((p) => p.id));
      return r.size === during.length ? r : undefined;
    }, 30_000);
    for (const p of during) expect(rows.get(p.id), p.id).toBe('SUCCESS');
    const after = await until('stats to show the store ok', async () => {
      const st = await stats(address);
      return st['store_state'] === 'ok' && st['store_backlog'] === 0 ? st : undefined;
    }, 30_000);
    expect(after['store_dropped']).toBe(0);
    expect(count(server.stderr(), /cannot write to the store/)).toBe(1);
    expect(count(server.stderr(), /is writable again/)).toBe(1);
  }, 120_000);

  it(`past --store-backlog (${BOUND} tasks), what could not be kept is counted in stats and said once`, async () => {
    await proxy.cut();
    const during = await add(BOUND + 15);
    await allFinal(address, during);
    const s = await until('stats to count the dropped', async () => {
      const st = await stats(address);
      return st['store_state'] === 'failing' && Number(st['store_dropped']) >= 15 ? st : undefined;
    }, 30_000);
    expect(s['store_backlog']).toBeLessThanOrEqual(BOUND);
    await server.waitForStderr(/could not be kept/, 10_000);
    expect(count(server.stderr(), /could not be kept/)).toBe(1);
    expect(server.stderr()).toMatch(new RegExp(`the store's backlog is full \\(${BOUND} tasks, --store-backlog\\)`));

    await proxy.listen();
    const rows = await until('the kept backlog in PostgreSQL', async () => {
      const st = await stats(address);
      return st['store_state'] === 'ok' && st['store_backlog'] === 0 ? rowsInDatabase(db.url, during.map((p) => p.id)) : undefined;
    }, 30_000);
    // What was held (the bound's worth, the most recently changed) landed; the rest is what stats counted.
    expect(rows.size).toBe(BOUND);
    for (const state of rows.values()) expect(state).toBe('SUCCESS');
    expect(Number((await stats(address))['store_dropped'])).toBeGreaterThanOrEqual(during.length - BOUND);
    expect(count(server.stderr(), /is writable again/)).toBe(2);
    expect(server.stderr()).toMatch(/is writable again.*\d+ task changes? could not be kept/);
  }, 120_000);

  it('after SIGKILL, a server started again on the database answers every task it had written, as before', async () => {
    const r = await runClearly(['tasks', '--json', '--limit', '0', '--server', address], { timeoutMs: 30_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    await until('nothing left to write', async () => ((await stats(address))['store_backlog'] === 0 ? true : undefined), 30_000);
    const written = await rowsInDatabase(db.url, r.stdout.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as TaskRecord).uuid));
    const before = r.stdout.split('\n').filter((l) => l !== '' && written.has((JSON.parse(l) as TaskRecord).uuid)).sort();
    expect(before.length).toBeGreaterThanOrEqual(30);
    const killed = await server.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    // Straight to PostgreSQL this time (no proxy).
    server = spawnClearly(['server', '--broker', broker, '--port', '0', '--store', db.url, '--metrics', 'off']);
    const [, port] = await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 30_000);
    address = `127.0.0.1:${port}`;
    const again = await runClearly(['tasks', '--json', '--limit', '0', '--server', address], { timeoutMs: 30_000 });
    expect(again.exitCode, again.stderr).toBe(0);
    const after = again.stdout.split('\n').filter((l) => l !== '' && written.has((JSON.parse(l) as TaskRecord).uuid)).sort();
    expect(after).toEqual(before);
  }, 90_000);
});

/**
 * `clearly stats --by-name` and `clearly failures` (the BUILT CLI) over a real Celery workload on
 * both brokers: through a server's history (--since, --pattern) and live from the broker (--for).
 * Known sleeps give the runtime percentiles; three known causes, with different numbers and quoted
 * values in their messages, give three groups.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBrokerReachable, BROKER_KINDS, BROKERS, deleteQueue, uniqueQueue } from '../helpers/brokers.js';
import { runWorkload, startWorker, type PublishedTask, type WorkerHandle } from '../helpers/celery.js';
import { runClearly, spawnClearly, type ClearlyProcess } from '../helpers/cli.js';
import { fetchText, parseExposition, sampleValue } from '../helpers/prom.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface NameRec {
  kind: string;
  name: string;
  count: number;
  states: Record<string, number>;
  failure_pct: number;
  retries: number;
  queued_ms: { p50: number; p95: number; p99: number } | null;
  prefetched_ms: { p50: number; p95: number; p99: number } | null;
  runtime_ms: { p50: number; p95: number; p99: number } | null;
  total_ms: { p50: number; p95: number; p99: number } | null;
}
interface GroupRec {
  kind: string;
  fingerprint: string;
  exception: string;
  message: string;
  frame: string | null;
  count: number;
  names: string[];
  first_seen: number;
  last_seen: number;
  workers: string[];
  example: { uuid: string; message: string };
}
const ndjson = <T>(text: string): T[] => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as T);

/** The messages: three causes, numbers and quoted values varying inside each. */
const CAUSES: readonly [string, number][] = [
  ['mailbox 17 is full', 2],
  ['mailbox 23 is full', 1],
  ["user 'bob' not found", 1],
  ["user 'alice' not found", 1],
  ['gave up on 0x7f3a2b1c after 30 s', 1],
];

describe.each(BROKER_KINDS)('stats --by-name and failures on %s', (kind) => {
  const broker = BROKERS[kind];
  const queue = uniqueQueue('clearly-byname');
  let server: ClearlyProcess;
  let worker: WorkerHandle;
  let address: string;
  let published: PublishedTask[] = [];
  const cli = (args: string[]) => runClearly([...args, '--server', address, '--pattern', queue]);

  beforeAll(async () => {
    await assertBrokerReachable(broker);
    server = spawnClearly(['server', '--broker', broker, '--store', 'memory', '--port', '0', '--metrics', 'off'], { timeoutMs: 600_000 });
    const m = await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+) /, 20_000);
    address = `127.0.0.1:${m[1]}`;
    worker = await startWorker({ broker, queues: [queue], concurrency: 2 });
    const runs = await Promise.all([
      runWorkload({ broker, queue, call: { task: 'tasks.slow', args: [0.25], count: 4 } }),
      runWorkload({ broker, queue, call: { task: 'tasks.add', args: [1, 2], count: 3 } }),
      ...CAUSES.map(([msg, count]) => runWorkload({ broker, queue, call: { task: 'tasks.fail', args: [msg], count, expect: 'FAILURE' } })),
    ]);
    published = runs.flat();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await cli(['stats', '--by-name', '--json']);
      const rows = ndjson<NameRec>(r.stdout);
      const done = (n: string, state: string, k: number) => rows.find((x) => x.name === n)?.states[state] === k;
      if (done('tasks.slow', 'SUCCESS', 4) && done('tasks.add', 'SUCCESS', 3) && done('tasks.fail', 'FAILURE', 6)) break;
      if (Date.now() > deadline) throw new Error(`tasks did not finish: ${r.stdout}${r.stderr}`);
      await sleep(500);
    }
  }, 150_000);

  afterAll(async () => {
    await worker?.stop();
    await server?.stop('SIGTERM');
    await deleteQueue(broker, queue).catch(() => {});
  }, 60_000);

  it('stats --by-name --json: one task-name object per name, with the known sleeps in the runtime percentiles', async () => {
    const r = await cli(['stats', '--by-name', '--json', '--since', '1h']);
    expect(r.exitCode).toBe(0);
    const rows = ndjson<NameRec>(r.stdout);
    expect(rows.map((x) => x.name)).toEqual(['tasks.fail', 'tasks.slow', 'tasks.add']); // busiest first
    const slow = rows.find((x) => x.name === 'tasks.slow')!;
    expect(Object.keys(slow)).toEqual(['kind', 'name', 'count', 'states', 'failure_pct', 'retries', 'queued_ms', 'prefetched_ms', 'runtime_ms', 'total_ms']);
    expect(slow).toMatchObject({ kind: 'task-name', count: 4, states: { SUCCESS: 4 }, failure_pct: 0, retries: 0 });
    // sleep(0.25): every run between 250 ms and 250 ms + the worker's overhead.
    for (const q of ['p50', 'p95', 'p99'] as const) {
      expect(slow.runtime_ms![q]).toBeGreaterThanOrEqual(250);
      expect(slow.runtime_ms![q]).toBeLessThan(450);
      // The publisher stamps task-sent after publishing, so sent -> done can come out a few ms
      // under the worker's own runtime.
      expect(slow.total_ms![q]).toBeGreaterThanOrEqual(slow.runtime_ms!.p50 - 20);
    }
    expect(slow.runtime_ms!.p50).toBeLessThanOrEqual(slow.runtime_ms!.p95);
    // Two pool processes, four 250 ms tasks published at once: the last two wait ~250 ms in the
    // queue or the worker's prefetch, so the total's p99 is above one run's p50 plus that wait.
    expect(slow.total_ms!.p99).toBeGreaterThan(slow.runtime_ms!.p50 + 150);
    expect(slow.queued_ms).not.toBeNull();
    expect(slow.prefetched_ms).not.toBeNull();
    const add = rows.find((x) => x.name === 'tasks.add')!;
    expect(add.runtime_ms!.p99).toBeLessThan(100);
    const fail = rows.find((x) => x.name === 'tasks.fail')!;
    expect(fail).toMatchObject({ count: 6, states: { FAILURE: 6 }, failure_pct: 100 });
    expect(fail.runtime_ms).not.toBeNull(); // started -> failed
  });

  it('stats --by-name as a table; --since past the workload finds nothing', async () => {
    const r = await cli(['stats', '--by-name']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+COUNT\s+STATES\s+FAIL%\s+RETRIES\s+QUEUED p50\/p95\/p99\s+PREFETCHED p50\/p95\/p99\s+RUNTIME p50\/p95\/p99\s+TOTAL p50\/p95\/p99$/);
    expect(lines[1]).toMatch(/^tasks\.fail\s+6\s+FAILURE:6\s+100\.0\s+0\s/);
    await sleep(2500);
    const none = await cli(['stats', '--by-name', '--since', '2s']);
    expect(none.stdout).toBe('no tasks in that window\n');
  });

  it('failures --json: three causes, three groups, biggest first, whatever the numbers and quoted values', async () => {
    const r = await cli(['failures', '--json']);
    expect(r.exitCode).toBe(0);
    const groups = ndjson<GroupRec>(r.stdout);
    expect(groups.map((g) => [g.count, g.exception, g.message])).toEqual([
      [3, 'HarnessError', 'mailbox <num> is full, <num>'],
      [2, 'HarnessError', 'user <str> not found, <num>'],
      [1, 'HarnessError', 'gave up on <hex> after <num> s, <num>'],
    ]);
    // The shape scripts rely on (the issue's, plus the innermost frame the fingerprint includes).
    expect(Object.keys(groups[0]!)).toEqual(['kind', 'fingerprint', 'exception', 'message', 'frame', 'count', 'names', 'first_seen', 'last_seen', 'workers', 'example']);
    expect(Object.keys(groups[0]!.example)).toEqual(['uuid', 'message']);
    const ids = new Set(published.map((t) => t.id));
    for (const g of groups) {
      expect(g.frame).toMatch(/tasks\.py in fail$/);
      expect(g.kind).toBe('failure-group');
      expect(g.names).toEqual(['tasks.fail']);
      expect(g.workers).toEqual([worker.hostname]);
      expect(ids.has(g.example.uuid)).toBe(true);
      expect(g.first_seen).toBeLessThanOrEqual(g.last_seen);
      expect(g.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(groups[0]!.example.message).toMatch(/^mailbox (17|23) is full, 42$/);
    const text = await cli(['failures']);
    expect(text.stdout).toMatch(/^3 {2}HarnessError: mailbox <num> is full, <num>\n {3}tasks tasks\.fail; workers /);
  });

  it('stats --by-name and failures --retries with --broker --for: nearest-rank percentiles of known sleeps, a retrying task', async () => {
    // Ten runs of three known lengths: sorted, the 5th (p50) is a 0.3 s run and the 10th (p95,
    // p99) the 0.6 s one. A mean (0.25 s) or an interpolated p95 (0.45 s) would miss both ranges.
    const args = (cmd: string[]) => [...cmd, '--broker', broker, '--for', '25s', '--json', '--pattern', queue];
    const stats = spawnClearly(args(['stats', '--by-name']));
    const retries = spawnClearly(args(['failures', '--retries']));
    await Promise.all([stats.waitForStderr(/listening to/, 15_000), retries.waitForStderr(/listening to/, 15_000)]);
    await sleep(1500);
    await Promise.all([
      runWorkload({ broker, queue, call: { task: 'tasks.slow', args: [0.1], count: 4 } }),
      runWorkload({ broker, queue, call: { task: 'tasks.slow', args: [0.3], count: 5 } }),
      runWorkload({ broker, queue, call: { task: 'tasks.slow', args: [0.6], count: 1 } }),
      runWorkload({ broker, queue, scenarios: ['flaky'] }),
    ]);
    const [s, f] = await Promise.all([stats.result, retries.result]);
    expect([s.exitCode, f.exitCode]).toEqual([0, 0]);
    const rows = ndjson<NameRec>(s.stdout);
    const slow = rows.find((x) => x.name === 'tasks.slow')!;
    expect(slow).toMatchObject({ kind: 'task-name', count: 10, states: { SUCCESS: 10 }, failure_pct: 0, retries: 0 });
    expect(slow.runtime_ms!.p50).toBeGreaterThanOrEqual(300);
    expect(slow.runtime_ms!.p50).toBeLessThan(390);
    for (const q of ['p95', 'p99'] as const) {
      expect(slow.runtime_ms![q]).toBeGreaterThanOrEqual(600);
      expect(slow.runtime_ms![q]).toBeLessThan(690);
    }
    // flaky(2): one task, two retries, then success.
    expect(rows.find((x) => x.name === 'tasks.flaky')).toMatchObject({ count: 1, states: { SUCCESS: 1 }, retries: 2, failure_pct: 0 });
    // It retried on ValueError('flaky attempt N'): one group, whatever N; the sleeps never failed.
    expect(ndjson<GroupRec>(f.stdout).map((g) => [g.count, g.exception, g.message, g.names])).toEqual([[1, 'ValueError', 'flaky attempt <num>', ['tasks.flaky']]]);
  }, 90_000);

  it('failures --broker --for: a live window, no server', async () => {
    const live = spawnClearly(['failures', '--broker', broker, '--for', '8s', '--json', '--pattern', queue]);
    await live.waitForStderr(/listening to/, 10_000);
    await sleep(1000);
    await Promise.all([
      runWorkload({ broker, queue, call: { task: 'tasks.fail', args: ['disk 1 full'], count: 1, expect: 'FAILURE' } }),
      runWorkload({ broker, queue, call: { task: 'tasks.fail', args: ['disk 2 full'], count: 1, expect: 'FAILURE' } }),
    ]);
    const r = await live.result;
    expect(r.exitCode).toBe(0);
    expect(ndjson<GroupRec>(r.stdout).map((g) => [g.count, g.message])).toEqual([[2, 'disk <num> full, <num>']]);
  }, 60_000);
});

describe('stats --by-name and failures read the store past memory', () => {
  const broker = BROKERS.redis;
  const queue = uniqueQueue('clearly-byname-store');
  let server: ClearlyProcess;
  let worker: WorkerHandle;
  let address: string;
  let metricsAt: string;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clearly-byname-'));
    // Memory holds 3 tasks; the store holds them all.
    server = spawnClearly(['server', '--broker', broker, '--store', `sqlite:${dir}/h.db`, '--max-tasks', '3', '--port', '0', '--metrics', '127.0.0.1:0'], { timeoutMs: 600_000 });
    address = `127.0.0.1:${(await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+) /, 20_000))[1]}`;
    metricsAt = `http://127.0.0.1:${(await server.waitForStderr(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/, 20_000))[1]}/metrics`;
    worker = await startWorker({ broker, queues: [queue], concurrency: 2 });
    // One task at a time, each finished before the next: memory (3 tasks) evicts finished ones
    // only, so every stored row is a whole task. (With more tasks in flight than memory holds, an
    // unfinished task is evicted and its later events start a new, nameless entry, whose row can
    // win the store's upsert: a store matter, not what this test is about.)
    const calls = [
      ...Array.from({ length: 6 }, () => ({ task: 'tasks.add', args: [1, 1] })),
      ...[5, 9, 5, 9].map((n) => ({ task: 'tasks.fail', args: [`quota ${n} exceeded`], expect: 'FAILURE' })),
    ];
    for (const call of calls) {
      await runWorkload({ broker, queue, call: { ...call, count: 1 } });
      await sleep(700);
    }
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    await server?.stop('SIGTERM');
    await deleteQueue(broker, queue).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('counts every stored task, not only the 3 in memory', async () => {
    const deadline = Date.now() + 45_000;
    let rows: NameRec[] = [];
    for (;;) {
      rows = ndjson<NameRec>((await runClearly(['stats', '--by-name', '--json', '--since', '1h', '--server', address, '--pattern', queue])).stdout);
      const add = rows.find((r) => r.name === 'tasks.add');
      const fail = rows.find((r) => r.name === 'tasks.fail');
      if (add?.states['SUCCESS'] === 6 && fail?.states['FAILURE'] === 4) break;
      if (Date.now() > deadline) throw new Error(`the store did not get every task: ${JSON.stringify(rows)}`);
      await sleep(500);
    }
    expect(rows.find((r) => r.name === 'tasks.add')!.runtime_ms).not.toBeNull();
    for (const since of [[], ['--since', '1h']]) {
      const groups = ndjson<GroupRec>((await runClearly(['failures', '--json', ...since, '--server', address, '--pattern', queue])).stdout);
      expect([since, groups.map((g) => [g.count, g.message])]).toEqual([since, [[4, 'quota <num> exceeded, <num>']]]);
    }
  }, 60_000);

  it("/metrics says the store's writer's numbers (backlog, written, dropped) and memory's evictions", async () => {
    // Every task row reached the store (the test above), so the writer wrote at least the 10 tasks
    // and its backlog drains to 0; memory holds 3, so at least 7 were evicted.
    let e = parseExposition((await fetchText(metricsAt)).text);
    const deadline = Date.now() + 20_000;
    while (sampleValue(e, 'clearly_store_backlog', {}) !== 0 && Date.now() < deadline) {
      await sleep(250);
      e = parseExposition((await fetchText(metricsAt)).text);
    }
    expect(e.types.get('clearly_store_backlog')).toBe('gauge');
    expect(sampleValue(e, 'clearly_store_backlog', {})).toBe(0);
    expect(e.types.get('clearly_store_written_total')).toBe('counter');
    expect(sampleValue(e, 'clearly_store_written_total', {})).toBeGreaterThanOrEqual(10);
    expect(sampleValue(e, 'clearly_store_dropped_total', {})).toBe(0);
    expect(sampleValue(e, 'clearly_tasks_in_memory', {})).toBeLessThanOrEqual(3);
    expect(sampleValue(e, 'clearly_tasks_evicted_total', {})).toBeGreaterThanOrEqual(7);
    expect(sampleValue(e, 'clearly_broker_connected', {})).toBe(1);
  });
});

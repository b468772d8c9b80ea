/**
 * Live inspection straight from the broker (no server), against real Celery workers on both
 * brokers: `workers --broker`, `tasks --broker --active/--reserved/--scheduled`, `stats --broker`,
 * and the error exit when nobody answers. Each broker kind gets a broker of its own (a vhost, a
 * Redis db), so "no worker answers" and "these are all the workers" hold whatever else runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBrokerReachable, BROKER_KINDS, BROKERS, ISOLATED_DB, uniqueQueue } from '../helpers/brokers.js';
import { runWorkload, startWorker, type WorkerHandle } from '../helpers/celery.js';
import { parseRecords, runClearly, type CliResult } from '../helpers/cli.js';
import { isolatedBroker, type IsolatedBroker } from '../helpers/isolated.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Held {
  kind: string;
  uuid: string;
  name: string;
  worker: string;
  args: unknown;
  started: number | null;
  eta: string | null;
  routing_key: string | null;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(300);
  }
}

function ok(r: CliResult): CliResult {
  expect(r.exitCode, r.stderr).toBe(0);
  return r;
}

describe.each(BROKER_KINDS)('broker-direct inspection on %s', (kind) => {
  let iso: IsolatedBroker;
  let url: string;
  const queue = uniqueQueue('clearly-inspect');
  let worker: WorkerHandle | undefined;

  beforeAll(async () => {
    await assertBrokerReachable(BROKERS[kind]);
    iso = await isolatedBroker(kind, 'inspect', ISOLATED_DB.inspect);
    url = iso.url;
  });

  afterAll(async () => {
    await worker?.kill('SIGKILL'); // slow tasks may still run: no need to wait for them
    await iso?.dispose();
  });

  it('no worker answering is an error (exit 69), as `celery inspect` has it', async () => {
    const masked = url.replace('guest:guest@', 'guest:****@');
    for (const args of [['workers'], ['tasks', '--active'], ['tasks', '--reserved', '--json']]) {
      const r = await runClearly([...args, '--broker', url, '--timeout', '500ms']);
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(69);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`clearly: no worker replied within 0.5s on ${masked}: no worker running there, or they need longer (--timeout)\n`);
    }
  });

  it('workers --broker: ping + stats of every live worker, as NDJSON and as a table', async () => {
    worker = await startWorker({ broker: url, queues: [queue], concurrency: 1 });
    const r = ok(await runClearly(['workers', '--broker', url, '--json']));
    const records = parseRecords(r.stdout) as unknown as Record<string, unknown>[];
    expect(records).toHaveLength(1);
    const w = records[0]!;
    expect(w).toMatchObject({
      kind: 'worker',
      hostname: worker.hostname,
      alive: true,
      pong: true,
      pid: worker.pid,
      concurrency: 1,
      threads: null,
      processed: 0,
      processed_by_task: {},
      error: null,
    });
    expect(w['processes']).toHaveLength(1);
    expect((w['broker'] as { transport: string }).transport).toBe(kind);
    expect(w['uptime']).toEqual(expect.any(Number));

    const text = ok(await runClearly(['workers', '--broker', url]));
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^HOSTNAME +PID +CONCURRENCY +PROCESSED +PREFETCH +UPTIME +BROKER$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^${worker.hostname.replace(/\./g, '\\.')} +${worker.pid} +1 +0 +\\d+ +\\d+(\\.\\d)?s +${kind}://`));
  });

  it('--destination asks only the named workers; a name nobody has is exit 69', async () => {
    const w = worker!;
    const r = ok(await runClearly(['workers', '--broker', url, '--destination', w.hostname, '--json']));
    expect(parseRecords(r.stdout).map((x) => (x as unknown as { hostname: string }).hostname)).toEqual([w.hostname]);
    const none = await runClearly(['workers', '--broker', url, '--destination', 'nobody@nowhere,ghost@nowhere', '--timeout', '300ms']);
    expect(none.exitCode).toBe(69);
    expect(none.stderr).toContain('clearly: none of nobody@nowhere, ghost@nowhere replied within 0.3s');
  });

  it('tasks --broker --active / --reserved: a running slow task and the ones waiting behind it', async () => {
    const w = worker!;
    // Concurrency 1: the first runs, the other two wait in the worker (prefetched: reserved). Long
    // enough to still run through every query below on a loaded machine (afterAll kills the worker);
    // asking our worker by name returns as soon as it replies, not after the whole reply timeout.
    const published = await runWorkload({ broker: url, queue, call: { task: 'tasks.slow', args: [20], count: 3 } });
    const mine = ['--destination', w.hostname];
    const ids = published.map((p) => p.id);
    const active = await until('the first slow task to run', async () => {
      const r = ok(await runClearly(['tasks', '--broker', url, '--active', '--json', ...mine]));
      const held = parseRecords(r.stdout) as unknown as Held[];
      return held.length === 1 ? held : undefined;
    });
    expect(active[0]).toMatchObject({ kind: 'active', name: 'tasks.slow', worker: w.hostname, args: [20], routing_key: queue, eta: null });
    expect(ids).toContain(active[0]!.uuid);
    expect(active[0]!.started).toBeGreaterThan(Date.now() / 1000 - 10);

    const reserved = parseRecords(ok(await runClearly(['tasks', '--broker', url, '--reserved', '--json', ...mine])).stdout) as unknown as Held[];
    expect(reserved.map((t) => t.kind)).toEqual(['reserved', 'reserved']);
    expect(new Set([active[0]!.uuid, ...reserved.map((t) => t.uuid)])).toEqual(new Set(ids));
    expect(reserved.every((t) => t.started === null)).toBe(true);

    const text = ok(await runClearly(['tasks', '--broker', url, '--active', ...mine]));
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^WORKER +UUID +NAME +STATUS +ARGS$/);
    expect(lines[1]).toMatch(new RegExp(`^\\S+ +${active[0]!.uuid} +tasks\\.slow +running \\d+(\\.\\d)?s +\\(20,\\)$`));

    // --pattern filters what the workers hold, as it filters history.
    const none = ok(await runClearly(['tasks', '--broker', url, '--active', '--pattern', '^tasks\\.add$', ...mine]));
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe('clearly: no active task matches\n');
  }, 40_000);

  it('tasks --broker --scheduled: a task with a countdown, held until due', async () => {
    const [p] = await runWorkload({ broker: url, queue, call: { task: 'tasks.add', args: [1, 2], count: 1, countdown: 60 } });
    const held = await until('the countdown task to be scheduled', async () => {
      const r = ok(await runClearly(['tasks', '--broker', url, '--scheduled', '--json']));
      const list = parseRecords(r.stdout) as unknown as Held[];
      return list.length === 1 ? list : undefined;
    });
    expect(held[0]).toMatchObject({ kind: 'scheduled', uuid: p!.id, name: 'tasks.add', args: [1, 2] });
    const eta = Date.parse(held[0]!.eta ?? '');
    expect(eta).toBeGreaterThan(Date.now() + 30_000);
  });

  it('stats --broker: queue depths', async () => {
    const fill = uniqueQueue('clearly-depth');
    await runWorkload({ broker: url, queue: fill, call: { task: 'tasks.add', args: [1, 1], count: 3 } });
    const missing = uniqueQueue('clearly-none');
    const r = ok(await runClearly(['stats', '--broker', url, '--queue', `${fill},${missing}`, '--json']));
    expect(parseRecords(r.stdout)).toEqual([
      { kind: 'queue', queue: fill, messages: 3, consumers: kind === 'amqp' ? 0 : null, exists: true },
      { kind: 'queue', queue: missing, messages: kind === 'amqp' ? null : 0, consumers: null, exists: false },
    ]);
    const text = ok(await runClearly(['stats', '--broker', url, '--queue', fill]));
    expect(text.stdout.trimEnd().split('\n')).toEqual([
      `QUEUE${' '.repeat(fill.length - 5)}  MESSAGES  CONSUMERS`,
      `${fill}         3  ${' '.repeat(8)}${kind === 'amqp' ? '0' : '-'}`,
    ]);
  });
});

/**
 * The client commands against the BUILT server (`node dist/cli/clearly.js server`) fed by a real
 * Celery worker, on both brokers. One server, one worker and one workload per broker, shared by
 * the tests of its describe; the last test there resets the server.
 *
 * Other test runs may use the same brokers at the same time (RabbitMQ's `celeryev` exchange is
 * shared by everyone on the vhost), so assertions about "our" tasks narrow the query to our
 * worker (`--worker`) or compare against our published ids, never against the whole store.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBrokerReachable, BROKER_KINDS, BROKERS, purgeQueue, uniqueQueue } from '../helpers/brokers.js';
import { runWorkload, startWorker, type PublishedTask, type WorkerHandle } from '../helpers/celery.js';
import {
  parseRecords,
  runClearly,
  spawnClearly,
  type ClearlyProcess,
  type CliResult,
  type TaskRecord,
  type WorkerRecord,
} from '../helpers/cli.js';

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The extra fields history records carry (beyond the harness's minimal TaskRecord). */
type HistoryRecord = TaskRecord & {
  generated: boolean;
  received: number | null;
  started: number | null;
  succeeded: number | null;
  failed: number | null;
  result_source: string | null;
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

describe('client commands without a server', () => {
  it('exit 69 with one stderr line naming the address when no server listens, for queries and for watch', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    for (const args of [['tasks'], ['stats', '--json'], ['task', 'abc'], ['watch', '--json']]) {
      const t0 = Date.now();
      const r = await runClearly([...args, '--server', address]);
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(69);
      expect(r.stdout).toBe('');
      expect(lines(r.stderr)).toEqual([
        `clearly: no clearly server at ${address} (connection refused): start one with \`clearly server --broker URL\`, or read a broker directly with --broker URL`,
      ]);
      // Node's own start-up is most of this; the connection itself fails at once.
      expect(Date.now() - t0).toBeLessThan(5_000);
    }
  });

  it('reads the address from CLEARLY_SERVER', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const r = await runClearly(['seen'], { env: { CLEARLY_SERVER: address } });
    expect(r.exitCode).toBe(69);
    expect(r.stderr).toContain(`no clearly server at ${address} `);
  });

  it.each([
    [['tasks', '--pattern', '('], /^clearly: --pattern: invalid regular expression "\("/],
    [['tasks', '--worker', '!['], /^clearly: --worker: invalid regular expression "\["/],
    [['workers', '--pattern', '*x'], /^clearly: --pattern: invalid regular expression "\*x"/],
    [['watch', '--pattern', '(', '--server', '127.0.0.1:1'], /^clearly: --pattern: invalid regular expression/],
    [['tasks', '--state', 'BOGUS'], /^clearly: --state: unknown state "BOGUS"/],
    [['tasks', '--state', 'ONLINE'], /^clearly: --state: ONLINE is a worker state/],
    [['tasks', '--limit', '-1'], /^clearly: --limit must be a whole number ≥ 0/],
    [['tasks', '--server', 'http://localhost:12223'], /^clearly: --server \/ CLEARLY_SERVER: expected HOST:PORT/],
    [['task'], /^clearly: task: give <uuid> \(usage: clearly task <uuid>\)/],
  ])('usage error %j exits 2 before connecting', async (args, message) => {
    // An address nothing listens on: a usage error must win over "unreachable".
    const r = await runClearly([...args, ...(args.includes('--server') ? [] : ['--server', '127.0.0.1:1'])]);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });
});

for (const kind of BROKER_KINDS) {
  describe(`client commands against \`clearly server\` on ${kind}`, () => {
    const broker = BROKERS[kind];
    const queue = uniqueQueue('clearly-cmds');
    let server: ClearlyProcess;
    let address: string;
    let worker: WorkerHandle;
    let mine: string; // --worker regex for our worker only
    let published: PublishedTask[];

    const clearly = (args: readonly string[]): Promise<CliResult> => runClearly([...args, '--server', address]);
    const json = async <T>(args: readonly string[]): Promise<T[]> => {
      const r = await clearly([...args, '--json']);
      expect(r.exitCode, `clearly ${args.join(' ')}: ${r.stderr}`).toBe(0);
      return parseRecords(r.stdout) as T[];
    };
    /** Our worker's tasks, all of them unless `args` sets another --limit. */
    const ours = (args: readonly string[] = []): Promise<HistoryRecord[]> =>
      json<HistoryRecord>(['tasks', ...(args.includes('--limit') ? [] : ['--limit', '0']), '--worker', mine, ...args]);

    beforeAll(async () => {
      await assertBrokerReachable(broker);
      server = spawnClearly(['server', '--broker', broker, '--port', '0']);
      const [, port] = await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 20_000);
      address = `127.0.0.1:${port}`;
      worker = await startWorker({ broker, queues: [queue] });
      mine = `^${escapeRe(worker.hostname)}$`;
      published = await runWorkload({
        broker,
        queue,
        scenarios: ['basic', 'fail', 'chain', 'echo'],
        call: { task: 'tasks.fail', count: 2, expect: 'FAILURE' },
      });
      // Every task in its final state on the server before any test looks.
      const want = new Map(published.map((t) => [t.id, t.expect]));
      await waitUntil('the workload to finish on the server', async () => {
        const got = await ours();
        const done = got.filter((t) => want.get(t.uuid) === t.state).length;
        return done === want.size ? true : undefined;
      });
    });

    afterAll(async () => {
      await worker?.stop();
      await purgeQueue(broker, queue).catch(() => 0);
      if (server) {
        const r = await server.stop('SIGTERM');
        expect(r.exitCode, r.stderr).toBe(0);
      }
    });

    it('tasks --state FAILURE --json: exactly the failed tasks, with the history fields', async () => {
      const failed = published.filter((t) => t.expect === 'FAILURE');
      expect(failed).toHaveLength(3);
      const r = await clearly(['tasks', '--state', 'FAILURE', '--worker', mine, '--json']);
      expect(r.exitCode, r.stderr).toBe(0);
      const records = parseRecords(r.stdout) as HistoryRecord[];
      expect(records.map((t) => t.uuid).sort()).toEqual(failed.map((t) => t.id).sort());
      for (const t of records) {
        expect(t).toMatchObject({ kind: 'task', name: 'tasks.fail', state: 'FAILURE', worker: worker.hostname, generated: false });
        expect(t.exception).toMatch(/^HarnessError\(/);
        expect(t.traceback).toContain('HarnessError');
        expect(typeof t.received).toBe('number');
        expect(typeof t.started).toBe('number');
        expect(t.failed).toBe(t.timestamp);
        expect(t.succeeded).toBeNull();
        expect(t.result_source).toBeNull();
      }
    });

    it('tasks exits 0 and prints nothing when no task matches', async () => {
      const r = await clearly(['tasks', '--state', 'REVOKED', '--worker', mine, '--json']);
      expect([r.exitCode, r.stdout]).toEqual([0, '']);
    });

    it('tasks --limit: newest first by default, --oldest-first reverses', async () => {
      const all = await ours();
      expect(all.map((t) => t.uuid).sort()).toEqual(published.map((t) => t.id).sort());
      const two = await ours(['--limit', '2']);
      expect(two.map((t) => t.uuid)).toEqual(all.slice(0, 2).map((t) => t.uuid));
      // A repeated flag: the last one wins.
      expect(await json<HistoryRecord>(['tasks', '--limit', '0', '--limit', '1', '--worker', mine])).toHaveLength(1);
      const oldest = await ours(['--oldest-first']);
      expect(oldest.map((t) => t.uuid)).toEqual(all.map((t) => t.uuid).reverse());
      // Text: one line per task here (no detail lines: no results/tracebacks asked for).
      const text = await clearly(['tasks', '--limit', '3', '--worker', mine, '--no-results', '--no-errors']);
      expect(text.exitCode, text.stderr).toBe(0);
      expect(lines(text.stdout)).toHaveLength(3);
      expect(text.stderr).toBe('clearly: showing the newest 3; --limit 0 shows every match\n');
    });

    it('tasks --pattern: by name, negated, and by uuid', async () => {
      const byName = (name: string) => published.filter((t) => t.task === name).map((t) => t.id).sort();
      const mul = await ours(['--pattern', '^tasks\\.mul$']);
      expect(mul.map((t) => t.uuid).sort()).toEqual(byName('tasks.mul'));
      const notAdd = await ours(['--pattern', '!^tasks\\.add$']);
      expect(notAdd.map((t) => t.uuid).sort()).toEqual(
        published.filter((t) => t.task !== 'tasks.add').map((t) => t.id).sort(),
      );
      const one = published[0]!;
      const byUuid = await json<HistoryRecord>(['tasks', '--pattern', one.id]);
      expect(byUuid.map((t) => t.uuid)).toEqual([one.id]);
    });

    it('task <uuid>: the whole record as one JSON line, every detail as text', async () => {
      const add = published.find((t) => t.scenario === 'basic' && t.task === 'tasks.add')!;
      const r = await clearly(['task', add.id, '--json']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(lines(r.stdout)).toHaveLength(1);
      expect(JSON.parse(r.stdout)).toMatchObject({
        kind: 'task',
        uuid: add.id,
        name: 'tasks.add',
        state: 'SUCCESS',
        worker: worker.hostname,
        args: [2, 3],
        result: 5,
        result_repr: '5',
        result_source: 'event',
      });

      const fail = published.find((t) => t.scenario === 'fail')!;
      const text = await clearly(['task', fail.id]);
      expect(text.exitCode, text.stderr).toBe(0);
      const out = lines(text.stdout);
      expect(out[0]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} FAILURE +tasks\\.fail ${fail.id} ${escapeRe(worker.hostname)}( |$)`));
      expect(out).toContain(`    args ${fail.args_repr}`);
      expect(out).toContain(`    exception ${fail.exception}`);
      expect(out.some((l) => l.startsWith('    Traceback (most recent call last):'))).toBe(true);
      // In time order (task-sent may come after the receipt: the publisher stamps it once the message is out).
      const times = (out.find((l) => l.startsWith('    times ')) ?? '').replace(/^ {4}times /, '').split(', ');
      expect(times.map((t) => t.split(' ')[0]).sort()).toEqual(['failed', 'received', 'sent', 'started']);
      const clock = times.map((t) => t.split(' ')[1]!);
      expect(clock).toEqual([...clock].sort());
      expect(out.find((l) => l.startsWith('    routed '))).toMatch(new RegExp(`^ {4}routed queue ${escapeRe(queue)}, .*routing key ${escapeRe(queue)}$`));
    });

    it('task <unknown uuid>: exit 4, one line on stderr, nothing on stdout', async () => {
      const r = await clearly(['task', '00000000-0000-0000-0000-000000000000']);
      expect(r.exitCode).toBe(4);
      expect(r.stdout).toBe('');
      expect(lines(r.stderr)).toEqual([
        `clearly: no task 00000000-0000-0000-0000-000000000000 on the clearly server at ${address} (never seen, or evicted: see its --max-tasks)`,
      ]);
    });

    it('workers: our worker alive, as JSON and as a table', async () => {
      const records = await json<WorkerRecord & { alive: boolean; last_seen: number }>(['workers', '--pattern', mine]);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        kind: 'worker',
        hostname: worker.hostname,
        alive: true,
        pid: worker.pid,
        sw_ident: 'py-celery',
      });
      expect(['ONLINE', 'HEARTBEAT']).toContain(records[0]!.state);
      const alive = await json<WorkerRecord>(['workers', '--alive']);
      expect(alive.map((w) => w.hostname)).toContain(worker.hostname);
      const none = await clearly(['workers', '--pattern', '^no-such-worker$', '--json']);
      expect([none.exitCode, none.stdout]).toEqual([0, '']);

      const table = await clearly(['workers', '--pattern', mine]);
      expect(table.exitCode, table.stderr).toBe(0);
      const [header, row, ...rest] = lines(table.stdout);
      expect(header).toMatch(/^HOSTNAME +STATUS +LAST SEEN +ACTIVE +PROCESSED +LOAD +SOFTWARE$/);
      expect(row).toMatch(new RegExp(`^${escapeRe(worker.hostname)} +alive +\\d+s ago +\\d+ +\\d+ +[\\d.]+ [\\d.]+ [\\d.]+ +py-celery `));
      expect(rest).toEqual([]);
    });

    it('stats: consistent numbers, as one JSON object and as text', async () => {
      // Other runs may add tasks meanwhile: take the count between two equal stats readings.
      const { stats, stored } = await waitUntil('a quiet moment to compare stats with tasks', async () => {
        const [before] = await json<Record<string, number | string>>(['stats']);
        const all = await json<HistoryRecord>(['tasks', '--limit', '0']);
        const [after] = await json<Record<string, number | string>>(['stats']);
        return before!['tasks_stored'] === after!['tasks_stored'] ? { stats: after!, stored: all.length } : undefined;
      });
      expect(stats['tasks_stored']).toBe(stored);
      expect(stats['events_processed']).toBeGreaterThan(0);
      expect(stats['tasks_processed']).toBeGreaterThanOrEqual(published.length);
      expect(stats['workers_stored']).toBeGreaterThanOrEqual(1);
      expect(stats['broker_state']).toBe('connected');
      expect(stats['backend_state']).toBe('none');
      expect(stats['clients']).toBe(0);
      expect(stats['max_tasks']).toBe(10_000);
      expect(typeof stats['uptime_seconds']).toBe('number');
      // The default store: an SQLite file (under the test's own XDG_STATE_HOME), holding the same tasks.
      expect(stats['store']).toMatch(/^sqlite \/.*clearly-test-state-.*\/clearly\/.*\.sqlite$/);
      expect(stats['store_state']).toBe('ok');
      expect(stats['store_tasks']).toBe(stored);
      expect(stats['store_bytes']).toBeGreaterThan(0);

      const text = await clearly(['stats']);
      expect(text.exitCode, text.stderr).toBe(0);
      expect(lines(text.stdout).map((l) => l.split(/ {2,}/)[0])).toEqual([
        'broker', 'result backend', 'uptime', 'events', 'messages', 'tasks', 'workers', 'results', 'store', 'clients', 'events off', 'security',
      ]);
    });

    it('seen: the task names, sorted, as lines and as JSON', async () => {
      const r = await clearly(['seen']);
      expect(r.exitCode, r.stderr).toBe(0);
      const names = lines(r.stdout);
      expect(names).toEqual([...names].sort());
      for (const n of ['tasks.add', 'tasks.echo', 'tasks.fail', 'tasks.mul']) expect(names).toContain(n);
      const asJson = await json<{ name: string }>(['seen']);
      expect(asJson).toEqual(names.map((name) => ({ name })));
    });

    it('watch (server mode): live records with the filters, --count ends it with exit 0', async () => {
      const watch = spawnClearly(['watch', '--json', '--count', '2', '--state', 'SUCCESS', '--worker', mine, '--server', address]);
      await watch.waitForStderr(new RegExp(`watching the clearly server at ${escapeRe(address)}`));
      const basic = await runWorkload({ broker, queue, scenarios: ['basic'] });
      const r = await watch.result;
      expect(r.exitCode, r.stderr).toBe(0);
      const records = parseRecords(r.stdout) as HistoryRecord[];
      expect(records.map((t) => [t.uuid, t.state, t.worker]).sort()).toEqual(
        basic.map((t) => [t.id, 'SUCCESS', worker.hostname]).sort(),
      );
      expect(records.map((t) => t.result as number).sort((a, b) => a - b)).toEqual([5, 42]);
      expect(r.stderr).toMatch(/clearly: 2 records \(2 task, 0 worker\) from the server at .* in [\d.]+s\n$/);
      published.push(...basic);
    });

    it('tasks --retried: the tasks that retried, though --state RETRY finds none (their state now is SUCCESS)', async () => {
      const flaky = await runWorkload({ broker, queue, scenarios: ['flaky'] });
      published.push(...flaky);
      expect(flaky.length).toBeGreaterThan(0);
      const ids = flaky.map((t) => t.id).sort();
      const retried = await waitUntil('the flaky tasks to succeed on the server', async () => {
        const got = await ours(['--retried']);
        return got.length === flaky.length && got.every((t) => t.state === 'SUCCESS') ? got : undefined;
      });
      expect(retried.map((t) => t.uuid).sort()).toEqual(ids);
      expect(await ours(['--state', 'RETRY'])).toEqual([]);
      expect((await ours(['--retried', '--state', 'SUCCESS'])).map((t) => t.uuid).sort()).toEqual(ids);
      expect(await ours(['--retried', '--state', 'FAILURE'])).toEqual([]);
      const help = await runClearly(['tasks', '--help']);
      expect(help.stdout).toMatch(/--state\s+Only tasks whose current state is one of these/);
    });

    it('reset forgets everything: counts printed, then no task of ours', async () => {
      const r = await clearly(['reset', '--json']);
      expect(r.exitCode, r.stderr).toBe(0);
      const counts = JSON.parse(r.stdout) as { tasks: number; workers: number };
      expect(counts.tasks).toBeGreaterThanOrEqual(published.length);
      expect(counts.workers).toBeGreaterThanOrEqual(1);
      expect(await ours()).toEqual([]);
      const text = await clearly(['reset']);
      expect(text.stdout).toMatch(/^forgot \d+ tasks? and \d+ workers?\n$/);
    });
  });
}

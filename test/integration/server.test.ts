/**
 * `clearly server` as users run it (the BUILT CLI), fed by a real Celery worker with a Redis result
 * backend, on both brokers, queried with a small gRPC client (src/engine/proto.ts).
 *
 * The brokers are shared with other test runs (RabbitMQ's `celeryev` exchange is global to the
 * vhost, Redis pub/sub to the server), so every assertion narrows to our own worker or our own
 * task ids. The broker "restart" is done by closing only OUR server's connections (found with
 * `ss`): the services themselves are never stopped.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureRequest, Decoded, DecodedCaptureItem, SeenTasksReply, SeenTasksRequest, StatsReply, StatsRequest, TaskMessage } from '../../src/engine/grpc/messages.js';
import { createClearlyClient, type ClearlyClient } from '../../src/engine/grpc/codec/client.js';
import { taskRecordFromMessage } from '../../src/format/message-records.js';
import { parsePythonJson } from '../../src/engine/events/py-json.js';
import {
  assertBrokerReachable,
  BROKER_KINDS,
  BROKERS,
  deleteQueue,
  RESULT_BACKEND,
  uniqueQueue,
  withRedis,
} from '../helpers/brokers.js';
import { runWorkload, startWorker, type PublishedTask, type WorkerHandle } from '../helpers/celery.js';
import { runClearly, spawnClearly, type ClearlyProcess } from '../helpers/cli.js';
import { maskUrl } from '../../src/errors.js';

const run = promisify(execFile);
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

type Unary<Req, Res> = (req: Req, cb: (e: grpc.ServiceError | null, v?: Res) => void) => unknown;
function call<Req, Res>(fn: Unary<Req, Res>, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, (e, v) => (e ? reject(e) : resolve(v as Res))));
}

/** All messages of a server stream, or its error. */
function collect<T>(stream: grpc.ClientReadableStream<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const out: T[] = [];
    stream.on('data', (m: T) => out.push(m));
    stream.on('error', reject);
    stream.on('end', () => resolve(out));
  });
}

interface Capture {
  readonly items: DecodedCaptureItem[];
  readonly stream: grpc.ClientReadableStream<DecodedCaptureItem>;
  readonly status: Promise<grpc.StatusObject>;
}
function capture(client: ClearlyClient, req: CaptureRequest): Capture {
  const stream = client.Capture(req);
  const items: DecodedCaptureItem[] = [];
  stream.on('data', (i: DecodedCaptureItem) => items.push(i));
  stream.on('error', () => {}); // surfaced through `status`
  const status = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
  return { items, stream, status };
}

const taskItems = (c: Capture) => c.items.flatMap((i) => (i.item === 'task' ? [i.task] : []));

/** Local ports of `pid`'s established TCP connections to `port`. */
async function connectionsTo(pid: number, port: number): Promise<number[]> {
  const { stdout } = await run('ss', ['-tnpH', 'state', 'established', `( dport = :${port} )`]);
  return stdout
    .split('\n')
    .filter((l) => l.includes(`pid=${pid},`))
    .map((l) => Number(/^\s*\d+\s+\d+\s+\S+:(\d+)\s/.exec(l)?.[1]))
    .filter((p) => Number.isInteger(p) && p > 0);
}

/** The vhost of an amqp:// URL, as rabbitmqctl's -p wants it (`/` for `//`). */
function vhostOf(url: string): string {
  const path = new URL(url).pathname.slice(1);
  return path === '' ? '/' : decodeURIComponent(path);
}

async function rabbit(...args: string[]): Promise<string[][]> {
  const { stdout } = await run('rabbitmqctl', [...args, '-q', '--no-table-headers'], { timeout: 30_000 });
  return stdout.split('\n').filter((l) => l.trim() !== '').map((l) => l.split('\t'));
}

/** RabbitMQ's id of the connection behind our local port. */
async function amqpConnection(localPort: number): Promise<string> {
  const row = (await rabbit('list_connections', 'pid', 'peer_port')).find((r) => Number(r[1]) === localPort);
  if (row === undefined) throw new Error(`no RabbitMQ connection from port ${localPort}`);
  return row[0]!;
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) * 1024;
}

describe.each(BROKER_KINDS)('clearly server on %s', (kind) => {
  const broker = BROKERS[kind];
  const brokerPort = Number(new URL(broker).port) || (kind === 'amqp' ? 5672 : 6379);
  const queue = uniqueQueue('clearly-server');
  let server: ClearlyProcess;
  let client: ClearlyClient;
  let worker: WorkerHandle;
  let mine: string; // regex for our worker's hostname
  let published: PublishedTask[];

  const getTask = (uuid: string) => call<{ uuid: string }, Decoded<TaskMessage>>(client.GetTask.bind(client), { uuid });
  const stats = () => call<StatsRequest, Decoded<StatsReply>>(client.GetStats.bind(client), {});
  const publish = async (opts: Parameters<typeof runWorkload>[0]): Promise<PublishedTask[]> => runWorkload(opts);
  /** Wait until the server holds each task in its expected final state. */
  const settled = (tasks: PublishedTask[], timeoutMs = 45_000) =>
    waitUntil(
      'the server to see every task finish',
      async () => {
        for (const t of tasks) {
          const m = await getTask(t.id).catch(() => undefined);
          if (m?.state !== t.expect) return undefined;
        }
        return true;
      },
      timeoutMs,
    );

  beforeAll(async () => {
    await assertBrokerReachable(broker);
    server = spawnClearly(
      ['server', '--broker', broker, '--backend', RESULT_BACKEND, '--port', '0', '--client-buffer', '50', '--debug'],
      { timeoutMs: 600_000 },
    );
    const m = await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+) /, 20_000);
    client = createClearlyClient(`127.0.0.1:${m[1]}`);
    worker = await startWorker({ broker, backend: RESULT_BACKEND, queues: [queue] });
    mine = `^${escapeRe(worker.hostname)}$`;
    published = await publish({ broker, backend: RESULT_BACKEND, queue, scenarios: ['basic', 'fail', 'big', 'echo'] });
    await settled(published);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await worker?.stop();
    if (server !== undefined) await server.stop('SIGKILL'); // the last test already stopped it cleanly
    await deleteQueue(broker, queue).catch(() => {});
  }, 60_000);

  const byTask = (name: string) => published.filter((t) => t.task === name);

  it('logs where it listens and what it reads, on stderr only, and says the backend is connected', async () => {
    expect(server.stdout()).toBe('');
    expect(server.stderr()).toMatch(new RegExp(`whole results from ${escapeRe(maskUrl(RESULT_BACKEND))}; keeping up to 10000 tasks and 100 workers`));
    const s = await stats();
    expect(s.backend_state).toBe('connected');
    expect(s.broker_state).toBe('connected');
    expect(s.broker).toBe(maskUrl(BROKERS[kind]));
    expect(s.max_tasks).toBe(10_000);
    expect(s.max_workers).toBe(100);
    expect(s.events_processed).toBeGreaterThan(published.length * 3);
    expect(s.tasks_processed).toBeGreaterThanOrEqual(published.length);
    expect(s.results_fetched).toBeGreaterThanOrEqual(2); // big + echo('L' * 3000): their event reprs are cut
    expect(s.uptime_seconds).toBeGreaterThan(0);
  });

  it('GetTask serves a result over 1024 characters whole, from the backend', async () => {
    const [big] = byTask('tasks.big');
    const m = await getTask(big!.id);
    expect(m.state).toBe('SUCCESS');
    expect(m.result_source).toBe('backend');
    expect(m.result_repr!.length).toBeLessThan(1100); // the event's cut repr
    const whole = parsePythonJson(m.result_json!);
    expect(whole.ok).toBe(true);
    const value = (whole as { value: { n: number; items: { i: number; sq: number }[] } }).value;
    expect(value.n).toBe(2000);
    expect(value.items).toHaveLength(2000);
    expect(value.items[1999]).toEqual({ i: 1999, sq: 1999 * 1999, s: 'xxxxxxxx' });
    const record = taskRecordFromMessage(m);
    expect(record.result_source).toBe('backend');
    expect(record.result).toEqual(value);
    // echo('L' * 3000, 'tail', long='K' * 1500, odd=[inf, -inf, nan]): cut in the event, whole
    // from the backend, its inf/nan as the strings the README promises (not JSON's null).
    const echo = await getTask(byTask('tasks.echo')[1]!.id);
    expect(echo.result_source).toBe('backend');
    expect(echo.result_json).toContain('"odd":[Infinity,-Infinity,NaN]');
    const odd = ['Infinity', '-Infinity', 'NaN'];
    expect(taskRecordFromMessage(echo).result).toEqual([['L'.repeat(3000), 'tail'], { long: 'K'.repeat(1500), odd }]);
    // echo(inf, -inf, nan): short, so from the event (its repr is whole).
    const inf = await getTask(byTask('tasks.echo')[2]!.id);
    expect([inf.result_source, inf.result_repr]).toEqual(['event', '[(inf, -inf, nan), {}]']);
    // A short result comes from its event.
    const add = await getTask(published.find((t) => t.task === 'tasks.add')!.id);
    expect([add.result_source, add.result_repr, add.result_json]).toEqual(['event', '5', undefined]);
  });

  it('FilterTasks by state, pattern and limit, newest first unless asked', async () => {
    const failed = await collect(client.FilterTasks({ filter: { states: ['FAILURE'], worker: mine } }));
    expect(failed.map((t) => t.uuid)).toEqual(byTask('tasks.fail').map((t) => t.id));
    expect(failed[0]!.exception).toMatch(/^HarnessError\(/);

    const arith = await collect(client.FilterTasks({ filter: { pattern: '^tasks\\.(add|mul)$', worker: mine } }));
    expect(arith.map((t) => t.uuid).sort()).toEqual([...byTask('tasks.add'), ...byTask('tasks.mul')].map((t) => t.id).sort());
    // Newest first is the order the server saw them change in. Two pool processes can finish
    // within microseconds and their events arrive either way round, so a later task may be
    // listed just after an earlier one only by such a hair (5 ms), never by more.
    const newest = arith.map((t) => t.succeeded!);
    const backwards = newest.flatMap((s, i) => (i > 0 && s > newest[i - 1]! + 0.005 ? [[newest[i - 1], s]] : []));
    expect(backwards).toEqual([]);
    const one = await collect(client.FilterTasks({ filter: { pattern: '^tasks\\.(add|mul)$', worker: mine }, limit: 1 }));
    expect(one.map((t) => t.uuid)).toEqual([arith[0]!.uuid]);
    const oldest = await collect(client.FilterTasks({ filter: { pattern: '^tasks\\.(add|mul)$', worker: mine }, oldest_first: true }));
    expect(oldest.map((t) => t.uuid)).toEqual(arith.map((t) => t.uuid).reverse());

    const notOk = await collect(client.FilterTasks({ filter: { states: ['!SUCCESS'], worker: mine } }));
    expect(notOk.map((t) => t.uuid)).toEqual(byTask('tasks.fail').map((t) => t.id));
    // History carries the backend result too.
    const big = await collect(client.FilterTasks({ filter: { pattern: '^tasks\\.big$', worker: mine } }));
    expect(big.map((t) => t.result_source)).toEqual(['backend']);
  });

  it('answers bad requests with INVALID_ARGUMENT or NOT_FOUND and a message, and keeps serving', async () => {
    const code = async (p: Promise<unknown>) =>
      p.then(
        () => 'OK',
        (e: grpc.ServiceError) => `${grpc.status[e.code]}: ${e.details}`,
      );
    expect(await code(collect(client.FilterTasks({ filter: { pattern: '(' } })))).toMatch(
      /^INVALID_ARGUMENT: --pattern: invalid regular expression "\(": /,
    );
    expect(await code(collect(client.FilterTasks({ filter: { states: ['DONE'] } })))).toMatch(/^INVALID_ARGUMENT: --state: unknown state "DONE"/);
    expect(await code(collect(client.FilterTasks({ limit: -1 })))).toBe(
      'INVALID_ARGUMENT: limit must be a whole number ≥ 0 (0 = no limit), got -1',
    );
    expect(await code(collect(client.FilterWorkers({ pattern: '[' })))).toMatch(/^INVALID_ARGUMENT: pattern: invalid regular expression/);
    expect(await code(getTask(''))).toBe('INVALID_ARGUMENT: uuid is required');
    expect(await code(getTask('no-such-task'))).toMatch(/^NOT_FOUND: task no-such-task is not known to this server/);
    const bad = capture(client, { filter: { worker: '(' } });
    const status = await bad.status;
    expect([grpc.status[status.code], status.details]).toEqual([
      'INVALID_ARGUMENT',
      expect.stringMatching(/^--worker: invalid regular expression/),
    ]);
    expect((await stats()).clients).toBe(0);
    const workers = await collect(client.FilterWorkers({ pattern: mine }));
    expect(workers.map((w) => [w.hostname, w.alive, w.state])).toEqual([[worker.hostname, true, 'ONLINE']]);
    const seen = await call<SeenTasksRequest, SeenTasksReply>(client.SeenTasks.bind(client), {});
    expect(seen.names).toEqual(expect.arrayContaining(['tasks.add', 'tasks.big', 'tasks.echo', 'tasks.fail', 'tasks.mul']));
    expect(seen.names).toEqual([...seen.names!].sort());
  });

  it('streams to two clients at once, each through its own filter', async () => {
    const successes = capture(client, { filter: { states: ['SUCCESS'], worker: mine } });
    const failures = capture(client, { filter: { pattern: '^tasks\\.fail$', worker: mine } });
    await waitUntil('both clients to be connected', async () => ((await stats()).clients === 2 ? true : undefined));
    const more = await publish({ broker, backend: RESULT_BACKEND, queue, scenarios: ['basic', 'fail'] });
    await settled(more);
    const adds = more.filter((t) => t.task !== 'tasks.fail').map((t) => t.id);
    const fail = more.find((t) => t.task === 'tasks.fail')!.id;
    await waitUntil('the records on both streams', async () =>
      taskItems(successes).length >= 2 && taskItems(failures).some((t) => t.state === 'FAILURE') ? true : undefined,
    );
    await sleep(500); // anything extra would show up now
    expect(taskItems(successes).map((t) => [t.uuid, t.state]).sort()).toEqual(adds.map((id) => [id, 'SUCCESS']).sort());
    expect(taskItems(failures).map((t) => [t.uuid, t.state])).toEqual([
      [fail, 'RECEIVED'],
      [fail, 'STARTED'],
      [fail, 'FAILURE'],
    ]);
    successes.stream.cancel();
    failures.stream.cancel();
    // A client that goes away is forgotten at once.
    await waitUntil('the server to forget both clients', async () => ((await stats()).clients === 0 ? true : undefined), 5_000);
  });

  it('a client that stops reading: bounded memory, its oldest records dropped, a Missed notice', async () => {
    const slow = capture(client, { filter: { worker: mine } });
    try {
      await waitUntil('the client to be connected', async () => ((await stats()).clients === 1 ? true : undefined));
      slow.stream.pause(); // reads nothing more: grpc-js stops taking data, the server's writes back up
      const before = rssBytes(server.pid!);
      const droppedBefore = (await stats()).records_dropped ?? 0;
      const flood = await publish({ broker, queue, call: { task: 'tasks.add', args: [1, 2], count: 300 } });
      await waitUntil(
        'every task to finish',
        async () => {
          const done = await collect(client.FilterTasks({ filter: { states: ['SUCCESS'], worker: mine, pattern: '^tasks\\.add$' } }));
          const ids = new Set(done.map((t) => t.uuid));
          return flood.every((t) => ids.has(t.id)) ? true : undefined;
        },
        90_000,
      );
      const dropped = ((await stats()).records_dropped ?? 0) - droppedBefore;
      // 300 tasks × RECEIVED/STARTED/SUCCESS (task-sent comes from the publisher: no worker yet);
      // the buffer holds 50 and the transport a few hundred more: most were dropped.
      expect(dropped).toBeGreaterThan(200);
      expect(rssBytes(server.pid!) - before).toBeLessThan(48 * 1024 * 1024);

      slow.stream.resume();
      await waitUntil('the notice and the rest of the stream', async () => {
        const ids = new Set(taskItems(slow).filter((t) => t.state === 'SUCCESS').map((t) => t.uuid));
        return ids.has(flood.at(-1)!.id) ? true : undefined;
      });
      const missed = slow.items.flatMap((i) => (i.item === 'missed' ? [i.missed.count ?? 0] : []));
      const received = taskItems(slow).filter((t) => flood.some((f) => f.id === t.uuid)).length;
      // Every record is accounted for: delivered, or counted in a Missed notice (sent before the
      // records that follow the gap, so never as the last item).
      expect(missed.length).toBeGreaterThanOrEqual(1);
      expect(received + missed.reduce((a, b) => a + b, 0)).toBe(flood.length * 3);
      expect(missed.reduce((a, b) => a + b, 0)).toBe(dropped);
      expect(slow.items.at(-1)!.item).toBe('task');
    } finally {
      slow.stream.cancel();
    }
  }, 150_000);

  it('survives the broker dropping its connection: reconnects, reports the gap, keeps serving', async () => {
    const pid = server.pid!;
    const ports = await connectionsTo(pid, brokerPort);
    expect(ports.length).toBeGreaterThanOrEqual(1);
    if (kind === 'amqp') {
      for (const p of ports) await run('rabbitmqctl', ['close_connection', await amqpConnection(p), 'clearly test: broker restart']);
    } else {
      // Every connection of ours: the event subscriber and the result backend's.
      await withRedis(broker, async (r) => {
        for (const p of ports) await r.call('CLIENT', 'KILL', 'ADDR', `127.0.0.1:${p}`);
      });
    }
    const masked = escapeRe(maskUrl(broker));
    await server.waitForStderr(new RegExp(`lost the connection to ${masked} \\(.+\\); reconnecting`), 20_000);
    await server.waitForStderr(new RegExp(`reconnected to ${masked} after \\d+\\.\\ds; events published meanwhile were missed`), 30_000);
    expect((await stats()).broker_state).toBe('connected');
    const after = await publish({ broker, backend: RESULT_BACKEND, queue, scenarios: ['big'] });
    await settled(after);
    // Events flow again, and (Redis) the result subscriber came back too.
    await waitUntil('the whole result after the reconnect', async () =>
      (await getTask(after[0]!.id)).result_source === 'backend' ? true : undefined,
    );
  }, 90_000);

  it('SIGTERM: streams end cleanly, the broker queue is removed, exit 0 within 2 s', async () => {
    const connected = (await stats()).clients ?? 0;
    const live = capture(client, { filter: { worker: mine } });
    await waitUntil('the client to be connected', async () => ((await stats()).clients === connected + 1 ? true : undefined));
    let queueName: string | undefined;
    if (kind === 'amqp') {
      const [port] = await connectionsTo(server.pid!, brokerPort);
      const conn = await amqpConnection(port!);
      queueName = (await rabbit('list_queues', '-p', vhostOf(broker), 'name', 'owner_pid')).find((r) => r[1] === conn)?.[0];
      expect(queueName).toMatch(/^clearly\./);
    }
    const t0 = Date.now();
    const result = await server.stop('SIGTERM', 10_000);
    const took = Date.now() - t0;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(took).toBeLessThan(2_000);
    expect(result.stderr).toMatch(/SIGTERM: shutting down/);
    const status = await live.status;
    expect(grpc.status[status.code]).toBe('OK');
    if (queueName !== undefined) {
      const names = (await rabbit('list_queues', '-p', vhostOf(broker), 'name')).map((r) => r[0]);
      expect(names).not.toContain(queueName);
    }
  }, 60_000);
});

describe('clearly server start-up', () => {
  it('exits 69 with one line naming the masked URL when the broker is unreachable', async () => {
    for (const url of ['amqp://guest:secret@127.0.0.1:1//', 'redis://:secret@127.0.0.1:1/0']) {
      const r = await runClearly(['server', '--broker', url, '--port', '0']);
      expect(r.exitCode, r.stderr).toBe(69);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^clearly: cannot reach (RabbitMQ|Redis) at (amqp:\/\/guest|redis:\/\/):\*\*\*\*@127\.0\.0\.1:1\/.*connection refused/);
      expect(r.stderr).not.toContain('secret');
    }
  });

  it('exits 2 without a broker, and on a bad flag value', async () => {
    const none = await runClearly(['server'], { env: { CLEARLY_BROKER: undefined, CELERY_BROKER_URL: undefined } });
    expect([none.exitCode, none.stderr]).toEqual([
      2,
      'clearly: server needs --broker URL (or CLEARLY_BROKER, or CELERY_BROKER_URL); e.g. --broker amqp://guest:guest@localhost:5672//\n',
    ]);
    const port = await runClearly(['server', '--broker', BROKERS.redis, '--port', '-5']);
    expect([port.exitCode, port.stderr]).toEqual([2, 'clearly: --port must be a whole number from 0 to 65535, got -5\n']);
  });

  it("takes Celery's own environment; an rpc:// backend is said to be unreadable, an unreachable one warned about", async () => {
    for (const [backend, line, state] of [
      ['rpc://', /result backend rpc:\/\/: rpc:\/\/ sends each result to the reply queue of the client that called the task/, 'unsupported'],
      ['redis://127.0.0.1:1/1', /cannot reach the result backend redis:\/\/127\.0\.0\.1:1\/1 \(connection refused\); serving events/, 'unavailable'],
    ] as const) {
      const server = spawnClearly(['server', '--port', '0'], {
        env: { CLEARLY_BROKER: undefined, CELERY_BROKER_URL: BROKERS.redis, CELERY_RESULT_BACKEND: backend },
        timeoutMs: 60_000,
      });
      try {
        await server.waitForStderr(line, 15_000);
        const m = await server.waitForStderr(new RegExp(`server listening on 127\\.0\\.0\\.1:(\\d+) .*events from ${escapeRe(BROKERS.redis)}`), 15_000);
        const client = createClearlyClient(`127.0.0.1:${m[1]}`);
        const s = await call<StatsRequest, Decoded<StatsReply>>(client.GetStats.bind(client), {});
        client.close();
        expect([s.backend_state, s.broker_state]).toEqual([state, 'connected']);
      } finally {
        const r = await server.stop('SIGTERM');
        expect(r.exitCode).toBe(0);
      }
    }
  }, 60_000);
});

/**
 * `clearly check` against real Celery workers, on both brokers, from a clearly server and straight
 * from the broker: every threshold's OK and CRITICAL paths (a stopped worker, a burst of failures,
 * a queue filled while nobody consumes it, silence, a long task, heartbeats that stop), and the
 * UNKNOWN ones (unreachable, bad flags, what the broker alone cannot answer).
 *
 * Each broker kind gets a broker of its own (a RabbitMQ vhost, a Redis db): silence and failure
 * rates are cluster-wide, and other test runs share the default ones. The tests of a describe run
 * in order and share one server and one worker; the last one stops the worker.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBrokerReachable, BROKER_KINDS, BROKERS, ISOLATED_DB, uniqueQueue } from '../helpers/brokers.js';
import { runWorkload, startWorker, type WorkerHandle } from '../helpers/celery.js';
import { runClearly, spawnClearly, type ClearlyProcess, type CliResult } from '../helpers/cli.js';
import { isolatedBroker, type IsolatedBroker } from '../helpers/isolated.js';

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const NUM = String.raw`\d+(?:\.\d+)?`;

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

/** Run `clearly check` until `done(result)` holds (the server needs a moment to see events). */
async function checkUntil(args: readonly string[], done: (r: CliResult) => boolean, what: string, timeoutMs = 30_000): Promise<CliResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await runClearly(['check', ...args]);
    if (done(r)) return r;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: exit ${r.exitCode}\n${r.stdout}${r.stderr}`);
    await sleep(500);
  }
}

const is = (code: number, line: string | RegExp) => (r: CliResult) =>
  r.exitCode === code && (typeof line === 'string' ? r.stdout === `${line}\n` : line.test(r.stdout));

function expectCheck(r: CliResult, code: number, line: string | RegExp): void {
  expect(r.exitCode, `${r.stdout}${r.stderr}`).toBe(code);
  if (typeof line === 'string') expect(r.stdout).toBe(`${line}\n`);
  else expect(r.stdout).toMatch(line);
}

describe('check: UNKNOWN without anything to ask, or with bad flags', () => {
  it('an unreachable server: exit 3, the reason once, perfdata U', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const r = await runClearly(['check', '--server', address, '--min-workers', '1', '--max-silence', '1m']);
    expectCheck(
      r,
      3,
      `CLEARLY UNKNOWN - no clearly server at ${address} (connection refused): start one with \`clearly server --broker URL\`, or read a broker directly with --broker URL | workers=U;;1:;0 silence=U;;60;0`,
    );
  });

  it.each([
    ['redis://127.0.0.1:1/0', /^CLEARLY UNKNOWN - cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/0\b.* \| workers=U;;1:;0 queue_celery=U;;5;0\n$/],
    ['amqp://guest:guest@127.0.0.1:1//', /^CLEARLY UNKNOWN - .*127\.0\.0\.1:1.* \| workers=U;;1:;0 queue_celery=U;;5;0\n$/],
  ])('an unreachable broker %s: exit 3', async (url, line) => {
    const r = await runClearly(['check', '--broker', url, '--min-workers', '1', '--max-queue', 'celery=5']);
    expectCheck(r, 3, line);
    expect(r.stdout).not.toContain('guest:guest');
  });

  it.each([
    [['--bogus', '1'], 'CLEARLY UNKNOWN - Unknown argument: bogus'],
    [[], 'CLEARLY UNKNOWN - check: give at least one threshold: --min-workers, --max-failure-rate, --max-failures, --max-queue, --max-silence, --max-stuck, --max-heartbeat-age, --max-lost or --max-events-off'],
    [['--min-workers', '2:3'], 'CLEARLY UNKNOWN - --min-workers: the warning level (2) must not be below the critical one (3); the syntax is WARN:CRIT'],
    [['--max-queue', 'celery'], 'CLEARLY UNKNOWN - --max-queue: expected QUEUE=CRIT or QUEUE=WARN:CRIT (e.g. celery=1000:5000), got "celery"'],
    [['--min-workers', '1', '--broker', 'http://x'], /^CLEARLY UNKNOWN - --broker \/ CLEARLY_BROKER: unsupported scheme "http:"/],
  ] as const)('usage error %j: exit 3 (not 2, which a monitor reads as CRITICAL)', async (args, line) => {
    const r = await runClearly(['check', ...args, '--server', '127.0.0.1:1']);
    expectCheck(r, 3, typeof line === 'string' ? line : new RegExp(line.source + '.*\\n$'));
    expect(r.stderr).not.toBe('');
  });

  it('--json with a usage error: the error as one object too (a script parses stdout)', async () => {
    const r = await runClearly(['check', '--json', '--bogus', '--server', '127.0.0.1:1']);
    expect(r.exitCode).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual({ status: 'UNKNOWN', exit_code: 3, error: 'Unknown argument: bogus' });
  });

  it('--json: the error as one object', async () => {
    const r = await runClearly(['check', '--json', '--server', '127.0.0.1:1']);
    expect(r.exitCode).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual({
      status: 'UNKNOWN',
      exit_code: 3,
      error: 'check: give at least one threshold: --min-workers, --max-failure-rate, --max-failures, --max-queue, --max-silence, --max-stuck, --max-heartbeat-age, --max-lost or --max-events-off',
    });
  });
});

describe.each(BROKER_KINDS)('check against real workers on %s', (kind) => {
  let iso: IsolatedBroker;
  let url: string;
  const queue = uniqueQueue('clearly-check');
  const fill = uniqueQueue('clearly-fill');
  let server: ClearlyProcess | undefined;
  let address: string;
  let worker: WorkerHandle;
  let pattern: string; // --workers-pattern for our main worker
  const extra: WorkerHandle[] = [];

  const viaServer = (...args: string[]) => ['--server', address, ...args];
  const viaBroker = (...args: string[]) => ['--broker', url, ...args];

  beforeAll(async () => {
    await assertBrokerReachable(BROKERS[kind]);
    iso = await isolatedBroker(kind, 'check', ISOLATED_DB.check);
    url = iso.url;
    server = spawnClearly(['server', '--broker', url, '--port', '0']);
    const [, port] = await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 20_000);
    address = `127.0.0.1:${port}`;
    worker = await startWorker({ broker: url, queues: [queue], concurrency: 2 });
    pattern = `^${escapeRe(worker.hostname)}$`;
  });

  afterAll(async () => {
    await Promise.all([worker?.stop(), ...extra.map((w) => w.stop())]);
    await server?.stop('SIGTERM');
    await iso?.dispose();
  });

  it('min-workers OK: the worker is alive, for the server and for the broker', async () => {
    const line = 'CLEARLY OK - 1 worker alive | workers=1;;1:;0';
    await checkUntil(viaServer('--min-workers', '1', '--workers-pattern', pattern), is(0, line), 'the server to see the worker');
    expectCheck(await runClearly(['check', ...viaBroker('--min-workers', '1', '--workers-pattern', pattern)]), 0, line);
    // Two required, WARNING below 2: one alive is WARNING.
    expectCheck(
      await runClearly(['check', ...viaBroker('--min-workers', '2:1', '--workers-pattern', pattern)]),
      1,
      `CLEARLY WARNING - 1/2 workers alive matching /${pattern}/ | workers=1;2:;1:;0`,
    );
  });

  it('failure rate and count: OK after successes, CRITICAL after a burst of failures (server)', async () => {
    const args = viaServer('--max-failure-rate', '10%', '--max-failures', '0');
    await runWorkload({ broker: url, queue, call: { task: 'tasks.add', args: [1, 2], count: 5 } });
    await checkUntil(
      args,
      is(0, 'CLEARLY OK - failure rate 0.0% (10m), 0 failures (10m) | failure_rate=0%;;10;0;100 failures=0;;0;0'),
      'five successes on the server',
    );
    await runWorkload({ broker: url, queue, call: { task: 'tasks.fail', count: 3, expect: 'FAILURE' } });
    await checkUntil(
      args,
      is(2, 'CLEARLY CRITICAL - failure rate 37.5% (10m), 3 failures (10m) | failure_rate=37.5%;;10;0;100 failures=3;;0;0'),
      'three failures on the server',
    );
    expectCheck(
      await runClearly(['check', ...viaServer('--max-failure-rate', '5%:50%')]),
      1,
      'CLEARLY WARNING - failure rate 37.5% (10m) | failure_rate=37.5%;5;50;0;100',
    );
    // Out of a 1 s window by now: nothing finished in it.
    await sleep(1500);
    expectCheck(
      await runClearly(['check', ...viaServer('--max-failures', '0', '--window', '1s')]),
      0,
      'CLEARLY OK - 0 failures (1s) | failures=0;;0;0',
    );
  }, 60_000);

  it('failures from the broker: UNKNOWN unless clearly listens the whole window', async () => {
    expectCheck(
      await runClearly(['check', ...viaBroker('--max-failure-rate', '5%')]),
      3,
      'CLEARLY UNKNOWN - failure rate unknown (the broker keeps no history: failures over 10m need a clearly server (--server), or listening that long (--listen 10m)) | failure_rate=U;;5;0;100',
    );
    // Listening 15 s while two tasks fail and one succeeds (the two workloads start together, so a
    // loaded machine's Python start-up is paid once, well inside the window).
    const listening = spawnClearly(['check', ...viaBroker('--max-failures', '0', '--max-failure-rate', '50%', '--window', '15s', '--listen', '15s')]);
    await sleep(1500);
    await Promise.all([
      runWorkload({ broker: url, queue, call: { task: 'tasks.fail', count: 2, expect: 'FAILURE' } }),
      runWorkload({ broker: url, queue, call: { task: 'tasks.add', args: [2, 2], count: 1 } }),
    ]);
    const r = await listening.result;
    // Both failures counted; the rate is theirs over every task that finished in the window: 2 of
    // 3, or of more when a task of an earlier test on this worker finishes inside it too.
    expect(r.exitCode, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toMatch(/^CLEARLY CRITICAL - .*2 failures \(15s\).* \| failure_rate=[\d.]+%;;50;0;100 failures=2;;0;0\n$/);
    const rate = Number(/failure_rate=([\d.]+)%/.exec(r.stdout)![1]);
    const finished = Math.round(200 / rate);
    expect(finished).toBeGreaterThanOrEqual(3);
    expect(rate).toBeCloseTo(200 / finished, 2);
  }, 60_000);

  it('max-queue: a queue filled while no worker consumes it', async () => {
    await runWorkload({ broker: url, queue: fill, call: { task: 'tasks.add', args: [1, 1], count: 5 } });
    expectCheck(await runClearly(['check', ...viaBroker('--max-queue', `${fill}=10`)]), 0, `CLEARLY OK - queue ${fill} 5 messages | queue_${fill}=5;;10;0`);
    expectCheck(await runClearly(['check', ...viaBroker('--max-queue', `${fill}=2:4`)]), 2, `CLEARLY CRITICAL - queue ${fill} 5 messages | queue_${fill}=5;2;4;0`);
    expectCheck(await runClearly(['check', ...viaBroker('--max-queue', `${fill}=4:10`)]), 1, `CLEARLY WARNING - queue ${fill} 5 messages | queue_${fill}=5;4;10;0`);
    // With a server, the broker is still where queue depths come from.
    expectCheck(
      await runClearly(['check', ...viaServer('--broker', url, '--max-queue', `${fill}=4`)]),
      2,
      `CLEARLY CRITICAL - queue ${fill} 5 messages | queue_${fill}=5;;4;0`,
    );
    expectCheck(
      await runClearly(['check', ...viaServer('--max-queue', `${fill}=4`)]),
      3,
      `CLEARLY UNKNOWN - queue ${fill} unknown (queue depths come from the broker, not the clearly server: add --broker URL) | queue_${fill}=U;;4;0`,
    );
    const missing = uniqueQueue('clearly-nosuch');
    const r = await runClearly(['check', ...viaBroker('--max-queue', `${missing}=4`)]);
    expectCheck(r, 3, new RegExp(`^CLEARLY UNKNOWN - queue ${missing} unknown \\(queue ${missing} (does not exist|is empty and no worker has bound it)`));
  });

  it('max-stuck: a task running longer than the limit is CRITICAL, from the server and from the broker', async () => {
    // Long enough to still run through four checks on a loaded machine; the last check waits it out.
    await runWorkload({ broker: url, queue, call: { task: 'tasks.slow', args: [15], count: 1 } });
    const critical = new RegExp(`^CLEARLY CRITICAL - 1 task stuck over 1s \\(oldest ${NUM}s\\) \\| oldest_running=${NUM}s;;1;0\\n$`);
    await checkUntil(viaServer('--max-stuck', '1s'), (r) => r.exitCode === 2 && critical.test(r.stdout), 'the slow task to be stuck on the server');
    await checkUntil(viaBroker('--max-stuck', '1s'), (r) => r.exitCode === 2 && critical.test(r.stdout), 'the slow task to be stuck for the broker');
    const ok = new RegExp(`^CLEARLY OK - no task stuck \\(oldest running ${NUM}s\\) \\| oldest_running=${NUM}s;;60;0\\n$`);
    expectCheck(await runClearly(['check', ...viaServer('--max-stuck', '1m')]), 0, ok);
    expectCheck(await runClearly(['check', ...viaBroker('--max-stuck', '1m')]), 0, ok);
    // The slow task ends: nothing running, nothing stuck.
    await checkUntil(viaBroker('--max-stuck', '1s'), is(0, 'CLEARLY OK - no task stuck (nothing running) | oldest_running=0s;;1;0'), 'the slow task to end');
  }, 60_000);

  it('max-stuck: tasks prefetched behind busy slots are queueing, not stuck, for the server and the broker', async () => {
    // Two pool slots, five tasks: two run, three wait in the worker's prefetch buffer.
    await runWorkload({ broker: url, queue, call: { task: 'tasks.slow', args: [10], count: 5 } });
    type Stuck = { status: string; measured: { stuck: { in_flight: number; waiting: number; undated: number } } };
    const stuckOf = (r: CliResult): Stuck | null => {
      try {
        return JSON.parse(r.stdout) as Stuck;
      } catch {
        return null;
      }
    };
    const twoRunThreeWait = (r: CliResult): boolean => {
      const s = stuckOf(r)?.measured.stuck;
      return s?.in_flight === 2 && s.waiting === 3;
    };
    const fromServer = await checkUntil(viaServer('--max-stuck', '1s', '--json'), (r) => r.exitCode === 2 && twoRunThreeWait(r), '2 running, 3 waiting on the server');
    expect(stuckOf(fromServer)?.status).toBe('CRITICAL');
    const line = new RegExp(`^CLEARLY CRITICAL - 2 tasks stuck over 1s \\(oldest ${NUM}s\\) \\| oldest_running=${NUM}s;;1;0\\n$`);
    expectCheck(await runClearly(['check', ...viaServer('--max-stuck', '1s')]), 2, line);
    // The broker cannot date reserved tasks, but with the pool full it knows they are queueing: OK, not UNKNOWN.
    const fromBroker = await checkUntil(viaBroker('--max-stuck', '1m', '--json'), (r) => twoRunThreeWait(r), '2 running, 3 waiting for the broker');
    expect(fromBroker.exitCode, fromBroker.stdout).toBe(0);
    expect(stuckOf(fromBroker)?.measured.stuck.undated).toBe(0);
    await checkUntil(viaBroker('--max-stuck', '1s'), is(0, 'CLEARLY OK - no task stuck (nothing running) | oldest_running=0s;;1;0'), 'the slow tasks to end', 60_000);
  }, 90_000);

  it('max-heartbeat-age: OK while heartbeats come; CRITICAL when they stop coming', async () => {
    const ok = new RegExp(`^CLEARLY OK - heartbeats ${NUM}s old \\| heartbeat_age=${NUM}s;;30;0\\n$`);
    expectCheck(await runClearly(['check', ...viaServer('--max-heartbeat-age', '30s', '--workers-pattern', pattern)]), 0, ok);
    expectCheck(await runClearly(['check', ...viaBroker('--max-heartbeat-age', '30s', '--workers-pattern', pattern, '--listen', '3s')]), 0, ok);

    // A worker that answers ping but sends no heartbeat at all (broker), and one whose heartbeats
    // come every 10 s, so the server sees them age past 3 s between two.
    const [silent, slow] = await Promise.all([
      startWorker({ broker: url, queues: [uniqueQueue('clearly-hb')], concurrency: 1, extraArgs: ['--without-heartbeat'] }),
      startWorker({ broker: url, queues: [uniqueQueue('clearly-hb')], concurrency: 1, extraArgs: ['--heartbeat-interval', '10'] }),
    ]);
    extra.push(silent, slow);
    const silentPattern = `^${escapeRe(silent.hostname)}$`;
    expectCheck(
      await runClearly(['check', ...viaBroker('--max-heartbeat-age', '2s', '--workers-pattern', silentPattern, '--listen', '3s')]),
      2,
      new RegExp(`^CLEARLY CRITICAL - heartbeat of ${escapeRe(silent.hostname)} over ${NUM}s old \\| heartbeat_age=${NUM}s;;2;0\\n$`),
    );
    const slowPattern = `^${escapeRe(slow.hostname)}$`;
    await checkUntil(
      viaServer('--max-heartbeat-age', '3s', '--workers-pattern', slowPattern),
      is(2, new RegExp(`^CLEARLY CRITICAL - heartbeat of ${escapeRe(slow.hostname)} ${NUM}s old \\| heartbeat_age=${NUM}s;;3;0\\n$`)),
      'a heartbeat older than 3 s on the server',
    );
    await Promise.all([silent.stop(), slow.stop()]);
  }, 60_000);

  it('a stopped worker is CRITICAL for min-workers; then silence is CRITICAL', async () => {
    const quiet = new RegExp(`^CLEARLY OK - last event ${NUM}s ago \\| silence=${NUM}s;;10;0\\n$`);
    expectCheck(await runClearly(['check', ...viaServer('--max-silence', '10s')]), 0, quiet);
    expectCheck(await runClearly(['check', ...viaBroker('--max-silence', '10s', '--listen', '2s')]), 0, quiet);

    await Promise.all([worker.stop(), ...extra.map((w) => w.stop())]);
    const gone = `CLEARLY CRITICAL - 0/1 workers alive matching /${pattern}/ | workers=0;;1:;0`;
    expectCheck(await runClearly(['check', ...viaBroker('--min-workers', '1', '--workers-pattern', pattern)]), 2, gone);
    await checkUntil(viaServer('--min-workers', '1', '--workers-pattern', pattern), is(2, gone), 'the server to see the worker leave');

    // No worker runs on this broker now: nothing is said at all.
    const t0 = Date.now();
    expectCheck(
      await runClearly(['check', ...viaBroker('--max-silence', '3s', '--listen', '1s')]),
      2,
      new RegExp(`^CLEARLY CRITICAL - no event for over 3s \\| silence=${NUM}s;;3;0\\n$`),
    );
    // It listened until the critical level (not just --listen), and not much longer.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3000);
    await checkUntil(
      viaServer('--max-silence', '3s'),
      is(2, new RegExp(`^CLEARLY CRITICAL - no event for ${NUM}s \\| silence=${NUM}s;;3;0\\n$`)),
      'three seconds of silence on the server',
    );
    const r = await runClearly(['check', '--json', ...viaServer('--max-silence', '3s', '--min-workers', '1', '--workers-pattern', pattern)]);
    expect(r.exitCode).toBe(2);
    const json = JSON.parse(r.stdout) as { status: string; measured: { workers: unknown; silence: { bound: string; seconds: number } }; thresholds: { status: string }[] };
    expect(json.status).toBe('CRITICAL');
    expect(json.measured.workers).toEqual({ alive: [], alive_count: 0, known: 1 });
    expect(json.measured.silence.bound).toBe('exact');
    expect(json.measured.silence.seconds).toBeGreaterThan(3);
    expect(json.thresholds.map((t) => t.status)).toEqual(['CRITICAL', 'CRITICAL']);
  }, 60_000);
});

/**
 * `clearly server`'s /metrics as Prometheus scrapes it (the BUILT CLI), fed by a real Celery worker
 * on both brokers: celery-exporter's counters and histogram counts equal the workload's known
 * numbers, `promtool check metrics` passes, worker_up drops to 0 after a SIGKILL, /health answers;
 * and the port rules: a taken explicit --metrics exits 75, a taken default only warns.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBrokerReachable, BROKER_KINDS, BROKERS, deleteQueue, ISOLATED_DB, queueLength, redisDb, uniqueQueue } from '../helpers/brokers.js';
import { isolatedBroker, type IsolatedBroker } from '../helpers/isolated.js';
import { runWorkload, startWorker, type WorkerHandle } from '../helpers/celery.js';
import { runClearly, spawnClearly, type ClearlyProcess } from '../helpers/cli.js';
import { allMixinExpressions, familyOf, mixinGroupBy, mixinLabelRefs, mixinMetricNames, mixinSelectors } from '../helpers/mixin.js';
import { fetchText, parseExposition, promtoolCheck, sampleSum, sampleValue, type Exposition } from '../helpers/prom.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Debian's prometheus server scraping `target` every second, on a free port, with a throwaway TSDB. */
async function startPrometheus(target: string): Promise<{ prometheus: ChildProcess; url: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'clearly-prom-'));
  const config = `${dir}/prometheus.yml`;
  writeFileSync(config, `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: clearly\n    static_configs:\n      - targets: ['${target}']\n`);
  const port = await freePort();
  const prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${dir}/data`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  prometheus.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return { prometheus, url: `http://127.0.0.1:${port}` };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
const HOST = hostname(); // Celery's %h and the publisher's gen<pid>@host: the label is the part after @

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

// A broker of this file's own (a fresh RabbitMQ vhost, a Redis db whose event channels only we
// use), so the counters are the workload's alone: other test files publish the same task names on
// the shared brokers, and every worker on this machine has the same `hostname` label.
describe.each(BROKER_KINDS)('clearly server /metrics on %s', (kind) => {
  let own: IsolatedBroker;
  let broker: string;
  const queue = uniqueQueue('clearly-metrics');
  const idle = uniqueQueue('clearly-metrics-idle'); // no worker consumes it: its length only grows
  let server: ClearlyProcess;
  let worker: WorkerHandle;
  let base: string;
  const scrape = async (): Promise<Exposition> => parseExposition((await fetchText(`${base}/metrics`)).text);
  // No queue_name: a worker's event that overtakes the publisher's task-sent finds no queue yet
  // and is labelled with the default queue (`celery`), exactly as celery-exporter does; the sums
  // over queue_name are the workload's numbers.
  const task = (name: string) => ({ name, hostname: HOST });

  beforeAll(async () => {
    own = await isolatedBroker(kind, 'metrics', ISOLATED_DB.metrics);
    broker = own.url;
    await assertBrokerReachable(broker);
    server = spawnClearly(['server', '--broker', broker, '--store', 'memory', '--port', '0', '--metrics', '127.0.0.1:0', '--queue', idle, '--metrics-queue-interval', '1s', '--metrics-compat', 'flower'], {
      timeoutMs: 600_000,
    });
    const m = await server.waitForStderr(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/, 20_000);
    base = `http://127.0.0.1:${m[1]}`;
    worker = await startWorker({ broker, queues: [queue], concurrency: 2 });
    await Promise.all([
      runWorkload({ broker, queue, call: { task: 'tasks.add', args: [2, 3], count: 5 } }),
      runWorkload({ broker, queue, call: { task: 'tasks.fail', args: ['mailbox 17 is full'], count: 3, expect: 'FAILURE' } }),
      runWorkload({ broker, queue, call: { task: 'tasks.slow', args: [0.3], count: 2 } }),
      runWorkload({ broker, queue, scenarios: ['flaky'] }),
    ]);
    let last: Exposition | undefined;
    await waitFor('every task to finish in the counters', async () => {
      const e = await scrape();
      const done =
        sampleSum(e, 'celery_task_succeeded_total', task('tasks.add')) === 5 &&
        sampleSum(e, 'celery_task_failed_total', { ...task('tasks.fail'), exception: 'HarnessError' }) === 3 &&
        sampleSum(e, 'celery_task_succeeded_total', task('tasks.slow')) === 2 &&
        sampleSum(e, 'celery_task_succeeded_total', task('tasks.flaky')) === 1;
      last = e;
      return done ? true : undefined;
    }).catch((err: Error) => {
      const seen = last?.samples.filter((x) => x.name.endsWith('_total') && x.value > 0).map((x) => `${x.name}${JSON.stringify(x.labels)} ${x.value}`);
      throw new Error(`${err.message}; counters > 0: ${seen?.join('; ')}`);
    });
  }, 150_000);

  afterAll(async () => {
    await worker?.stop();
    await server?.stop('SIGTERM');
    await deleteQueue(broker, queue).catch(() => {});
    await deleteQueue(broker, idle).catch(() => {});
    await own?.dispose().catch(() => {});
  }, 60_000);

  it('counts every event of the workload under its counter, labelled by name, host and queue', async () => {
    const e = await scrape();
    const v = (metric: string, name: string, extra: Record<string, string> = {}) => sampleSum(e, `celery_task_${metric}_total`, { ...task(name), ...extra });
    for (const [name, runs, ok] of [['tasks.add', 5, 5], ['tasks.slow', 2, 2], ['tasks.fail', 3, 0]] as const) {
      expect([name, v('sent', name), v('received', name), v('started', name), v('succeeded', name)]).toEqual([name, runs, runs, runs, ok]);
      expect(v('retried', name)).toBe(0);
      expect(v('rejected', name)).toBe(0);
      expect(v('revoked', name)).toBe(0);
    }
    expect(v('failed', 'tasks.fail', { exception: 'HarnessError' })).toBe(3);
    // task-sent names the queue: every publisher-side series has it.
    expect(sampleValue(e, 'celery_task_sent_total', { ...task('tasks.add'), queue_name: queue })).toBe(5);
    expect(v('failed', 'tasks.add', { exception: '' })).toBe(0); // zero-initialised, as exporter.py
    // flaky(2): two retries, three runs, one success; each retry is a new message (task-sent from the worker).
    expect([v('retried', 'tasks.flaky'), v('received', 'tasks.flaky'), v('started', 'tasks.flaky'), v('succeeded', 'tasks.flaky')]).toEqual([2, 3, 3, 1]);
    expect(v('sent', 'tasks.flaky')).toBe(3);
  });

  it('observes runtime per success and queue wait per start, in celery-exporter buckets', async () => {
    const e = await scrape();
    const h = (metric: string, name: string, suffix: string, le?: string) =>
      sampleSum(e, `celery_task_${metric}_${suffix}`, { ...task(name), ...(le === undefined ? {} : { le }) });
    expect(h('runtime', 'tasks.add', 'count')).toBe(5);
    expect(h('runtime', 'tasks.slow', 'count')).toBe(2);
    expect(h('runtime', 'tasks.fail', 'count')).toBeUndefined(); // runtime is observed on success only
    // slow(0.3): above the 0.25 bucket, inside 0.5.
    expect([h('runtime', 'tasks.slow', 'bucket', '0.25'), h('runtime', 'tasks.slow', 'bucket', '0.5'), h('runtime', 'tasks.slow', 'bucket', '+Inf')]).toEqual([0, 2, 2]);
    expect(h('runtime', 'tasks.slow', 'sum')).toBeGreaterThanOrEqual(0.6);
    // Queue wait is observed at task-started when task-sent came first (exporter.py: `task.sent is
    // not None`); the publisher's task-sent can arrive after the worker's events on its own
    // connection, so per name: at most one per start, and all of them under 30 min.
    let waits = 0;
    for (const [name, runs] of [['tasks.add', 5], ['tasks.fail', 3], ['tasks.slow', 2], ['tasks.flaky', 3]] as const) {
      const n = h('queue_wait_time', name, 'count') ?? 0;
      expect(n).toBeLessThanOrEqual(runs);
      if (n > 0) expect(h('queue_wait_time', name, 'bucket', '1800.0')).toBe(n);
      waits += n;
    }
    expect(waits).toBeGreaterThan(0);
    expect(e.types.get('celery_task_runtime')).toBe('histogram');
    expect(e.types.get('celery_task_queue_wait_time')).toBe('histogram');
  });

  it("clearly's own metrics and latency legs, and Flower's set with --metrics-compat flower", async () => {
    const e = await scrape();
    expect(sampleValue(e, 'clearly_events_processed_total', {})).toBeGreaterThan(50);
    expect(sampleValue(e, 'clearly_broker_connected', {})).toBe(1);
    expect(sampleValue(e, 'clearly_decode_errors_total', {})).toBe(0);
    expect(sampleValue(e, 'clearly_store_backlog', {})).toBeUndefined(); // --store memory
    // Each leg once per run: runtime per finished run (successes and failures), total per task.
    expect(sampleSum(e, 'clearly_task_runtime_seconds_count', { name: 'tasks.slow' })).toBe(2);
    expect(sampleSum(e, 'clearly_task_runtime_seconds_count', { name: 'tasks.fail' })).toBe(3);
    expect(sampleSum(e, 'clearly_task_total_seconds_count', { name: 'tasks.add' })).toBe(5);
    expect(sampleSum(e, 'clearly_task_queued_seconds_count', { name: 'tasks.add' })).toBe(5);
    expect(sampleSum(e, 'clearly_task_prefetched_seconds_count', { name: 'tasks.add' })).toBe(5);
    expect(sampleSum(e, 'clearly_task_runtime_seconds_bucket', { name: 'tasks.slow', le: '0.25' })).toBe(0);
    expect(sampleSum(e, 'clearly_task_runtime_seconds_bucket', { name: 'tasks.slow', le: '0.5' })).toBe(2);
    // Flower: events by the full node name and type; prefetch time a gauge.
    expect(sampleValue(e, 'flower_events_total', { worker: worker.hostname, type: 'task-succeeded', task: 'tasks.add' })).toBe(5);
    expect(sampleValue(e, 'flower_events_total', { worker: worker.hostname, type: 'task-failed', task: 'tasks.fail' })).toBe(3);
    expect(sampleValue(e, 'flower_task_runtime_seconds_count', { worker: worker.hostname, task: 'tasks.slow' })).toBe(2);
    expect(sampleValue(e, 'flower_worker_online', { worker: worker.hostname })).toBe(1);
    expect(e.types.get('flower_task_prefetch_time_seconds')).toBe('gauge');
    expect(e.types.get('flower_worker_prefetched_tasks')).toBe('gauge');
    // The last heartbeat's `active`: at most the pool's 2 processes (it may predate the last task's end).
    const executing = await waitFor('a heartbeat with active', async () =>
      sampleValue(await scrape(), 'flower_worker_number_of_currently_executing_tasks', { worker: worker.hostname }), 15_000);
    expect(executing).toBeGreaterThanOrEqual(0);
    expect(executing).toBeLessThanOrEqual(2);
  });

  it('a real Prometheus scrapes it, and PromQL over its HTTP API returns the workload', async () => {
    const { prometheus, url } = await startPrometheus(base.replace('http://', ''));
    try {
      const query = async (q: string): Promise<number | undefined> => {
        const r = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { data: { result: { value: [number, string] }[] } };
        const v = r.data.result[0]?.value[1];
        return v === undefined ? undefined : Number(v);
      };
      await waitFor('Prometheus to have scraped clearly', async () => ((await query('up{job="clearly"}').catch(() => undefined)) === 1 ? true : undefined), 30_000);
      expect(await query(`sum(celery_task_succeeded_total{name="tasks.add"})`)).toBe(5);
      expect(await query(`sum(celery_task_failed_total{name="tasks.fail",exception="HarnessError"})`)).toBe(3);
      expect(await query(`sum(celery_task_runtime_count{name="tasks.slow"})`)).toBe(2);
      expect(await query(`celery_worker_up{hostname="${HOST}"}`)).toBe(1);
      const p50 = await query(`histogram_quantile(0.5, sum by (le) (celery_task_runtime_bucket{name="tasks.slow"}))`);
      expect(p50).toBeGreaterThan(0.25);
      expect(p50).toBeLessThanOrEqual(0.5);
    } finally {
      prometheus.kill('SIGTERM');
    }
  }, 60_000);

  it('passes promtool check metrics, with the Prometheus text content type', async () => {
    const r = await fetchText(`${base}/metrics`);
    expect(r.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const check = await promtoolCheck(r.text);
    // promtool parses the exposition (a format error is exit 1) and lints the names (exit 3 with
    // one line per problem). celery-exporter's own per-queue gauge names end in `_count`, which
    // the linter reserves for histograms: those three lines (celery-exporter gets them too: the
    // names are what dashboards query, so they stay) and nothing else.
    const problems = check.output.split('\n').filter((l) => l !== '').sort();
    expect(problems).toEqual(
      ['celery_active_consumer_count', 'celery_active_process_count', 'celery_active_worker_count']
        .filter((n) => r.text.includes(`\n${n}{`))
        .map((n) => `${n} non-histogram and non-summary metrics should not have "_count" suffix`),
    );
    expect(check.exitCode).toBe(problems.length === 0 ? 0 : 3);
  });

  it('/health is 200 with one line while the broker is up and the worker is online', async () => {
    const r = await fetchText(`${base}/health`);
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/^OK: broker connected, [1-9]\d* workers? online\n$/);
    expect((await fetchText(`${base}/nope`)).status).toBe(404);
  });

  it('polls queue lengths (a real queue, --queue) and who consumes each queue (active_queues, stats)', async () => {
    const gauge = async (name: string, q: string) => sampleValue(await scrape(), name, { queue_name: q });
    expect(await gauge('celery_queue_length', idle)).toBe(0);
    await runWorkload({ broker, queue: idle, call: { task: 'tasks.add', args: [1, 1], count: 4 } });
    await waitFor('the idle queue length to reach 4', async () => ((await gauge('celery_queue_length', idle)) === 4 ? true : undefined), 20_000);
    expect(await queueLength(broker, idle)).toBe(4);
    // The worker's queue: seen in task events, consumed by our one worker and its 2 pool processes.
    await waitFor('our worker to be counted on its queue', async () => ((await gauge('celery_active_worker_count', queue)) === 1 ? true : undefined), 20_000);
    expect(await gauge('celery_active_process_count', queue)).toBe(2);
    expect(await gauge('celery_active_worker_count', idle)).toBe(0);
    expect(await gauge('celery_queue_length', queue)).toBe(0);
    if (kind === 'amqp') expect(await gauge('celery_active_consumer_count', queue)).toBe(1);
    else expect(await gauge('celery_active_consumer_count', queue)).toBeUndefined(); // exporter.py: amqp only
  }, 60_000);

  it("every metric and label celery-exporter's dashboards and alerts query is in the live scrape, with the same type", async () => {
    const e = await scrape();
    const exprs = allMixinExpressions();
    const has = (name: string, label?: string) => e.samples.some((x) => x.name === name && (label === undefined || x.labels[label] !== undefined));
    const names = mixinMetricNames(exprs);
    expect(names.size).toBeGreaterThanOrEqual(12);
    for (const name of names) {
      const { family, suffix } = familyOf(name, (f) => e.types.has(f));
      const want = suffix !== null ? 'histogram' : name.endsWith('_total') ? 'counter' : 'gauge';
      expect([name, e.types.get(family), has(name)]).toEqual([name, want, true]);
    }
    for (const { metric, label } of mixinSelectors(exprs)) expect([metric, label, has(metric, label)]).toEqual([metric, label, true]);
    for (const { label, metrics } of mixinGroupBy(exprs)) expect([label, metrics.some((m) => has(m, label))]).toEqual([label, true]);
    for (const label of mixinLabelRefs()) expect([label, e.samples.some((x) => x.name.startsWith('celery_') && x.labels[label] !== undefined)]).toEqual([label, true]);
  });

  it('celery_worker_up goes to 0 (and stays, not removed) after the worker is SIGKILLed', async () => {
    expect(sampleValue(await scrape(), 'celery_worker_up', { hostname: HOST })).toBe(1);
    await worker.kill('SIGKILL');
    await waitFor('worker_up to drop to 0', async () => (sampleValue(await scrape(), 'celery_worker_up', { hostname: HOST }) === 0 ? true : undefined), 60_000);
    expect(sampleValue(await scrape(), 'celery_worker_tasks_active', { hostname: HOST })).toBe(0);
  }, 90_000);
});

describe('clearly server --metrics: the port rules', () => {
  const broker = BROKERS.redis;
  const occupy = (port: number): Promise<Server | null> =>
    new Promise((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(null)); // taken by someone else: just as taken
      s.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(s));
    });

  it('exits 75 naming the port and the flag when an explicit --metrics port is taken', async () => {
    const s = (await occupy(0))!;
    const port = (s.address() as { port: number }).port;
    try {
      const r = await runClearly(['server', '--broker', broker, '--store', 'memory', '--port', '0', '--metrics', `127.0.0.1:${port}`]);
      expect(r.exitCode).toBe(75);
      expect(r.stderr).toContain(`cannot serve metrics on 127.0.0.1:${port}: the port is taken`);
      expect(r.stderr).toContain('--metrics (CLEARLY_METRICS)');
      // The same through the environment variable.
      const env = await runClearly(['server', '--broker', broker, '--store', 'memory', '--port', '0'], { env: { CLEARLY_METRICS: `127.0.0.1:${port}` } });
      expect(env.exitCode).toBe(75);
    } finally {
      s.close();
    }
  });

  it('warns once and runs without metrics when the default 127.0.0.1:9808 is taken', async () => {
    const s = await occupy(9808);
    const server = spawnClearly(['server', '--broker', broker, '--store', 'memory', '--port', '0'], { env: { CLEARLY_METRICS: undefined } });
    try {
      await server.waitForStderr(/server listening on/, 20_000);
      await sleep(300);
      const err = server.stderr();
      expect(err.match(/cannot serve metrics on 127\.0\.0\.1:9808: the port is taken/g)).toHaveLength(1);
      expect(err).toContain('running without /metrics');
      expect(err).not.toContain('metrics on http://');
    } finally {
      const r = await server.stop('SIGTERM');
      s?.close();
      expect(r.exitCode).toBe(0);
    }
  });

  it('/health is 503 with one line when no event arrives and no worker is online (--health-silence)', async () => {
    // This file's own Redis db: only its workers publish there, and they are stopped by now.
    const quiet = redisDb(BROKERS.redis, ISOLATED_DB.metrics);
    const server = spawnClearly(['server', '--broker', quiet, '--store', 'memory', '--port', '0', '--metrics', '127.0.0.1:0', '--health-silence', '2s']);
    try {
      const m = await server.waitForStderr(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/, 20_000);
      const health = () => fetchText(`http://127.0.0.1:${m[1]}/health`);
      expect((await health()).status).toBe(200); // just started
      const r = await waitFor('a 503', async () => {
        const h = await health();
        return h.status === 503 ? h : undefined;
      }, 15_000);
      expect(r.text).toMatch(/^no event received since start for \d+s and no worker online \(are workers started with -E\?\)\n$/);
    } finally {
      await server.stop('SIGTERM');
    }
  });

  it('/health is 503 naming the broker, and clearly_broker_connected 0, while the broker is down; 200 and 1 once it is back', async () => {
    // A Redis of this test's own, on a free port, to stop and start again (the shared ones stay up).
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'clearly-redis-'));
    const redis = (): ChildProcess => spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    let r = redis();
    const url = `redis://127.0.0.1:${port}/0`;
    await waitFor('the private redis to accept connections', async () => ((await assertBrokerReachable(url).then(() => true, () => false)) ? true : undefined), 15_000);
    const server = spawnClearly(['server', '--broker', url, '--store', 'memory', '--port', '0', '--metrics', '127.0.0.1:0', '--health-silence', '1h']);
    try {
      const m = await server.waitForStderr(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/, 20_000);
      const at = `http://127.0.0.1:${m[1]}`;
      const connected = async () => sampleValue(parseExposition((await fetchText(`${at}/metrics`)).text), 'clearly_broker_connected', {});
      const up = await fetchText(`${at}/health`);
      expect([up.status, await connected()]).toEqual([200, 1]);
      r.kill('SIGKILL');
      const down = await waitFor('a 503 while the broker is down', async () => {
        const h = await fetchText(`${at}/health`);
        return h.status === 503 ? h : undefined;
      }, 30_000);
      expect(down.text).toBe(`broker ${url} reconnecting: no events until it is back\n`);
      expect(await connected()).toBe(0);
      r = redis();
      await waitFor('a 200 once the broker is back', async () => ((await fetchText(`${at}/health`)).status === 200 ? true : undefined), 45_000);
      expect(await connected()).toBe(1);
    } finally {
      await server.stop('SIGTERM');
      r.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('--metrics-buckets / --metrics-queue-wait-buckets reach the server: a bad list is a usage error (2) naming the flag', async () => {
    for (const flag of ['--metrics-buckets', '--metrics-queue-wait-buckets']) {
      const r = await runClearly(['server', '--broker', broker, '--store', 'memory', '--port', '0', '--metrics', '127.0.0.1:0', flag, '5,1']);
      expect([flag, r.exitCode]).toEqual([flag, 2]);
      expect(r.stderr).toContain(`${flag} must be increasing numbers of seconds separated by commas, got "5,1"`);
    }
  });

  it('--metrics off serves nothing', async () => {
    const server = spawnClearly(['server', '--broker', broker, '--store', 'memory', '--port', '0', '--metrics', 'off']);
    try {
      await server.waitForStderr(/server listening on/, 20_000);
      expect(server.stderr()).not.toMatch(/metrics/);
    } finally {
      await server.stop('SIGTERM');
    }
  });
});

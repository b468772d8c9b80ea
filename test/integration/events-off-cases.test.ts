/**
 * The other two "events off" cases with real Celery workers on both brokers (the first, a worker
 * without -E, is events-off.test.ts): a worker that sends no events at all (`--without-heartbeat`,
 * no -E) but answers the remote control, and publishers that send no task-sent. Each is said once
 * on stderr of `watch --broker` and of `server`, with its fix; the worker's verdict is in
 * `workers --json` and `stats`, and `check --max-events-off` alerts on it. A broker of its own
 * (RabbitMQ vhost, Redis db): whether any publisher sends task-sent is a verdict over all traffic.
 * And `server --enable-events` switching a worker without -E on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKER_KINDS, ISOLATED_DB, assertBrokerReachable, BROKERS, uniqueQueue } from '../helpers/brokers.js';
import { assertCeleryAvailable, runWorkload, startWorker, type WorkerHandle } from '../helpers/celery.js';
import { runClearly, spawnClearly, type ClearlyProcess } from '../helpers/cli.js';
import { isolatedBroker, type IsolatedBroker } from '../helpers/isolated.js';

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.each(BROKER_KINDS)('events off on %s: no events at all, no task-sent', (kind) => {
  let iso: IsolatedBroker;
  let mute: WorkerHandle | undefined;
  let worker: WorkerHandle | undefined;
  const running: ClearlyProcess[] = [];
  const queue = uniqueQueue('clearly-evcase');
  const muteQueue = uniqueQueue('clearly-evmute');

  beforeAll(async () => {
    await assertCeleryAvailable();
    await assertBrokerReachable(BROKERS[kind]);
    iso = await isolatedBroker(kind, 'evcases', ISOLATED_DB.eventsOff);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop('SIGINT')));
    await Promise.all([mute?.kill('SIGKILL'), worker?.kill('SIGKILL')]);
    await iso?.dispose();
  }, 60_000);

  it('a worker that answers the remote control but sends no heartbeat: said once with the fix, in workers --json, stats and check', async () => {
    mute = await startWorker({ broker: iso.url, queues: [muteQueue], taskEvents: false, extraArgs: ['--without-heartbeat'] });
    // Started after the worker: the session's wake-up heartbeat request is what the worker answers.
    const watch = spawnClearly(['watch', '--broker', iso.url, '--json', '--workers']);
    const server = spawnClearly(['server', '--broker', iso.url, '--port', '0', '--store', 'memory']);
    running.push(watch, server);
    const [, port] = await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 20_000);
    const address = `127.0.0.1:${port}`;
    const said = new RegExp(`${escapeRe(mute.hostname)} sends no events at all: it answers the remote control but sent no heartbeat in \\d+s; [^\\n]*Fix: [^\\n]*drop --without-heartbeat[^\\n]*`);
    await watch.waitForStderr(said, 40_000);
    await server.waitForStderr(said, 40_000);
    const workers = (await runClearly(['workers', '--server', address, '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { hostname: string; events: string });
    expect(workers.find((w) => w.hostname === mute!.hostname)?.events).toBe('no-heartbeats');
    const stats = JSON.parse((await runClearly(['stats', '--server', address, '--json'])).stdout) as { workers_without_events: string[] };
    expect(stats.workers_without_events).toEqual([`${mute.hostname} (no-heartbeats)`]);
    const check = await runClearly(['check', '--server', address, '--max-events-off', '0']);
    expect(check.exitCode, check.stdout).toBe(2);
    expect(check.stdout).toBe('CLEARLY CRITICAL - 1 worker without events | events_off=1;;0;0\n');
    const json = await runClearly(['check', '--server', address, '--max-events-off', '0', '--json']);
    expect(json.stdout).toContain(`${mute.hostname} (no-heartbeats)`);
    await new Promise((r) => setTimeout(r, 3000));
    expect(watch.stderr().split(`${mute.hostname} sends no events at all`).length - 1).toBe(1);
    await Promise.all([watch.stop('SIGINT'), server.stop('SIGINT')]);
    await mute.kill('SIGKILL');
    mute = undefined;
  }, 120_000);

  it('publishers that send no task-sent: tasks first seen at RECEIVED, said once with task_send_sent_event, and in stats', async () => {
    worker = await startWorker({ broker: iso.url, queues: [queue] });
    const watch = spawnClearly(['watch', '--broker', iso.url, '--json']);
    const server = spawnClearly(['server', '--broker', iso.url, '--port', '0', '--store', 'memory']);
    running.push(watch, server);
    const [, port] = await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 20_000);
    await watch.waitForStderr(/watching/, 15_000);
    const published = await runWorkload({ broker: iso.url, queue, taskSent: false, call: { task: 'tasks.add', args: [1, 2], count: 4 } });
    const states = await watch.waitForRecords((rs) => published.every((p) => rs.some((r) => r.kind === 'task' && r.uuid === p.id && r.state === 'SUCCESS')), 30_000);
    // No PENDING line: nothing said they were published.
    expect(states.filter((r) => r.kind === 'task' && r.state === 'PENDING')).toEqual([]);
    const said = /no task-sent events: \d+ tasks appeared first at a worker's task-received, so nothing shows while they wait in a queue\. Fix: set task_send_sent_event = True/;
    await watch.waitForStderr(said, 15_000);
    await server.waitForStderr(said, 15_000);
    const stats = JSON.parse((await runClearly(['stats', '--server', `127.0.0.1:${port}`, '--json'])).stdout) as { task_sent_missing: boolean };
    expect(stats.task_sent_missing).toBe(true);
    expect(watch.stderr().match(/no task-sent events/g)).toHaveLength(1);
    await Promise.all([watch.stop('SIGINT'), server.stop('SIGINT')]);
  }, 120_000);

  it('server --enable-events switches a worker without -E on, says which, and its tasks then reach the server', async () => {
    const q = uniqueQueue('clearly-evserver');
    const blind = await startWorker({ broker: iso.url, queues: [q], taskEvents: false });
    try {
      const server = spawnClearly(['server', '--broker', iso.url, '--port', '0', '--store', 'memory', '--enable-events']);
      running.push(server);
      const [, port] = await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 20_000);
      await server.waitForStderr(new RegExp(`--enable-events: switched task events on in [^\\n]*${escapeRe(blind.hostname)}`), 20_000);
      const published = await runWorkload({ broker: iso.url, queue: q, call: { task: 'tasks.add', args: [4, 5], count: 2 } });
      const deadline = Date.now() + 30_000;
      let done: { uuid: string; worker: string | null }[] = [];
      while (Date.now() < deadline) {
        const r = await runClearly(['tasks', '--server', `127.0.0.1:${port}`, '--json', '--state', 'SUCCESS', '--worker', `^${escapeRe(blind.hostname)}$`]);
        done = r.stdout.trim() === '' ? [] : r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { uuid: string; worker: string | null });
        if (published.every((p) => done.some((t) => t.uuid === p.id))) break;
        await new Promise((res) => setTimeout(res, 300));
      }
      expect(published.map((p) => done.find((t) => t.uuid === p.id)?.worker)).toEqual(published.map(() => blind.hostname));
      // Said once, not every 5 s.
      await new Promise((r) => setTimeout(r, 6000));
      expect(server.stderr().split('--enable-events: switched task events on').length - 1).toBe(1);
      await server.stop('SIGINT');
    } finally {
      await blind.kill('SIGKILL');
    }
  }, 120_000);
});

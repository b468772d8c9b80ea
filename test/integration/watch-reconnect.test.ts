/**
 * `clearly watch --server` outlives a restart of the server: the BUILT server on a fixed port, fed
 * by the load generator on a RabbitMQ vhost of our own; the server is stopped and a new one
 * started on the same port. watch must keep running, say once that it lost the server and once
 * that it is back, and print tasks the new server heard of (ones it never saw before the restart).
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBrokerReachable, BROKERS, ISOLATED_DB } from '../helpers/brokers.js';
import { runClearly, spawnClearly, spawnNode, type ClearlyProcess, type TaskRecord } from '../helpers/cli.js';
import { isolatedBroker, type IsolatedBroker } from '../helpers/isolated.js';

const GENERATOR = fileURLToPath(new URL('../../dist/bench/generator/cli.js', import.meta.url));

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

describe('watch --server across a server restart', () => {
  let iso: IsolatedBroker;
  const running: ClearlyProcess[] = [];

  beforeAll(async () => {
    await assertBrokerReachable(BROKERS.amqp);
    iso = await isolatedBroker('amqp', 'reconnect', ISOLATED_DB.generator);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop('SIGKILL', 1000)));
    await iso?.dispose();
  }, 60_000);

  const startServer = async (port: number, extra: string[] = []): Promise<ClearlyProcess> => {
    const server = spawnClearly(['server', '--broker', iso.url, '--port', String(port), ...extra]);
    running.push(server);
    await server.waitForStderr(/server listening on/, 20_000);
    return server;
  };

  it('reconnects with backoff, says so once, and prints tasks from the new server', async () => {
    const port = await freePort();
    const first = await startServer(port);
    const generator = spawnNode([GENERATOR, '--broker', iso.url, '--rate', '40', '--duration', '60', '--seed', '3']);
    running.push(generator);
    const watch = spawnClearly(['watch', '--server', `127.0.0.1:${port}`, '--json']);
    running.push(watch);
    await watch.waitForRecords((rs) => rs.length >= 5, 20_000);

    const stopped = await first.stop('SIGTERM');
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    await watch.waitForStderr(/reconnecting/, 10_000);
    const before = new Set(watch.records().flatMap((r) => (r.kind === 'task' ? [r.uuid] : [])));
    // What the new server heard of before watch got back comes first, marked resumed: none older than what watch had.
    const newestBefore = Math.max(...watch.records().flatMap((r) => (r.kind === 'task' ? [r.timestamp] : [])));
    // Long enough for a few attempts to be refused: watch must not give up meanwhile.
    await new Promise((r) => setTimeout(r, 2500));
    expect(watch.stderr()).not.toMatch(/no clearly server/);

    await startServer(port);
    await watch.waitForStderr(/reconnected to the clearly server at 127\.0\.0\.1:\d+ after \d+\.\ds/, 20_000);
    const fresh = await watch.waitForRecord(
      (r) => r.kind === 'task' && r.state === 'PENDING' && !before.has((r as TaskRecord).uuid),
      20_000,
    );
    expect(fresh.kind).toBe('task');

    for (const r of watch.records() as Array<TaskRecord & { resumed?: boolean }>) {
      if (r.resumed === true) expect(r.timestamp).toBeGreaterThanOrEqual(newestBefore);
    }

    const result = await watch.stop('SIGINT');
    expect(result.exitCode, result.stderr).toBe(0);
    // Said once each, not once per attempt.
    expect(result.stderr.match(/reconnecting/g)).toHaveLength(1);
    expect(result.stderr.match(/reconnected to/g)).toHaveLength(1);
    expect(result.stderr).toMatch(/reconnected 1 time\b/);
    await generator.stop('SIGINT');
  }, 120_000);

  it('with a store, watch --json misses no task the server changed while it was away: they come first, marked resumed', async () => {
    const port = await freePort();
    const store = join(mkdtempSync(join(tmpdir(), 'clearly-reconnect-')), 'history.sqlite');
    const first = await startServer(port, ['--store', store]);
    const generator = spawnNode([GENERATOR, '--broker', iso.url, '--rate', '60', '--duration', '60', '--seed', '4']);
    running.push(generator);
    const watch = spawnClearly(['watch', '--server', `127.0.0.1:${port}`, '--json']);
    running.push(watch);
    await watch.waitForRecords((rs) => rs.length >= 5, 20_000);
    await first.stop('SIGTERM');
    await watch.waitForStderr(/reconnecting/, 10_000);
    const newestBefore = Math.max(...watch.records().flatMap((r) => (r.kind === 'task' ? [r.timestamp] : [])));
    // The new server on the same store hears tasks before watch's next attempt reaches it.
    const second = await startServer(port, ['--store', store]);
    await watch.waitForStderr(/reconnected to the clearly server/, 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    await generator.stop('SIGINT');
    await new Promise((r) => setTimeout(r, 1500));
    const stored = await runClearly(['tasks', '--json', '--limit', '0', '--server', `127.0.0.1:${port}`]);
    expect(stored.exitCode, stored.stderr).toBe(0);
    const shown = new Map<string, TaskRecord & { resumed?: boolean }>();
    for (const r of watch.records()) if (r.kind === 'task') shown.set(r.uuid, r);
    const changedSince = stored.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TaskRecord)
      .filter((t) => t.timestamp >= newestBefore);
    expect(changedSince.length).toBeGreaterThan(0);
    expect(changedSince.filter((t) => !shown.has(t.uuid)).map((t) => t.uuid)).toEqual([]);
    const resumed = watch.records().filter((r) => r.kind === 'task' && (r as { resumed?: boolean }).resumed === true) as TaskRecord[];
    expect(resumed.length).toBeGreaterThan(0);
    for (const r of resumed) expect(r.timestamp).toBeGreaterThanOrEqual(newestBefore);
    await watch.stop('SIGINT');
    await second.stop('SIGTERM');
  }, 120_000);

  it('still exits 69 at once when there is no server to begin with', async () => {
    const port = await freePort();
    const watch = spawnClearly(['watch', '--server', `127.0.0.1:${port}`, '--json']);
    running.push(watch);
    const result = await watch.result;
    expect(result.exitCode).toBe(69);
    expect(result.stderr).toMatch(/no clearly server at 127\.0\.0\.1/);
  }, 30_000);
});

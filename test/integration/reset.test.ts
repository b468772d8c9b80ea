/**
 * `clearly reset` asks on a terminal (through a pseudo-terminal: script(1)), `--yes` skips the
 * question, and without a terminal it never asks. A BUILT server on the Redis broker that knows
 * one real Celery worker, so there is something to forget.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBrokerReachable, BROKERS, uniqueQueue } from '../helpers/brokers.js';
import { startWorker, type WorkerHandle } from '../helpers/celery.js';
import { CLEARLY_BIN, REPO_ROOT, runClearly, spawnClearly, type ClearlyProcess } from '../helpers/cli.js';

/** `clearly <args>` on a pseudo-terminal, `typed` as what the person types; CRLF turned into LF. */
async function onTerminal(args: readonly string[], typed: string): Promise<{ exitCode: number | undefined; out: string }> {
  const command = [process.execPath, CLEARLY_BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = await execa('script', ['-qec', command, '/dev/null'], { cwd: REPO_ROOT, env: { NO_COLOR: '1' }, input: typed, reject: false, timeout: 20_000 });
  return { exitCode: r.exitCode, out: r.stdout.replace(/\r/g, '').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '') };
}

describe('reset: asks on a terminal, never elsewhere', () => {
  let server: ClearlyProcess;
  let address: string;
  let worker: WorkerHandle;

  const workersKnown = async (): Promise<number> => {
    const r = await runClearly(['workers', '--json', '--server', address]);
    return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
  };
  const untilWorkerKnown = async (): Promise<void> => {
    for (let i = 0; i < 60 && (await workersKnown()) === 0; i++) await new Promise((r) => setTimeout(r, 250));
    expect(await workersKnown()).toBeGreaterThan(0);
  };

  beforeAll(async () => {
    await assertBrokerReachable(BROKERS.redis);
    server = spawnClearly(['server', '--broker', BROKERS.redis, '--store', 'memory', '--port', '0']);
    const [, port] = await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 20_000);
    address = `127.0.0.1:${port}`;
    worker = await startWorker({ broker: BROKERS.redis, queues: [uniqueQueue('clearly-reset')] });
    await untilWorkerKnown();
  });

  afterAll(async () => {
    await worker?.stop();
    await server?.stop('SIGTERM');
  });

  it('on a terminal, answered no: says what it would forget, forgets nothing, exit 1', async () => {
    const r = await onTerminal(['reset', '--server', address], 'n\n');
    expect(r.out).toMatch(new RegExp(`forget the \\d+ tasks? and \\d+ workers? the clearly server at ${address.replace(/\./g, '\\.')} holds\\? \\[y/N\\]`));
    expect(r.out).toContain('clearly: reset cancelled: nothing forgotten (--yes skips the question)');
    expect(r.exitCode).toBe(1);
    expect(await workersKnown()).toBeGreaterThan(0);
  });

  it('on a terminal, answered y: forgets', async () => {
    const r = await onTerminal(['reset', '--server', address], 'y\n');
    expect(r.out).toContain('[y/N]');
    expect(r.out).toMatch(/forgot \d+ tasks? and [1-9]\d* workers?/);
    expect(r.exitCode).toBe(0);
  });

  it('on a terminal with --yes: no question', async () => {
    await untilWorkerKnown(); // heartbeats bring it back
    const r = await onTerminal(['reset', '--yes', '--server', address], '');
    expect(r.out).not.toContain('[y/N]');
    expect(r.out).toMatch(/forgot \d+ tasks? and [1-9]\d* workers?/);
    expect(r.exitCode).toBe(0);
  });

  it('without a terminal: never asks, resets', async () => {
    await untilWorkerKnown();
    const r = await runClearly(['reset', '--server', address], { input: 'n\n' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^forgot \d+ tasks? and [1-9]\d* workers?\n$/);
  });
});

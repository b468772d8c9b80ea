/**
 * Library errors become one line of ours naming the cause and the fix (issue 17): a RabbitMQ vhost
 * that does not exist, a port in use, ioredis' password warning, a number flag given a word; and
 * the one duration syntax on `watch --timeout`. Runs the BUILT CLI against the test brokers.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBrokerReachable, BROKERS } from '../helpers/brokers.js';
import { runClearly } from '../helpers/cli.js';

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

function withVhost(url: string, vhost: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(vhost)}`;
  return u.toString();
}

function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = password;
  return u.toString();
}

describe('library errors, said as ours', () => {
  beforeAll(async () => {
    await assertBrokerReachable(BROKERS.amqp);
    await assertBrokerReachable(BROKERS.redis);
  });

  const vhost = `clearly-nosuch-${process.pid}`;
  it.each([
    [['watch', '--broker']],
    [['tasks', '--active', '--broker']],
    [['stats', '--broker']],
  ])('a vhost RabbitMQ does not have (%j): exit 69, one line with the cause and the fix', async (args) => {
    const r = await runClearly([...args, withVhost(BROKERS.amqp, vhost)]);
    expect(r.exitCode, r.stderr).toBe(69);
    expect(r.stdout).toBe('');
    const [line, ...rest] = lines(r.stderr);
    expect(rest).toEqual([]);
    expect(line).toContain(`RabbitMQ has no vhost "${vhost}", or user`);
    expect(line).toContain(`rabbitmqctl add_vhost '${vhost}'`);
    expect(line).not.toContain('ConnectionOpenOk');
  });

  describe('a port in use', () => {
    let taken: Server;
    let port: number;
    beforeAll(async () => {
      taken = createServer();
      await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
      port = (taken.address() as { port: number }).port;
    });
    afterAll(() => {
      taken.close();
    });

    it('server: exit 69, our line only (no gRPC log before it)', async () => {
      const r = await runClearly(['server', '--broker', BROKERS.redis, '--store', 'memory', '--port', String(port)]);
      expect(r.exitCode, r.stderr).toBe(69);
      expect(lines(r.stderr)).toEqual([
        `clearly: cannot listen on 127.0.0.1:${port}: port ${port} on 127.0.0.1 is in use (another clearly server?): stop that one, or choose another port with --port (0: any free port)`,
      ]);
    });
  });

  it("a password Redis does not need: one line of ours, none of ioredis' warnings", async () => {
    const r = await runClearly(['watch', '--broker', withPassword(BROKERS.redis, 'not-needed'), '--timeout', '1']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('[WARN]');
    expect(lines(r.stderr).filter((l) => l.includes('password'))).toEqual([
      'clearly: the Redis server needs no password but its URL gives one (ignored, it works): remove the password from the URL to silence this',
    ]);
  });

  it.each([
    [['tasks', '--limit', 'abc'], 'clearly: --limit must be a whole number ≥ 0 (0 = all), got "abc"'],
    [['watch', '--count', 'many'], 'clearly: --count must be a whole number ≥ 1, got "many"'],
    [['server', '--port', 'http'], 'clearly: --port must be a whole number from 0 to 65535, got "http"'],
  ])('%j: exit 2, what was typed, not NaN', async (args, line) => {
    const r = await runClearly([...args, ...(args[0] === 'server' ? ['--broker', BROKERS.redis] : ['--server', '127.0.0.1:1'])]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual([line]);
  });
});

describe('watch --timeout takes the duration syntax of every seconds flag', () => {
  it.each([['1s500ms'], ['0m2s'], ['1.5']])('--timeout %s', async (timeout) => {
    const t0 = Date.now();
    const r = await runClearly(['watch', '--broker', BROKERS.redis, '--timeout', timeout]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    expect(r.stderr).toMatch(/0 records .* in (1\.[4-9]|2\.\d)s/);
  });

  it('refuses what is not one, before connecting', async () => {
    const r = await runClearly(['watch', '--broker', BROKERS.redis, '--timeout', '1m5x']);
    expect(r.exitCode).toBe(2);
    expect(lines(r.stderr)).toEqual(['clearly: --timeout: expected a duration such as 30s, 2m, 1h30m or 500ms, got "1m5x"']);
  });
});

describe('every flag that takes a time reads the one duration syntax', () => {
  // Nothing listens on port 1: a command that got past its flags would fail to connect instead.
  const S = ['--server', '127.0.0.1:1'];
  const B = (): string[] => ['--broker', BROKERS.redis];
  const cases: readonly (readonly [string, () => string[], number])[] = [
    ['watch --timeout', () => ['watch', ...S, '--timeout'], 2],
    ['demo --timeout', () => ['demo', '--timeout'], 2],
    ['task --timeout', () => ['task', 'abc', '--wait', ...S, '--timeout'], 2],
    ['workers --timeout', () => ['workers', ...B(), '--timeout'], 2],
    ['tasks --timeout', () => ['tasks', ...B(), '--active', '--timeout'], 2],
    ['enable-events --timeout', () => ['enable-events', ...B(), '--timeout'], 2],
    ['failures --for', () => ['failures', ...B(), '--for'], 2],
    ['server --retention', () => ['server', ...B(), '--retention'], 2],
    ['server --health-silence', () => ['server', ...B(), '--health-silence'], 2],
    ['server --metrics-queue-interval', () => ['server', ...B(), '--metrics-queue-interval'], 2],
    ['diagnose --timeout', () => ['diagnose', ...B(), '--timeout'], 3],
    ['check --timeout', () => ['check', ...B(), '--min-workers', '1', '--timeout'], 3],
    ['check --listen', () => ['check', ...B(), '--min-workers', '1', '--listen'], 3],
    ['check --window', () => ['check', ...S, '--max-failures', '1', '--window'], 3],
    ['check --max-silence', () => ['check', ...S, '--max-silence'], 3],
    ['check --max-stuck', () => ['check', ...S, '--max-stuck'], 3],
    ['check --max-heartbeat-age', () => ['check', ...S, '--max-heartbeat-age'], 3],
  ];
  it.each(cases)('%s: 1m30x is refused by the duration parser, nothing runs', async (name, args, code) => {
    const flag = name.split(' ')[1]!;
    const r = await runClearly([...args(), '1m30x'], { timeoutMs: 15_000 });
    expect(r.exitCode, r.stderr).toBe(code);
    expect(lines(r.stderr)).toEqual([`clearly: ${flag}: expected a duration such as 30s, 2m, 1h30m or 500ms, got "1m30x"`]);
  });
  it.each(['tasks', 'failures', 'export'])('%s --since: a duration ago or a time', async (command) => {
    const r = await runClearly([command, ...S, '--since', '1m30x']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--since: expected a duration ago (30m, 1h, 2d) or a time');
  });
});

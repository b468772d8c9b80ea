/**
 * The tap's options with the Cadasta-style app (test/celery/cadasta.py, events off) on both
 * brokers: a server tapping through `CLEARLY_TAP` (protocol 2 and protocol 1 messages, whole args
 * in `tasks --json`, and a Celery group's id as each of its tasks' `group`); `--tap-exchange --tap-durable` keeping a durable queue capped at
 * `--tap-max-length` (RabbitMQ: `x-max-length`; Redis: trimmed when read), so only the newest
 * messages published while clearly was away are read; a killed clearly's own queue removed
 * (RabbitMQ: exclusive; Redis: by the next clearly on the host); and the tap reconnecting by
 * itself when the broker drops its connection.
 */
import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { BROKERS, BROKER_KINDS, assertBrokerReachable, deleteQueue, uniqueQueue, withRedis, type BrokerKind } from '../helpers/brokers.js';
import { CELERY_DIR, PYTHON, assertCeleryAvailable } from '../helpers/celery.js';
import { runClearly, spawnClearly, type ClearlyProcess, type ClearlyRecord } from '../helpers/cli.js';

const run = promisify(execFile);
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Tapped {
  kind: string;
  uuid: string;
  name: string | null;
  state: string;
  args: unknown;
  group?: string | null;
}

/** Local ports of `pid`'s established connections to the broker's port. */
async function portsOf(pid: number, brokerPort: number): Promise<number[]> {
  const { stdout } = await run('ss', ['-tnpH', 'state', 'established', `( dport = :${brokerPort} )`]);
  return stdout
    .split('\n')
    .filter((l) => l.includes(`pid=${pid},`))
    .map((l) => Number(/^\s*\d+\s+\d+\s+\S+:(\d+)\s/.exec(l)?.[1]))
    .filter((p) => Number.isInteger(p) && p > 0);
}

/** Drops the tap's own connection (named `clearly tap` / `clearly-tap`) of process `pid`, as a broker restart would. */
async function dropTapConnection(kind: BrokerKind, broker: string, pid: number): Promise<void> {
  const brokerPort = Number(new URL(broker).port) || (kind === 'amqp' ? 5672 : 6379);
  const ports = new Set(await portsOf(pid, brokerPort));
  if (kind === 'amqp') {
    const { stdout } = await run('rabbitmqctl', ['list_connections', 'pid', 'peer_port', 'client_properties', '-q', '--no-table-headers'], { timeout: 30_000 });
    const rows = stdout.split('\n').map((l) => l.split('\t')).filter((r) => ports.has(Number(r[1])) && (r[2] ?? '').includes('clearly tap'));
    expect(rows).toHaveLength(1);
    await run('rabbitmqctl', ['close_connection', rows[0]![0]!, 'clearly test: the tap connection dropped'], { timeout: 30_000 });
    return;
  }
  await withRedis(broker, async (r) => {
    const list = (await r.call('CLIENT', 'LIST')) as string;
    const ids = list
      .split('\n')
      .filter((l) => / name=clearly-tap /.test(l) && ports.has(Number(/ addr=[^ ]+:(\d+) /.exec(l)?.[1])))
      .map((l) => /^id=(\d+)/.exec(l)?.[1]);
    expect(ids).toHaveLength(1);
    await r.call('CLIENT', 'KILL', 'ID', ids[0]!);
  });
}

describe.each(BROKER_KINDS)('tap options on %s (Cadasta-style topology, events off)', (kind) => {
  const broker = BROKERS[kind];
  const exchange = uniqueQueue('clearly-cadasta-ex');
  const work = uniqueQueue('clearly-cadasta-work');
  const monitor = uniqueQueue('clearly-cadasta-monitor');
  const env = { CLEARLY_TEST_BROKER: broker, CADASTA_EXCHANGE: exchange, CADASTA_WORK_QUEUE: work, CADASTA_MONITOR_QUEUE: monitor };
  const durableQueue = `clearly.tap.${exchange}.${hostname()}`;
  const running: ClearlyProcess[] = [];

  const cadasta = async <T>(...args: string[]): Promise<T> => {
    const r = await execa(PYTHON, ['cadasta.py', ...args], { cwd: CELERY_DIR, env: { ...env, PYTHONDONTWRITEBYTECODE: '1' }, timeout: 60_000 });
    return (r.stdout.trim() === '' ? undefined : JSON.parse(r.stdout.trim())) as T;
  };
  const spawn = (args: string[], extraEnv: Record<string, string> = {}): ClearlyProcess => {
    const p = spawnClearly(args, { env: extraEnv });
    running.push(p);
    return p;
  };
  const tasksOf = (rs: ClearlyRecord[]): Tapped[] => rs.filter((r) => r.kind === 'task') as unknown as Tapped[];

  beforeAll(async () => {
    await assertCeleryAvailable();
    await assertBrokerReachable(broker);
    await cadasta('declare');
  }, 90_000);

  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop('SIGINT')));
    for (const q of [work, monitor, durableQueue]) await deleteQueue(broker, q).catch(() => undefined);
    if (kind === 'redis') await withRedis(broker, (r) => r.del(`_kombu.binding.${exchange}`));
  });

  it('a server tapping through CLEARLY_TAP records protocol 2 and protocol 1 messages with their whole args', async () => {
    const server = spawn(['server', '--broker', broker, '--port', '0', '--store', 'memory'], { CLEARLY_TAP: monitor });
    await server.waitForStderr(new RegExp(`tapping task messages from ${escapeRe(monitor)}`), 20_000);
    const [, port] = await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 20_000);
    const v2 = await cadasta<{ export: string }>('publish');
    const v1 = await cadasta<{ export: string }>('publish-v1');
    const deadline = Date.now() + 30_000;
    let tasks: Tapped[] = [];
    while (Date.now() < deadline) {
      const r = await runClearly(['tasks', '--server', `127.0.0.1:${port}`, '--json', '--limit', '0', '--pattern', '^cadasta\\.']);
      tasks = r.stdout.trim() === '' ? [] : r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Tapped);
      if ([v2.export, v1.export].every((id) => tasks.some((t) => t.uuid === id))) break;
      await new Promise((res) => setTimeout(res, 300));
    }
    expect(tasks.find((t) => t.uuid === v2.export)).toMatchObject({ name: 'cadasta.export', state: 'PENDING', args: ['x'.repeat(5000)] });
    expect(tasks.find((t) => t.uuid === v1.export)).toMatchObject({ name: 'cadasta.export', state: 'PENDING', args: ['y'.repeat(5000)] });
    await server.stop('SIGINT');
  }, 90_000);

  it("a Celery group(...), in protocol 2 and protocol 1, is recorded with the GroupResult's id as each task's group", async () => {
    const server = spawn(['server', '--broker', broker, '--port', '0', '--store', 'memory'], { CLEARLY_TAP: monitor });
    await server.waitForStderr(new RegExp(`tapping task messages from ${escapeRe(monitor)}`), 20_000);
    const [, port] = await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 20_000);
    const address = `127.0.0.1:${port}`;
    type Published = { group: string; ids: string[] };
    const v2 = await cadasta<Published>('publish-group');
    const v1 = await cadasta<Published>('publish-group', 'v1');
    const plain = await cadasta<{ export: string }>('publish-v1');
    const want = [...v2.ids, ...v1.ids, plain.export];
    expect(v2.ids).toHaveLength(2);
    const deadline = Date.now() + 30_000;
    let tasks: Tapped[] = [];
    while (Date.now() < deadline) {
      const r = await runClearly(['tasks', '--server', address, '--json', '--limit', '0', '--pattern', '^cadasta\\.']);
      tasks = r.stdout.trim() === '' ? [] : r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Tapped);
      if (want.every((id) => tasks.some((t) => t.uuid === id))) break;
      await new Promise((res) => setTimeout(res, 300));
    }
    const groupOf = (id: string): string | null | undefined => tasks.find((t) => t.uuid === id)?.group;
    expect(v2.ids.map(groupOf)).toEqual([v2.group, v2.group]);
    expect(v1.ids.map(groupOf)).toEqual([v1.group, v1.group]);
    expect(v1.group).not.toBe(v2.group);
    // A task not sent in a group: the field is there, null.
    expect(groupOf(plain.export)).toBeNull();
    // `task UUID` shows it among the task's family.
    const text = await runClearly(['task', v2.ids[0]!, '--server', address]);
    expect(text.stdout).toContain(`group ${v2.group}`);
    await server.stop('SIGINT');
  }, 90_000);

  it('--tap-durable keeps a durable queue capped at --tap-max-length: only the newest messages published meanwhile are read', async () => {
    const args = ['watch', '--broker', broker, '--tap-exchange', exchange, '--tap-durable', '--tap-max-length', '2', '--json'];
    const first = spawn(args);
    await first.waitForStderr(new RegExp(`tapping task messages from ${escapeRe(durableQueue)}`), 20_000);
    await first.stop('SIGINT');
    if (kind === 'amqp') {
      const { stdout } = await run('rabbitmqctl', ['list_queues', '-p', new URL(broker).pathname.slice(1) || '/', 'name', 'durable', 'arguments', '-q', '--no-table-headers']);
      const row = stdout.split('\n').find((l) => l.startsWith(`${durableQueue}\t`));
      // Still there after clearly stopped, durable, with the cap.
      expect(row).toMatch(/\ttrue\t.*x-max-length.*\b2\b/);
    } else {
      const members = await withRedis(broker, (r) => r.smembers(`_kombu.binding.${exchange}`));
      expect(members.filter((m) => m.endsWith(durableQueue))).toHaveLength(1);
    }
    const { ids } = await cadasta<{ ids: string[] }>('publish-n', '5');
    const second = spawn(args);
    await second.waitForRecords((rs) => ids.slice(3).every((id) => tasksOf(rs).some((t) => t.uuid === id)), 30_000);
    // A marker published now comes after anything else still queued: then nothing older can follow.
    const { ids: marker } = await cadasta<{ ids: string[] }>('publish-n', '1');
    const rs = await second.waitForRecords((all) => tasksOf(all).some((t) => t.uuid === marker[0]), 30_000);
    const seen = tasksOf(rs).map((t) => t.uuid);
    expect(ids.filter((id) => seen.includes(id))).toEqual(ids.slice(3));
    expect(tasksOf(rs).find((t) => t.uuid === ids[4])?.args).toEqual(['4'.repeat(5000)]);
    await second.stop('SIGINT');
  }, 120_000);

  it("a clearly killed while tapping leaves nothing that fills: RabbitMQ drops its queue, on Redis the next clearly removes the list", async () => {
    const first = spawn(['watch', '--broker', broker, '--tap-exchange', exchange, '--json']);
    const [, own] = await first.waitForStderr(/tapping task messages from (\S+)/, 20_000);
    await first.stop('SIGKILL');
    if (kind === 'amqp') {
      // Exclusive: gone with the connection.
      const vhost = decodeURIComponent(new URL(broker).pathname.slice(1)) || '/';
      const deadline = Date.now() + 15_000;
      let names: string[] = [];
      do {
        const { stdout } = await run('rabbitmqctl', ['list_queues', '-p', vhost, 'name', '-q', '--no-table-headers']);
        names = stdout.split('\n');
        if (!names.includes(own!)) break;
        await new Promise((r) => setTimeout(r, 300));
      } while (Date.now() < deadline);
      expect(names).not.toContain(own);
      return;
    }
    // Redis has no auto-delete: the binding outlived it, and kombu fills the list.
    const bound = async (): Promise<boolean> => (await withRedis(broker, (r) => r.smembers(`_kombu.binding.${exchange}`))).some((m) => m.endsWith(own!));
    expect(await bound()).toBe(true);
    await cadasta('publish');
    expect(await withRedis(broker, (r) => r.llen(own!))).toBeGreaterThan(0);
    const next = spawn(['watch', '--broker', broker, '--tap-exchange', exchange, '--json']);
    await next.waitForStderr(new RegExp(`removed ${escapeRe(own!)}: left bound by a clearly on this host that died without closing`), 20_000);
    await next.waitForStderr(/tapping task messages from/, 20_000);
    expect(await bound()).toBe(false);
    expect(await withRedis(broker, (r) => r.exists(own!))).toBe(0);
    await next.stop('SIGINT');
  }, 90_000);

  it('the tap reconnects when the broker drops its connection, says so, and taps again', async () => {
    const watch = spawn(['watch', '--broker', broker, '--tap', monitor, '--json']);
    await watch.waitForStderr(new RegExp(`tapping task messages from ${escapeRe(monitor)}`), 20_000);
    await dropTapConnection(kind, broker, watch.pid!);
    await watch.waitForStderr(/the tap lost its connection to .+; reconnecting/, 20_000);
    await watch.waitForStderr(/the tap reconnected to .+ after \d+\.\ds; task messages queued meanwhile are read now/, 30_000);
    const ids = await cadasta<{ export: string }>('publish');
    const rs = await watch.waitForRecords((all) => tasksOf(all).some((t) => t.uuid === ids.export), 30_000);
    expect(tasksOf(rs).find((t) => t.uuid === ids.export)?.args).toEqual(['x'.repeat(5000)]);
    // The event source's connection was not touched: only the tap's.
    expect(watch.stderr()).not.toMatch(/lost the connection to/);
    await watch.stop('SIGINT');
  }, 90_000);
});

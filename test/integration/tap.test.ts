/**
 * The task-monitor tap with a Cadasta-style app (test/celery/cadasta.py) on both brokers: one
 * topic exchange, the work queue bound by routing key, a task-monitor queue bound with `#`, and
 * events OFF everywhere (no task-sent, no task events). `watch --broker --tap task-monitor` still
 * records every task: a 5 KB argument arrives whole (the events' repr would be cut at 1024), a
 * pickle-serialised task is recorded from its headers without being unpickled. `--tap-exchange`
 * does the same with a queue of clearly's own bound with `#`, removed again when it stops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { BROKERS, BROKER_KINDS, assertBrokerReachable, deleteQueue, uniqueQueue, withRedis } from '../helpers/brokers.js';
import { CELERY_DIR, PYTHON, assertCeleryAvailable, startWorker, type WorkerHandle } from '../helpers/celery.js';
import { spawnClearly, type ClearlyProcess } from '../helpers/cli.js';

interface Tapped {
  kind: string;
  uuid: string;
  name: string | null;
  state: string;
  args: unknown;
  args_repr: string | null;
  routing_key: string | null;
  exchange: string | null;
  body?: string;
}

describe.each(BROKER_KINDS)('the tap on %s (Cadasta-style topology, events off)', (kind) => {
  const broker = BROKERS[kind];
  const exchange = uniqueQueue('clearly-cadasta-ex');
  const work = uniqueQueue('clearly-cadasta-work');
  const monitor = uniqueQueue('clearly-cadasta-monitor');
  const env = { CLEARLY_TEST_BROKER: broker, CADASTA_EXCHANGE: exchange, CADASTA_WORK_QUEUE: work, CADASTA_MONITOR_QUEUE: monitor };
  let worker: WorkerHandle | undefined;
  let watch: ClearlyProcess | undefined;

  const cadasta = async (cmd: 'declare' | 'publish'): Promise<{ export: string; pickled: string }> => {
    const r = await execa(PYTHON, ['cadasta.py', cmd], { cwd: CELERY_DIR, env: { ...env, PYTHONDONTWRITEBYTECODE: '1' }, timeout: 60_000 });
    return cmd === 'publish' ? (JSON.parse(r.stdout.trim()) as { export: string; pickled: string }) : { export: '', pickled: '' };
  };

  beforeAll(async () => {
    await assertCeleryAvailable();
    await assertBrokerReachable(broker);
    await cadasta('declare');
    worker = await startWorker({ broker, app: 'cadasta', queues: [work], taskEvents: false, env });
  }, 90_000);

  afterAll(async () => {
    await watch?.stop('SIGINT');
    await worker?.kill('SIGKILL');
    for (const q of [work, monitor]) await deleteQueue(broker, q).catch(() => undefined);
  });

  it('--tap task-monitor records every task with its whole args, and a pickle without unpickling it', async () => {
    watch = spawnClearly(['watch', '--broker', broker, '--tap', monitor, '--json']);
    await watch.waitForStderr(new RegExp(`tapping task messages from ${monitor}`), 20_000);
    const ids = await cadasta('publish');
    const records = (await watch.waitForRecords(
      (rs) => [ids.export, ids.pickled].every((id) => rs.some((r) => r.kind === 'task' && r.uuid === id)),
      30_000,
    )) as unknown as Tapped[];
    const exp = records.find((r) => r.uuid === ids.export)!;
    expect(exp).toMatchObject({ name: 'cadasta.export', state: 'PENDING', exchange, routing_key: `${work}.export` });
    expect(exp.args).toEqual(['x'.repeat(5000)]);
    // The header's repr is cut as the events' is; the whole value came from the body.
    expect((exp.args_repr ?? '').length).toBeLessThan(1100);
    const pick = records.find((r) => r.uuid === ids.pickled)!;
    expect(pick).toMatchObject({ name: 'cadasta.pickled', state: 'PENDING', args_repr: '({1, 2},)', args: [[1, 2]] });
    expect(pick.body).toMatch(/^<pickle, \d+ bytes>$/);
    // The worker did run them: events are off, so only the tap shows them.
    await worker!.waitForLog(new RegExp(`cadasta\\.export\\[${ids.export}\\] succeeded`), 30_000);
    await watch.stop('SIGINT');
    watch = undefined;
  }, 90_000);

  it("--tap-exchange binds a queue of clearly's own with # and removes it at the end", async () => {
    watch = spawnClearly(['watch', '--broker', broker, '--tap-exchange', exchange, '--json']);
    const [, own] = await watch.waitForStderr(/tapping task messages from (\S+)/, 20_000);
    expect(own).toContain(`clearly.tap.${exchange}`);
    const queues = async (): Promise<string[][]> => {
      const vhost = decodeURIComponent(new URL(broker).pathname.slice(1)) || '/';
      const r = await execa('rabbitmqctl', ['list_queues', '-p', vhost, 'name', 'durable', 'auto_delete', 'exclusive', '-q', '--no-table-headers'], { timeout: 30_000 });
      return r.stdout.split('\n').map((l) => l.split('\t'));
    };
    // RabbitMQ: not durable, auto-deleted and exclusive, so it goes with clearly's connection.
    if (kind === 'amqp') expect((await queues()).find((r) => r[0] === own)?.slice(1)).toEqual(['false', 'true', 'true']);
    const ids = await cadasta('publish');
    const records = (await watch.waitForRecords((rs) => rs.some((r) => r.kind === 'task' && r.uuid === ids.export), 30_000)) as unknown as Tapped[];
    expect(records.find((r) => r.uuid === ids.export)?.args).toEqual(['x'.repeat(5000)]);
    await watch.stop('SIGINT');
    watch = undefined;
    if (kind === 'redis') {
      const members = await withRedis(broker, (r) => r.smembers(`_kombu.binding.${exchange}`));
      expect(members.some((m) => m.includes('clearly.tap.'))).toBe(false);
      expect(await withRedis(broker, (r) => r.exists(own!))).toBe(0);
    } else expect((await queues()).some((r) => r[0] === own)).toBe(false);
  }, 90_000);

  it('tapped tasks that no event follows are said once to come from workers that send no events, with the fix', async () => {
    watch = spawnClearly(['watch', '--broker', broker, '--tap', monitor, '--json']);
    await watch.waitForStderr(new RegExp(`tapping task messages from ${monitor}`), 20_000);
    const ids = await cadasta('publish');
    await watch.waitForRecords((rs) => rs.some((r) => r.kind === 'task' && r.uuid === ids.export), 30_000);
    await worker!.waitForLog(new RegExp(`cadasta\\.export\\[${ids.export}\\] succeeded`), 30_000);
    // Looked for every 10 s, once a tapped task has had no event for 30 s.
    const [line, n] = await watch.waitForStderr(/(\d+) tapped tasks? ha(?:s|ve) had no event for 30s: their workers send no task events[^\n]*/, 60_000);
    expect(Number(n)).toBeGreaterThanOrEqual(2);
    expect(line).toMatch(/Fix: start the workers with -E \(or clearly enable-events\); `clearly diagnose --broker URL` says which$/);
    // The export task did run: events are off, so it is still PENDING here.
    expect(watch.records().filter((r) => r.kind === 'task' && r.uuid === ids.export).map((r) => r.state)).toEqual(['PENDING']);
    await new Promise((r) => setTimeout(r, 11_000));
    expect(watch.stderr().match(/tapped tasks? ha(?:s|ve) had no event/g)).toHaveLength(1);
    await watch.stop('SIGINT');
    watch = undefined;
  }, 120_000);
});

describe.each(BROKER_KINDS)('the tap on %s with events on', (kind) => {
  const broker = BROKERS[kind];
  const exchange = uniqueQueue('clearly-cadasta-ex');
  const work = uniqueQueue('clearly-cadasta-work');
  const monitor = uniqueQueue('clearly-cadasta-monitor');
  const env = { CLEARLY_TEST_BROKER: broker, CADASTA_EXCHANGE: exchange, CADASTA_WORK_QUEUE: work, CADASTA_MONITOR_QUEUE: monitor, CADASTA_EVENTS: '1' };
  let worker: WorkerHandle | undefined;
  let watch: ClearlyProcess | undefined;

  beforeAll(async () => {
    await assertBrokerReachable(broker);
    await execa(PYTHON, ['cadasta.py', 'declare'], { cwd: CELERY_DIR, env, timeout: 60_000 });
    worker = await startWorker({ broker, app: 'cadasta', queues: [work], env });
  }, 90_000);

  afterAll(async () => {
    await watch?.stop('SIGINT');
    await worker?.kill('SIGKILL');
    for (const q of [work, monitor]) await deleteQueue(broker, q).catch(() => undefined);
  });

  it('tap and events merge into one task each: it reaches SUCCESS with the whole args', async () => {
    watch = spawnClearly(['watch', '--broker', broker, '--tap', monitor, '--json']);
    await watch.waitForStderr(new RegExp(`tapping task messages from ${monitor}`), 20_000);
    const r = await execa(PYTHON, ['cadasta.py', 'publish'], { cwd: CELERY_DIR, env, timeout: 60_000 });
    const ids = JSON.parse(r.stdout.trim()) as { export: string };
    const records = (await watch.waitForRecords(
      (rs) => rs.some((x) => x.kind === 'task' && x.uuid === ids.export && x.state === 'SUCCESS'),
      30_000,
    )) as unknown as Tapped[];
    const mine = records.filter((x) => x.uuid === ids.export);
    // One task: PENDING (task-sent and the tapped copy merge), then the worker's states.
    expect([...new Set(mine.map((x) => x.state))]).toEqual(['PENDING', 'RECEIVED', 'STARTED', 'SUCCESS']);
    expect(mine.at(-1)!.args).toEqual(['x'.repeat(5000)]);
  }, 90_000);
});

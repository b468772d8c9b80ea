/**
 * The task-monitor tap with a Cadasta-style app (test/celery/cadasta.py) on both brokers: one
 * topic exchange, the work queue bound by routing key, a task-monitor queue bound with `#`, and
 * events OFF everywhere (no task-sent, no task events). `watch --broker --tap task-monitor` still
 * records every task: a 5 KB argument arrives whole (the events' repr would be cut at 1024), a
 * pickle-serialised task is recorded from its headers without being unpickled. `--tap-exchange`
 * does the same with a queue of clearly's own bound with `#`, removed again when it stops.
 * A tapped task with a password and a nested api_key never shows them (redaction covers the
 * tap's whole args as well as the reprs): not in `watch --broker --tap`, nor from a server that
 * taps (`watch`, `tasks`, `task`, `export`, `/metrics`, its store's files).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { BROKERS, BROKER_KINDS, assertBrokerReachable, deleteQueue, uniqueQueue, withRedis } from '../helpers/brokers.js';
import { CELERY_DIR, PYTHON, assertCeleryAvailable, startWorker, type WorkerHandle } from '../helpers/celery.js';
import { runClearly, spawnClearly, type ClearlyProcess } from '../helpers/cli.js';

interface Tapped {
  kind: string;
  uuid: string;
  name: string | null;
  state: string;
  args: unknown;
  args_repr: string | null;
  args_truncated?: boolean;
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
      // SUCCESS, and the tapped copy merged in (the whole args), whichever came last.
      (rs) => rs.some((x) => x.kind === 'task' && x.uuid === ids.export && x.state === 'SUCCESS') && (rs.filter((x) => x.kind === 'task' && x.uuid === ids.export).at(-1) as unknown as Tapped).args_truncated === false,
      30_000,
    )) as unknown as Tapped[];
    const mine = records.filter((x) => x.uuid === ids.export);
    // One task: PENDING (task-sent and the tapped copy merge), then the worker's states. Under
    // load the worker's task-received may overtake both the publisher's task-sent and the tapped
    // copy: then they come late, move nothing back, and no PENDING line is printed.
    const states = [...new Set(mine.map((x) => x.state))];
    expect(states[0] === 'PENDING' ? states.slice(1) : states).toEqual(['RECEIVED', 'STARTED', 'SUCCESS']);
    // The last line has what each side brings: the worker from the events, the whole args from the tap.
    expect(mine.at(-1)).toMatchObject({ state: 'SUCCESS', worker: worker!.hostname, args: ['x'.repeat(5000)], routing_key: `${work}.export` });
  }, 90_000);
});

describe('the tap on amqp: a name RabbitMQ does not have', () => {
  beforeAll(() => assertBrokerReachable(BROKERS.amqp));
  it.each([
    ['--tap', 'queue'],
    ['--tap-exchange', 'exchange'],
  ])('%s: exit 69, one line naming the missing %s (not a missing vhost, no "lost its connection")', async (flag, what) => {
    const name = uniqueQueue('clearly-no-such');
    const r = await runClearly(['watch', '--broker', BROKERS.amqp, flag, name, '--json'], { timeoutMs: 20_000 });
    expect(r.exitCode, r.stderr).toBe(69);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^clearly: cannot tap RabbitMQ at .*: RabbitMQ has no ${what} "${name}" in vhost "`));
  });
});

describe.each(BROKER_KINDS)('the tap on %s never shows a secret', (kind) => {
  const broker = BROKERS[kind];
  const exchange = uniqueQueue('clearly-cadasta-ex');
  const work = uniqueQueue('clearly-cadasta-work');
  const monitor = uniqueQueue('clearly-cadasta-monitor');
  const env = { CLEARLY_TEST_BROKER: broker, CADASTA_EXCHANGE: exchange, CADASTA_WORK_QUEUE: work, CADASTA_MONITOR_QUEUE: monitor };
  const SECRETS = ['hunter2', 'AKIA-TAP-SECRET'];
  const dir = mkdtempSync(join(tmpdir(), 'clearly-tap-redact-'));
  const storePath = join(dir, 'store.sqlite');
  const procs: ClearlyProcess[] = [];
  let server: ClearlyProcess;
  let tapped: ClearlyProcess; // watch --broker --tap-exchange (redaction on by default)
  let raw: ClearlyProcess; // the same with --redact ''
  let live: ClearlyProcess; // watch --server
  let address: string;
  let metricsUrl: string;
  let id: string;

  const spawn = (args: string[]): ClearlyProcess => {
    const p = spawnClearly(args, { timeoutMs: 300_000 });
    procs.push(p);
    return p;
  };
  const noSecret = (where: string, text: string): void => {
    for (const x of SECRETS) expect(text.includes(x), `${where} shows ${x}`).toBe(false);
  };
  const mine = (p: ClearlyProcess): string => p.lines().filter((l) => l.includes(id)).join('\n');

  beforeAll(async () => {
    await assertCeleryAvailable();
    await assertBrokerReachable(broker);
    await execa(PYTHON, ['cadasta.py', 'declare'], { cwd: CELERY_DIR, env, timeout: 60_000 });
    // No worker: the tap records the task from its message alone (events are off anyway).
    server = spawn(['server', '--broker', broker, '--tap', monitor, '--port', '0', '--store', storePath, '--metrics', '127.0.0.1:0']);
    address = `127.0.0.1:${(await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+) /, 20_000))[1]}`;
    metricsUrl = `http://127.0.0.1:${(await server.waitForStderr(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/, 20_000))[1]}/metrics`;
    await server.waitForStderr(new RegExp(`tapping task messages from ${monitor}`), 20_000);
    tapped = spawn(['watch', '--broker', broker, '--tap-exchange', exchange, '--json', '--params']);
    raw = spawn(['watch', '--broker', broker, '--tap-exchange', exchange, '--json', '--params', '--redact', '']);
    live = spawn(['watch', '--server', address, '--json', '--params']);
    await Promise.all([tapped, raw].map((p) => p.waitForStderr(/tapping task messages from /, 20_000)));
    await live.waitForStderr(/watching /, 20_000);
    const r = await execa(PYTHON, ['cadasta.py', 'publish-secret'], { cwd: CELERY_DIR, env: { ...env, PYTHONDONTWRITEBYTECODE: '1' }, timeout: 60_000 });
    id = (JSON.parse(r.stdout.trim()) as { login: string }).login;
    for (const p of [tapped, raw, live]) await p.waitForRecord((x) => x.kind === 'task' && x.uuid === id, 30_000);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGINT')));
    for (const q of [work, monitor]) await deleteQueue(broker, q).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("with --redact '' the tapped task shows its secrets (so the checks below can fail)", () => {
    const text = mine(raw);
    for (const x of SECRETS) expect(text).toContain(x);
  });

  it('watch --broker --tap-exchange and watch --server: the whole args with the secrets as ***', () => {
    for (const [where, p] of [['watch --broker --tap-exchange', tapped], ['watch --server (a server with --tap)', live]] as const) {
      const text = mine(p);
      noSecret(where, text);
      const rec = p.records().find((x) => x.kind === 'task' && x.uuid === id) as unknown as Tapped & { kwargs: unknown };
      expect(rec.args, where).toEqual([{ user: 'bob', creds: { api_key: '***', region: 'eu' } }]);
      expect(rec.kwargs, where).toEqual({ password: '***' });
      expect(rec.args_repr ?? '', where).toContain("'api_key': '***'");
    }
  });

  it('tasks, task, export and /metrics of the server that taps: no secret', async () => {
    const list = await runClearly(['tasks', '--server', address, '--json', '--limit', '0']);
    expect(list.stdout).toContain(id);
    noSecret('tasks --json', list.stdout);
    const json = await runClearly(['task', id, '--server', address, '--json']);
    expect(json.exitCode, json.stderr).toBe(0);
    expect(json.stdout).toContain('***');
    noSecret('task --json', json.stdout);
    const text = await runClearly(['task', id, '--server', address, '--no-color']);
    expect(text.stdout).toContain('cadasta.login');
    noSecret('task', text.stdout);
    const exported = await runClearly(['export', '--server', address]);
    expect(exported.stdout).toContain(id);
    noSecret('export', exported.stdout);
    const metrics = await (await fetch(metricsUrl)).text();
    expect(metrics).toMatch(/celery_task_sent_total\{[^}]*name="cadasta\.login"/);
    noSecret('/metrics', metrics);
  });

  it("the server's store files: the tapped task, no secret", async () => {
    expect((await server.stop('SIGTERM', 15_000)).exitCode).toBe(0);
    const all = readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString('latin1')).join('');
    expect(all).toContain(id);
    noSecret('the store', all);
  });
});

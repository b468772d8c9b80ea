/**
 * Secrets redacted at the source, end to end: a real Celery task called with password='hunter2'
 * and an api_key nested in its args (short, and long enough that the event's reprs are cut and the
 * whole result comes from the Redis result backend) never shows its secrets in `watch` (from the
 * server and straight from the broker), `tasks`, `task` (text and JSON, and `--wait --broker
 * --backend` without a server), `export` (from the server and from the store) or the store's
 * files; records captured with redaction off are redacted by `import`, `export --store` and a
 * server that loads such a store; nor in `/metrics`, in `failures --broker` (a task failing with
 * the password in its message) or in `tasks --broker --scheduled` (the workers' own copy of a
 * task's args). `--redact ''` on a second `watch --broker` (and `failures`, `tasks --broker`) shows
 * them, so the checks can fail.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBrokerReachable, BROKERS, deleteQueue, RESULT_BACKEND, uniqueQueue } from '../helpers/brokers.js';
import { runWorkload, startWorker, type PublishedTask, type WorkerHandle } from '../helpers/celery.js';
import { runClearly, spawnClearly, type ClearlyProcess, type ClearlyRecord } from '../helpers/cli.js';

const broker = BROKERS.redis;
const SECRETS = ['hunter2', 'AKIA-SECRET-1', 'tok-SECRET-2'];
const isDone = (id: string) => (r: ClearlyRecord) => r.kind === 'task' && r.uuid === id && r.state === 'SUCCESS';

describe('redaction at the source (redis, real Celery worker and result backend)', () => {
  const queue = uniqueQueue('clearly-redact');
  const dir = mkdtempSync(join(tmpdir(), 'clearly-redact-'));
  const storePath = join(dir, 'store.sqlite');
  let server: ClearlyProcess;
  let live: ClearlyProcess;
  let direct: ClearlyProcess;
  let raw: ClearlyProcess;
  let worker: WorkerHandle;
  let address: string;
  let tasks: PublishedTask[];
  let failed: PublishedTask;
  let scheduled: PublishedTask;
  let metricsUrl: string;
  let failuresRedacted: ClearlyProcess;
  let failuresRaw: ClearlyProcess;

  beforeAll(async () => {
    await assertBrokerReachable(broker);
    server = spawnClearly(['server', '--broker', broker, '--backend', RESULT_BACKEND, '--port', '0', '--store', storePath, '--metrics', '127.0.0.1:0'], {
      timeoutMs: 300_000,
    });
    const m = await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+) /, 20_000);
    address = `127.0.0.1:${m[1]}`;
    metricsUrl = `http://127.0.0.1:${(await server.waitForStderr(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/, 20_000))[1]}/metrics`;
    // A live window long enough for the tasks below (it prints what failed when it ends).
    failuresRedacted = spawnClearly(['failures', '--broker', broker, '--for', '30s', '--json'], { timeoutMs: 120_000 });
    failuresRaw = spawnClearly(['failures', '--broker', broker, '--for', '30s', '--json', '--redact', ''], { timeoutMs: 120_000 });
    live = spawnClearly(['watch', '--server', address, '--json', '--params'], { timeoutMs: 300_000 });
    direct = spawnClearly(['watch', '--broker', broker, '--json', '--params'], { timeoutMs: 300_000 });
    // Redaction off through the variable (CLEARLY_REDACT='' is --redact '').
    raw = spawnClearly(['watch', '--broker', broker, '--json', '--params'], { timeoutMs: 300_000, env: { CLEARLY_REDACT: '' } });
    await Promise.all([direct, raw].map((p) => p.waitForStderr(/watching /, 20_000)));
    await Promise.all([failuresRedacted, failuresRaw].map((p) => p.waitForStderr(/listening to /, 20_000)));
    worker = await startWorker({ broker, backend: RESULT_BACKEND, queues: [queue] });
    const nested = { user: 'bob', creds: { api_key: 'AKIA-SECRET-1', region: 'eu' } };
    const short = await runWorkload({
      broker,
      backend: RESULT_BACKEND,
      queue,
      call: { task: 'tasks.echo', args: [nested, 'plain'], kwargs: { password: 'hunter2', headers: { Authorization: 'tok-SECRET-2' } } },
    });
    // Over 1024 characters: the event's reprs are cut before the secret's value ends or even
    // starts, and the whole result is read from the backend.
    const long = await runWorkload({
      broker,
      backend: RESULT_BACKEND,
      queue,
      call: { task: 'tasks.echo', args: ['L'.repeat(1000), nested], kwargs: { note: 'N'.repeat(900), password: 'hunter2' } },
    });
    tasks = [...short, ...long];
    // Its exception's message quotes the password.
    failed = (await runWorkload({ broker, backend: RESULT_BACKEND, queue, call: { task: 'tasks.fail', kwargs: { message: 'login refused: password=hunter2' }, expect: 'FAILURE' } }))[0]!;
    // Held by the worker for five minutes: `tasks --broker --scheduled` reads the worker's own copy.
    scheduled = (await runWorkload({ broker, backend: RESULT_BACKEND, queue, call: { task: 'tasks.echo', args: [nested], kwargs: { password: 'hunter2' }, countdown: 300 } }))[0]!;
    for (const p of [live, direct, raw]) {
      for (const t of tasks) await p.waitForRecord(isDone(t.id), 45_000);
      await p.waitForRecord((r) => r.kind === 'task' && r.uuid === failed.id && r.state === 'FAILURE', 45_000);
      await p.waitForRecord((r) => r.kind === 'task' && r.uuid === scheduled.id && r.state === 'RECEIVED', 45_000);
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all([live, direct, raw, failuresRedacted, failuresRaw].map((p) => p?.stop('SIGKILL')));
    await worker?.stop();
    await server?.stop('SIGKILL');
    await deleteQueue(broker, queue).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const noSecret = (where: string, text: string): void => {
    for (const s of SECRETS) expect(text.includes(s), `${where} shows ${s}`).toBe(false);
  };
  const ours = (p: ClearlyProcess) => p.lines().filter((l) => tasks.some((t) => l.includes(t.id))).join('\n');

  it('redaction off shows the secrets (so the other checks can fail)', () => {
    const text = ours(raw);
    for (const s of SECRETS) expect(text).toContain(s);
    expect(raw.lines().filter((l) => l.includes(failed.id)).join('\n')).toContain('password=hunter2');
  });

  it("/metrics: the tasks' series, no secret", async () => {
    const res = await fetch(metricsUrl);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toMatch(/celery_task_succeeded_total\{[^}]*name="tasks\.echo"/);
    expect(body).toMatch(/celery_task_failed_total\{[^}]*exception="HarnessError"[^}]*\} [1-9]/);
    noSecret('/metrics', body);
  });

  it('failures --broker: the message grouped without the password (and with it when --redact is off)', async () => {
    const [red, rawR] = await Promise.all([failuresRedacted.result, failuresRaw.result]);
    expect(red.exitCode, red.stderr).toBe(0);
    expect(rawR.exitCode, rawR.stderr).toBe(0);
    expect(rawR.stdout).toContain('hunter2');
    expect(red.stdout).toContain('HarnessError');
    expect(red.stdout).toContain('login refused');
    expect(red.stdout).toContain('***');
    noSecret('failures --broker', red.stdout + red.stderr);
  }, 90_000);

  it("tasks --broker --scheduled: the worker's copy of the args, redacted", async () => {
    const red = await runClearly(['tasks', '--broker', broker, '--scheduled', '--json']);
    expect(red.exitCode, red.stderr).toBe(0);
    const mine = red.stdout.split('\n').filter((l) => l.includes(scheduled.id));
    expect(mine).toHaveLength(1);
    expect(JSON.parse(mine[0]!)).toMatchObject({ kwargs: { password: '***' } });
    expect(mine[0]).toContain('bob');
    noSecret('tasks --broker --scheduled', red.stdout);
    const text = await runClearly(['tasks', '--broker', broker, '--scheduled', '--no-color']);
    expect(text.stdout).toContain(scheduled.id.slice(0, 8));
    noSecret('tasks --broker --scheduled (text)', text.stdout);
    const off = await runClearly(['tasks', '--broker', broker, '--scheduled', '--json', '--redact', '']);
    expect(off.stdout.split('\n').filter((l) => l.includes(scheduled.id)).join('')).toContain('hunter2');
  });

  it('watch from the server and straight from the broker: no secret, the rest kept', () => {
    for (const [where, p] of [['watch (server)', live], ['watch --broker', direct]] as const) {
      const text = ours(p);
      noSecret(where, text);
      expect(text).toContain('***');
      expect(text).toContain('bob');
      expect(text).toContain('eu');
    }
    const first = direct.records().find((r) => r.kind === 'task' && r.uuid === tasks[0]!.id && r.kwargs !== null);
    expect(first).toBeDefined();
    expect((first as { kwargs: unknown }).kwargs).toEqual({ password: '***', headers: { Authorization: '***' } });
  });

  it('tasks and task (JSON and text, the whole result from the backend): no secret', async () => {
    const list = await runClearly(['tasks', '--server', address, '--json', '--limit', '0']);
    expect(list.exitCode).toBe(0);
    for (const t of tasks) expect(list.stdout).toContain(t.id);
    noSecret('tasks --json', list.stdout);
    for (const t of tasks) {
      const json = await runClearly(['task', t.id, '--server', address, '--json']);
      expect(json.exitCode).toBe(0);
      noSecret(`task ${t.id} --json`, json.stdout);
      expect(json.stdout).toContain('***');
      const text = await runClearly(['task', t.id, '--server', address, '--no-color']);
      expect(text.exitCode).toBe(0);
      noSecret(`task ${t.id}`, text.stdout);
    }
    const exported = await runClearly(['export', '--server', address]);
    expect(exported.exitCode).toBe(0);
    for (const t of tasks) expect(exported.stdout).toContain(t.id);
    noSecret('export', exported.stdout);
    const long = JSON.parse((await runClearly(['task', tasks[1]!.id, '--server', address, '--json'])).stdout) as Record<string, unknown>;
    expect(long['result_source']).toBe('backend');
    expect(JSON.stringify(long['result'])).toContain('"api_key":"***"');
  });

  it('task --wait straight from the broker and the result backend: no secret', async () => {
    for (const t of tasks) {
      const r = await runClearly(['task', t.id, '--wait', '--broker', broker, '--backend', RESULT_BACKEND, '--json', '--timeout', '20s']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain('***');
      noSecret(`task ${t.id} --wait --broker`, r.stdout + r.stderr);
    }
  });

  it("the store's files never hold a secret", async () => {
    const stopped = await server.stop('SIGTERM', 15_000);
    expect(stopped.exitCode).toBe(0);
    const files = readdirSync(dir);
    expect(files.some((f) => f.startsWith('store.sqlite'))).toBe(true);
    let all = '';
    for (const f of files) all += readFileSync(join(dir, f)).toString('latin1');
    for (const t of tasks) expect(all).toContain(t.id);
    noSecret('the store', all);
    const exported = await runClearly(['export', '--store', storePath]);
    expect(exported.exitCode).toBe(0);
    for (const t of tasks) expect(exported.stdout).toContain(t.id);
    noSecret('export --store', exported.stdout);
  });

  it("records with secrets (redaction off) are redacted by import, export --store, and a server loading that store", async () => {
    const rawFile = join(dir, 'raw.ndjson');
    writeFileSync(rawFile, ours(raw) + '\n');
    const rawStore = join(dir, 'raw.sqlite');
    const kept = await runClearly(['import', '--store', rawStore, '--redact', '', rawFile]);
    expect(kept.exitCode, kept.stderr).toBe(0);
    const onDisk = (prefix: string): string =>
      readdirSync(dir).filter((f) => f.startsWith(prefix)).map((f) => readFileSync(join(dir, f)).toString('latin1')).join('');
    expect(onDisk('raw.sqlite')).toContain('hunter2'); // the check below can fail
    const exported = await runClearly(['export', '--store', rawStore]);
    expect(exported.exitCode).toBe(0);
    for (const t of tasks) expect(exported.stdout).toContain(t.id);
    noSecret('export --store of a store written with redaction off', exported.stdout);
    const cleanStore = join(dir, 'clean.sqlite');
    expect((await runClearly(['import', '--store', cleanStore, rawFile])).exitCode).toBe(0);
    noSecret('a store written by import', onDisk('clean.sqlite'));
    // A server on the store with secrets: what it loads back and what it answers from it.
    const again = spawnClearly(['server', '--broker', broker, '--port', '0', '--store', rawStore], { timeoutMs: 120_000 });
    try {
      const m = await again.waitForStderr(/server listening on 127\.0\.0\.1:(\d+) /, 20_000);
      const list = await runClearly(['tasks', '--server', `127.0.0.1:${m[1]}`, '--json', '--limit', '0']);
      for (const t of tasks) expect(list.stdout).toContain(t.id);
      noSecret('tasks from a server on that store', list.stdout);
      for (const t of tasks) noSecret('task from it', (await runClearly(['task', t.id, '--server', `127.0.0.1:${m[1]}`, '--json'])).stdout);
    } finally {
      await again.stop('SIGTERM');
    }
  });
});

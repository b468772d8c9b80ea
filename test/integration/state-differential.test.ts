/**
 * clearly's state rule against Celery's own State, on 10,000 task lifecycles in realistic delivery
 * orders (test/celery/lifecycles.py: success, failure, retries on two workers, revoked, rejected
 * with and without requeue, ETA; late task-sent, swapped neighbours, duplicates, the final event
 * first, an earlier attempt after the last), published through a real broker exactly as Celery
 * publishes them, read by `clearly watch --broker --json` and by a `clearly server` at once.
 *
 * Every task must end, in watch's last line and in `tasks --json`, in the state the Python side
 * derives on its own: Celery's State's, except where one of the two corrections applies (counted;
 * the Python side also checks that this state is the lifecycle's real outcome). Where they differ
 * the record carries `celery_state`, Celery's state.
 *
 * Each broker kind gets a broker of its own (a vhost, ISOLATED_DB.differential), so nothing else
 * is in the stream.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAmqpPublisher } from '../../bench/generator/publish-amqp.js';
import { openRedisPublisher } from '../../bench/generator/publish-redis.js';
import type { Publisher } from '../../bench/generator/publisher.js';
import { assertBrokerReachable, BROKER_KINDS, BROKERS, ISOLATED_DB } from '../helpers/brokers.js';
import { CELERY_DIR } from '../helpers/celery.js';
import { requireBuilt, runClearly, spawnClearly, type ClearlyProcess } from '../helpers/cli.js';
import { isolatedBroker, type IsolatedBroker } from '../helpers/isolated.js';

interface Expectation {
  celery: string;
  expected: string;
  truth: string;
  correction: 'rejected' | 'finished' | 'both' | null;
  kind: string;
  perturbation: string;
}
interface Expect {
  events: number;
  messages: number;
  tasks: Record<string, Expectation>;
  counts: Record<string, number>;
}
interface Message {
  rk: string;
  hostname: string;
  body: string;
}
interface Line {
  kind: string;
  uuid?: string;
  state?: string;
  celery_state?: string;
}

const TASKS = 10_000;

let dir: string;
let expect_: Expect;
let messages: Message[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'clearly-lifecycles-'));
  await execa('/usr/bin/python3', [join(CELERY_DIR, 'lifecycles.py'), '--out', dir, '--tasks', String(TASKS)], { timeout: 120_000 });
  expect_ = JSON.parse(readFileSync(join(dir, 'expect.json'), 'utf8')) as Expect;
  messages = readFileSync(join(dir, 'messages.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Message);
}, 150_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('the generated lifecycles (Python side)', () => {
  it('are many, end where their real outcome is under the corrected rule, and exercise both corrections', () => {
    const all = Object.values(expect_.tasks);
    expect(all).toHaveLength(TASKS);
    expect(all.filter((t) => t.expected !== t.truth)).toEqual([]);
    // Celery's State is wrong where a correction applies, and only there.
    expect(all.filter((t) => (t.celery !== t.expected) !== (t.correction !== null))).toEqual([]);
    expect(expect_.counts['rejected']).toBeGreaterThan(100);
    expect(expect_.counts['finished']).toBeGreaterThan(100);
  });

  it('cover every lifecycle and every perturbation the issue lists, many times each', () => {
    const all = Object.values(expect_.tasks);
    const count = (key: 'kind' | 'perturbation'): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const t of all) out[t[key]] = (out[t[key]] ?? 0) + 1;
      return out;
    };
    const kinds = count('kind');
    const perturbations = count('perturbation');
    // success, failure, retries on two workers, revoked (expired, while running), rejected with
    // and without requeue, ETA, a publisher that sends no task-sent.
    expect(Object.keys(kinds).sort()).toEqual(
      ['eta', 'expired', 'failure', 'no-sent', 'rejected', 'rejected-requeue', 'retry-failure', 'retry-success', 'revoked-running', 'success'],
    );
    // late task-sent, swapped neighbours, duplicates, the final event first, an earlier attempt after the last.
    expect(Object.keys(perturbations).sort()).toEqual(['dup', 'final-first', 'late-sent', 'none', 'old-attempt-late', 'swap']);
    for (const n of [...Object.values(kinds), ...Object.values(perturbations)]) expect(n).toBeGreaterThan(200);
  });

  it('count each correction where it belongs: a rejection only without requeue, a finish under both late orders', () => {
    const all = Object.values(expect_.tasks);
    const rejected = all.filter((t) => t.correction === 'rejected' || t.correction === 'both');
    expect(rejected.length).toBe(expect_.counts['rejected']! + expect_.counts['both']!);
    expect(rejected.filter((t) => t.kind !== 'rejected')).toEqual([]);
    // A requeued rejection keeps Celery's rank: it is never the rejection correction.
    expect(all.filter((t) => t.kind === 'rejected-requeue' && t.correction === 'rejected')).toEqual([]);
    // Every plain rejection that Celery leaves running is corrected.
    expect(all.filter((t) => t.kind === 'rejected' && t.celery !== 'REJECTED' && t.expected !== 'REJECTED')).toEqual([]);
    const finished = all.filter((t) => t.correction === 'finished');
    expect(finished.length).toBe(expect_.counts['finished']);
    const under = new Set(finished.map((t) => t.perturbation));
    expect(under.has('old-attempt-late') && under.has('final-first')).toBe(true);
  });
});

async function publishAll(url: string, kind: 'amqp' | 'redis'): Promise<void> {
  const publisher: Publisher = kind === 'amqp' ? await openAmqpPublisher(url) : await openRedisPublisher(url);
  try {
    for (const m of messages) {
      const events = m.rk === 'task.multi' ? (JSON.parse(m.body) as unknown[]).length : 1;
      if (!publisher.publish({ routingKey: m.rk, hostname: m.hostname, body: m.body, events })) {
        publisher.flush();
        await publisher.drained();
      }
    }
    publisher.flush();
  } finally {
    await publisher.close();
  }
}

/** The last task line per uuid. */
function finals(lines: readonly Line[]): Map<string, Line> {
  const out = new Map<string, Line>();
  for (const l of lines) if (l.kind === 'task' && l.uuid !== undefined) out.set(l.uuid, l);
  return out;
}

/** What disagrees with the expectation, as short lines (the first few are enough to see why). */
function disagreements(got: Map<string, Line>): string[] {
  const out: string[] = [];
  for (const [uuid, e] of Object.entries(expect_.tasks)) {
    const line = got.get(uuid);
    const celery = e.celery !== e.expected ? e.celery : undefined;
    if (line?.state !== e.expected || line.celery_state !== celery) {
      out.push(`${uuid}: got ${line?.state}/${line?.celery_state}, want ${e.expected}/${celery} (${JSON.stringify(e)})`);
    }
  }
  return out;
}

describe.each(BROKER_KINDS)('%s: clearly ends every task where the corrected rule does', (kind) => {
  let iso: IsolatedBroker;
  let server: ClearlyProcess;
  /**
   * watch's stdout goes to a file, not to this process: while this process publishes 10k
   * lifecycles it reads no pipe, and watch, bounded at 32 MB of unread output, would drop lines
   * (and say so), as it should for a reader that slow.
   */
  let watch: ReturnType<typeof execa>;
  let watchErr = '';
  const watchDir = mkdtempSync(join(tmpdir(), 'clearly-differential-'));
  const watchOut = join(watchDir, 'watch.ndjson');
  let address: string;

  beforeAll(async () => {
    await assertBrokerReachable(BROKERS[kind]);
    iso = await isolatedBroker(kind, 'differential', ISOLATED_DB.differential);
    server = spawnClearly(['server', '--broker', iso.url, '--port', '0', '--max-tasks', String(TASKS * 2)]);
    const [, port] = await server.waitForStderr(/server listening on 127\.0\.0\.1:(\d+)/, 20_000);
    address = `127.0.0.1:${port}`;
    watch = execa('node', [requireBuilt(), 'watch', '--broker', iso.url, '--json'], {
      stdout: { file: watchOut },
      reject: false,
      env: { XDG_STATE_HOME: watchDir, XDG_CACHE_HOME: watchDir, NO_COLOR: '1' },
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`watch did not start:\n${watchErr}`)), 20_000);
      watch.stderr!.setEncoding('utf8').on('data', (d: string) => {
        watchErr += d;
        if (/watching /.test(watchErr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await publishAll(iso.url, kind);
    // Both read the same stream; wait until the server has applied every event.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const r = await runClearly(['stats', '--json', '--server', address]);
      const processed = r.exitCode === 0 ? (JSON.parse(r.stdout) as { events_processed: number }).events_processed : -1;
      if (processed >= expect_.events) break;
      if (Date.now() > deadline) throw new Error(`the server processed ${processed} of ${expect_.events} events`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }, 240_000);

  afterAll(async () => {
    if (watch?.exitCode === null) {
      watch.kill('SIGINT');
      await watch;
    }
    rmSync(watchDir, { recursive: true, force: true });
    await server?.stop('SIGTERM');
    await iso?.dispose();
  });

  it('tasks --json (the server) holds the expected state of all of them, celery_state where Celery differs', async () => {
    const r = await runClearly(['tasks', '--json', '--limit', '0', '--server', address], { timeoutMs: 60_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const got = finals(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line));
    expect(got.size).toBe(TASKS);
    expect(disagreements(got).slice(0, 5)).toEqual([]);
  }, 90_000);

  it('watch --json ends every task on the same state as tasks, never contradicting it', async () => {
    // Let watch drain (it reads the same stream as the server), then stop it.
    // Until its output stops growing for 3 s (a loaded machine needs more than a fixed pause).
    let size = -1;
    for (let quiet = 0, t0 = Date.now(); quiet < 3 && Date.now() - t0 < 60_000; ) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const now = statSync(watchOut).size;
      quiet = now === size ? quiet + 1 : 0;
      size = now;
    }
    watch.kill('SIGINT');
    const result = await watch;
    expect(result.exitCode, watchErr).toBe(0);
    expect(watchErr).toMatch(new RegExp(`from ${expect_.events} events`));
    expect(watchErr).not.toMatch(/dropped/);
    const lines = readFileSync(watchOut, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
    const got = finals(lines);
    expect(got.size).toBe(TASKS);
    expect(disagreements(got).slice(0, 5)).toEqual([]);
  }, 90_000);
});

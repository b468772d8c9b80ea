/**
 * `clearly demo` end to end through the BUILT CLI: a simulated cluster in the process, no broker,
 * into the `watch` view. The records must be the ones `watch --broker` prints for real Celery
 * traffic: task lifecycles in order per task, workers with their fields, filters and --count obeyed.
 */
import { describe, expect, it } from 'vitest';
import { parseRecords, runClearly, type TaskRecord, type WorkerRecord } from '../helpers/cli.js';

const ORDER = ['PENDING', 'RECEIVED', 'STARTED', 'SUCCESS'];
/** No broker anywhere: the demo must not need one (an unreachable one proves it is not used). */
const NO_BROKER = { CLEARLY_BROKER: 'amqp://guest:guest@127.0.0.1:1//', CLEARLY_SERVER: '127.0.0.1:1' };

describe('clearly demo', () => {
  it('prints --count NDJSON records of a simulated cluster, lifecycles in order, and exits 0', async () => {
    const r = await runClearly(['demo', '--json', '--count', '300', '--rate', '2000', '--seed', '7', '--workers'], {
      env: NO_BROKER,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const records = parseRecords(r.stdout);
    expect(records).toHaveLength(300);
    expect(r.stderr).toMatch(/simulated cluster of 4 workers/);
    expect(r.stderr).toMatch(/300 records/);

    const workers = records.filter((x): x is WorkerRecord => x.kind === 'worker');
    expect(new Set(workers.filter((w) => w.state === 'ONLINE').map((w) => w.hostname))).toEqual(
      new Set(['w1@demo', 'w2@demo', 'w3@demo', 'w4@demo']),
    );
    for (const w of workers) expect(w.sw_ident).toBe('py-celery');

    const tasks = records.filter((x): x is TaskRecord => x.kind === 'task');
    expect(tasks.length).toBeGreaterThan(200);
    const byUuid = new Map<string, TaskRecord[]>();
    for (const t of tasks) byUuid.set(t.uuid, [...(byUuid.get(t.uuid) ?? []), t]);
    let finished = 0;
    for (const lines of byUuid.values()) {
      // The never-backwards display: each state a task shows comes after the one before it
      // (a retried task starts over with its next attempt: RETRY, RECEIVED, ...).
      if (lines.some((t) => t.state === 'RETRY' || (t.retries ?? 0) > 0)) continue;
      const ranks = lines.map((t) => ORDER.indexOf(t.state)).filter((i) => i >= 0);
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
      const done = lines.find((t) => t.state === 'SUCCESS');
      if (done !== undefined) {
        finished++;
        expect(done.worker).toMatch(/^w[1-4]@demo$/);
        expect(done.result_repr).not.toBeNull();
        expect(typeof done.runtime).toBe('number');
      }
    }
    expect(finished).toBeGreaterThan(10);
    // Parsed values, not reprs: the generator's `tasks.add` takes two ints.
    const add = tasks.find((t) => t.name === 'tasks.add');
    expect(add?.args).toEqual([expect.any(Number), expect.any(Number)]);
  });

  it('takes the watch filters: --state FAILURE and --pattern only let those through', async () => {
    const r = await runClearly(['demo', '--json', '--count', '5', '--rate', '5000', '--state', 'FAILURE', '--pattern', '^app\\.'], {
      env: NO_BROKER,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const records = parseRecords(r.stdout);
    expect(records).toHaveLength(5);
    for (const t of records as TaskRecord[]) {
      expect(t.kind).toBe('task');
      expect(t.state).toBe('FAILURE');
      expect(t.name).toMatch(/^app\./);
      expect(t.exception).not.toBeNull();
    }
  });

  it('prints text for people without --json and stops at --timeout', async () => {
    const r = await runClearly(['demo', '--timeout', '1', '--rate', '50'], { env: NO_BROKER });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} PENDING +\S+ [0-9a-f-]{36}$/m);
    expect(() => parseRecords(r.stdout)).toThrow();
  });

  it('refuses a bad --rate before printing anything', async () => {
    const r = await runClearly(['demo', '--rate', '0'], { env: NO_BROKER });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--rate/);
  });

  it('neither lists nor takes the flags that need a broker (--tap, --tap-exchange, --enable-events)', async () => {
    const help = await runClearly(['demo', '--help']);
    expect(help.exitCode, help.stderr).toBe(0);
    expect(help.stdout).toContain('--state');
    for (const flag of ['--tap', '--tap-exchange', '--tap-durable', '--tap-max-length', '--enable-events']) expect(help.stdout).not.toMatch(new RegExp(`^\\s+${flag}\\s`, 'm'));
    const r = await runClearly(['demo', '--tap', 'task-monitor', '--count', '1'], { env: NO_BROKER });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/Unknown argument: tap/);
  });

  it('text at 80 columns: a value left out says it is whole in --json (no server holds the demo\'s tasks)', async () => {
    // The simulated reports return results Celery cut at 1024 characters: some will be left out.
    const r = await runClearly(['demo', '--count', '400', '--rate', '2000', '--seed', '7', '--results'], { env: { ...NO_BROKER, COLUMNS: '80' } });
    expect(r.exitCode, r.stderr).toBe(0);
    const markers = r.stdout.split('\n').filter((l) => /^ +… \+\d+ characters/.test(l));
    expect(markers.length).toBeGreaterThan(0);
    for (const m of markers) expect(m).toMatch(/^ {6}… \+\d+ characters: whole in --json( \(Celery cut the rest\))?$/);
  });
});

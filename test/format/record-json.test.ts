/**
 * record-json.ts must print exactly what JSON.stringify(record) would, as UTF-8: same keys, order,
 * values and escaping. Every check here compares bytes with `Buffer.from(JSON.stringify(r))`, on
 * records from the golden captures, from the benchmark's workload, and from random tasks built
 * out of edge values (test/fixtures/record-json-edge.json), whose fields change from one record
 * to the next so the per-task fragments must notice.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildMessages } from '../../bench/lib/messages.js';
import { type Change, type Task, type TaskState, newTask } from '../../src/engine/model.js';
import { Pipeline } from '../../src/engine/pipeline.js';
import { State } from '../../src/engine/state/state.js';
import { changeJsonLines, changeRecords } from '../../src/format/changes.js';
import { recordJsonBytes, taskJsonBytes, TASK_RECORD_KEYS } from '../../src/format/record-json.js';
import { taskRecord, workerRecord, type OutputRecord, type TaskRecord } from '../../src/format/record.js';
import { FIXTURES, loadCapture } from '../helpers/fixtures.js';
import { rng } from '../helpers/rng.js';

const EDGE = JSON.parse(readFileSync(FIXTURES + 'record-json-edge.json', 'utf8')) as { strings: string[]; reprs: string[] };

/** Lines whose bytes differ from JSON.stringify's (at most a few, readable). */
class Mismatches {
  count = 0;
  readonly seen: string[] = [];
  checked = 0;

  /** A record through recordJsonBytes. */
  check(r: OutputRecord): void {
    this.compare(recordJsonBytes(r), r);
  }

  /** A line made some other way, against the record it must equal. */
  compare(bytes: string, r: OutputRecord): void {
    this.checked++;
    const got = Buffer.from(bytes, 'latin1');
    const want = Buffer.from(JSON.stringify(r), 'utf8');
    if (got.equals(want)) return;
    this.count++;
    if (this.seen.length < 3) this.seen.push(`got  ${got.toString('utf8')}\nwant ${want.toString('utf8')}`);
  }
}

/** Every record of the changes, through recordJsonBytes and, as watch --broker does, changeJsonLines. */
function replay(changes: Iterable<Change>, m: Mismatches): void {
  for (const change of changes) {
    const records = changeRecords(change);
    for (const r of records) m.check(r);
    const lines: string[] = [];
    changeJsonLines(change, () => true, (bytes) => lines.push(bytes) > 0);
    expect(lines).toHaveLength(records.length);
    lines.forEach((bytes, i) => m.compare(bytes, records[i]!));
  }
}

function pipelineChanges(messages: Parameters<Pipeline['handle']>[0][], times: number[]): Change[] {
  const changes: Change[] = [];
  const p = new Pipeline(new State({ maxTasks: 1000, maxWorkers: 100 }), (c) => changes.push(c), () => undefined);
  messages.forEach((m, i) => p.handle(m, times[i] ?? 0));
  return changes;
}

const NUMBERS = [0, -0, 1, 2, 0.1, 0.1 + 0.2, 1795255074.1600301, 1e21, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER + 2, -12.5, NaN, Infinity, -Infinity];

describe('recordJsonBytes', () => {
  it('follows the field order taskRecord builds', () => {
    const t = Object.assign(newTask('u'), { name: 'n', args: '()', kwargs: '{}', result: '1', sent: 1, rejected: 2 });
    expect(Object.keys(taskRecord(t, 'PENDING', false, 0))).toEqual([...TASK_RECORD_KEYS]);
    expect(Object.keys(taskRecord(newTask('v'), 'X', true, 0, { backendResult: { value: 1 } }))).toEqual([...TASK_RECORD_KEYS]);
  });

  it('marks values Celery cut: args_truncated, kwargs_truncated, result_truncated, in both paths', () => {
    const cut = Object.assign(newTask('c'), {
      name: 'n',
      args: "('aaaa', 'bbbb...', ...)",
      kwargs: "{'x': 1}",
      result: "[{'id': 1}, {'id': 2, 'na...', ...}]",
      runtime: 0.5,
      succeeded: 3,
    });
    const r = taskRecord(cut, 'SUCCESS', false, 0);
    expect([r.args_truncated, r.kwargs_truncated, r.result_truncated]).toEqual([true, false, true]);
    expect(r.result_source).toBe('truncated');
    for (const bytes of [taskJsonBytes(cut, 'SUCCESS', false, 0), recordJsonBytes(r)]) {
      expect(JSON.parse(Buffer.from(bytes, 'latin1').toString('utf8'))).toMatchObject({
        args_truncated: true,
        kwargs_truncated: false,
        result_truncated: true,
      });
    }
    const whole = taskRecord(Object.assign(newTask('w'), { args: '(1, 2)', kwargs: '{}' }), 'PENDING', false, 0);
    expect([whole.args_truncated, whole.kwargs_truncated, whole.result_truncated]).toEqual([false, false, false]);
    // A whole result from the backend is not cut, whatever the event's repr was.
    const backend = taskRecord(cut, 'SUCCESS', false, 0, { backendResult: { value: [1] } });
    expect(backend.result_truncated).toBe(false);
  });

  it.each(['amqp', 'redis'] as const)('prints every record of the %s golden capture as JSON.stringify does', (transport) => {
    const capture = loadCapture(transport);
    const changes = pipelineChanges(
      capture.map((c) => c.raw),
      capture.map((c) => c.t),
    );
    const m = new Mismatches();
    replay(changes, m);
    replay(changes, m); // again: now from the caches
    expect(m.seen).toEqual([]);
    expect(m.count).toBe(0);
    expect(m.checked).toBeGreaterThan(100);
  });

  it.each(['amqp', 'redis'] as const)("prints the benchmark workload's records (%s) as JSON.stringify does", (transport) => {
    const built = buildMessages({ transport, events: 20_000, seed: 7 });
    const changes = pipelineChanges(
      built.messages,
      built.messages.map((_, i) => 1_700_000_000 + i / 1000),
    );
    const m = new Mismatches();
    replay(changes, m);
    expect(m.seen).toEqual([]);
    expect(m.checked).toBeGreaterThan(15_000);
  });

  it('writes celery_state last, only on the record of the state the task holds, when Celery would differ', () => {
    const t = Object.assign(newTask('c1'), { name: 'n', args: '()', kwargs: '{}', state: 'REJECTED', celeryState: 'STARTED', rejected: 3 });
    const r = taskRecord(t, 'REJECTED', false, 3);
    expect(r.celery_state).toBe('STARTED');
    expect(Object.keys(r).at(-1)).toBe('celery_state');
    expect(Buffer.from(taskJsonBytes(t, 'REJECTED', false, 3), 'latin1').toString('utf8')).toBe(JSON.stringify(r));
    expect(Buffer.from(recordJsonBytes(r), 'latin1').toString('utf8')).toBe(JSON.stringify(r));
    // A generated state before it says nothing about Celery's; nor does a task where both agree.
    expect('celery_state' in taskRecord(t, 'STARTED', true, 2)).toBe(false);
    expect('celery_state' in taskRecord({ ...t, celeryState: 'REJECTED' }, 'REJECTED', false, 3)).toBe(false);
  });

  it('prints random tasks of edge values, whose fields change between records, as JSON.stringify does', () => {
    const rand = rng(20_24);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const maybe = <T>(x: () => T, pNull = 0.3): T | null => (rand() < pNull ? null : x());
    const text = (): string => (rand() < 0.05 ? pick(EDGE.strings).repeat(1 + Math.floor(rand() * 400)) : pick(EDGE.strings));
    const repr = (): string => (rand() < 0.8 ? pick(EDGE.reprs) : text());
    const num = (): number => (rand() < 0.5 ? pick(NUMBERS) : rand() * 2e9);
    const ids = Array.from({ length: 40 }, (_, i) => (i < 30 ? `task-${i}-${pick(EDGE.strings)}` : pick(EDGE.strings)));
    const mutators: Array<(t: Task) => void> = [
      (t) => (t.name = maybe(text)),
      (t) => (t.worker = maybe(text)),
      (t) => (t.retries = rand() < 0.7 ? Math.floor(rand() * 3) : num()),
      (t) => (t.args = maybe(repr)),
      (t) => (t.kwargs = maybe(repr)),
      (t) => (t.result = maybe(repr, 0.5)),
      (t) => (t.exception = maybe(text, 0.6)),
      (t) => (t.traceback = maybe(text, 0.6)),
      (t) => (t.runtime = maybe(num, 0.5)),
      (t) => (t.routing_key = maybe(text)),
      (t) => (t.queue = maybe(text)),
      (t) => (t.exchange = maybe(text)),
      (t) => (t.parent_id = maybe(() => pick(ids))),
      (t) => (t.root_id = maybe(() => pick(ids))),
      (t) => (t.client = maybe(text)),
      (t) => (t.eta = maybe(text, 0.7)),
      (t) => (t.expires = maybe(text, 0.7)),
      (t) => (t.timestamp = num()),
      (t) => (t.sent = maybe(num)),
      (t) => (t.received = maybe(num)),
      (t) => (t.started = maybe(num)),
      (t) => (t.succeeded = maybe(num, 0.6)),
      (t) => (t.failed = maybe(num, 0.6)),
      (t) => (t.retried = maybe(num, 0.7)),
      (t) => (t.revoked = maybe(num, 0.8)),
      (t) => (t.rejected = maybe(num, 0.8)),
      // Celery's State would hold another state: the record says so (celery_state, the last key).
      (t) => (t.celeryState = rand() < 0.5 ? t.state : pick(['STARTED', 'RETRY', 'RECEIVED', 'ünï'])),
    ];
    const states: TaskState[] = ['PENDING', 'RECEIVED', 'STARTED', 'SUCCESS', 'FAILURE', 'RETRY', 'REVOKED', 'REJECTED', 'CUSTOM', 'ünï', ''];
    const m = new Mismatches();
    // Tasks share uuids now and then (and so the per-task fragments): a fragment must never be
    // served for a record whose fields differ from the ones it was made from.
    const tasks = ids.map((id) => newTask(id));
    for (let step = 0; step < 6000; step++) {
      const t = pick(tasks);
      const changes = Math.floor(rand() * 4);
      for (let c = 0; c < changes; c++) pick(mutators)(t);
      if (rand() < 0.02) for (const f of mutators) f(t);
      t.state = pick(states);
      const backend = rand() < 0.05 ? { backendResult: { value: pick<unknown>([{ a: [1, 'x'] }, 'whole', 42, null, [], { '': '😀' }]) } } : undefined;
      const [state, generated, fallback] = [pick(states), rand() < 0.2, num()];
      m.check(taskRecord(t, state, generated, fallback, backend));
      m.compare(taskJsonBytes(t, state, generated, fallback), taskRecord(t, state, generated, fallback));
    }
    expect(m.seen).toEqual([]);
    expect(m.count).toBe(0);
  });

  it('falls back to JSON.stringify for records whose fields have the wrong type, without poisoning the next ones', () => {
    const base = (): TaskRecord => taskRecord(Object.assign(newTask('odd-1'), { name: 'n', args: '(1,)', kwargs: '{}' }), 'STARTED', false, 5);
    const odd: Array<(r: Record<string, unknown>) => void> = [
      (r) => (r['uuid'] = 7),
      (r) => (r['name'] = { toJSON: () => 'x' }),
      (r) => (r['state'] = 1),
      (r) => (r['timestamp'] = '12'),
      (r) => (r['generated'] = 'yes'),
      (r) => (r['worker'] = ['w']),
      (r) => (r['retries'] = null),
      (r) => (r['args'] = undefined), // the key disappears
      (r) => (r['kwargs'] = () => 1), // so does this one
      (r) => (r['result'] = new Date(0)), // toJSON, called with the key "result"
      (r) => (r['result'] = { toJSON: (key: string) => `key ${key}` }),
      (r) => (r['result'] = [undefined, () => 1, Symbol('s')]),
      (r) => (r['result'] = { a: undefined, b: 1 }),
      (r) => (r['queue'] = 3),
      (r) => (r['parent_id'] = true),
      (r) => (r['root_id'] = 9),
      (r) => (r['expires'] = {}),
      (r) => (r['sent'] = '1'),
      (r) => (r['runtime'] = false),
      (r) => (r['traceback'] = 5),
      (r) => (r['result_source'] = 1),
    ];
    const m = new Mismatches();
    for (const spoil of odd) {
      const r = base();
      spoil(r as unknown as Record<string, unknown>);
      m.check(r);
      m.check(base());
    }
    expect(m.seen).toEqual([]);
    expect(m.count).toBe(0);
  });

  it('prints tasks whose fields have the wrong type as JSON.stringify prints their record', () => {
    const m = new Mismatches();
    const spoilers: Array<(t: Record<string, unknown>) => void> = [
      (t) => (t['name'] = 5),
      (t) => (t['worker'] = { w: 1 }),
      (t) => (t['retries'] = '2'),
      (t) => (t['exception'] = 1),
      (t) => (t['sent'] = 'yesterday'),
      (t) => (t['queue'] = ['q']),
      (t) => (t['root_id'] = 3),
    ];
    for (const spoil of spoilers) {
      const t = Object.assign(newTask('odd-task'), { name: 'n', args: '(1,)', sent: 1 });
      spoil(t as unknown as Record<string, unknown>);
      m.compare(taskJsonBytes(t, 'PENDING', false, 1), taskRecord(t, 'PENDING', false, 1));
    }
    expect(m.seen).toEqual([]);
    expect(m.count).toBe(0);
  });

  it('prints worker records as JSON.stringify does', () => {
    const m = new Mismatches();
    for (const hostname of EDGE.strings) {
      m.check(
        workerRecord(
          {
            hostname,
            pid: 1,
            freq: 2,
            active: null,
            processed: 3,
            loadavg: [0.5, NaN, 1],
            sw_ident: hostname,
            sw_ver: null,
            sw_sys: 'Linux',
            clock: 1,
            timestamp: 1.5,
            lastSeen: 2.25,
            alive: true,
            firstSeen: 0,
            heartbeats: 0,
            taskEvents: 0,
            processedFirst: null,
            solicited: false,
          },
          'ONLINE',
        ),
      );
    }
    expect(m.seen).toEqual([]);
    expect(m.count).toBe(0);
  });

  it('stays right past every cache bound (many tasks, names, reprs)', () => {
    const m = new Mismatches();
    for (let i = 0; i < 30_000; i++) {
      const t = Object.assign(newTask(`bulk-${i}`), {
        name: `name-${i % 5000}`,
        args: `(${i},)`,
        kwargs: `{'k': '${i % 3000}'}`,
        worker: `w${i % 9000}@h`,
        client: `c${i}`,
        queue: `q${i % 300}`,
        result: `'${'r'.repeat(i % 300)}'`,
        sent: i,
      });
      const state = i % 7 === 0 ? `S${i}` : 'SUCCESS';
      m.check(taskRecord(t, state, false, i));
      m.compare(taskJsonBytes(t, state, true, i), taskRecord(t, state, true, i));
    }
    expect(m.seen).toEqual([]);
    expect(m.count).toBe(0);
  });
});

describe('lost tasks', () => {
  it('prints lost and lost_at after celery_state and before broker, as JSON.stringify does', () => {
    const m = new Mismatches();
    const t: Task = { ...newTask('u-lost'), name: 'x', state: 'STARTED', celeryState: 'STARTED', worker: 'w1@h', lost: true, lostAt: 12.5 };
    const r = taskRecord(t, 'STARTED', false, 1);
    m.check(r);
    m.check({ ...r, broker: 'redis://h/0' });
    m.compare(taskJsonBytes(t, 'STARTED', false, 1), r);
    expect(Object.keys(r).slice(-2)).toEqual(['lost', 'lost_at']);
    expect(JSON.parse(taskJsonBytes(t, 'STARTED', false, 1))).toMatchObject({ lost: true, lost_at: 12.5 });
    expect(m.checked).toBe(3);
    expect(m.seen).toEqual([]);
  });
});

describe('the group of a tapped task', () => {
  it('prints group after rejected: null for an untapped task, the id for a tapped one, as JSON.stringify does', () => {
    const m = new Mismatches();
    const plainTask: Task = { ...newTask('u-plain'), name: 'x', state: 'PENDING' };
    const r0 = taskRecord(plainTask, 'PENDING', false, 1);
    m.compare(taskJsonBytes(plainTask, 'PENDING', false, 1), r0);
    m.check(r0);
    expect(JSON.parse(taskJsonBytes(plainTask, 'PENDING', false, 1))).toMatchObject({ rejected: null, group: null });
    const tapped: Task = { ...newTask('u-g'), name: 'x', state: 'PENDING', tapped: { argsJson: '[1]', kwargsJson: '{}', body: null, group: 'grp-1' } };
    const r1 = taskRecord(tapped, 'PENDING', false, 1);
    expect(r1.group).toBe('grp-1');
    m.compare(taskJsonBytes(tapped, 'PENDING', false, 1), r1);
    m.check(r1);
    // A record (from a server or the store) holding a group, with and without a lost mark.
    m.check({ ...r0, group: 'grp-2' });
    m.check({ ...r0, group: 'grp-3', lost: true, lost_at: 2, broker: 'redis://h/0' });
    expect(JSON.parse(recordJsonBytes({ ...r0, group: 'grp-2' }) as string)).toMatchObject({ group: 'grp-2' });
    expect(m.checked).toBe(6);
    expect(m.seen).toEqual([]);
  });
});

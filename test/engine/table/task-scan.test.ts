import { describe, expect, it } from 'vitest';
import { compileTaskMatch, matchesTask, type TaskMatch } from '../../../src/engine/table/filter.js';
import { TASK_STATES, type Task } from '../../../src/engine/model.js';
import { scanTasks } from '../../../src/engine/table/task-scan.js';
import { TaskTable } from '../../../src/engine/table/task-table.js';
import { rng } from '../../helpers/rng.js';

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

function hexUuid(r: () => number): string {
  const hex = (n: number): string => Array.from({ length: n }, () => pick(r, [...'0123456789abcdef'])).join('');
  return `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
}

/** Mostly real uuids, some odd ones: other lengths, line breaks, spaces, non-latin1, empty. */
function someUuid(r: () => number, i: number): string {
  const x = r();
  if (x < 0.8) return hexUuid(r);
  if (x < 0.82) return i === 0 ? '' : `${i}`;
  const alphabet = [...'abf-\n\r \u2028é€x0_'];
  const len = 1 + Math.floor(r() * 40);
  return `${Array.from({ length: len }, () => pick(r, alphabet)).join('')}#${i}`;
}

const NAMES = [null, 'app.reports.daily', 'app.mail.send', 'ffff.task', 'a\nb', 'é.task', 'x'];
const KEYS = [null, 'celery', 'reports', 'ffff', 'mail\r'];
const WORKERS = [null, 'w1@alpha', 'w2@beta', 'w3@ffff'];
const STATES = [...TASK_STATES, 'CUSTOM-THING'];

/**
 * A table filled the way State fills it (upsert, change, settle), past its capacity so slots are
 * reused, with tasks updated again out of order.
 */
function randomTable(seed: number, capacity: number, ops: number): TaskTable {
  const r = rng(seed);
  const t = new TaskTable(capacity);
  const known: string[] = [];
  for (let i = 0; i < ops; i++) {
    const again = known.length > 0 && r() < 0.35;
    const uuid = again ? pick(r, known) : someUuid(r, i);
    if (!again) known.push(uuid);
    const e = t.upsert(uuid);
    const task = e.task;
    task.state = pick(r, STATES);
    if (r() < 0.7) task.name = pick(r, NAMES);
    if (r() < 0.5) task.routing_key = pick(r, KEYS);
    if (r() < 0.6) task.worker = pick(r, WORKERS);
    t.settle(e);
  }
  return t;
}

/** The plain scan: every task, newest first, exactly as the filter judges one. */
function plain(t: TaskTable, m: TaskMatch, limit: number, oldestFirst: boolean): string[] {
  const all = [...t.values()].filter((task) => matchesTask(m, task));
  if (oldestFirst) all.reverse();
  return (limit === 0 ? all : all.slice(0, limit)).map((x) => x.uuid);
}

const uuids = (tasks: Task[]): string[] => tasks.map((x) => x.uuid);

/** Prefilter-safe and unsafe patterns, including ones that see or cross the "\n" separator. */
const PATTERNS = [
  '^ffff', 'ffff$', '^a', 'f$', '^$', '^', '$', '\\n', '\\r', '[^]', '[^a]', '\\s', '\\S+$', '^\\S*$', '\\W',
  '\\bab', 'b\\B', '\\B', '\\b', '.*', '(?:)', 'a[^]*b', 'é', '€', '\\u2028', '^\\r', 'x|^$', '^[0-9a-f]{8}-',
  '-[0-9a-f]{12}$', '[\\s\\S]{30,}', '^.{36}$', '#1', 'f{3,}', '(?<n>f)f', 'app\\.', '^app\\.reports\\.',
  // Refused by the prefilter: scanned exactly.
  '(?<=a)b', '(?<!a)b', '(?<![^])f', '(?<!\\s)[0-9]', 'a(?=b)', 'f(?![^]*a)', '(f)\\1', '(?<x>f)\\k<x>', '[\\1]f',
  // Negated.
  '!^ffff', '!f$', '!\\n', '!^', '!(?<!a)b', '!app',
];

describe('scanTasks', () => {
  const table = randomTable(7, 3000, 9000);

  it('fills the table past its capacity (slots are reused)', () => {
    expect(table.size).toBe(3000);
    expect(table.evicted).toBeGreaterThan(3000);
  });

  for (const pattern of PATTERNS) {
    it(`answers like the plain scan for --pattern ${JSON.stringify(pattern)}`, () => {
      const m = compileTaskMatch({ pattern, tasks: true, workers: false });
      for (const [limit, oldest, phase1] of [
        [0, false, 0],
        [0, true, 0],
        [7, false, 0],
        [7, false, 100],
        [150, false, 64],
        [5, true, 0],
        [3000, false, 4096],
      ] as const) {
        expect(uuids(scanTasks(table, m, limit, oldest, phase1)), `limit ${limit} oldest ${oldest} phase1 ${phase1}`).toEqual(
          plain(table, m, limit, oldest),
        );
      }
    });
  }

  it('answers like the plain scan with states and worker combined, negated or not', () => {
    const specs = [
      { states: ['FAILURE'] },
      { states: ['!SUCCESS', '!PENDING'] },
      { states: ['!REJECTED,!RETRY'] },
      { worker: 'ffff' },
      { worker: '!^w1@' },
      { worker: '(?<!w)2' },
      { pattern: 'f', states: ['RETRY,REVOKED'], worker: '!alpha' },
      { pattern: '!^ffff', states: ['!STARTED'] },
      { pattern: '^$', worker: '^w' },
    ];
    for (const spec of specs) {
      const m = compileTaskMatch({ ...spec, tasks: true, workers: false });
      for (const [limit, oldest] of [
        [0, false],
        [3, false],
        [3, true],
      ] as const) {
        expect(uuids(scanTasks(table, m, limit, oldest, 0)), JSON.stringify(spec)).toEqual(plain(table, m, limit, oldest));
      }
    }
  });

  it('stays right while the table changes between queries (stale uuid chunks, reused ids)', () => {
    const t = new TaskTable(2500);
    const r = rng(11);
    const m = compileTaskMatch({ pattern: '^f', tasks: true, workers: false });
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 900; i++) {
        const e = t.upsert(`${round}-${i}` === '0-0' ? 'ffff-first' : r() < 0.02 ? `f${hexUuid(r)}` : hexUuid(r));
        e.task.name = r() < 0.01 ? `fresh-${round}-${i}` : pick(r, NAMES);
        e.task.state = pick(r, STATES);
        t.settle(e);
      }
      expect(uuids(scanTasks(t, m, 0, false, 0))).toEqual(plain(t, m, 0, false));
      expect(uuids(scanTasks(t, m, 10, true, 0))).toEqual(plain(t, m, 10, true));
    }
    t.clear();
    expect(scanTasks(t, m, 0, false, 0)).toEqual([]);
    const e = t.upsert('ffff-after-clear');
    t.settle(e);
    expect(uuids(scanTasks(t, m, 0, false, 0))).toEqual(['ffff-after-clear']);
  });

  it('stays right past 65 534 distinct names (values the id pool has no room for)', () => {
    const t = new TaskTable(70_000);
    for (let i = 0; i < 70_000; i++) {
      const e = t.upsert(`u${i}`);
      e.task.name = `name-${i}`;
      e.task.worker = `w${i}@h`;
      t.settle(e);
    }
    for (const spec of [{ pattern: 'name-6999[0-9]$' }, { pattern: 'name-1$' }, { worker: '^w6999[89]@' }]) {
      const m = compileTaskMatch({ ...spec, tasks: true, workers: false });
      expect(uuids(scanTasks(t, m, 0, false, 0)), JSON.stringify(spec)).toEqual(plain(t, m, 0, false));
    }
  });

  it('returns nothing when the filter wants workers only', () => {
    expect(scanTasks(table, compileTaskMatch({ tasks: false, workers: true }), 0, false)).toEqual([]);
  });
});

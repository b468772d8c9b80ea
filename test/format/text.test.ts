import { beforeAll, describe, expect, it } from 'vitest';
import { type Task, type Worker, newTask } from '../../src/engine/model.js';
import { newWorker } from '../../src/engine/state/workers.js';
import { makePalette } from '../../src/format/colors.js';
import { taskRecord, workerRecord } from '../../src/format/record.js';
import { formatRuntime, formatTime, renderText } from '../../src/format/text.js';

const plain = makePalette(false);
const T0 = Date.UTC(2026, 10, 21, 5, 33, 46, 366) / 1000;

beforeAll(() => {
  process.env['TZ'] = 'UTC';
});

function task(over: Partial<Task>): Task {
  return Object.assign(newTask('e621a05c-8ef0-4b8e-8f28-734e94dc0b1d'), over);
}

describe('renderText: tasks', () => {
  it('prints the head line with params on PENDING', () => {
    const t = task({ name: 'tasks.add', state: 'PENDING', timestamp: T0, sent: T0, args: '(2, 3)', kwargs: "{'z': None}" });
    expect(renderText(taskRecord(t, 'PENDING', false, T0), plain)).toBe(
      [
        '05:33:46.366 PENDING   tasks.add e621a05c-8ef0-4b8e-8f28-734e94dc0b1d',
        '    args (2, 3)',
        '    kwargs z=None',
      ].join('\n'),
    );
  });

  it('does not repeat params on RECEIVED after a PENDING, and skips empty kwargs', () => {
    const t = task({ name: 'tasks.add', state: 'RECEIVED', timestamp: T0, sent: T0, received: T0, worker: 'w1@h', args: '(2, 3)', kwargs: '{}' });
    expect(renderText(taskRecord(t, 'RECEIVED', false, T0), plain)).toBe(
      '05:33:46.366 RECEIVED  tasks.add e621a05c-8ef0-4b8e-8f28-734e94dc0b1d w1@h',
    );
    const noSent = task({ ...t, sent: null });
    expect(renderText(taskRecord(noSent, 'RECEIVED', false, T0), plain)).toBe(
      '05:33:46.366 RECEIVED  tasks.add e621a05c-8ef0-4b8e-8f28-734e94dc0b1d w1@h\n    args (2, 3)',
    );
  });

  it('prints result and runtime on SUCCESS, and marks inferred states', () => {
    const t = task({ name: 'tasks.mul', state: 'SUCCESS', timestamp: T0, succeeded: T0, worker: 'w1@h', result: "{'a': [1, 'x']}", runtime: 0.0123 });
    expect(renderText(taskRecord(t, 'SUCCESS', false, T0), plain)).toBe(
      "05:33:46.366 SUCCESS   tasks.mul e621a05c-8ef0-4b8e-8f28-734e94dc0b1d w1@h 12.3ms\n    result {'a': [1, 'x']}",
    );
    expect(renderText(taskRecord(t, 'STARTED', true, T0), plain)).toBe(
      '05:33:46.366 STARTED   tasks.mul e621a05c-8ef0-4b8e-8f28-734e94dc0b1d w1@h (inferred)',
    );
    expect(renderText(taskRecord(t, 'SUCCESS', false, T0), plain, { results: false })).not.toContain('result');
  });

  it('prints retries, exception and traceback on FAILURE; --no-errors hides them', () => {
    const t = task({
      name: 'tasks.fail',
      state: 'FAILURE',
      timestamp: T0,
      failed: T0,
      retries: 2,
      exception: "HarnessError('kaboom')",
      traceback: 'Traceback (most recent call last):\n  File "x.py", line 1, in f\nHarnessError: kaboom\n',
    });
    const rec = taskRecord(t, 'FAILURE', false, T0);
    expect(renderText(rec, plain)).toBe(
      [
        '05:33:46.366 FAILURE   retry 2 tasks.fail e621a05c-8ef0-4b8e-8f28-734e94dc0b1d',
        "    exception HarnessError('kaboom')",
        '    Traceback (most recent call last):',
        '      File "x.py", line 1, in f',
        '    HarnessError: kaboom',
      ].join('\n'),
    );
    expect(renderText(rec, plain, { errors: false })).toBe(
      '05:33:46.366 FAILURE   retry 2 tasks.fail e621a05c-8ef0-4b8e-8f28-734e94dc0b1d',
    );
  });

  it('never lets raw control characters from the wire reach the terminal', () => {
    const t = task({ name: 'x', state: 'PENDING', timestamp: T0, args: "('\x1b[31mred\x07',)" });
    const out = renderText(taskRecord(t, 'PENDING', false, T0), plain);
    expect(out).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(out).toContain("'\\x1b[31mred\\x07'");
  });

  it('colours the state only when the palette is enabled', () => {
    const t = task({ name: 'tasks.add', state: 'SUCCESS', timestamp: T0 });
    expect(renderText(taskRecord(t, 'SUCCESS', false, T0), makePalette(true))).toContain('\x1b[');
    expect(renderText(taskRecord(t, 'SUCCESS', false, T0), plain)).not.toContain('\x1b[');
  });
});

describe('renderText: workers', () => {
  it('prints a worker line with its numbers', () => {
    const w: Worker = Object.assign(newWorker('w1@harness'), {
      pid: 12879,
      freq: 2,
      active: 2,
      processed: 22,
      loadavg: [0.01, 0.1, 0.08],
      sw_ident: 'py-celery',
      sw_ver: '5.2.6',
      sw_sys: 'Linux',
      timestamp: T0,
      alive: true,
    });
    expect(renderText(workerRecord(w, 'ONLINE'), plain)).toBe(
      '05:33:46.366 ONLINE    w1@harness pid 12879 active 2 processed 22 load 0.01 0.10 0.08 py-celery 5.2.6 Linux',
    );
    expect(renderText(workerRecord(w, 'HEARTBEAT'), plain)).toBe(
      '05:33:46.366 HEARTBEAT w1@harness pid 12879 active 2 processed 22 load 0.01 0.10 0.08',
    );
  });
});

describe('formatters', () => {
  it('formats times and runtimes', () => {
    expect(formatTime(T0)).toBe('05:33:46.366');
    expect(formatTime(Number.NaN)).toBe('--:--:--.---');
    expect(formatRuntime(0.0004)).toBe('0.4ms');
    expect(formatRuntime(2.5)).toBe('2.50s');
    expect(formatRuntime(125)).toBe('2m05s');
  });
});

describe('renderText: lost tasks', () => {
  it('says next to the state which worker went offline, and since when; JSON has lost and lost_at', () => {
    const t = task({ name: 'reports.build', state: 'STARTED', timestamp: T0, started: T0, worker: 'w1@host', lost: true, lostAt: T0 + 8 });
    const r = taskRecord(t, 'STARTED', false, T0);
    expect(renderText(r, plain)).toBe(
      '05:33:46.366 STARTED (worker w1@host offline since 05:33:54) reports.build e621a05c-8ef0-4b8e-8f28-734e94dc0b1d w1@host',
    );
    expect(r).toMatchObject({ lost: true, lost_at: T0 + 8 });
    expect(taskRecord({ ...t, lost: false, lostAt: null }, 'STARTED', false, T0)).not.toHaveProperty('lost');
  });
});

describe('renderText: values fit the terminal', () => {
  const items = Array.from({ length: 60 }, (_, i) => `{'id': ${i}, 'email': 'user${i}@example.org'}`);
  const big = `[${items.join(', ')}]`;
  const t = task({ name: 'tasks.export', state: 'SUCCESS', timestamp: T0, succeeded: T0, worker: 'w1@h', result: big, runtime: 1 });

  it.each([80, 160])('cuts a 2 KB result to 3 lines of %i columns, at token boundaries, and says what is left out', (width) => {
    const lines = renderText(taskRecord(t, 'SUCCESS', false, T0), plain, { width }).split('\n').slice(1);
    expect(lines).toHaveLength(4);
    for (const l of lines.slice(0, 3)) expect(l.length).toBeLessThanOrEqual(width);
    expect(lines[0]).toMatch(/^ {4}result \[\{'id': 0, /);
    for (const l of lines.slice(1, 3)) expect(l).toMatch(/^ {6}\S/);
    // Every line but the marker ends where a token ends (after an item's comma), never mid-token.
    for (const l of lines.slice(0, 3)) expect(l).toMatch(/,$/);
    const shown = lines.slice(0, 3).map((l) => l.trim()).join(' ').replace(/^result /, '');
    expect(big.startsWith(shown)).toBe(true);
    const more = /^ {6}… \+(\d+) characters: clearly task e621a05c-8ef0-4b8e-8f28-734e94dc0b1d$/.exec(lines[3]!);
    expect(more).not.toBeNull();
    expect(Number(more?.[1])).toBe(big.length - shown.length);
  });

  it('the marker names where the value is whole when that is not `clearly task` (demo: no server)', () => {
    const lines = renderText(taskRecord(t, 'SUCCESS', false, T0), plain, { width: 80, wholeIn: () => 'whole in --json' }).split('\n');
    expect(lines[4]).toMatch(/^ {6}… \+\d+ characters: whole in --json$/);
  });

  it('leaves a value that fits alone, and prints one whole line without a width (not a terminal)', () => {
    const small = task({ ...t, result: "{'ok': True}" });
    expect(renderText(taskRecord(small, 'SUCCESS', false, T0), plain, { width: 80 }).split('\n')[1]).toBe("    result {'ok': True}");
    const whole = renderText(taskRecord(t, 'SUCCESS', false, T0), plain).split('\n');
    expect(whole).toHaveLength(2);
    expect(whole[1]).toBe(`    result ${big}`);
  });

  it('splits a long string only at its spaces', () => {
    const words = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    const s = task({ ...t, result: `'${words}'` });
    const lines = renderText(taskRecord(s, 'SUCCESS', false, T0), plain, { width: 60 }).split('\n').slice(1, 4);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(60);
    const tokens = lines.flatMap((l) => l.trim().replace(/^result /, '').replace(/'/g, '').split(' '));
    for (const w of tokens) expect(w).toMatch(/^(word\d+|…)?$/);
  });

  it('marks a value Celery cut', () => {
    const cut = task({ ...t, result: "[{'id': 1}, {'id': 2, 'na...', ...}]" });
    expect(renderText(taskRecord(cut, 'SUCCESS', false, T0), plain)).toContain("result [{'id': 1}, {'id': 2, 'na...', ...}] (cut by Celery)");
  });
});

describe('renderText: a long exception fits the terminal too', () => {
  it('wraps at its spaces, at most 3 lines, then says what is left out', () => {
    const message = Array.from({ length: 80 }, (_, i) => `part${i}`).join(' ');
    const t = task({ name: 'tasks.fail', state: 'FAILURE', timestamp: T0, failed: T0, exception: `ValueError('${message}')` });
    const lines = renderText(taskRecord(t, 'FAILURE', false, T0), plain, { width: 80, errors: false }).split('\n');
    expect(lines).toHaveLength(1);
    const withErrors = renderText(taskRecord(t, 'FAILURE', false, T0), plain, { width: 80 }).split('\n').slice(1);
    expect(withErrors[0]).toMatch(/^ {4}exception ValueError\('part0 part1 /);
    expect(withErrors).toHaveLength(4);
    for (const l of withErrors.slice(0, 3)) {
      expect(l.length).toBeLessThanOrEqual(80);
      expect(l).toMatch(/(part\d+|\('part0)$/);
    }
    expect(withErrors[3]).toMatch(/^ {6}… \+\d+ characters: clearly task /);
    // Whole without a width.
    expect(renderText(taskRecord(t, 'FAILURE', false, T0), plain).split('\n')[1]).toBe(`    exception ValueError('${message}')`);
  });
});

describe('renderText: a resumed record says so', () => {
  it('ends its line with (resumed)', () => {
    const t = task({ name: 'tasks.add', state: 'SUCCESS', timestamp: T0, succeeded: T0, worker: 'w1@h', result: '5' });
    const r = { ...taskRecord(t, 'SUCCESS', false, T0), resumed: true as const };
    expect(renderText(r, plain).split('\n')[0]).toBe('05:33:46.366 SUCCESS   tasks.add e621a05c-8ef0-4b8e-8f28-734e94dc0b1d w1@h (resumed)');
    expect(renderText(taskRecord(t, 'SUCCESS', false, T0), plain)).not.toContain('resumed');
  });
});

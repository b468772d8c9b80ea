/**
 * LineWriter encodes lines into a slab and hands the sink views of it: the bytes must be those of
 * the lines joined with newlines in UTF-8 (as writing the joined string to stdout gave), chunks a
 * sink still holds must never change, and the printer's NDJSON and text lines must be unchanged.
 */
import { describe, expect, it } from 'vitest';
import { LineWriter, terminalWidth, type LineSink } from '../../src/cli/output.js';
import { LivePrinter, makePrinter } from '../../src/cli/printer.js';
import { compileFilter } from '../../src/engine/table/filter.js';
import { type Change, newTask } from '../../src/engine/model.js';
import { newWorker } from '../../src/engine/state/workers.js';
import { changeRecords } from '../../src/format/changes.js';
import { makePalette } from '../../src/format/colors.js';
import { taskRecord } from '../../src/format/record.js';
import { renderText } from '../../src/format/text.js';

/** A sink that keeps the chunks it gets (not copies): `pending` is what it reports as unwritten. */
function keepingSink(pending = 0): LineSink & { chunks: Uint8Array[]; copies: Buffer[]; bytes(): Buffer } {
  const chunks: Uint8Array[] = [];
  const copies: Buffer[] = [];
  return {
    chunks,
    copies,
    write(chunk) {
      chunks.push(chunk);
      copies.push(Buffer.from(chunk));
      return true;
    },
    on: () => undefined,
    once: () => undefined,
    get writableLength() {
      return pending;
    },
    bytes: () => Buffer.concat(copies),
  };
}

const TEXTS = [
  'plain',
  '',
  'naïve café «ü»',
  '日本語のテキスト 😀 ✓',
  'lone \ud800 high and \udc00 low, at the end \ud83d',
  'control \u0000\u001f and \u2028',
  'x'.repeat(300_000), // bigger than a slab
];

describe('LineWriter', () => {
  it('writes text lines as their UTF-8, a newline after each, in one chunk per flush', () => {
    const sink = keepingSink();
    const w = new LineWriter(sink, () => undefined);
    for (const t of TEXTS) expect(w.line(t)).toBe(true);
    w.flush();
    expect(sink.chunks).toHaveLength(1);
    expect(sink.bytes().equals(Buffer.from(TEXTS.join('\n') + '\n', 'utf8'))).toBe(true);
    expect(w.written).toBe(TEXTS.length);
  });

  it('writes byte lines as they are, mixed with text lines', () => {
    const sink = keepingSink();
    const w = new LineWriter(sink, () => undefined);
    const want: Buffer[] = [];
    for (const t of TEXTS) {
      const utf8 = Buffer.from(t, 'utf8');
      w.lineBytes(utf8.toString('latin1'));
      w.line(t);
      want.push(utf8, Buffer.from('\n'), utf8, Buffer.from('\n'));
    }
    w.flush();
    expect(sink.bytes().equals(Buffer.concat(want))).toBe(true);
  });

  it('never changes a chunk the sink may still hold, and reuses the slab once it holds none', () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `line ${i} ${'é'.repeat(i % 50)}`);
    for (const pending of [1, 0]) {
      const sink = keepingSink(pending);
      const w = new LineWriter(sink, () => undefined);
      lines.forEach((l, i) => {
        w.line(l);
        if (i % 7 === 0) w.flush();
      });
      w.flush();
      // the views as they are now, against the bytes they had when written
      const now = Buffer.concat(sink.chunks);
      const then = sink.bytes();
      expect(then.equals(Buffer.from(lines.join('\n') + '\n', 'utf8'))).toBe(true);
      if (pending > 0) expect(now.equals(then)).toBe(true);
      else expect(new Set(sink.chunks.map((c) => c.buffer)).size).toBe(1); // one slab, reused
    }
  });

  it('drops lines past maxPendingBytes and counts them', () => {
    const sink = keepingSink(101); // the reader is behind by more than the bound already
    const w = new LineWriter(sink, () => undefined, 100);
    expect(w.line('0123456789')).toBe(false);
    expect(w.dropped).toBe(1);
    const roomy = keepingSink(0);
    const v = new LineWriter(roomy, () => undefined, 100);
    for (let i = 0; i < 20; i++) v.line('0123456789');
    expect(v.written).toBe(10); // 10 lines of 11 bytes: the batch is over 100 bytes
    expect(v.dropped).toBe(10);
  });

  it('stops quietly on EPIPE', () => {
    let closed = 0;
    const sink: LineSink = {
      write: () => {
        throw Object.assign(new Error('broken pipe'), { code: 'EPIPE' });
      },
      on: () => undefined,
      once: () => undefined,
      writableLength: 0,
    };
    const w = new LineWriter(sink, () => closed++);
    w.line('a');
    w.flush();
    expect(closed).toBe(1);
    expect(w.isClosed).toBe(true);
    expect(w.line('b')).toBe(false);
  });
});

describe('makePrinter', () => {
  const t = Object.assign(newTask('e621a05c-8ef0-4b8e-8f28-734e94dc0b1d'), {
    name: 'tasks.add',
    state: 'SUCCESS',
    timestamp: 1795255074.1600301,
    sent: 1795255074.1,
    succeeded: 1795255074.1600301,
    worker: 'w1@h',
    args: "('日本語', 2)",
    kwargs: "{'z': None}",
    result: "'😀'",
    runtime: 0.0123,
  });
  const records = [taskRecord(t, 'STARTED', true, 1795255074.15), taskRecord(t, 'SUCCESS', false, 1795255074.2)];

  it('prints NDJSON as JSON.stringify does', () => {
    const sink = keepingSink();
    const w = new LineWriter(sink, () => undefined);
    const print = makePrinter(w, true, makePalette(false), {});
    for (const r of records) print(r);
    w.flush();
    expect(sink.bytes().toString('utf8')).toBe(records.map((r) => JSON.stringify(r) + '\n').join(''));
  });

  it('prints text as renderText does', () => {
    const sink = keepingSink();
    const w = new LineWriter(sink, () => undefined);
    const palette = makePalette(true);
    const print = makePrinter(w, false, palette, { params: true });
    for (const r of records) print(r);
    w.flush();
    expect(sink.bytes().toString('utf8')).toBe(records.map((r) => renderText(r, palette, { params: true }) + '\n').join(''));
  });
});

describe('LivePrinter', () => {
  const task = Object.assign(newTask('c0ffee00-0000-4000-8000-000000000001'), {
    name: 'tasks.add',
    state: 'SUCCESS',
    timestamp: 10.5,
    sent: 10,
    succeeded: 10.5,
    worker: 'w1@h',
    args: "('ü', 2)",
    kwargs: '{}',
    result: '4',
  });
  const event = { timestamp: 10.5 } as Extract<Change, { kind: 'task' }>['event'];
  const changes: Change[] = [
    { kind: 'task', task, states: ['RECEIVED', 'STARTED', 'SUCCESS'], event, hostname: 'w1@h' },
    { kind: 'worker', worker: newWorker('w1@h'), status: 'HEARTBEAT', event: null },
    { kind: 'task', task, states: ['SUCCESS'], event, hostname: 'w1@h' },
  ];
  const everything = compileFilter({ tasks: true, workers: true });

  function run(json: boolean, filter = everything, limit = Infinity): { text: string; printer: LivePrinter; done: number } {
    const sink = keepingSink();
    const printer = new LivePrinter(sink, { json, palette: makePalette(false), text: {}, filter, limit });
    let done = 0;
    printer.onDone(() => done++);
    for (const c of changes) printer.change(c);
    printer.writer.flush();
    return { text: sink.bytes().toString('utf8'), printer, done };
  }

  it('prints the records changeRecords gives, as NDJSON or text, and counts them by kind', () => {
    const records = changes.flatMap((c) => changeRecords(c, everything));
    const json = run(true);
    expect(json.text).toBe(records.map((r) => JSON.stringify(r) + '\n').join(''));
    expect([json.printer.tasks, json.printer.workers]).toEqual([4, 1]);
    const text = run(false);
    // Live text keeps its time column from running backwards (the worker's clock is at 0 here).
    let shownUpTo: number | undefined;
    const expected = records.map((r) => {
      const line = renderText(r, makePalette(false), { shownUpTo }) + '\n';
      shownUpTo = Math.max(shownUpTo ?? -Infinity, r.timestamp);
      return line;
    });
    expect(text.text).toBe(expected.join(''));
    expect(text.text).toMatch(/^00:00:10\.500 HEARTBEAT w1@h \(event at 00:00:00\.000\)$/m);
    expect([text.printer.tasks, text.printer.workers]).toEqual([4, 1]);
  });

  it('applies the filter to the state each record shows', () => {
    const onlySuccess = compileFilter({ tasks: true, workers: false, states: ['SUCCESS'] });
    const { text, printer } = run(true, onlySuccess);
    expect(text.trim().split('\n').map((l) => (JSON.parse(l) as { state: string }).state)).toEqual(['SUCCESS', 'SUCCESS']);
    expect([printer.tasks, printer.workers]).toEqual([2, 0]);
  });

  it('stops at the limit, in the middle of a change, and says it is done', () => {
    for (const json of [true, false]) {
      const { printer, done } = run(json, everything, 2);
      expect([printer.tasks, printer.workers]).toEqual([2, 0]);
      expect(done).toBeGreaterThan(0);
    }
    expect(run(true).done).toBe(0);
  });

  it('prints records as they come (a server filtered them), up to the limit', () => {
    const sink = keepingSink();
    const printer = new LivePrinter(sink, { json: true, palette: makePalette(false), text: {}, filter: compileFilter({ tasks: false, workers: true }), limit: 2 });
    const records = changes.flatMap((c) => changeRecords(c, everything));
    for (const r of records) printer.record(r);
    printer.writer.flush();
    expect(sink.bytes().toString('utf8')).toBe(records.slice(0, 2).map((r) => JSON.stringify(r) + '\n').join(''));
    expect([printer.tasks, printer.workers]).toEqual([2, 0]);
  });
});

describe('terminalWidth', () => {
  it("is the terminal's columns, else COLUMNS, else none (a pipe or a file has no width)", () => {
    expect(terminalWidth({ isTTY: true, columns: 132 }, { COLUMNS: '80' })).toBe(132);
    expect(terminalWidth({ isTTY: false }, { COLUMNS: '100' })).toBe(100);
    expect(terminalWidth({}, {})).toBeUndefined();
    expect(terminalWidth({}, { COLUMNS: 'wide' })).toBeUndefined();
    expect(terminalWidth({ isTTY: true, columns: 0 }, {})).toBeUndefined();
  });
});

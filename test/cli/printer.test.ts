import { beforeAll, describe, expect, it } from 'vitest';
import { LivePrinter } from '../../src/cli/printer.js';
import { newTask, type Task } from '../../src/engine/model.js';
import { compileFilter } from '../../src/engine/table/filter.js';
import { makePalette } from '../../src/format/colors.js';
import { taskRecord } from '../../src/format/record.js';

const T0 = Date.UTC(2026, 10, 21, 21, 52, 10, 783) / 1000;

beforeAll(() => {
  process.env['TZ'] = 'UTC';
});

/** A sink that keeps what the printer wrote. */
function sink(): { out: string[]; write(c: Uint8Array): boolean; on(): void; once(): void; writableLength: number } {
  const out: string[] = [];
  return { out, write: (c) => (out.push(Buffer.from(c).toString('utf8')), true), on() {}, once() {}, writableLength: 0 };
}

function task(uuid: string, over: Partial<Task>): Task {
  return Object.assign(newTask(uuid), { name: 'tasks.add', ...over });
}

const timeColumn = (line: string): string => line.slice(0, 12);

describe('LivePrinter: the time column never runs backwards', () => {
  it('shows a late (inferred) line at the latest time shown and says when its event happened', async () => {
    const s = sink();
    const printer = new LivePrinter(s, { json: false, palette: makePalette(false), text: {}, filter: compileFilter({ tasks: true, workers: true }) });
    const a = task('aaaaaaaa-0000-4000-8000-000000000001', { state: 'STARTED', timestamp: T0, received: T0 - 1, started: T0 });
    const b = task('bbbbbbbb-0000-4000-8000-000000000002', { state: 'RECEIVED', timestamp: T0 - 4.944, received: T0 - 4.944 });
    printer.record(taskRecord(a, 'STARTED', false, T0));
    printer.record(taskRecord(b, 'RECEIVED', true, T0 - 4.944));
    printer.record(taskRecord(a, 'SUCCESS', false, T0 + 1));
    await printer.writer.end();
    const lines = s.out.join('').trimEnd().split('\n').filter((l) => !l.startsWith(' '));
    expect(lines.map(timeColumn)).toEqual(['21:52:10.783', '21:52:10.783', '21:52:11.783']);
    expect(lines[1]).toMatch(/RECEIVED .* \(inferred, event at 21:52:05\.839\)$/);
    // Lines on time say nothing extra.
    expect(lines[0]).not.toMatch(/event at/);
    expect(lines[2]).not.toMatch(/event at/);
  });

  it('a line late by under a second keeps the column at the latest time and says nothing more', async () => {
    const s = sink();
    const printer = new LivePrinter(s, { json: false, palette: makePalette(false), text: {}, filter: compileFilter({ tasks: true, workers: true }) });
    const a = task('aaaaaaaa-0000-4000-8000-000000000001', { state: 'PENDING', timestamp: T0, sent: T0 });
    const b = task('bbbbbbbb-0000-4000-8000-000000000002', { state: 'RECEIVED', timestamp: T0 - 0.002, received: T0 - 0.002, sent: T0 - 0.01 });
    printer.record(taskRecord(a, 'PENDING', false, T0));
    printer.record(taskRecord(b, 'RECEIVED', false, T0 - 0.002));
    await printer.writer.end();
    const lines = s.out.join('').trimEnd().split('\n').filter((l) => !l.startsWith(' '));
    expect(lines.map(timeColumn)).toEqual(['21:52:10.783', '21:52:10.783']);
    expect(lines[1]).not.toMatch(/event at/);
  });

  it('leaves --json records alone: timestamp is always the event time', async () => {
    const s = sink();
    const printer = new LivePrinter(s, { json: true, palette: makePalette(false), text: {}, filter: compileFilter({ tasks: true, workers: true }) });
    const a = task('aaaaaaaa-0000-4000-8000-000000000001', { state: 'STARTED', timestamp: T0 });
    const b = task('bbbbbbbb-0000-4000-8000-000000000002', { state: 'RECEIVED', timestamp: T0 - 5 });
    printer.record(taskRecord(a, 'STARTED', false, T0));
    printer.record(taskRecord(b, 'RECEIVED', true, T0 - 5));
    await printer.writer.end();
    const records = s.out.join('').trimEnd().split('\n').map((l) => JSON.parse(l) as { timestamp: number });
    expect(records.map((r) => r.timestamp)).toEqual([T0, T0 - 5]);
  });
});

describe('LivePrinter: --search', () => {
  const filter = compileFilter({ tasks: true, workers: true });
  const alice = task('aaaaaaaa-0000-4000-8000-000000000001', { state: 'SUCCESS', timestamp: T0, kwargs: "{'customer': 'Alice', 'invoice': 'INV-7'}" });
  const bob = task('bbbbbbbb-0000-4000-8000-000000000002', { state: 'SUCCESS', timestamp: T0, kwargs: "{'customer': 'Bob', 'invoice': 'INV-7'}" });
  const failed = task('cccccccc-0000-4000-8000-000000000003', { state: 'FAILURE', timestamp: T0, exception: "ValueError('alice is gone')" });

  it('records from a server: only tasks with every word (any case, in name, args, kwargs, result or exception)', async () => {
    const s = sink();
    const printer = new LivePrinter(s, { json: true, palette: makePalette(false), text: {}, filter, search: ['alice'] });
    for (const t of [alice, bob, failed]) printer.record(taskRecord(t, t.state, false, T0));
    printer.record({ kind: 'worker', hostname: 'w1@h', state: 'ONLINE', timestamp: T0 } as never);
    await printer.writer.end();
    const got = s.out.join('').trimEnd().split('\n').map((l) => JSON.parse(l) as { kind: string; uuid?: string; hostname?: string });
    expect(got.map((r) => r.uuid ?? r.hostname)).toEqual([alice.uuid, failed.uuid, 'w1@h']);
    expect(printer.tasks).toBe(2);
  });

  it('changes from a broker: the same test, on the task itself', async () => {
    const s = sink();
    const printer = new LivePrinter(s, { json: true, palette: makePalette(false), text: {}, filter, search: ['inv', '7', 'bob'] });
    for (const t of [alice, bob, failed]) printer.change({ kind: 'task', task: t, states: [t.state], event: null, hostname: null } as never);
    await printer.writer.end();
    const got = s.out.join('').trimEnd().split('\n').map((l) => (JSON.parse(l) as { uuid: string }).uuid);
    expect(got).toEqual([bob.uuid]);
  });
});

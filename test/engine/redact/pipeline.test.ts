/** Redaction where the pipeline puts it: between decoding and the reducer, and in the result keeper. */
import { describe, expect, it } from 'vitest';
import { parseMeta, ResultKeeper } from '../../../src/engine/backend/result-keeper.js';
import type { RawMessage, TaskEvent } from '../../../src/engine/events/types.js';
import type { Change } from '../../../src/engine/model.js';
import { Pipeline, redactEvent } from '../../../src/engine/pipeline.js';
import { compileRedactor, DEFAULT_REDACT_PATTERN, type Redactor } from '../../../src/engine/redact/redact.js';
import { State } from '../../../src/engine/state/state.js';

const r = compileRedactor(DEFAULT_REDACT_PATTERN) as Redactor;
const amqp = (event: Record<string, unknown>): RawMessage => ({
  transport: 'amqp',
  routingKey: String(event['type']).replace('-', '.'),
  contentType: 'application/json',
  contentEncoding: 'utf-8',
  body: Buffer.from(JSON.stringify(event)),
});
const common = { hostname: 'w1@h', timestamp: 1_700_000_000, clock: 1, pid: 1, utcoffset: 0 };
const uuid = '3f0c6a2e-6f4b-4c1e-9d1a-1b2c3d4e5f60';

describe('the pipeline redacts before the reducer', () => {
  it('the State and every change only hold the redacted text', () => {
    const changes: Change[] = [];
    const p = new Pipeline(new State({ maxTasks: 10, maxWorkers: 10 }), (c) => changes.push(c), () => undefined, r);
    p.handle(
      amqp({ ...common, type: 'task-received', uuid, name: 'app.login', args: "({'api_key': 'AKIA1'}, 'bob')", kwargs: "{'password': 'hunter2'}" }),
      1_700_000_000,
    );
    p.handle(amqp({ ...common, type: 'task-failed', uuid, exception: "AuthError(\"token: abc123 refused\")", traceback: 'Traceback…\nAuthError: password=hunter2' }), 1_700_000_001);
    const t = p.state.getTask(uuid)!;
    expect([t.args, t.kwargs]).toEqual(["({'api_key': '***'}, 'bob')", "{'password': '***'}"]);
    expect(t.exception).not.toContain('abc123');
    expect(t.traceback).not.toContain('hunter2');
    const all = JSON.stringify(changes.map((c) => (c.kind === 'task' ? c.task : null)));
    for (const s of ['AKIA1', 'hunter2', 'abc123']) expect(all).not.toContain(s);
  });

  it('without a redactor (--redact \'\'), the text is kept as it came', () => {
    const p = new Pipeline(new State({ maxTasks: 10, maxWorkers: 10 }), () => undefined, () => undefined, null);
    p.handle(amqp({ ...common, type: 'task-received', uuid, name: 'x', args: '()', kwargs: "{'password': 'hunter2'}" }), 1_700_000_000);
    expect(p.state.getTask(uuid)!.kwargs).toBe("{'password': 'hunter2'}");
  });

  it("a malformed body's preview (shown with --debug) is redacted too", () => {
    const details: string[] = [];
    const p = new Pipeline(new State({ maxTasks: 10, maxWorkers: 10 }), () => undefined, (e) => details.push(e.detail), r);
    p.handle({ ...(amqp({}) as Extract<RawMessage, { transport: 'amqp' }>), body: Buffer.from('{"type": "task-received", "kwargs": "{\'password\': \'hunter2\'}"') }, 1);
    expect(details).toHaveLength(1);
    expect(details[0]).not.toContain('hunter2');
    const raw: string[] = [];
    new Pipeline(new State({ maxTasks: 10, maxWorkers: 10 }), () => undefined, (e) => raw.push(e.detail), null).handle(
      { ...(amqp({}) as Extract<RawMessage, { transport: 'amqp' }>), body: Buffer.from('{"type": "task-received", "kwargs": "{\'password\': \'hunter2\'}"') },
      1,
    );
    expect(raw[0]).toContain('hunter2');
  });

  it('an event without secrets is passed on as the same object', () => {
    const ev: TaskEvent = { kind: 'task', type: 'task-received', subject: 'received', uuid, args: '(1, 2)', kwargs: '{}', ...common };
    expect(redactEvent(ev, r)).toBe(ev);
    const secret = { ...ev, kwargs: "{'token': 't'}" };
    expect(redactEvent(secret, r)).toEqual({ ...ev, kwargs: "{'token': '***'}" });
  });
});

describe('whole results from the backend are redacted before they are kept', () => {
  const meta = JSON.stringify({ status: 'SUCCESS', result: [{ user: 'bob', creds: { api_key: 'AKIA1' } }, 'x'.repeat(2000)], traceback: null });
  it('parseMeta', () => {
    expect(parseMeta(meta, r)!.json).not.toContain('AKIA1');
    expect(parseMeta(meta, r)!.json).toContain('"api_key":"***"');
    expect(parseMeta(meta)!.json).toContain('AKIA1');
  });
  it('the keeper, for a pushed value', () => {
    const k = new ResultKeeper({ maxResults: 10, redactor: r });
    expect(k.keep(uuid, meta)!.json).not.toContain('AKIA1');
    expect(k.get(uuid)!.json).toContain('"user":"bob"');
  });
});

describe('stored rows are redacted as they are read (a store written with redaction off)', () => {
  it('texts and the whole result; the same row when nothing matches', async () => {
    const { taskRow } = await import('../../../src/engine/store/rows.js');
    const { redactRow } = await import('../../../src/engine/store/redact-row.js');
    const { newTask } = await import('../../../src/engine/model.js');
    const task = { ...newTask(uuid), kwargs: "{'password': 'hunter2'}", args: '(1,)', result: "{'token': 'abc…", state: 'SUCCESS' };
    const row = taskRow(task, 'amqp://x', { status: 'SUCCESS', json: '{"token":"abcdef","n":NaN}' });
    const red = redactRow(row, r);
    expect([red.kwargs, red.args, red.result]).toEqual(["{'password': '***'}", '(1,)', "{'token': '***'"]);
    expect(red.result_json).toBe('{"token":"***","n":NaN}');
    expect(row.kwargs).toBe("{'password': 'hunter2'}");
    const clean = taskRow({ ...newTask(uuid), args: '(1,)' }, 'amqp://x', undefined);
    expect(redactRow(clean, r)).toBe(clean);
    expect(redactRow(row, null)).toBe(row);
  });
});

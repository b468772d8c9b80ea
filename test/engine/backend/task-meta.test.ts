import { describe, expect, it } from 'vitest';
import { exceptionRepr, metaIsFinal, parseTaskMeta, pyRepr, taskFromMeta } from '../../../src/engine/backend/task-meta.js';
import { newTask } from '../../../src/engine/model.js';
import { readFileSync } from 'node:fs';
import { parsePythonJson } from '../../../src/engine/events/py-json.js';
import { FIXTURES } from '../../helpers/fixtures.js';

interface ResultLine {
  scenario: string;
  task: string;
  key: string;
  raw?: string;
}

/** The raw value the worker stored for a scenario's task in the Redis capture. */
function stored(scenario: string, task?: string): { uuid: string; raw: string } {
  // The capture lines hold the parsed value too, with Python's Infinity/NaN tokens in it.
  const lines = readFileSync(`${FIXTURES}redis-results.ndjson`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const parsed = parsePythonJson(l);
      if (!parsed.ok) throw new Error(`fixture line does not parse: ${parsed.error}`);
      return parsed.value as ResultLine;
    });
  const line = lines.find(
    (l) => l.scenario === scenario && (task === undefined || l.task === task) && typeof l.raw === 'string' && l.raw !== '',
  );
  if (line === undefined) throw new Error(`no stored result for ${scenario}`);
  return { uuid: line.key.replace('celery-task-meta-', ''), raw: line.raw! };
}

describe('parseTaskMeta on the captured backend values', () => {
  it('SUCCESS: result, done time (naive UTC), extended fields', () => {
    const meta = parseTaskMeta(stored('basic', 'tasks.add').raw);
    expect(meta).toEqual({
      status: 'SUCCESS',
      result: 5,
      traceback: null,
      doneAt: Date.UTC(2026, 10, 21, 5, 33, 24, 612.581) / 1000,
      name: 'tasks.add',
      worker: 'w1@harness',
    });
    expect(metaIsFinal(meta!)).toBe(true);
  });

  it('a result with Infinity and NaN parses (Python JSON)', () => {
    const meta = parseTaskMeta(stored('echo').raw);
    expect(meta?.status).toBe('SUCCESS');
    expect(JSON.stringify(meta?.result)).toContain('null'); // NaN/Infinity became numbers (JSON shows them as null)
    const first = (meta?.result as unknown[][])[0]!;
    expect(first.slice(8, 11)).toEqual([Infinity, -Infinity, NaN]);
  });

  it('FAILURE: the exception as the event would show it, and the traceback', () => {
    const meta = parseTaskMeta(stored('fail').raw)!;
    expect(meta.status).toBe('FAILURE');
    expect(exceptionRepr(meta.result)).toBe(`HarnessError('kaboom "quoted" \\'single\\'', 42)`);
    expect(meta.traceback).toMatch(/^Traceback \(most recent call last\):/);
  });

  it('REVOKED is final', () => {
    const meta = parseTaskMeta(stored('revoke').raw)!;
    expect(meta.status).toBe('REVOKED');
    expect(metaIsFinal(meta)).toBe(true);
    expect(exceptionRepr(meta.result)).toBe("TaskRevokedError('revoked')");
  });

  it('RETRY is not final; junk is not a meta', () => {
    expect(metaIsFinal({ status: 'RETRY', result: null, traceback: null, doneAt: null, name: null, worker: null })).toBe(false);
    expect(parseTaskMeta('not json')).toBeNull();
    expect(parseTaskMeta('[1]')).toBeNull();
    expect(parseTaskMeta('{"result": 1}')).toBeNull();
  });

  it('a date with an offset is read as given', () => {
    expect(parseTaskMeta('{"status": "SUCCESS", "result": 1, "date_done": "2026-01-01T00:00:00+01:00"}')?.doneAt).toBe(
      Date.UTC(2025, 11, 31, 23) / 1000,
    );
  });
});

describe('pyRepr', () => {
  it.each([
    ['plain', "'plain'"],
    ["it's", `"it's"`],
    [`both ' and "`, `'both \\' and "'`],
    ['back\\slash\nline', "'back\\\\slash\\nline'"],
    [42, '42'],
    [null, 'None'],
    [true, 'True'],
    [[1, 'a'], "[1, 'a']"],
    [{ k: false }, "{'k': False}"],
    [Infinity, 'inf'],
  ])('%j -> %s', (value, repr) => expect(pyRepr(value)).toBe(repr));

  it('exception with a single non-list message, and non-exceptions', () => {
    expect(exceptionRepr({ exc_type: 'ValueError', exc_message: 'bad' })).toBe("ValueError('bad')");
    expect(exceptionRepr({ exc_type: 'E' })).toBe('E()');
    expect(exceptionRepr(5)).toBeNull();
  });
});

describe('taskFromMeta', () => {
  it('a task seen by events gets the backend state over it, without losing what events told', () => {
    const { uuid, raw } = stored('fail');
    const meta = parseTaskMeta(raw)!;
    const seen = { ...newTask(uuid), name: 'tasks.fail', state: 'STARTED', worker: 'w9@h', started: 100, timestamp: 100 };
    const t = taskFromMeta(uuid, meta, seen, 999);
    expect(t).toMatchObject({ uuid, name: 'tasks.fail', worker: 'w9@h', state: 'FAILURE', started: 100, failed: meta.doneAt, timestamp: meta.doneAt });
    expect(t.exception).toBe(`HarnessError('kaboom "quoted" \\'single\\'', 42)`);
    expect(seen.state).toBe('STARTED'); // a copy
  });

  it('a task never seen: a bare one with the backend state, time and extended fields', () => {
    const { uuid, raw } = stored('basic', 'tasks.add');
    const t = taskFromMeta(uuid, parseTaskMeta(raw)!, undefined, 999);
    expect(t).toMatchObject({ uuid, name: 'tasks.add', worker: 'w1@harness', state: 'SUCCESS', exception: null, result: null });
    expect(t.succeeded).toBe(t.timestamp);
    expect(taskFromMeta(uuid, { status: 'SUCCESS', result: 1, traceback: null, doneAt: null, name: null, worker: null }, undefined, 999).timestamp).toBe(999);
  });
});

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { newTask } from '../../../src/engine/model.js';
import { Pipeline } from '../../../src/engine/pipeline.js';
import { dumpPythonJson, parsePythonJson } from '../../../src/engine/events/py-json.js';
import { META_PREFIX, parseMeta, ResultKeeper } from '../../../src/engine/backend/result-keeper.js';
import { openResultBackend, type ResultBackend } from '../../../src/engine/backend/results.js';
import { State } from '../../../src/engine/state/state.js';
import { UsageError } from '../../../src/errors.js';
import { FIXTURES, loadCapture } from '../../helpers/fixtures.js';
import { RESULT_BACKEND, withRedis } from '../../helpers/brokers.js';

interface ResultLine {
  scenario: string;
  task: string;
  key: string;
  raw?: string;
  value?: { status: string; result: unknown };
}

/** The capture file is itself written by Python: its `value`s hold bare NaN/Infinity. */
function results(): ResultLine[] {
  return readFileSync(`${FIXTURES}redis-results.ndjson`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const parsed = parsePythonJson(l);
      if (!parsed.ok) throw new Error(`fixture line does not parse: ${parsed.error}`);
      return parsed.value as ResultLine;
    });
}

const uuidOf = (key: string): string => key.slice(META_PREFIX.length);

describe('parsePythonJson', () => {
  it('reads bare NaN / Infinity / -Infinity as numbers, only outside strings', () => {
    const r = parsePythonJson('{"a": [NaN, Infinity, -Infinity, 1.5], "s": "NaN Infinity \\" NaN", "NaN": -Infinity}');
    expect(r).toMatchObject({ ok: true, nonFinite: true });
    const v = (r as { value: { a: number[]; s: string; NaN: number } }).value;
    expect(v.a[0]).toBeNaN();
    expect(v.a.slice(1)).toEqual([Infinity, -Infinity, 1.5]);
    expect(v.s).toBe('NaN Infinity " NaN');
    expect(v.NaN).toBe(-Infinity);
  });

  it('is plain JSON.parse for standard JSON, and reports what does not parse', () => {
    expect(parsePythonJson('{"x": [1, "two", null]}')).toEqual({ ok: true, value: { x: [1, 'two', null] }, nonFinite: false });
    const bad = parsePythonJson('{"x": NaN');
    expect(bad.ok).toBe(false);
    expect(parsePythonJson('[nan]').ok).toBe(false); // Python never writes lowercase nan
  });

  it('never confuses a string in the data with its NaN marker', () => {
    // Lone low surrogates in the data (escaped, as Python writes them): the marker avoids them.
    const text = '["\\udfffNaN", NaN, "\\uDFFENaN"]';
    const r = parsePythonJson(text);
    expect(r.ok).toBe(true);
    const v = (r as { value: unknown[] }).value;
    expect(v[0]).toBe('\udfffNaN');
    expect(v[1]).toBeNaN();
    expect(v[2]).toBe('\udffeNaN');
  });

  it('writes values back in the same dialect', () => {
    const text = '{"r":[NaN,Infinity,-Infinity,"NaN",{"k":[1,2.5]}]}';
    expect(dumpPythonJson((parsePythonJson(text) as { value: unknown }).value)).toBe(text);
    expect(dumpPythonJson({ a: [1, 'x'] })).toBe('{"a":[1,"x"]}');
  });
});

describe('parseMeta on the captured backend values', () => {
  it('keeps status and the whole result of every stored value', () => {
    const lines = results().filter((l) => l.raw !== undefined);
    expect(lines).toHaveLength(25);
    for (const l of lines) {
      const meta = parseMeta(l.raw!);
      expect(meta, l.key).not.toBeNull();
      const whole = parsePythonJson(meta!.json);
      expect(whole.ok).toBe(true);
      if (l.value !== undefined) {
        expect(meta!.status).toBe(l.value.status);
        expect((whole as { value: unknown }).value).toEqual(l.value.result);
      }
    }
  });

  it('serves the echo result whole, with its inf/-inf/nan as numbers', () => {
    const echo = results().find((l) => l.key.endsWith('62afb67f-394f-40da-97dd-86eb7f2d0143'))!;
    const meta = parseMeta(echo.raw!)!;
    expect(meta.json).toContain('Infinity,-Infinity,NaN');
    const value = (parsePythonJson(meta.json) as { value: [unknown[], Record<string, string>] }).value;
    expect(value[0].slice(8, 10)).toEqual([Infinity, -Infinity]);
    expect(value[0][10]).toBeNaN();
    expect(value[1]['long']).toHaveLength(3000);
  });

  it('refuses what is not a stored result', () => {
    expect(parseMeta('not json')).toBeNull();
    expect(parseMeta('[1, 2]')).toBeNull();
    expect(parseMeta('{"result": 1}')).toBeNull();
  });
});

/** The redis capture through the engine, with every captured result pushed first (as Redis does). */
function captured(keeper: ResultKeeper, push: boolean): { state: State; needing: string[] } {
  if (push) for (const l of results()) if (l.raw !== undefined) keeper.push(l.key, l.raw);
  const state = new State({ maxTasks: 1000, maxWorkers: 10 });
  const needing = new Set<string>();
  const pipeline = new Pipeline(
    state,
    (ch) => {
      if (ch.kind === 'task' && keeper.onTask(ch.task)) needing.add(ch.task.uuid);
    },
    () => {},
  );
  for (const m of loadCapture('redis')) pipeline.handle(m.raw, m.t);
  return { state, needing: [...needing].sort() };
}

const CUT = ['62afb67f-394f-40da-97dd-86eb7f2d0143', '93e08e36-cd41-4f71-a8d7-d0f66bf14da2', 'd56a44c7-26e9-4ca3-9be4-17fe14d31be3'];

describe('ResultKeeper', () => {
  it('keeps pushed results only for tasks whose event repr was cut', () => {
    const keeper = new ResultKeeper({ maxResults: 100 });
    const { needing } = captured(keeper, true);
    expect(needing).toEqual([]);
    expect(keeper.size).toBe(3);
    expect(keeper.fetched).toBe(3);
    for (const uuid of CUT) expect(keeper.get(uuid)?.status).toBe('SUCCESS');
    expect(keeper.get('9ac958c6-e057-47d6-86a6-bd67319f5896')).toBeUndefined(); // add(2, 3): whole in the event
    const big = parsePythonJson(keeper.get(CUT[2]!)!.json) as { value: { n: number; items: unknown[] } };
    expect(big.value.n).toBe(2000);
    expect(big.value.items).toHaveLength(2000);
  });

  it('asks for a GET when the push was missed, and keeps what the GET returns', () => {
    const keeper = new ResultKeeper({ maxResults: 100 });
    const { needing } = captured(keeper, false);
    expect(needing).toEqual([...CUT].sort());
    const big = results().find((l) => l.scenario === 'big')!;
    expect(keeper.keep(uuidOf(big.key), big.raw!)?.status).toBe('SUCCESS');
    expect(keeper.get(uuidOf(big.key))).toBeDefined();
  });

  it('keeps SUCCESS values only, the newest push winning', () => {
    const keeper = new ResultKeeper({ maxResults: 10 });
    const task = { ...newTask('t1'), state: 'SUCCESS', result: "['" + 'x'.repeat(1020) + "...', ...]" };
    keeper.push(META_PREFIX + 't1', '{"status": "RETRY", "result": {"exc_type": "ValueError"}}');
    expect(keeper.onTask(task)).toBe(true); // a RETRY value is not the result: GET it
    keeper.push(META_PREFIX + 't1', '{"status": "SUCCESS", "result": "' + 'x'.repeat(2000) + '"}');
    expect(keeper.onTask(task)).toBe(false);
    expect(keeper.get('t1')?.json).toBe(`"${'x'.repeat(2000)}"`);
    keeper.push(META_PREFIX + 't1', '{"status": "SUCCESS", "result": "newer"}');
    expect(keeper.get('t1')?.json).toBe('"newer"');
    keeper.push('some-other-channel', '{"status": "SUCCESS", "result": 1}');
    expect(keeper.size).toBe(1);
  });

  it('is bounded by count and by bytes, oldest out first', () => {
    const keeper = new ResultKeeper({ maxResults: 2, maxBytes: 100 });
    const keep = (id: string, result: string) => keeper.keep(id, `{"status": "SUCCESS", "result": "${result}"}`);
    keep('a', 'x');
    keep('b', 'y');
    keep('c', 'z');
    expect(['a', 'b', 'c'].map((id) => keeper.get(id) !== undefined)).toEqual([false, true, true]);
    keep('d', 'w'.repeat(90)); // 92 bytes of JSON: c (3) still fits, b does not
    expect(['b', 'c', 'd'].map((id) => keeper.get(id) !== undefined)).toEqual([false, true, true]);
    keep('e', 'v'.repeat(200)); // over the whole budget: not kept, nothing evicted for it
    expect(['c', 'd', 'e'].map((id) => keeper.get(id) !== undefined)).toEqual([true, true, false]);
    keeper.clear();
    expect(keeper.size).toBe(0);
  });
});

describe('openResultBackend', () => {
  const logs: string[] = [];
  const log = (m: string) => logs.push(m);
  let backend: ResultBackend | undefined;
  afterEach(async () => {
    logs.length = 0;
    await backend?.close();
    backend = undefined;
  });

  it('without a URL: none, silently', async () => {
    backend = openResultBackend(undefined, { maxResults: 10, log });
    await backend.start();
    expect([backend.state, backend.masked, logs]).toEqual(['none', '', []]);
  });

  it('rpc:// and other non-Redis backends: unsupported, said once at start-up', async () => {
    backend = openResultBackend('rpc://', { maxResults: 10, log });
    await backend.start();
    expect(backend.state).toBe('unsupported');
    expect(logs).toEqual([
      "result backend rpc://: rpc:// sends each result to the reply queue of the client that called the task, where no monitor can read it; results come from events only (cut at 1024 characters)",
    ]);
    const pg = openResultBackend('db+postgresql://u:secret@db/celery', { maxResults: 10, log });
    await pg.start();
    expect(pg.state).toBe('unsupported');
    expect(logs[1]).toMatch(/^result backend db\+postgresql:\/\/u:\*\*\*\*@db\/celery: clearly reads whole results from a Redis result backend/);
  });

  it('refuses a URL that is not one', () => {
    expect(() => openResultBackend('nope', { maxResults: 10, log })).toThrow(UsageError);
  });

  it('an unreachable Redis: warns, stays unavailable, never throws', async () => {
    backend = openResultBackend('redis://127.0.0.1:1/1', { maxResults: 10, log, connectTimeoutMs: 500 });
    await backend.start();
    expect(backend.state).toBe('unavailable');
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^cannot reach the result backend redis:\/\/127\.0\.0\.1:1\/1 \(connection refused\); serving events without whole results/);
    expect(await backend.fetch({ ...newTask(randomUUID()), result: "['x...', ...]" }, 200)).toBeUndefined();
  });

  it('a real Redis: takes pushed results, and GETs what it missed', async () => {
    backend = openResultBackend(RESULT_BACKEND, { maxResults: 10, log });
    await backend.start();
    expect([backend.state, logs]).toEqual(['connected', []]);
    const cut = "['" + 'y'.repeat(1020) + "...', ...]";
    const pushed = randomUUID();
    const stored = randomUUID();
    const whole = 'y'.repeat(3000);
    await withRedis(RESULT_BACKEND, async (r) => {
      await r.publish(META_PREFIX + pushed, JSON.stringify({ status: 'SUCCESS', result: whole }));
      await r.set(META_PREFIX + stored, JSON.stringify({ status: 'SUCCESS', result: [whole, 1] }), 'EX', 60);
    });
    // The push arrives asynchronously: wait for it through the public API.
    const pushedTask = { ...newTask(pushed), state: 'SUCCESS', result: cut };
    for (let i = 0; i < 50 && backend.get(pushed) === undefined; i++) {
      backend.onTask(pushedTask);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(backend.get(pushed)?.json).toBe(JSON.stringify(whole));
    const fetched = await backend.fetch({ ...newTask(stored), state: 'SUCCESS', result: cut }, 2000);
    expect(fetched?.json).toBe(JSON.stringify([whole, 1]));
    expect(backend.fetched).toBe(2);
    // Not cut: nothing to fetch.
    expect(await backend.fetch({ ...newTask(stored + 'x'), result: '5' }, 2000)).toBeUndefined();
    await withRedis(RESULT_BACKEND, (r) => r.del(META_PREFIX + stored));
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { makePalette } from '../../src/format/colors.js';
import type { TaskRecord } from '../../src/format/record.js';
import { renderTaskDetail } from '../../src/format/task-detail.js';
import { renderText } from '../../src/format/text.js';

const plain = makePalette(false);

/** The record's own lines (text.ts's format, tested there) with every detail turned on. */
const recordLines = (r: TaskRecord): string[] => renderText(r, plain, { params: true, results: true, errors: true }).split('\n');

// Times render in local time: pin the zone so the expected text is exact.
beforeAll(() => {
  process.env['TZ'] = 'UTC';
});

// 2024-01-02T03:04:05.250Z and a few seconds on.
const T0 = 1704164645.25;

function task(over: Partial<TaskRecord>): TaskRecord {
  return {
    kind: 'task',
    uuid: 'u-1',
    name: 'tasks.add',
    state: 'SUCCESS',
    timestamp: T0 + 3,
    generated: false,
    worker: 'w1@host',
    retries: 0,
    args: [2, 3],
    kwargs: { z: 1 },
    result: 5,
    args_repr: '(2, 3)',
    kwargs_repr: "{'z': 1}",
    result_repr: '5',
    result_source: 'event',
    exception: null,
    traceback: null,
    runtime: 0.5,
    args_truncated: false,
    kwargs_truncated: false,
    result_truncated: false,
    routing_key: 'celery',
    queue: 'celery',
    exchange: '',
    parent_id: null,
    root_id: 'u-1',
    client: 'gen1@host',
    eta: null,
    expires: null,
    sent: T0,
    received: T0 + 1,
    started: T0 + 2,
    succeeded: T0 + 3,
    failed: null,
    retried: null,
    revoked: null,
    rejected: null,
    group: null,
    ...over,
  };
}

describe('renderTaskDetail', () => {
  it('shows a success with its params, result, times, route and sender', () => {
    const r = task({});
    expect(recordLines(r).slice(1)).toEqual(['    args (2, 3)', '    kwargs z=1', '    result 5']);
    expect(renderTaskDetail(r, plain).split('\n')).toEqual([
      ...recordLines(r),
      '    result from event',
      '    times sent 03:04:05.250, received 03:04:06.250, started 03:04:07.250, succeeded 03:04:08.250',
      '    routed queue celery, routing key celery',
      '    sent by gen1@host',
    ]);
  });

  it('shows a failure with exception, traceback, family and eta', () => {
    const r = task({
      state: 'FAILURE',
      name: 'tasks.fail',
      result: null,
      result_repr: null,
      result_source: null,
      exception: "HarnessError('kaboom', 42)",
      traceback: 'Traceback (most recent call last):\n  File "x.py", line 1, in f\nHarnessError: kaboom\n',
      succeeded: null,
      failed: T0 + 3,
      parent_id: 'p-1',
      root_id: 'r-1',
      group: 'g-1',
      eta: '2024-01-02T03:04:06+00:00',
      exchange: 'celery',
      client: null,
    });
    const lines = renderTaskDetail(r, plain).split('\n');
    expect(lines[0]).toMatch(/^03:04:08\.250 FAILURE +tasks\.fail u-1 w1@host/);
    expect(lines).toContain("    exception HarnessError('kaboom', 42)");
    expect(lines.some((l) => l.startsWith('    ') && l.includes('HarnessError: kaboom'))).toBe(true);
    expect(lines).toEqual([
      ...recordLines(r),
      '    times sent 03:04:05.250, received 03:04:06.250, started 03:04:07.250, failed 03:04:08.250',
      '    routed queue celery, exchange celery, routing key celery',
      '    eta 2024-01-02T03:04:06+00:00',
      '    parent p-1',
      '    root r-1',
      '    group g-1',
    ]);
    expect(lines.join('\n')).not.toContain('result');
  });

  it('shows a whole result from the backend in Python notation, like every other value', () => {
    const r = task({ result: { n: [1, 2], ok: true, none: null }, result_repr: null, result_source: 'backend', routing_key: null, queue: null, client: null });
    const lines = renderTaskDetail(r, plain).split('\n');
    expect(lines).toContain("    result {'n': [1, 2], 'ok': True, 'none': None}");
    expect(lines).toContain('    result from backend');
    expect(lines.join('\n')).not.toContain('{"n"');
  });

  it('pretty-prints a long value across lines, whole, never breaking inside a token', () => {
    const items = Array.from({ length: 40 }, (_, i) => `{'id': ${i}, 'name': 'customer-${i}', 'tags': ['a', 'b']}`);
    const repr = `[${items.join(', ')}]`;
    const r = task({ result_repr: repr, result: null });
    const lines = renderTaskDetail(r, plain, 80).split('\n');
    const start = lines.findIndex((l) => l.startsWith('    result ['));
    const value = lines.slice(start, start + 40);
    expect(value[0]).toBe("    result [{'id': 0, 'name': 'customer-0', 'tags': ['a', 'b']},");
    expect(value[1]).toBe("            {'id': 1, 'name': 'customer-1', 'tags': ['a', 'b']},");
    expect(value[39]).toBe("            {'id': 39, 'name': 'customer-39', 'tags': ['a', 'b']}]");
    for (const l of value) expect(l.length).toBeLessThanOrEqual(80);
    // Nothing left out: every item is there.
    expect(value.join('\n').match(/'id': \d+/g)).toHaveLength(40);
  });

  it('splits a long string into adjacent literals after spaces, as pprint does', () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const r = task({ result_repr: `'${words}'`, result: words });
    const lines = renderTaskDetail(r, plain, 60).split('\n');
    const start = lines.findIndex((l) => l.startsWith('    result ('));
    const chunk = lines.slice(start).filter((l) => /^ +'|^    result \('/.test(l));
    expect(chunk.length).toBeGreaterThan(5);
    for (const l of chunk) expect(l.length).toBeLessThanOrEqual(60);
    const joined = chunk.map((l) => /'([^']*)'/.exec(l)?.[1] ?? '').join('');
    expect(joined).toBe(words);
  });

  it('says a value Celery cut is cut, and how to get a result whole', () => {
    const r = task({ result_repr: "[{'id': 1}, {'id': 2, 'na...', ...}]", result_source: 'truncated', result_truncated: true });
    expect(renderTaskDetail(r, plain)).toContain('(cut by Celery at 1024 characters; a result backend keeps it whole: clearly server --backend URL)');
  });

  it('lists the times in time order: a retried task was received and started again after its retry', () => {
    // Celery keeps one time per state, the latest: the redelivery's receipt and start.
    const r = task({ retries: 1, sent: T0, retried: T0 + 1, received: T0 + 1.5, started: T0 + 2, succeeded: T0 + 3 });
    const times = renderTaskDetail(r, plain).split('\n').find((l) => l.startsWith('    times '));
    expect(times).toBe('    times sent 03:04:05.250, retried 03:04:06.250, received 03:04:06.750, started 03:04:07.250, succeeded 03:04:08.250');
  });

  it('a task-sent stamped after the receipt (the publisher stamps it once the message is out) says so', () => {
    const r = task({ sent: T0 + 1.1, received: T0 + 1, started: T0 + 2, succeeded: T0 + 3 });
    expect(renderTaskDetail(r, plain)).toContain(
      '    times received 03:04:06.250, sent 03:04:06.350 (stamped by the publisher after publishing), started 03:04:07.250, succeeded 03:04:08.250',
    );
  });

  it('equal times keep the lifecycle order', () => {
    const r = task({ sent: T0, received: T0, started: T0, succeeded: T0 });
    expect(renderTaskDetail(r, plain)).toContain('    times sent 03:04:05.250, received 03:04:05.250, started 03:04:05.250, succeeded 03:04:05.250');
  });

  it("says what Celery's own State holds when clearly's state differs", () => {
    const out = renderTaskDetail(task({ state: 'REJECTED', celery_state: 'STARTED', result: null, result_repr: null, result_source: null }), plain);
    expect(out).toContain("    celery state STARTED (what Celery's own State and Flower show; clearly differs on purpose: see the README)");
    expect(renderTaskDetail(task({}), plain)).not.toContain('celery state');
  });
});

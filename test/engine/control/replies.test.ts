import { describe, expect, it } from 'vitest';
import type { ControlReply } from '../../../src/engine/control/mailbox.js';
import { parsePing, parseScheduled, parseStats, parseTaskList } from '../../../src/engine/control/replies.js';
import { readNdjson } from '../../helpers/fixtures.js';

/** The reply Celery's own client returned in a capture, for its one worker. */
function capturedReply(name: string): ControlReply {
  const line = readNdjson<{ kind: string; result?: Record<string, unknown> }>(`${name}.ndjson`).find((l) => l.kind === 'client-result');
  const [hostname, value] = Object.entries(line?.result ?? {})[0] ?? ['', undefined];
  return { hostname, value };
}

const reply = (value: unknown, error?: string): ControlReply =>
  error === undefined ? { hostname: 'w1@h', value } : { hostname: 'w1@h', value, error };

describe('parsePing', () => {
  it('reads the captured pong on both brokers', () => {
    expect(parsePing(capturedReply('pidbox-amqp-ping'))).toEqual({ ok: true, value: 'pong' });
    expect(parsePing(capturedReply('pidbox-redis-ping'))).toEqual({ ok: true, value: 'pong' });
  });

  it.each([
    ['a string', 'pong'],
    ['no ok', {}],
    ['ok not a string', { ok: 1 }],
    ['null', null],
  ])('reports %s', (_l, value) => {
    expect(parsePing(reply(value))).toEqual({ ok: false, problem: 'w1@h: ping reply is not {"ok": "…"}' });
  });

  it('reports a worker-side error', () => {
    expect(parsePing(reply({ error: "KeyError('ping')" }, "KeyError('ping')"))).toEqual({
      ok: false,
      problem: "w1@h answered with an error: KeyError('ping')",
    });
  });
});

describe('parseStats', () => {
  it('reads the captured AMQP stats', () => {
    const r = parseStats(capturedReply('pidbox-amqp-stats'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.pid).toBe(12879);
    expect(r.value.clock).toBe(96); // sent as the string "96"
    expect(r.value.uptime).toBe(9);
    expect(r.value.prefetchCount).toBe(8);
    expect(r.value.pool).toEqual({ maxConcurrency: 2, processes: [12892, 12920], maxTasksPerChild: null, threads: null });
    expect(r.value.broker).toEqual({ transport: 'amqp', hostname: '127.0.0.1', port: 5672, virtualHost: '/', userid: 'guest' });
    expect(r.value.total['tasks.add']).toBe(10);
    expect(Object.keys(r.value.total)).toHaveLength(12);
    expect(r.value.rusage?.['maxrss']).toBe(47924);
  });

  it('reads the captured Redis stats (userid null, vhost = db)', () => {
    const r = parseStats(capturedReply('pidbox-redis-stats'));
    expect(r.ok && r.value.broker).toEqual({ transport: 'redis', hostname: '127.0.0.1', port: 6379, virtualHost: '0', userid: null });
    expect(r.ok && r.value.pool?.processes).toEqual([12770, 12795]);
  });

  it('keeps what it can from other pools and odd values', () => {
    const r = parseStats(reply({ pool: { 'max-concurrency': 4, threads: 3 }, clock: 'x', rusage: 'N/A', total: { a: 1, b: 'two' } }));
    expect(r).toEqual({
      ok: true,
      value: {
        pid: null,
        clock: null,
        uptime: null,
        prefetchCount: null,
        pool: { maxConcurrency: 4, processes: [], maxTasksPerChild: null, threads: 3 },
        broker: null,
        total: { a: 1 },
        rusage: null,
      },
    });
  });

  it('reports a non-object and a worker error', () => {
    expect(parseStats(reply([1]))).toEqual({ ok: false, problem: 'w1@h: stats reply is not an object' });
    expect(parseStats(reply({ error: 'boom' }, 'boom'))).toEqual({ ok: false, problem: 'w1@h answered with an error: boom' });
  });
});

describe('parseTaskList', () => {
  it('reads the captured active task', () => {
    const r = parseTaskList(capturedReply('pidbox-redis-active'));
    expect(r).toEqual({
      ok: true,
      value: {
        skipped: 0,
        tasks: [
          {
            id: 'c015a2cc-b706-4178-ba5c-1ab4fff7198a',
            name: 'tasks.slow',
            args: [3],
            kwargs: {},
            type: 'tasks.slow',
            hostname: 'w1@harness',
            timeStart: 1795240033.4117613,
            acknowledged: true,
            workerPid: 15586,
            deliveryInfo: { exchange: '', routingKey: 'celery', priority: 0, redelivered: null },
          },
        ],
      },
    });
  });

  it('skips items without an id and keeps safe=True repr args as strings', () => {
    const r = parseTaskList(reply([{ name: 'no id' }, 7, null, { id: 'x', args: '(1, 2)', kwargs: '{}', delivery_info: 'odd' }]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.skipped).toBe(3);
    expect(r.value.tasks).toHaveLength(1);
    expect(r.value.tasks[0]).toMatchObject({ id: 'x', args: '(1, 2)', kwargs: '{}', name: null, deliveryInfo: null, timeStart: null });
  });

  it('reports a non-list', () => {
    expect(parseTaskList(reply({ id: 'x' }))).toEqual({ ok: false, problem: 'w1@h: reply is not a list of tasks' });
  });
});

describe('parseScheduled', () => {
  it('reads eta/priority/request and skips items whose request is unusable', () => {
    const r = parseScheduled(
      reply([
        { eta: '2026-11-21T05:33:25.181386+00:00', priority: 6, request: { id: 'a', name: 'tasks.add', args: [1, 2], time_start: null } },
        { eta: null, priority: 0, request: {} },
        'junk',
      ]),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.skipped).toBe(2);
    expect(r.value.tasks).toHaveLength(1);
    expect(r.value.tasks[0]?.eta).toBe('2026-11-21T05:33:25.181386+00:00');
    expect(r.value.tasks[0]?.priority).toBe(6);
    expect(r.value.tasks[0]?.request).toMatchObject({ id: 'a', name: 'tasks.add', args: [1, 2], timeStart: null });
  });
});

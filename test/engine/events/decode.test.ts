import { describe, expect, it } from 'vitest';
import { decodeBody, decodeEvent, decodeMessage } from '../../../src/engine/events/decode.js';
import type { RawMessage, TaskEvent, WorkerEvent } from '../../../src/engine/events/types.js';
import { loadCapture } from '../../helpers/fixtures.js';

function amqp(body: string | Buffer, over: Partial<Extract<RawMessage, { transport: 'amqp' }>> = {}): RawMessage {
  return {
    transport: 'amqp',
    routingKey: 'task.multi',
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    body: typeof body === 'string' ? Buffer.from(body) : body,
    ...over,
  };
}

function redisEnvelope(body: string, over: Record<string, unknown> = {}): RawMessage {
  const env = {
    body: Buffer.from(body).toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers: { hostname: 'w1@h' },
    properties: { delivery_mode: 1, priority: 0, body_encoding: 'base64', delivery_tag: 'x' },
    ...over,
  };
  return { transport: 'redis', channel: '/0.celeryev/task.multi', payload: JSON.stringify(env) };
}

const HEARTBEAT =
  '{"hostname": "w1@harness", "utcoffset": 0, "pid": 12879, "clock": 74, "freq": 2.0, "active": 2, "processed": 22, "loadavg": [0.01, 0.1, 0.08], "sw_ident": "py-celery", "sw_ver": "5.2.6", "sw_sys": "Linux", "timestamp": 1795239224.4787385, "type": "worker-heartbeat"}';

describe.each(['amqp', 'redis'] as const)('golden %s capture', (transport) => {
  const capture = loadCapture(transport);

  it('decodes every message with no error, one event per body item', () => {
    let events = 0;
    for (const m of capture) {
      const r = decodeMessage(m.raw);
      expect(r.errors).toEqual([]);
      const expected = Array.isArray(m.body) ? m.body.length : 1;
      expect(r.events).toHaveLength(expected);
      events += r.events.length;
    }
    expect(events).toBeGreaterThan(100);
  });

  it('keeps every field of the captured bodies with its JSON type', () => {
    for (const m of capture) {
      const items = (Array.isArray(m.body) ? m.body : [m.body]) as Record<string, unknown>[];
      const r = decodeMessage(m.raw);
      items.forEach((item, i) => {
        const ev = r.events[i] as unknown as Record<string, unknown>;
        expect(ev['type']).toBe(item['type']);
        for (const [k, v] of Object.entries(item)) {
          if (k === 'type') continue;
          expect(ev[k], `${String(item['type'])}.${k}`).toEqual(v);
        }
      });
    }
  });
});

describe('decodeMessage', () => {
  it('decodes a single worker event with its typed fields', () => {
    const r = decodeMessage(amqp(HEARTBEAT, { routingKey: 'worker.heartbeat' }));
    expect(r.errors).toEqual([]);
    const ev = r.events[0] as WorkerEvent;
    expect(ev).toMatchObject({
      kind: 'worker',
      subject: 'heartbeat',
      hostname: 'w1@harness',
      freq: 2,
      active: 2,
      processed: 22,
      loadavg: [0.01, 0.1, 0.08],
      timestamp: 1795239224.4787385,
    });
  });

  it('accepts an empty task.multi list', () => {
    expect(decodeMessage(amqp('[]'))).toEqual({ events: [], errors: [] });
    expect(decodeMessage(redisEnvelope('[]'))).toEqual({ events: [], errors: [] });
  });

  it('keeps the good items of a task.multi list with bad ones', () => {
    const body = JSON.stringify([
      { hostname: 'w', timestamp: 1, type: 'task-started', uuid: 'a', clock: 3 },
      { hostname: 'w', timestamp: 1, type: 'task-started' },
      42,
      { hostname: 'w', timestamp: 2, type: 'task-succeeded', uuid: 'a', result: '5', runtime: 0.1 },
    ]);
    const r = decodeMessage(amqp(body));
    expect(r.events.map((e) => (e as TaskEvent).subject)).toEqual(['started', 'succeeded']);
    expect(r.errors.map((e) => e.reason)).toEqual(['missing-field', 'not-an-event']);
  });

  it('maps a custom task-foo to subject other and passes unknown types on', () => {
    const r = decodeBody(
      JSON.stringify([
        { hostname: 'w', timestamp: 1, type: 'task-progress', uuid: 'a' },
        { hostname: 'w', timestamp: 1, type: 'worker-rebooted', x: 1 },
      ]),
    );
    expect(r.events[0]).toMatchObject({ kind: 'task', subject: 'other', type: 'task-progress' });
    expect(r.events[1]).toMatchObject({ kind: 'other', type: 'worker-rebooted', fields: { x: 1 } });
  });

  it('drops wrongly typed optional fields instead of failing the event', () => {
    const ev = decodeEvent({
      hostname: 'w',
      timestamp: 1.5,
      type: 'task-received',
      uuid: 'u',
      name: 42,
      args: '(1,)',
      retries: 'x',
      parent_id: null,
      clock: 1.5,
    }) as TaskEvent;
    expect(ev.name).toBeUndefined();
    expect(ev.args).toBe('(1,)');
    expect(ev.retries).toBeUndefined();
    expect(ev.parent_id).toBeNull();
    expect(ev.clock).toBe(0);
  });

  it.each([
    ['not JSON', amqp('{"hostname": '), 'bad-json'],
    ['pickle', amqp('\x80\x04', { contentType: 'application/x-python-serialize' }), 'content-type'],
    ['latin-1 encoding', amqp('{}', { contentEncoding: 'latin-1' }), 'bad-encoding'],
    ['a number', amqp('3'), 'not-an-event'],
    ['no type', amqp('{"hostname": "w", "timestamp": 1}'), 'not-an-event'],
    ['no timestamp', amqp('{"type": "worker-online", "hostname": "w"}'), 'missing-field'],
    ['worker without hostname', amqp('{"type": "worker-online", "timestamp": 1}'), 'missing-field'],
    ['task without uuid', amqp('{"type": "task-started", "hostname": "w", "timestamp": 1}'), 'missing-field'],
    ['a giant body', amqp(Buffer.alloc(9 * 1024 * 1024, 0x20)), 'too-large'],
    ['redis: not an envelope', { transport: 'redis', channel: 'c', payload: 'nope' } as RawMessage, 'bad-envelope'],
    ['redis: envelope is a list', { transport: 'redis', channel: 'c', payload: '[1]' } as RawMessage, 'bad-envelope'],
    ['redis: bad base64', redisEnvelope('{}', { body: '!!!' }), 'bad-encoding'],
    ['redis: body not JSON', redisEnvelope('hello'), 'bad-json'],
    ['redis: pickle', redisEnvelope('{}', { 'content-type': 'application/x-python-serialize' }), 'content-type'],
  ])('reports %s as %s without throwing', (_label, raw, reason) => {
    const r = decodeMessage(raw);
    expect(r.events).toEqual([]);
    expect(r.errors.map((e) => e.reason)).toEqual([reason]);
    expect(r.errors[0]?.detail.length).toBeLessThan(300);
  });

  it('decodes a Redis envelope without body_encoding (raw JSON body)', () => {
    const env = JSON.stringify({ body: HEARTBEAT, 'content-type': 'application/json', properties: {} });
    const r = decodeMessage({ transport: 'redis', channel: '/0.celeryev/worker.heartbeat', payload: env });
    expect(r.events).toHaveLength(1);
    expect(r.events[0]?.kind).toBe('worker');
  });
});

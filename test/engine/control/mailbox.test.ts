import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  buildRequestBody,
  decodeReplyBody,
  encodeRequestBody,
  LamportClock,
  replyExchange,
  replyLimit,
  replyQueueName,
  ReplyRouter,
  requestExchange,
  requestHeaders,
} from '../../../src/engine/control/mailbox.js';
import type { ControlProblem } from '../../../src/engine/control/codec.js';
import { readNdjson } from '../../helpers/fixtures.js';

interface PidboxLine {
  kind: 'pidbox-request' | 'pidbox-reply' | 'client-result';
  properties?: { content_type: string; content_encoding: string; application_headers: Record<string, unknown>; delivery_mode: number; priority: number };
  body_b64?: string;
  body?: Record<string, unknown>;
  envelope?: { headers: Record<string, unknown> };
  result?: Record<string, unknown>;
}

const CAPTURES = [
  'pidbox-amqp-ping',
  'pidbox-amqp-stats',
  'pidbox-amqp-enable_events',
  'pidbox-redis-ping',
  'pidbox-redis-stats',
  'pidbox-redis-active',
  'pidbox-redis-enable_events',
] as const;

function capture(name: string): { request: PidboxLine; reply: PidboxLine; result: PidboxLine } {
  const lines = readNdjson<PidboxLine>(`${name}.ndjson`);
  const pick = (kind: PidboxLine['kind']): PidboxLine => {
    const l = lines.find((x) => x.kind === kind);
    if (!l) throw new Error(`${name}: no ${kind} line`);
    return l;
  };
  return { request: pick('pidbox-request'), reply: pick('pidbox-reply'), result: pick('client-result') };
}

describe('names', () => {
  it('derives exchanges and the reply queue from the namespace as kombu does', () => {
    expect(requestExchange('celery')).toBe('celery.pidbox');
    expect(replyExchange('celery')).toBe('reply.celery.pidbox');
    expect(replyQueueName('fe83ddce-1a9b-37cd-90c0-4fa610a432e8', 'celery')).toBe(
      'fe83ddce-1a9b-37cd-90c0-4fa610a432e8.reply.celery.pidbox',
    );
    expect(requestExchange('myapp')).toBe('myapp.pidbox');
  });
});

describe('buildRequestBody + encodeRequestBody', () => {
  it.each(CAPTURES)('reproduces the captured request bytes of %s exactly', (name) => {
    const { request } = capture(name);
    const captured = request.body as { method: string; arguments: Record<string, unknown>; ticket: string; reply_to: { routing_key: string } };
    const body = buildRequestBody(captured.method, captured.arguments, null, {
      ticket: captured.ticket,
      oid: captured.reply_to.routing_key,
    });
    const bytes = encodeRequestBody(body);
    // AMQP captures carry the body directly; Redis ones inside the envelope (body_b64 is the same thing decoded).
    expect(bytes.toString('base64')).toBe(request.body_b64);
  });

  it('keeps kombu key order and omits ticket/reply_to for a cast', () => {
    const body = buildRequestBody('heartbeat', undefined, null, null);
    expect(Object.keys(body)).toEqual(['method', 'arguments', 'destination', 'pattern', 'matcher']);
    expect(encodeRequestBody(body).toString()).toBe(
      '{"method": "heartbeat", "arguments": {}, "destination": null, "pattern": null, "matcher": null}',
    );
  });

  it('sends the destination as a list and the reply exchange of the namespace', () => {
    const body = buildRequestBody('ping', {}, ['w1@a', 'w2@b'], { ticket: 't', oid: 'o' }, 'ns');
    expect(body).toEqual({
      method: 'ping',
      arguments: {},
      destination: ['w1@a', 'w2@b'],
      pattern: null,
      matcher: null,
      ticket: 't',
      reply_to: { exchange: 'reply.ns.pidbox', routing_key: 'o' },
    });
  });
});

describe('requestHeaders', () => {
  it('sets expires to now + timeout in epoch seconds, like the captured header', () => {
    const { request } = capture('pidbox-amqp-ping');
    const expires = request.properties?.application_headers['expires'] as number;
    // The capture used timeout=1.0: expires - 1 s is when it was sent.
    const sentMs = (expires - 1) * 1000;
    const h = requestHeaders(1, 1000, sentMs);
    expect(h.clock).toBe(1);
    expect(h.expires).toBeCloseTo(expires, 6);
  });

  it('uses 0 for no timeout (kombu: `time() + timeout if timeout else 0`)', () => {
    expect(requestHeaders(5, 0, 1_700_000_000_000)).toEqual({ clock: 5, expires: 0 });
  });
});

describe('LamportClock', () => {
  it('forwards by one and adjusts past a peer clock', () => {
    const c = new LamportClock();
    expect(c.forward()).toBe(1);
    expect(c.forward()).toBe(2);
    c.adjust(13);
    expect(c.forward()).toBe(15);
    c.adjust('nonsense');
    c.adjust(3);
    expect(c.forward()).toBe(17);
  });
});

describe('decodeReplyBody', () => {
  it.each(CAPTURES)('decodes the captured reply of %s to what Celery returned', (name) => {
    const { reply, result } = capture(name);
    const decoded = decodeReplyBody(Buffer.from(reply.body_b64 ?? '', 'base64'), 'application/json', 'utf-8');
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const asObject = Object.fromEntries(decoded.value.map((r) => [r.hostname, r.value]));
    expect(asObject).toEqual(result.result);
    expect(decoded.value.every((r) => r.error === undefined)).toBe(true);
  });

  it('marks a handler error', () => {
    const d = decodeReplyBody(Buffer.from('{"w1@h": {"error": "KeyError(\'nosuch\')"}}'), 'application/json', 'utf-8');
    expect(d).toEqual({
      ok: true,
      value: [{ hostname: 'w1@h', value: { error: "KeyError('nosuch')" }, error: "KeyError('nosuch')" }],
    });
  });

  it('does not take a value that merely has an error key among others for an error', () => {
    const d = decodeReplyBody(Buffer.from('{"w1@h": {"error": "x", "ok": 1}}'), undefined, undefined);
    expect(d).toEqual({ ok: true, value: [{ hostname: 'w1@h', value: { error: 'x', ok: 1 } }] });
  });

  it('reads Python NaN/Infinity tokens instead of losing the reply', () => {
    const d = decodeReplyBody(Buffer.from('{"w1@h": [{"id": "a", "args": [NaN, Infinity, -Infinity, "NaN"]}]}'), 'application/json', 'utf-8');
    expect(d).toEqual({ ok: true, value: [{ hostname: 'w1@h', value: [{ id: 'a', args: [null, null, null, 'NaN'] }] }] });
  });

  it.each([
    ['pickle', Buffer.from('x'), 'application/x-python-serialize', 'binary', 'content-type'],
    ['latin-1', Buffer.from('{}'), 'application/json', 'latin-1', 'bad-encoding'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'application/json', 'utf-8', 'bad-encoding'],
    ['truncated JSON', Buffer.from('{"w1@h": {"ok"'), 'application/json', 'utf-8', 'bad-json'],
    ['a list', Buffer.from('[1, 2]'), 'application/json', 'utf-8', 'not-a-reply'],
    ['a string', Buffer.from('"pong"'), 'application/json', 'utf-8', 'not-a-reply'],
    ['null', Buffer.from('null'), 'application/json', 'utf-8', 'not-a-reply'],
  ] as const)('reports %s without throwing', (_label, body, ct, ce, reason) => {
    const d = decodeReplyBody(body, ct, ce);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.problem.reason).toBe(reason);
  });
});

describe('replyLimit', () => {
  it('defaults to the number of destinations, like kombu', () => {
    expect(replyLimit({ destination: ['a', 'b'] })).toBe(2);
    expect(replyLimit({ destination: null })).toBeNull();
    expect(replyLimit({})).toBeNull();
    expect(replyLimit({ destination: [] })).toBeNull();
    expect(replyLimit({ destination: ['a', 'b'], limit: 1 })).toBe(1);
    expect(replyLimit({ limit: 0 })).toBeNull();
  });
});

describe('ReplyRouter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const json = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));

  it('collects replies for its ticket until the timeout and drops other tickets', async () => {
    vi.useFakeTimers();
    const r = new ReplyRouter();
    let settled = false;
    const p = r.expect('t1', 1000, null).then((x) => {
      settled = true;
      return x;
    });
    r.deliver('t1', json({ 'w1@h': { ok: 'pong' } }), 'application/json', 'utf-8');
    r.deliver('other', json({ 'w9@h': { ok: 'pong' } }), 'application/json', 'utf-8');
    r.deliver(undefined, json({ 'w8@h': { ok: 'pong' } }), 'application/json', 'utf-8');
    r.deliver('t1', json({ 'w2@h': { ok: 'pong' } }), 'application/json', 'utf-8');
    await vi.advanceTimersByTimeAsync(999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await p).toEqual([
      { hostname: 'w1@h', value: { ok: 'pong' } },
      { hostname: 'w2@h', value: { ok: 'pong' } },
    ]);
    expect(r.size).toBe(0);
  });

  it('resolves as soon as the limit is reached', async () => {
    vi.useFakeTimers();
    const r = new ReplyRouter();
    const p = r.expect('t', 60_000, 1);
    r.deliver('t', json({ 'w1@h': { ok: 'pong' } }), 'application/json', 'utf-8');
    expect(await p).toEqual([{ hostname: 'w1@h', value: { ok: 'pong' } }]);
    expect(r.size).toBe(0);
  });

  it('reports a bad reply to its call and keeps waiting for good ones', async () => {
    vi.useFakeTimers();
    const r = new ReplyRouter();
    const problems: ControlProblem[] = [];
    const p = r.expect('t', 500, 1, (pr) => problems.push(pr));
    r.deliver('t', Buffer.from('not json'), 'application/json', 'utf-8');
    r.problem({ reason: 'bad-envelope', detail: 'x' });
    r.deliver('t', json({ 'w1@h': { ok: 'pong' } }), 'application/json', 'utf-8');
    expect(await p).toEqual([{ hostname: 'w1@h', value: { ok: 'pong' } }]);
    expect(problems.map((x) => x.reason)).toEqual(['bad-json', 'bad-envelope']);
  });

  it('finishAll resolves with what arrived, or rejects every call with the error', async () => {
    const r = new ReplyRouter();
    const a = r.expect('a', 60_000, null);
    r.deliver('a', json({ 'w1@h': 1 }), undefined, undefined);
    r.finishAll();
    expect(await a).toEqual([{ hostname: 'w1@h', value: 1 }]);
    const b = r.expect('b', 60_000, null);
    const c = r.expect('c', 60_000, null);
    const boom = new Error('connection lost');
    r.finishAll(boom);
    await expect(b).rejects.toBe(boom);
    await expect(c).rejects.toBe(boom);
    expect(r.size).toBe(0);
  });
});

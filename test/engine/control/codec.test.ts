import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope, pyJsonDumps, pyJsonParse } from '../../../src/engine/control/codec.js';
import { readNdjson } from '../../helpers/fixtures.js';

interface RedisPidboxLine {
  kind: string;
  raw_b64: string;
  body_b64: string;
  envelope: {
    body: string;
    headers: Record<string, unknown>;
    properties: { delivery_mode: 1 | 2; priority: number; delivery_tag: string; delivery_info: { exchange: string; routing_key: string } };
  };
}

const REDIS_CAPTURES = ['pidbox-redis-ping', 'pidbox-redis-stats', 'pidbox-redis-active', 'pidbox-redis-enable_events'] as const;
const lines = (name: string): RedisPidboxLine[] =>
  readNdjson<RedisPidboxLine>(`${name}.ndjson`).filter((l) => l.kind === 'pidbox-request' || l.kind === 'pidbox-reply');

describe('pyJsonDumps', () => {
  it('uses Python separators and key order', () => {
    expect(pyJsonDumps({ b: 1, a: [1, 2, { c: null }], d: {}, e: [] })).toBe('{"b": 1, "a": [1, 2, {"c": null}], "d": {}, "e": []}');
  });

  it('escapes like ensure_ascii=True, astral characters as surrogate pairs', () => {
    expect(pyJsonDumps('é"\\\n\t\u0001\u007f~ 😀')).toBe('"\\u00e9\\"\\\\\\n\\t\\u0001\\u007f~ \\ud83d\\ude00"');
  });

  it('writes numbers and non-finite values as Python does, and skips undefined members', () => {
    expect(pyJsonDumps([1795239210.2977295, -3, 0.5, NaN, Infinity, -Infinity, true, false, null])).toBe(
      '[1795239210.2977295, -3, 0.5, NaN, Infinity, -Infinity, true, false, null]',
    );
    expect(pyJsonDumps({ a: undefined, b: 2 })).toBe('{"b": 2}');
  });
});

describe('pyJsonParse', () => {
  it('parses plain JSON and Python-only tokens outside strings', () => {
    expect(pyJsonParse('{"a": [1, "x"]}')).toEqual({ ok: true, value: { a: [1, 'x'] } });
    expect(pyJsonParse('[NaN, -Infinity, "Infinity \\" NaN", Infinity]')).toEqual({
      ok: true,
      value: [null, null, 'Infinity " NaN', null],
    });
  });

  it('reports broken JSON instead of throwing', () => {
    const r = pyJsonParse('{"a": ');
    expect(r.ok).toBe(false);
    expect(pyJsonParse('NaNa').ok).toBe(false);
  });
});

describe('encodeEnvelope', () => {
  it.each(REDIS_CAPTURES)('reproduces the captured request and reply envelopes of %s byte for byte', (name) => {
    for (const l of lines(name)) {
      const p = l.envelope.properties;
      const out = encodeEnvelope({
        body: Buffer.from(l.body_b64, 'base64'),
        headers: l.envelope.headers,
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: p.delivery_mode,
        priority: p.priority,
        exchange: p.delivery_info.exchange,
        routingKey: p.delivery_info.routing_key,
        deliveryTag: p.delivery_tag,
      });
      expect(Buffer.from(out, 'utf8').toString('base64')).toBe(l.raw_b64);
    }
  });
});

describe('decodeEnvelope', () => {
  it.each(REDIS_CAPTURES)('unwraps the captured reply of %s', (name) => {
    const reply = lines(name).find((l) => l.kind === 'pidbox-reply');
    expect(reply).toBeDefined();
    const d = decodeEnvelope(Buffer.from(reply?.raw_b64 ?? '', 'base64'));
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.value.body.toString('base64')).toBe(reply?.body_b64);
    expect(d.value.headers).toEqual(reply?.envelope.headers);
    expect(d.value.contentType).toBe('application/json');
    expect(d.value.contentEncoding).toBe('utf-8');
  });

  it('takes a body without body_encoding as text', () => {
    const d = decodeEnvelope('{"body": "{\\"w@h\\": 1}", "headers": {"ticket": "t"}, "properties": {}}');
    expect(d.ok && d.value.body.toString()).toBe('{"w@h": 1}');
    expect(d.ok && d.value.headers).toEqual({ ticket: 't' });
  });

  it.each([
    ['not JSON', 'garbage', 'bad-envelope'],
    ['a list', '[1]', 'bad-envelope'],
    ['no body', '{"headers": {}}', 'bad-envelope'],
    ['bad base64', '{"body": "%%%", "properties": {"body_encoding": "base64"}}', 'bad-encoding'],
    ['unknown body_encoding', '{"body": "x", "properties": {"body_encoding": "rot13"}}', 'bad-encoding'],
  ] as const)('reports %s', (_label, payload, reason) => {
    const d = decodeEnvelope(payload);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.problem.reason).toBe(reason);
  });
});

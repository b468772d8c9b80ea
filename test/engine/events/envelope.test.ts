import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BODY_BYTES, decodeMessage } from '../../../src/engine/events/decode.js';
import { isBase64, kombuBody, parseEnvelope, redisBody } from '../../../src/engine/events/envelope.js';
import { redisEnvelope } from '../../../src/engine/simulate/encode.js';
import { loadCapture } from '../../helpers/fixtures.js';
import { rng } from '../../helpers/rng.js';

/**
 * The fast path (`kombuBody`) must give exactly what the full parse (`parseEnvelope`, the old code)
 * gives, or decline. Every case here compares the two through `redisBody`, and says whether the
 * fast path should have taken the message: a fast path that declines everything would be correct
 * but useless, and one that takes too much would be wrong.
 */

const EVENT =
  '{"hostname": "w1@harness", "utcoffset": 0, "pid": 12879, "clock": 74, "freq": 2.0, "active": 2, "processed": 22, "loadavg": [0.01, 0.1, 0.08], "sw_ident": "py-celery", "sw_ver": "5.2.6", "sw_sys": "Linux", "timestamp": 1795239224.4787385, "type": "worker-heartbeat"}';
const B64 = Buffer.from(EVENT).toString('base64');

/** kombu's envelope exactly as json.dumps writes it, with the parts a test wants changed. */
function kombu(o: { body?: string; hostname?: string; exchange?: string; rk?: string; tag?: string } = {}): string {
  return (
    `{"body": "${o.body ?? B64}", "content-encoding": "utf-8", "content-type": "application/json", ` +
    `"headers": {"hostname": "${o.hostname ?? 'w1@harness'}"}, "properties": {"delivery_mode": 1, ` +
    `"delivery_info": {"exchange": "${o.exchange ?? 'celeryev'}", "routing_key": "${o.rk ?? 'worker.heartbeat'}"}, ` +
    `"priority": 0, "body_encoding": "base64", "delivery_tag": "${o.tag ?? '688d4398-8d9f-4b57-b7ee-84ba3b58a3c7'}"}}`
  );
}

/** What redisBody gives, checked against the reference on the same text (string and bytes). */
function viaBoth(text: string): ReturnType<typeof parseEnvelope> {
  const expected = parseEnvelope(text);
  expect(redisBody(text, DEFAULT_MAX_BODY_BYTES)).toEqual(expected);
  const bytes = Buffer.from(text, 'utf8');
  expect(redisBody(bytes, DEFAULT_MAX_BODY_BYTES)).toEqual(parseEnvelope(bytes.toString('utf8')));
  return expected;
}

function reason(r: ReturnType<typeof parseEnvelope>): string {
  return typeof r === 'string' ? 'ok' : r.reason;
}

describe('kombuBody: the layout kombu writes', () => {
  it('takes every envelope of the golden Redis capture, giving the same body text', () => {
    const capture = loadCapture('redis');
    expect(capture.length).toBeGreaterThan(50);
    for (const m of capture) {
      if (m.raw.transport !== 'redis') throw new Error('not a Redis capture');
      const text = m.raw.payload.toString();
      const fast = kombuBody(text);
      expect(fast).toBeDefined();
      expect(fast).toBe(parseEnvelope(text));
    }
  });

  it("takes the benchmark generator's envelopes", () => {
    const text = redisEnvelope(EVENT, 'worker.heartbeat', 'w1@h', 'b7c1e9a2-0000-4000-8000-000000000000');
    expect(kombuBody(text)).toBe(EVENT);
  });

  it('decodes a body with non-ASCII UTF-8 as UTF-8', () => {
    const event = '{"type": "worker-online", "hostname": "wé😀@h", "timestamp": 1}';
    const text = kombu({ body: Buffer.from(event).toString('base64') });
    expect(kombuBody(text)).toBe(event);
    expect(viaBoth(text)).toBe(event);
  });

  it.each([
    ['empty body', ''],
    ['one padding character', Buffer.from('ab').toString('base64')],
    ['two padding characters', Buffer.from('a').toString('base64')],
    ['non-zero bits before the padding (YR==, decoded as a)', 'YR=='],
  ])('takes %s like the reference', (_label, body) => {
    const text = kombu({ body });
    expect(kombuBody(text)).toBeDefined();
    viaBoth(text);
  });

  it('takes any plain string in the four free places, exotic characters included', () => {
    const text = kombu({ hostname: 'wé@\u2028h\ud800', exchange: 'my/events', rk: "a b'c", tag: '' });
    expect(kombuBody(text)).toBe(EVENT);
    viaBoth(text);
  });
});

describe('kombuBody declines, and the full parse decides', () => {
  const env = JSON.parse(kombu()) as Record<string, unknown>;
  const props = env['properties'] as Record<string, unknown>;

  it.each<[string, string, string]>([
    ['keys reordered', JSON.stringify({ properties: props, body: B64, 'content-type': 'application/json' }), 'ok'],
    [
      'properties keys reordered',
      kombu().replace('"priority": 0, "body_encoding": "base64"', '"body_encoding": "base64", "priority": 0'),
      'ok',
    ],
    ['no spaces (JSON.stringify)', JSON.stringify(env), 'ok'],
    ['pretty-printed', JSON.stringify(env, null, 2), 'ok'],
    ['a space before the first key', kombu().replace('{"body"', '{ "body"'), 'ok'],
    ['a trailing newline', `${kombu()}\n`, 'ok'],
    ['a leading space', ` ${kombu()}`, 'ok'],
    ['an escaped quote in the hostname', kombu({ hostname: 'w1\\"@h' }), 'ok'],
    ['a \\u escape in the routing key', kombu({ rk: 'worker\\u002eheartbeat' }), 'ok'],
    ['a \\u escape in a key', kombu().replace('"content-type"', '"content\\u002dtype"'), 'ok'],
    ['a raw control character in the hostname', kombu({ hostname: 'w1\u0001@h' }), 'bad-envelope'],
    ['a raw tab in the delivery tag', kombu({ tag: 'a\tb' }), 'bad-envelope'],
    ['an extra key at the end', kombu().replace(/}}$/, '}, "x": 1}'), 'ok'],
    ['an extra header', kombu().replace('"hostname": "w1@harness"', '"hostname": "w1@harness", "clock": 3'), 'ok'],
    ['delivery_mode 2', kombu().replace('"delivery_mode": 1', '"delivery_mode": 2'), 'ok'],
    [
      'a duplicate content-type, last wins',
      kombu().replace(/}}$/, '}, "content-type": "application/x-python-serialize"}'),
      'content-type',
    ],
    ['a duplicate properties, last wins', kombu().replace(/}}$/, '}, "properties": {"body_encoding": "hex"}}'), 'bad-encoding'],
    ['content-type pickle', kombu().replace('application/json', 'application/x-python-serialize'), 'content-type'],
    ['body_encoding hex', kombu().replace('"body_encoding": "base64"', '"body_encoding": "hex"'), 'bad-encoding'],
    ['no content-type', JSON.stringify({ body: B64, properties: props }), 'ok'],
    ['no properties (raw body)', JSON.stringify({ body: EVENT, 'content-type': 'application/json' }), 'ok'],
    ['no body', JSON.stringify({ 'content-type': 'application/json', properties: props }), 'bad-envelope'],
    ['a numeric body', JSON.stringify({ ...env, body: 42 }), 'bad-envelope'],
    ['cut short', kombu().slice(0, -1), 'bad-envelope'],
    ['cut inside the body', kombu().slice(0, 40), 'bad-envelope'],
    ['not an object', `[${kombu()}]`, 'bad-envelope'],
  ])('%s', (_label, text, expected) => {
    expect(kombuBody(text)).toBeUndefined();
    expect(reason(viaBoth(text))).toBe(expected);
  });

  it.each<[string, string, string]>([
    ['a character outside base64', `${B64.slice(0, 8)}!${B64.slice(9)}`, 'bad-encoding'],
    ['base64url characters', `-_${B64.slice(2)}`, 'bad-encoding'],
    ['a space inside (atob would skip it)', `${B64.slice(0, 8)} ${B64.slice(9)}`, 'bad-encoding'],
    ['a character Node reads by its low byte (U+0157 as W)', `${B64.slice(0, 8)}\u0157${B64.slice(9)}`, 'bad-encoding'],
    ['a latin-1 character', `${B64.slice(0, 8)}\u00ff${B64.slice(9)}`, 'bad-encoding'],
    ['padding in the middle', `YQ==${B64}`, 'bad-encoding'],
    ['three padding characters', 'Y===', 'bad-encoding'],
    ['a length of 4k+1', `${B64}A`, 'bad-encoding'],
    ['unpadded (valid to the old check, so decoded)', 'YQ', 'ok'],
    ['4k+1 characters (valid to the old check, so decoded)', 'YWJjZ', 'ok'],
  ])('a body with %s', (_label, body, expected) => {
    const text = kombu({ body });
    expect(kombuBody(text)).toBeUndefined();
    expect(reason(viaBoth(text))).toBe(expected);
  });

  it('unescapes a body written with \\/ (as some JSON encoders do)', () => {
    const event = '{"type": "worker-online", "hostname": "???", "timestamp": 1}';
    const b64 = Buffer.from(event).toString('base64');
    expect(b64).toContain('/');
    const text = kombu({ body: b64.replaceAll('/', '\\/') });
    expect(kombuBody(text)).toBeUndefined();
    expect(viaBoth(text)).toBe(event);
  });

  it('lets the last of two bodies win, as JSON.parse does', () => {
    const text = kombu().replace(/}}$/, '}, "body": "bm9wZQ=="}');
    expect(kombuBody(text)).toBeUndefined();
    expect(viaBoth(text)).toBe('nope');
    expect(decodeMessage({ transport: 'redis', channel: '/0.celeryev/x', payload: text }).errors[0]?.reason).toBe('bad-json');
  });

  it('refuses an oversized envelope before looking at it', () => {
    const r = redisBody(kombu({ body: 'A'.repeat(8000) }), 100);
    expect(typeof r !== 'string' && r.reason).toBe('too-large');
  });
});

describe('redisBody: fuzz against the full parse', () => {
  const EDITS = '"\\/=+-_ \n\t\u0001{}[],:0aAzZ9é\u0157\u0141\ud83d';
  const seeds = loadCapture('redis').map((m) => (m.raw.transport === 'redis' ? m.raw.payload.toString() : ''));

  it('agrees on mutated kombu envelopes (fast path taken or not)', () => {
    const rand = rng(20241121);
    const pick = (s: string): string => s[Math.floor(rand() * s.length)] ?? '';
    let fast = 0;
    let declined = 0;
    for (let i = 0; i < 4000; i++) {
      let s = seeds[Math.floor(rand() * seeds.length)] ?? '';
      const edits = Math.floor(rand() * 3);
      for (let e = 0; e < edits; e++) {
        // half the edits in the short tail, where the layout is
        const at = rand() < 0.5 ? s.length - 1 - Math.floor(rand() * 330) : Math.floor(rand() * s.length);
        const op = rand();
        if (op < 0.4) s = s.slice(0, at) + pick(EDITS) + s.slice(at);
        else if (op < 0.7) s = s.slice(0, at) + s.slice(at + 1);
        else s = s.slice(0, at) + pick(EDITS) + s.slice(at + 1);
      }
      if (kombuBody(s) === undefined) declined++;
      else fast++;
      viaBoth(s);
    }
    expect(fast).toBeGreaterThan(1000);
    expect(declined).toBeGreaterThan(1000);
  });

  it('agrees with the old base64 check on random bodies', () => {
    const rand = rng(4242);
    const ALPHABET = 'AQYWJj+/=-_ !\u00e9\u0157\n';
    let valid = 0;
    let invalid = 0;
    for (let i = 0; i < 20_000; i++) {
      const n = Math.floor(rand() * 13);
      let body = '';
      // mostly proper base64 characters, so that valid bodies come up often
      for (let k = 0; k < n; k++) {
        body += ALPHABET[Math.floor(rand() * (rand() < 0.85 ? 6 : ALPHABET.length))];
      }
      if (isBase64(body)) valid++;
      else invalid++;
      const text = kombu({ body });
      const r = redisBody(text, DEFAULT_MAX_BODY_BYTES);
      expect(r, JSON.stringify(body)).toEqual(parseEnvelope(text));
    }
    expect(valid).toBeGreaterThan(2000);
    expect(invalid).toBeGreaterThan(2000);
  });
});

/**
 * The tap's decoder on real task messages as Celery 5.2 published them (test/fixtures/
 * {amqp,redis}-task-messages.ndjson: JSON protocol 2 with rich args, an ETA, a chain, and a pickle),
 * plus protocol 1 and what is not a task message.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TapRawMessage } from '../../../src/engine/broker/tap-source.js';
import { parsePythonJson } from '../../../src/engine/events/py-json.js';
import { State } from '../../../src/engine/state/state.js';
import { decodeTapped, unwrapRedisEnvelope } from '../../../src/engine/tap/decode.js';
import { taskRecord } from '../../../src/format/record.js';
import { FIXTURES } from '../../helpers/fixtures.js';

interface Captured {
  transport: 'amqp' | 'redis';
  routing_key: string;
  exchange?: string;
  list_key?: string;
  properties?: { content_type: string; content_encoding: string; application_headers: Record<string, unknown> };
  body_b64?: string;
  raw_b64?: string;
}

function load(transport: 'amqp' | 'redis'): TapRawMessage[] {
  return readFileSync(`${FIXTURES}${transport}-task-messages.ndjson`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      // The capture's own `body` field is Python's JSON (a bare NaN): read it as such.
      const parsed = parsePythonJson(l);
      if (!parsed.ok) throw new Error('bad fixture line');
      const c = parsed.value as Captured;
      if (c.transport === 'redis') return unwrapRedisEnvelope(Buffer.from(c.raw_b64!, 'base64').toString('utf8'), c.list_key!)!;
      return {
        body: Buffer.from(c.body_b64!, 'base64'),
        contentType: c.properties!.content_type,
        contentEncoding: c.properties!.content_encoding,
        headers: c.properties!.application_headers,
        exchange: c.exchange ?? '',
        routingKey: c.routing_key,
        queue: 'harness.tap',
      };
    });
}

describe.each(['amqp', 'redis'] as const)('tapped %s task messages', (transport) => {
  const msgs = load(transport);
  const decoded = msgs.map((m) => decodeTapped(m, 1000));

  it('decodes every one as the task-sent of its task, PENDING, at the receive time', () => {
    expect(decoded.every((d) => d.ok)).toBe(true);
    for (const d of decoded) {
      if (!d.ok) continue;
      expect(d.event).toMatchObject({ kind: 'task', subject: 'sent', timestamp: 1000, hostname: expect.stringMatching(/^gen\d+@vm$/) });
    }
  });

  it('carries the whole args and kwargs as JSON, with NaN kept as Python writes it', () => {
    const echo = decoded.find((d) => d.ok && d.event.name === 'tasks.echo' && d.event.args_json !== undefined);
    expect(echo?.ok).toBe(true);
    if (!echo?.ok) return;
    const args = parsePythonJson(echo.event.args_json!);
    expect(args.ok && args.nonFinite).toBe(true);
    expect(echo.event.args_json).toBe('["2024-01-02T03:04:05Z","1.10",[1,2],null,NaN,"é\\u0000"]');
    expect(JSON.parse(echo.event.kwargs_json!)).toEqual({ k: [1, { x: null }] });
    expect(echo.event.args).toMatch(/^\(datetime\.datetime\(2024, 1, 2, 3, 4, 5, tzinfo=datetime\.timezone\.utc\), Decimal\('1\.10'\), \(1, 2\), None, nan, 'é/);
  });

  it('keeps eta and expires, root id and routing', () => {
    const eta = decoded.find((d) => d.ok && d.event.eta !== null && d.event.eta !== undefined);
    expect(eta?.ok && [eta.event.eta, eta.event.expires, eta.event.routing_key]).toEqual([
      expect.stringMatching(/^2026-11-21T06:34:1[56]/),
      expect.stringMatching(/^2026-11-21T07:34:1[56]/),
      'harness.tap',
    ]);
    for (const d of decoded) if (d.ok) expect(d.event.root_id).toBe(d.event.uuid);
  });

  it('records the group header (protocol 2): a group id, None, or absent; and the task record carries it', () => {
    const echo = msgs.find((m) => m.headers['task'] === 'tasks.echo')!;
    // Celery 5.2 wrote `group: None` on these messages (none was sent in a group).
    expect(echo.headers['group']).toBeNull();
    const none = decodeTapped(echo, 1000);
    expect(none.ok && none.event.group).toBeNull();
    const gid = 'b9d5cbc6-6f8c-4f44-bc7b-0e9f5d8b1f6e';
    const inGroup = decodeTapped({ ...echo, headers: { ...echo.headers, group: gid } }, 1000);
    expect(inGroup.ok && inGroup.event.group).toBe(gid);
    // An AMQP publisher may send it as a longstr (a Buffer).
    const asBytes = decodeTapped({ ...echo, headers: { ...echo.headers, group: Buffer.from(gid) } }, 1000);
    expect(asBytes.ok && asBytes.event.group).toBe(gid);
    const { group: _g, ...noHeader } = echo.headers;
    const absent = decodeTapped({ ...echo, headers: noHeader }, 1000);
    expect(absent.ok && absent.event.group).toBeUndefined();
    if (!inGroup.ok || !none.ok) return;
    const s = new State({ maxTasks: 10, maxWorkers: 10 });
    s.applyTapped(inGroup.event, 1000);
    const t = s.getTask(inGroup.event.uuid)!;
    expect(taskRecord(t, t.state, false, t.timestamp).group).toBe(gid);
    // A later copy without a group (a None header) does not take the group away.
    s.applyTapped(none.event, 1001);
    expect(taskRecord(t, t.state, false, t.timestamp).group).toBe(gid);
  });

  it('never unpickles: a pickle body is described, its reprs come from the headers', () => {
    const pickled = decoded.find((d) => d.ok && d.event.body !== undefined);
    expect(pickled?.ok).toBe(true);
    if (!pickled?.ok) return;
    expect(pickled.event.body).toMatch(/^<pickle, \d+ bytes>$/);
    expect(pickled.event.args_json).toBeUndefined();
    expect(pickled.event.args).toBe("({1, 2}, b'00ff')");
  });

  it('merged with the events: whole args win over the cut repr whichever comes first, the state never goes back', () => {
    const echo = decoded.find((d) => d.ok && d.event.name === 'tasks.echo' && d.event.args_json !== undefined)!;
    if (!echo.ok) throw new Error('no echo');
    const s = new State({ maxTasks: 10, maxWorkers: 10 });
    const uuid = echo.event.uuid;
    const base = { kind: 'task' as const, uuid, hostname: 'w1@h', clock: 1, pid: 1, utcoffset: 0 };
    s.apply({ ...base, type: 'task-received', subject: 'received', timestamp: 5, name: 'tasks.echo', args: "('cut...", kwargs: '{}' }, 5);
    s.apply({ ...base, type: 'task-succeeded', subject: 'succeeded', timestamp: 6, result: 'None' }, 6);
    s.apply(echo.event, 7);
    const t = s.getTask(uuid)!;
    expect(t.state).toBe('SUCCESS');
    const r = taskRecord(t, t.state, false, t.timestamp);
    expect(r.args).toEqual(['2024-01-02T03:04:05Z', '1.10', [1, 2], null, 'NaN', 'é\u0000']);
    expect(r.args_repr).toBe("('cut...");
  });
});

describe.each(['amqp', 'redis'] as const)('a msgpack task message from %s (test/fixtures/msgpack-task-messages.ndjson)', (transport) => {
  const line = readFileSync(`${FIXTURES}msgpack-task-messages.ndjson`, 'utf8')
    .split('\n')
    .map((l) => (l.trim() === '' ? null : (JSON.parse(l) as Captured)))
    .find((c) => c?.transport === transport)!;
  const raw: TapRawMessage =
    transport === 'redis'
      ? unwrapRedisEnvelope(Buffer.from(line.raw_b64!, 'base64').toString('utf8'), line.list_key!)!
      : {
          body: Buffer.from(line.body_b64!, 'base64'),
          contentType: line.properties!.content_type,
          contentEncoding: line.properties!.content_encoding,
          headers: line.properties!.application_headers,
          exchange: line.exchange ?? '',
          routingKey: line.routing_key,
          queue: 'tapmp',
        };

  it('is decoded: the whole args and kwargs, bytes as their Python repr', () => {
    expect(raw.contentType).toBe('application/x-msgpack');
    const d = decodeTapped(raw, 1000);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.event).toMatchObject({ name: 'tasks.packed', subject: 'sent', body: undefined });
    expect(JSON.parse(d.event.args_json!)).toEqual(['z'.repeat(3000), 7, 2.5, null, [1, [2, 'é']], "b'\\x00\\xff'", 2 ** 40]);
    expect(JSON.parse(d.event.kwargs_json!)).toEqual({ k: { x: true }, n: -3 });
    // The header's repr is Celery's own (cut at 1024 characters).
    expect(d.event.args!.startsWith("('zzz")).toBe(true);
    expect(d.event.args!.length).toBeLessThan(1100);
  });

  it('a msgpack body that does not decode is described, with the reprs from the headers', () => {
    const broken = decodeTapped({ ...raw, body: Buffer.from([0xc1, 0xc1, 0xc1]) }, 1000);
    expect(broken.ok && [broken.event.body, broken.event.args_json, broken.event.args?.slice(0, 5)]).toEqual(['<msgpack, 3 bytes>', undefined, "('zzz"]);
    // Without the protocol-2 headers nothing names the task: a counted decode error.
    expect(decodeTapped({ ...raw, headers: {}, body: Buffer.from([0xc1]) }, 1000)).toMatchObject({ ok: false, error: { reason: 'bad-json' } });
  });
});

describe('protocol 1 and junk', () => {
  const raw = (body: unknown, headers: Record<string, unknown> = {}, contentType = 'application/json'): TapRawMessage => ({
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    contentType,
    contentEncoding: 'utf-8',
    headers,
    exchange: 'tasks',
    routingKey: 'work.x',
    queue: 'task-monitor',
  });

  it('reads protocol 1 from the body', () => {
    const d = decodeTapped(raw({ task: 'old.task', id: 'v1-id', args: [1, 'x'], kwargs: { a: 2 }, eta: null, retries: 1 }), 5);
    expect(d.ok && d.event).toMatchObject({ uuid: 'v1-id', name: 'old.task', args_json: '[1,"x"]', kwargs_json: '{"a":2}', retries: 1, exchange: 'tasks', routing_key: 'work.x' });
  });

  it("reads protocol 1's group id from the body's taskset; none when it is null or absent", () => {
    const d = decodeTapped(raw({ task: 'old.task', id: 'v1-g', args: [], kwargs: {}, taskset: 'ts-42' }), 5);
    expect(d.ok && d.event.group).toBe('ts-42');
    const nullSet = decodeTapped(raw({ task: 'old.task', id: 'v1-n', args: [], kwargs: {}, taskset: null }), 5);
    expect(nullSet.ok && nullSet.event.group).toBeNull();
    const noSet = decodeTapped(raw({ task: 'old.task', id: 'v1-a', args: [], kwargs: {} }), 5);
    expect(noSet.ok && noSet.event.group).toBeUndefined();
    // Celery 4+ writes both (the same id); its worker takes taskset when there is one, else group.
    const both = decodeTapped(raw({ task: 'old.task', id: 'v1-b', args: [], kwargs: {}, group: 'from-group', taskset: 'from-taskset' }), 5);
    expect(both.ok && both.event.group).toBe('from-taskset');
    const groupOnly = decodeTapped(raw({ task: 'old.task', id: 'v1-o', args: [], kwargs: {}, group: 'g-only' }), 5);
    expect(groupOnly.ok && groupOnly.event.group).toBe('g-only');
  });

  it('a message that is not a task, or not JSON without headers, is a decode error', () => {
    expect(decodeTapped(raw({ hello: 1 }), 5)).toMatchObject({ ok: false, error: { reason: 'missing-field' } });
    expect(decodeTapped(raw('not json'), 5)).toMatchObject({ ok: false, error: { reason: 'bad-json' } });
    expect(decodeTapped(raw('\x80\x04', {}, 'application/x-python-serialize'), 5)).toMatchObject({ ok: false, error: { reason: 'content-type' } });
    expect(unwrapRedisEnvelope('[]', 'q')).toBeNull();
  });
});

describe('redaction of tapped tasks', () => {
  it("hides a secret key's value in the whole args and kwargs, as in the reprs", async () => {
    const { Pipeline } = await import('../../../src/engine/pipeline.js');
    const { compileRedactor, DEFAULT_REDACT_PATTERN } = await import('../../../src/engine/redact/redact.js');
    const s = new State({ maxTasks: 10, maxWorkers: 10 });
    const p = new Pipeline(s, () => undefined, () => undefined, compileRedactor(DEFAULT_REDACT_PATTERN));
    const body = JSON.stringify([[{ user: 'al', password: 'hunter2' }], { api_key: 'k-123', n: 1 }, {}]);
    p.handleTapped(
      {
        body: Buffer.from(body),
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        headers: { task: 'x.login', id: 'r1', argsrepr: "({'user': 'al', 'password': 'hunter2'},)", kwargsrepr: "{'api_key': 'k-123', 'n': 1}" },
        exchange: 'ex',
        routingKey: 'rk',
        queue: 'q',
      },
      1,
    );
    const t = s.getTask('r1')!;
    expect(t.tapped?.argsJson).toBe('[{"user":"al","password":"***"}]');
    expect(t.tapped?.kwargsJson).toBe('{"api_key":"***","n":1}');
    expect(`${t.args} ${t.kwargs}`).not.toMatch(/hunter2|k-123/);
  });
});

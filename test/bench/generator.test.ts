/**
 * The event load generator (bench/generator): byte-exact encoding against the golden captures,
 * saferepr against real Celery output, the workload's ordering invariants, rate control, and live
 * runs of the CLI against RabbitMQ and Redis (received message count = published count).
 *
 * Live runs use a unique `--host` and count only messages from it: other people's workers and
 * tests share these brokers. Redis uses a db of its own (ISOLATED_DB.generator, test/helpers/brokers.ts),
 * so the channels are `/<db>.celeryev/*`.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  amqpPublishOptions,
  encodeMessage,
  redisChannel,
  redisEnvelope,
  type EncodedMessage,
  type EventMessage,
  type GenEvent,
  type WorkerTaskEvent,
} from '../../src/engine/simulate/encode.js';
import { parseOptions, planShard } from '../../bench/generator/options.js';
import type { Publisher } from '../../bench/generator/publisher.js';
import { redisDb } from '../../bench/generator/publish-redis.js';
import { pyFloat, pyStr } from '../../src/engine/simulate/pyjson.js';
import { dict, float, pyrepr, saferepr, tuple, type PyValue } from '../../src/engine/simulate/repr.js';
import { runShard } from '../../bench/generator/run.js';
import { BROKERS, ISOLATED_DB, redisDb as onDb } from '../helpers/brokers.js';
import { isoUtc, Workload, type WorkloadOptions } from '../../src/engine/simulate/workload.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../bench/generator/cli.ts', import.meta.url));
const AMQP_URL = BROKERS.amqp;
const REDIS_URL = onDb(BROKERS.redis, ISOLATED_DB.generator);

interface Capture {
  routing_key: string;
  body_b64: string;
  raw_b64?: string;
  channel?: string;
  properties?: { content_type: string; content_encoding: string; delivery_mode: number; priority: number; application_headers: { hostname: string } };
  envelope?: { headers: { hostname: string }; properties: { delivery_tag: string } };
}
const captures = (name: string): Capture[] =>
  readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Capture);
const AMQP = captures('amqp-events.ndjson');
const REDIS = captures('redis-events.ndjson');

const rawBody = (c: Capture): string => Buffer.from(c.body_b64, 'base64').toString('latin1');
const hostnameOf = (c: Capture): string => c.properties?.application_headers.hostname ?? c.envelope?.headers.hostname ?? '';
/** Re-encode a captured message from its parsed body (JSON.parse loses 2.0 vs 2: the encoder must restore it). */
function reencode(c: Capture): EncodedMessage {
  const body = JSON.parse(rawBody(c)) as GenEvent | WorkerTaskEvent[];
  const m: EventMessage = Array.isArray(body) ? { kind: 'multi', hostname: hostnameOf(c), events: body } : { kind: 'single', event: body };
  return encodeMessage(m);
}
const firstWhere = (caps: Capture[], pred: (raw: string, c: Capture) => boolean): Capture => {
  const c = caps.find((x) => pred(rawBody(x), x));
  if (c === undefined) throw new Error('no such capture line');
  return c;
};

describe('Python json.dumps scalars', () => {
  it('formats floats as repr() does, including .0 and exponent forms', () => {
    const cases: [number, string][] = [
      [2.0, '2.0'], [0.1, '0.1'], [1795239224.4787385, '1795239224.4787385'], [0.01999725199993918, '0.01999725199993918'],
      [1e16, '1e+16'], [1.5e16, '1.5e+16'], [1e15, '1000000000000000.0'], [9999999999999998, '9999999999999998.0'],
      [1e-5, '1e-05'], [0.0001, '0.0001'], [2.5e-7, '2.5e-07'], [123456789012345678, '1.2345678901234568e+17'],
      [1e22, '1e+22'], [5e-324, '5e-324'], [-0, '-0.0'], [-3.0, '-3.0'], [NaN, 'NaN'], [Infinity, 'Infinity'],
    ];
    for (const [x, want] of cases) expect([x, pyFloat(x)]).toEqual([x, want]);
  });

  it('escapes strings like ensure_ascii=True', () => {
    expect(pyStr('héllo ✓ 😀')).toBe('"h\\u00e9llo \\u2713 \\ud83d\\ude00"');
    expect(pyStr('a"b\\c\n\t\x00\x1b\x7f/')).toBe('"a\\"b\\\\c\\n\\t\\u0000\\u001b\\u007f/"');
    expect(pyStr('plain ascii')).toBe('"plain ascii"');
  });
});

describe('encoder against the golden captures', () => {
  it('re-encodes a worker-heartbeat byte for byte (freq 2.0, loadavg floats)', () => {
    const c = firstWhere(AMQP, (raw) => raw.includes('"type": "worker-heartbeat"'));
    expect(rawBody(c)).toContain('"freq": 2.0');
    expect(reencode(c)).toEqual({ routingKey: 'worker.heartbeat', hostname: 'w1@harness', body: rawBody(c), events: 1 });
  });

  it('re-encodes a task-sent with non-ASCII and control characters (ensure_ascii)', () => {
    const c = firstWhere(AMQP, (raw) => raw.includes('"type": "task-sent"') && raw.includes('\\ud83d\\ude00'));
    expect(reencode(c)).toEqual({ routingKey: 'task.sent', hostname: 'gen12918@vm', body: rawBody(c), events: 1 });
  });

  it('re-encodes a 5-event task.multi list and the empty [] batch', () => {
    const five = firstWhere(AMQP, (raw) => raw.startsWith('[') && (raw.match(/"type": /g) ?? []).length === 5);
    expect(reencode(five)).toEqual({ routingKey: 'task.multi', hostname: 'w1@harness', body: rawBody(five), events: 5 });
    const empty = firstWhere(AMQP, (raw) => raw === '[]');
    expect(reencode(empty)).toEqual({ routingKey: 'task.multi', hostname: 'w1@harness', body: '[]', events: 0 });
  });

  it('re-encodes every captured event message of both transports exactly', () => {
    for (const c of [...AMQP, ...REDIS]) {
      const e = reencode(c);
      expect([e.routingKey, e.body]).toEqual([c.routing_key, rawBody(c)]);
    }
    expect(AMQP.length + REDIS.length).toBe(188);
  });

  it('uses the captured AMQP properties', () => {
    for (const c of AMQP) {
      const p = amqpPublishOptions(hostnameOf(c));
      const cp = c.properties;
      expect({ ...p, headers: { ...p.headers } }).toEqual({
        contentType: cp?.content_type, contentEncoding: cp?.content_encoding, deliveryMode: cp?.delivery_mode,
        priority: cp?.priority, headers: cp?.application_headers,
      });
    }
  });

  it('builds the kombu Redis envelope byte for byte (given the same body and delivery_tag)', () => {
    for (const c of REDIS) {
      const e = reencode(c);
      const env = redisEnvelope(e.body, e.routingKey, e.hostname, c.envelope?.properties.delivery_tag ?? '');
      expect(env).toBe(Buffer.from(c.raw_b64 ?? '', 'base64').toString('latin1'));
      expect(redisChannel(0, e.routingKey)).toBe(c.channel);
    }
  });
});

describe('saferepr (celery.utils.saferepr, 1024 budget)', () => {
  it('matches real Celery output (expected strings produced by celery 5.2.6)', () => {
    const L = 'L'.repeat(5000);
    const cases: [PyValue, string][] = [
      [tuple(42, 'user@example.com'), "(42, 'user@example.com')"],
      [dict({ retry: true, tags: ['a', 'b'] }), "{'retry': True, 'tags': ['a', 'b']}"],
      [tuple(2), '(2,)'],
      [tuple(float(2.5), float(1e16), float(1e-5), float(Infinity)), '(2.5, 1e+16, 1e-05, inf)'],
      [tuple(dict({ nested: dict({ deeper: dict({ deepest: 1 }) }) })), "({'nested': {'deeper': {...}}},)"],
      [tuple("it's", 'héllo ✓ 😀', null, false), "('it\\'s', 'héllo ✓ 😀', None, False)"],
      [{ dict: [[1, 'int key'], ['k', tuple(1, [2, 3])]] }, "{1: 'int key', 'k': (1, [2, 3])}"],
      [[L.slice(0, 2000)], `['${'L'.repeat(1023)}...', ...`], // the closing ] is lost, as in Celery
      [pyrepr("UUID('12345678-1234-5678-1234-567812345678')"), "UUID('12345678-1234-5678-1234-567812345678')"],
    ];
    for (const [v, want] of cases) expect(saferepr(v)).toBe(want);
    expect(saferepr(['😀'.repeat(30), 'x'], 20)).toBe(`['${'😀'.repeat(19)}...', ...]`);
    const rows = saferepr(Array.from({ length: 60 }, (_, i) => dict({ i, name: `item number ${i}` })));
    expect([rows.length, rows.slice(-40)]).toEqual([1034, "e': 'item number 27'}, {'i': 2..., ...}]"]);
  });

  it('reproduces the truncated reprs in the captures', () => {
    const long = AMQP.flatMap((c) => {
      const b = JSON.parse(rawBody(c)) as Record<string, unknown> | Record<string, unknown>[];
      return (Array.isArray(b) ? b : [b]).flatMap((e) => ['args', 'kwargs', 'result'].map((k) => e[k]));
    });
    const L = 'L'.repeat(5000);
    const big = dict({ n: 2000, items: Array.from({ length: 2000 }, (_, i) => dict({ i, sq: i * i, s: 'xxxxxxxx' })) });
    for (const v of [big, [L, 1], dict({ long: L, x: 1 })]) {
      const r = saferepr(v);
      expect(r.length).toBeGreaterThan(1024);
      expect(long).toContain(r);
    }
  });
});

// ---- workload ------------------------------------------------------------------------------

function fakeClock(step: number): () => number {
  let t = 1795239222.4758325;
  return () => (t += step);
}
const baseOpts = (o: Partial<WorkloadOptions> = {}): WorkloadOptions => ({
  seed: 7, workers: ['w1@bench', 'w2@bench', 'w3@bench'], host: 'bench', clientPid: 4242,
  now: fakeClock(0.003), utcoffset: 0, maxEvents: 6000, emptyBatchRate: 0.04, trackTasks: true, ...o,
});
function drain(wl: Workload): EventMessage[] {
  const out: EventMessage[] = [];
  for (let m = wl.next(); m !== null; m = wl.next()) out.push(m);
  return out;
}
const eventsOf = (m: EventMessage): readonly GenEvent[] => (m.kind === 'single' ? [m.event] : m.events);

describe('workload model', () => {
  const wl = new Workload(baseOpts());
  const msgs = drain(wl);
  const events = msgs.flatMap(eventsOf);

  it('publishes exactly maxEvents events and counts them', () => {
    expect(events.length).toBe(6000);
    expect(wl.stats).toEqual({ events: 6000, messages: msgs.length, tasks: events.filter((e) => e.type === 'task-sent' && e.retries === 0).length });
    expect(new Workload(baseOpts({ maxEvents: 6 })).next()).not.toBeNull();
    expect(drain(new Workload(baseOpts({ maxEvents: 6 }))).map((m) => eventsOf(m)[0]?.type)).toEqual([
      'worker-online', 'worker-online', 'worker-online', 'worker-offline', 'worker-offline', 'worker-offline',
    ]);
    expect(drain(new Workload(baseOpts({ maxEvents: 1001 }))).flatMap(eventsOf).length).toBe(1001);
  });

  it('is deterministic for a seed and a clock', () => {
    const again = drain(new Workload(baseOpts())).map((m) => encodeMessage(m).body);
    expect(again).toEqual(msgs.map((m) => encodeMessage(m).body));
    const other = drain(new Workload(baseOpts({ seed: 8 }))).map((m) => encodeMessage(m).body);
    expect(other).not.toEqual(again);
  });

  it('gives the same tasks for a seed whatever the heartbeat timing (wall clock in the CLI)', () => {
    const tasks = (step: number): [string[], string[]] => {
      const evs = drain(new Workload(baseOpts({ now: fakeClock(step) }))).flatMap(eventsOf);
      const sent = evs.flatMap((e) => (e.type === 'task-sent' ? [`${e.uuid} ${e.name} ${e.args} ${e.retries}`] : [])).slice(0, 500);
      const first = new Set(sent.map((x) => x.split(' ')[0]));
      const failed = evs.flatMap((e) => (e.type === 'task-failed' && first.has(e.uuid) ? [e.uuid] : []));
      return [sent, failed.sort()];
    };
    const slow = tasks(0.0001); // few heartbeats
    expect([slow[0].length, slow[1].length > 5]).toEqual([500, true]);
    expect(tasks(0.01)).toEqual(slow); // many heartbeats in between
  });

  it('batches only one worker’s task events, 1–5 in clock order, plus AMQP-style empty batches', () => {
    const multis = msgs.filter((m) => m.kind === 'multi');
    expect(multis.length).toBeGreaterThan(500);
    const sizes = new Set(multis.map((m) => m.events.length));
    expect([...sizes].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const m of multis) {
      for (const e of m.events) expect([e.hostname, e.type.startsWith('task-'), e.type === ('task-sent' as string)]).toEqual([m.hostname, true, false]);
      const clocks = m.events.map((e) => e.clock);
      expect(clocks).toEqual([...clocks].sort((a, b) => a - b));
    }
    expect(drain(new Workload(baseOpts({ emptyBatchRate: 0 }))).some((m) => m.kind === 'multi' && m.events.length === 0)).toBe(false);
  });

  it('keeps each worker’s clock strictly increasing, online first, heartbeats, offline last', () => {
    for (const w of ['w1@bench', 'w2@bench', 'w3@bench']) {
      const mine = events.filter((e) => e.hostname === w);
      expect(mine[0]?.type).toBe('worker-online');
      expect(mine[0]?.clock).toBe(1);
      expect(mine.at(-1)?.type).toBe('worker-offline');
      expect(mine.filter((e) => e.type === 'worker-heartbeat').length).toBeGreaterThan(3);
      for (let i = 1; i < mine.length; i++) expect((mine[i]?.clock ?? 0) > (mine[i - 1]?.clock ?? 0)).toBe(true);
    }
  });

  it('publishes every attempt’s task-sent before its task-received; retries as Celery orders them', () => {
    const seen = new Map<string, number>(); // `${uuid}/${retries}` → index of task-sent
    let retries = 0;
    events.forEach((e, i) => {
      if (e.type === 'task-sent') seen.set(`${e.uuid}/${e.retries}`, i);
      if (e.type === 'task-received') expect(seen.get(`${e.uuid}/${e.retries}`)).toBeLessThan(i);
      if (e.type === 'task-retried') {
        retries++;
        expect(e.traceback).toMatch(/\ncelery\.exceptions\.Retry: Retry in \d+s: .+\n$/);
        // The next attempt (retries+1, eta, parent = itself) was received before, and not started yet.
        const mine = events.slice(0, i).filter((x) => 'uuid' in x && x.uuid === e.uuid);
        const prev = mine.at(-1);
        expect(prev?.type === 'task-received' && prev.retries > 0 && prev.eta !== null && prev.parent_id === e.uuid).toBe(true);
      }
    });
    expect(retries).toBeGreaterThan(0);
    const childSent = events.find((e) => e.type === 'task-sent' && e.retries > 0);
    expect(childSent?.hostname).toMatch(/^gen\d+@bench$/);
    expect(childSent?.hostname).not.toBe('gen4242@bench');
  });

  it('tracks every task uuid with the state Celery’s State would end in', () => {
    const last = new Map<string, string>();
    for (const e of events) if ('uuid' in e) last.set(e.uuid, e.type);
    const expected = new Map([...last].map(([u, t]) => [u, t.replace('task-', '').toUpperCase()
      .replace('SENT', 'PENDING').replace('SUCCEEDED', 'SUCCESS').replace('FAILED', 'FAILURE').replace('RETRIED', 'RETRY')]));
    expect(new Map(wl.states)).toEqual(expected);
    const uuid4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect([...wl.states.keys()].filter((u) => !uuid4.test(u))).toEqual([]);
    const done = [...wl.states.values()].filter((s) => s === 'SUCCESS' || s === 'FAILURE');
    const failShare = done.filter((s) => s === 'FAILURE').length / done.length;
    expect(failShare).toBeGreaterThan(0.02);
    expect(failShare).toBeLessThan(0.1);
  });

  it('produces realistic reprs: non-ASCII escaped on the wire, long results cut at 1024', () => {
    const bodies = msgs.map((m) => encodeMessage(m).body);
    expect(bodies.every((b) => /^[\x20-\x7e]*$/.test(b))).toBe(true);
    expect(bodies.some((b) => b.includes('\\u00fc'))).toBe(true);
    const results = events.flatMap((e) => (e.type === 'task-succeeded' ? [e.result] : []));
    expect(results.some((r) => r.length > 1024 && r.endsWith(', ...}]'))).toBe(true);
    expect(events.some((e) => e.type === 'task-received' && e.args === '()' && e.kwargs.startsWith("{'month': '"))).toBe(true);
  });

  it('stop() flushes the buffers and sends worker-offline', () => {
    const w = new Workload(baseOpts({ maxEvents: undefined }));
    for (let i = 0; i < 300; i++) w.next();
    w.stop();
    const tail = drain(w).flatMap(eventsOf);
    expect(tail.filter((e) => e.type === 'worker-offline').map((e) => e.hostname)).toEqual(['w1@bench', 'w2@bench', 'w3@bench']);
    expect(w.next()).toBeNull();
  });

  it('formats eta like datetime.isoformat()', () => {
    expect(isoUtc(1795239222.960372)).toBe('2026-11-21T05:33:42.960372+00:00');
    expect(isoUtc(1795239222)).toBe('2026-11-21T05:33:42+00:00');
  });
});

// ---- runner, options ------------------------------------------------------------------------

/** A publisher that only counts, and says "full" every `every` messages. */
function countingPublisher(every = 0): Publisher & { messages: EncodedMessage[]; drains: number } {
  const pub = {
    transport: 'redis' as const,
    messages: [] as EncodedMessage[],
    drains: 0,
    publish(m: EncodedMessage): boolean {
      pub.messages.push(m);
      return every === 0 || pub.messages.length % every !== 0;
    },
    flush(): void {},
    async drained(): Promise<void> {
      pub.drains++;
      await new Promise((r) => setImmediate(r));
    },
    async close(): Promise<void> {},
  };
  return pub;
}
const shardWorkload = { seed: 3, workers: ['w1@bench', 'w2@bench'], host: 'bench', clientPid: 99, utcoffset: 0 };

describe('runner', () => {
  it('--max publishes the whole budget, waiting for drain when the transport is full', async () => {
    const pub = countingPublisher(100);
    const r = await runShard({ workload: { ...shardWorkload, maxEvents: 20_000 }, rate: null, duration: null }, pub);
    expect([r.published, r.messages, pub.messages.reduce((a, m) => a + m.events, 0)]).toEqual([20_000, pub.messages.length, 20_000]);
    expect(pub.drains).toBe(Math.floor(pub.messages.length / 100));
  });

  it('--rate holds the requested events/s (token bucket)', async () => {
    const pub = countingPublisher();
    const r = await runShard({ workload: shardWorkload, rate: 3000, duration: 1.5 }, pub);
    expect(r.published / r.seconds).toBeGreaterThan(3000 * 0.9);
    expect(r.published / r.seconds).toBeLessThan(3000 * 1.1);
    expect(pub.messages.at(-1)?.routingKey).toBe('worker.offline');
  });

  it('stops on the abort signal after sending worker-offline', async () => {
    const pub = countingPublisher();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const r = await runShard({ workload: shardWorkload, rate: 20, duration: null, signal: ac.signal }, pub);
    expect(r.seconds).toBeLessThan(1);
    expect(pub.messages.filter((m) => m.routingKey === 'worker.offline').map((m) => m.hostname)).toEqual(['w1@bench', 'w2@bench']);
    expect(r.published).toBeLessThan(20);
  });
});

describe('command line', () => {
  it('validates flags', () => {
    const bad = [[], ['--broker', 'http://x'], ['--broker', AMQP_URL, '--rate', '0'], ['--broker', AMQP_URL, '--rate', '5', '--max'],
      ['--broker', AMQP_URL, '--events', '7', '--workers', '4'], ['--broker', AMQP_URL, '--bogus'], ['--broker', AMQP_URL, '--fail-rate', '2']];
    for (const argv of bad) expect(() => parseOptions(argv)).toThrow(/--|Unknown option/);
    expect(parseOptions(['--help'])).toBe('help');
  });

  it('defaults to a gentle 20 events/s: as fast as possible only with --max (the brokers may be shared)', () => {
    const gentle = parseOptions(['--broker', AMQP_URL]);
    const max = parseOptions(['--broker', AMQP_URL, '--max']);
    if (gentle === 'help' || max === 'help') throw new Error('unexpected help');
    expect(gentle.rate).toBe(20);
    expect(max.rate).toBeNull();
  });

  it('takes the Redis db from the URL for the channel prefix', () => {
    expect([redisDb('redis://127.0.0.1:6379/9'), redisDb('redis://h:1'), redisDb('redis://h:1/')]).toEqual([9, 0, 0]);
    expect(() => redisDb('redis://h:1/x')).toThrow(/db/);
  });

  it('splits workers, events and rate over processes', () => {
    const o = parseOptions(['--broker', REDIS_URL, '--events', '1001', '--workers', '5', '--processes', '2', '--rate', '300', '--seed', '10']);
    if (o === 'help') throw new Error('unexpected help');
    expect([o.transport, o.seed, o.failRate]).toEqual(['redis', 10, 0.05]);
    expect([planShard(o, 0), planShard(o, 1)]).toEqual([
      { workers: ['w1@bench', 'w3@bench', 'w5@bench'], events: 501, rate: 150, seed: 10 },
      { workers: ['w2@bench', 'w4@bench'], events: 500, rate: 150, seed: 10 + 7919 },
    ]);
  });
});

// ---- live --------------------------------------------------------------------------------------

interface Summary { published: number; messages: number; tasks: number; seconds: number; rate: number; broker: string; processes: number }
const uniqueHost = (): string => `bench-t${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const runCli = async (args: string[]): Promise<Summary> => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, timeout: 30_000 });
  return JSON.parse(stdout.trim()) as Summary;
};
const until = async (cond: () => boolean, ms: number): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
};
const countEvents = (body: string): number => {
  const v = JSON.parse(body) as unknown;
  return Array.isArray(v) ? v.length : 1;
};

describe('live publishing', () => {
  it('RabbitMQ: a queue bound to celeryev with # receives exactly what 2 processes published', async () => {
    const host = uniqueHost();
    const conn = await connect(AMQP_URL);
    try {
      const ch = await conn.createChannel();
      await ch.assertExchange('celeryev', 'topic', { durable: true, autoDelete: false });
      const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
      await ch.bindQueue(queue, 'celeryev', '#');
      let messages = 0;
      let events = 0;
      let sample: { props: unknown; rk: string } | null = null;
      await ch.consume(queue, (msg) => {
        if (msg === null || !String(msg.properties.headers?.hostname).endsWith(`@${host}`)) return;
        messages++;
        events += countEvents(msg.content.toString('utf8'));
        if (msg.fields.routingKey === 'worker.online' && msg.properties.headers?.hostname === `w1@${host}`) sample = { props: msg.properties, rk: msg.fields.routingKey };
      }, { noAck: true });
      const s = await runCli(['--broker', AMQP_URL, '--max', '--events', '3000', '--processes', '2', '--workers', '4', '--host', host]);
      expect([s.published, s.processes, s.broker]).toEqual([3000, 2, AMQP_URL.replace(/:[^:@/]*@/, ':****@')]);
      await until(() => messages >= s.messages, 5000);
      await new Promise((r) => setTimeout(r, 200));
      expect([messages, events]).toEqual([s.messages, 3000]);
      expect(sample).toMatchObject({
        rk: 'worker.online',
        props: { contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 1, priority: 0, headers: { hostname: `w1@${host}` } },
      });
      // Nothing else: no message_id, timestamp, correlation_id, type, app_id (PROTOCOL.md §1).
      const set = Object.entries((sample as { props: object } | null)?.props ?? {}).filter(([, v]) => v !== undefined).map(([k]) => k);
      expect(set.sort()).toEqual(['contentEncoding', 'contentType', 'deliveryMode', 'headers', 'priority']);
    } finally {
      await conn.close();
    }
  });

  it('Redis: PSUBSCRIBE /<db>.celeryev/* receives exactly what was published, in kombu envelopes', async () => {
    const host = uniqueHost();
    const sub = new Redis(REDIS_URL);
    try {
      let messages = 0;
      let events = 0;
      let badEnvelopes = 0;
      sub.on('pmessage', (_p: string, channel: string, raw: string) => {
        const env = JSON.parse(raw) as { body: string; headers: { hostname: string }; properties: { delivery_info: { routing_key: string } } };
        if (!env.headers.hostname.endsWith(`@${host}`)) return;
        messages++;
        events += countEvents(Buffer.from(env.body, 'base64').toString('utf8'));
        const shape = /^\{"body": "[A-Za-z0-9+/=]+", "content-encoding": "utf-8", "content-type": "application\/json", "headers": \{"hostname": "[^"]+"\}, "properties": \{"delivery_mode": 1, "delivery_info": \{"exchange": "celeryev", "routing_key": "[a-z.]+"\}, "priority": 0, "body_encoding": "base64", "delivery_tag": "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"\}\}$/;
        if (!shape.test(raw) || channel !== `/${ISOLATED_DB.generator}.celeryev/${env.properties.delivery_info.routing_key}`) badEnvelopes++;
      });
      await sub.psubscribe(`/${ISOLATED_DB.generator}.celeryev/*`);
      const s = await runCli(['--broker', REDIS_URL, '--max', '--events', '3000', '--workers', '3', '--host', host]);
      expect([s.published, s.processes]).toEqual([3000, 1]);
      await until(() => messages >= s.messages, 5000);
      await new Promise((r) => setTimeout(r, 200));
      expect([messages, events, badEnvelopes]).toEqual([s.messages, 3000, 0]);
    } finally {
      sub.disconnect();
    }
  });

  it('SIGINT: a --rate 50 stream stops with worker-offline for every worker and prints the summary', async () => {
    const host = uniqueHost();
    const sub = new Redis(REDIS_URL);
    try {
      const types: string[] = [];
      sub.on('pmessage', (_p: string, channel: string, raw: string) => {
        if ((JSON.parse(raw) as { headers: { hostname: string } }).headers.hostname.endsWith(`@${host}`)) types.push(channel.split('/')[2] ?? '');
      });
      await sub.psubscribe(`/${ISOLATED_DB.generator}.celeryev/*`);
      const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--broker', REDIS_URL, '--rate', '50', '--workers', '2', '--host', host], { cwd: ROOT });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      await until(() => types.length >= 20, 10_000);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      const s = JSON.parse(out.trim()) as Summary;
      await until(() => types.length >= s.messages, 3000);
      expect(types.length).toBe(s.messages);
      expect(types.filter((t) => t === 'worker.offline').length).toBe(2);
      expect(types.slice(-1)).toEqual(['worker.offline']);
      expect(s.rate).toBeGreaterThan(35);
      expect(s.rate).toBeLessThan(65);
    } finally {
      sub.disconnect();
    }
  });
});

import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { createClearlyClient } from '../../../src/engine/grpc/codec/client.js';
import { encodeCaptureItemFast } from '../../../src/engine/grpc/capture-encode.js';
import { clearlyService, decodeCaptureItem, encodeCaptureItem, serverService } from '../../../src/engine/grpc/proto.js';
import type { CaptureItem, DecodedCaptureItem, TaskMessage, WorkerMessage } from '../../../src/engine/grpc/messages.js';
import { rng as prng } from '../../helpers/rng.js';

/** What proto-loader's protobufjs serializer writes: the reference. */
function reference(item: CaptureItem): Buffer {
  return clearlyService()['Capture']!.responseSerialize(item);
}

/** Lone surrogates replaced by U+FFFD (ES2024's String#toWellFormed, which Node 20 has). */
const wellFormed = (s: string): string => (s as unknown as { toWellFormed(): string }).toWellFormed();

function expectSameBytes(item: CaptureItem): Buffer {
  const ours = encodeCaptureItemFast(item);
  expect(ours.toString('hex')).toBe(reference(item).toString('hex'));
  return ours;
}

/**
 * A decoded item without the virtual `_name` fields proto-loader adds for each proto3 `optional`
 * that is set (oneofs: true): the fields themselves.
 */
function decoded(bytes: Buffer): unknown {
  const item = decodeCaptureItem(bytes) as unknown as Record<string, Record<string, unknown> | string>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) {
    out[k] = typeof v === 'string' ? v : Object.fromEntries(Object.entries(v).filter(([f]) => !f.startsWith('_')));
  }
  return out;
}

/** The fields a decoder sees: undefined ones dropped (what defaults: false gives back). */
function present<T extends object>(m: T): Partial<T> {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const FULL_TASK: TaskMessage = {
  uuid: '2f6c7a4e-0b5d-4c1e-9a43-1f0e2d3c4b5a',
  name: 'proj.tasks.add',
  state: 'SUCCESS',
  timestamp: 1_700_000_000.123456,
  generated: true,
  worker: 'celery@host-1',
  retries: 3,
  args_repr: '(1, 2)',
  kwargs_repr: "{'x': 'é'}",
  result_repr: '3',
  result_json: '[NaN, Infinity, "日本"]',
  result_source: 'backend',
  exception: "ValueError('bad')",
  traceback: 'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: bad\n',
  runtime: 0.000123,
  routing_key: 'celery',
  queue: 'celery',
  exchange: 'celery.direct',
  parent_id: 'parent-1',
  root_id: 'root-1',
  client: 'gen123@host-2',
  eta: '2024-01-01T00:00:00+00:00',
  expires: '2024-01-02T00:00:00+00:00',
  sent: 1.5,
  received: 2.5,
  started: 3.5,
  succeeded: 4.5,
  failed: 5.5,
  retried: 6.5,
  revoked: 7.5,
  rejected: 8.5,
  celery_state: 'STARTED',
  lost: true,
  lost_at: 9.5,
  args_json: '[1, NaN]',
  kwargs_json: '{"x": "é"}',
  body: '<pickle, 812 bytes>',
  group_id: '7d0c7a3e-5b1f-4c2d-9e8f-0a1b2c3d4e5f',
};

const FULL_WORKER: WorkerMessage = {
  hostname: 'celery@host-1',
  state: 'HEARTBEAT',
  timestamp: 1_700_000_000.5,
  alive: true,
  pid: 4242,
  freq: 2,
  active: 7,
  processed: 123_456,
  loadavg: [0.5, 1.25, 2],
  sw_ident: 'py-celery',
  sw_ver: '5.3.4',
  sw_sys: 'Linux',
  last_seen: 1_700_000_001.25,
};

describe('encodeCaptureItemFast: same bytes as protobufjs', () => {
  it('writes every TaskMessage field, and the decoder reads each one back', () => {
    const bytes = expectSameBytes({ task: FULL_TASK });
    expect(decoded(bytes)).toEqual({ item: 'task', task: FULL_TASK });
  });

  it('writes every WorkerMessage field, and the decoder reads each one back', () => {
    const bytes = expectSameBytes({ worker: FULL_WORKER });
    expect(decoded(bytes)).toEqual({ item: 'worker', worker: FULL_WORKER });
  });

  it('writes a tapped task\'s group_id (field 65) alone, as protobufjs does, and the client\'s record has it as group', async () => {
    const { taskRecordFromMessage } = await import('../../../src/format/message-records.js');
    const task: TaskMessage = { uuid: 'u', state: 'PENDING', timestamp: 1, group_id: 'g-65' };
    const bytes = expectSameBytes({ task });
    // Key 65 << 3 | 2 = 522 = varint 8a 04, then the length and the text.
    expect(bytes.toString('hex')).toContain('8a0404' + Buffer.from('g-65').toString('hex'));
    const back = decodeCaptureItem(bytes);
    if (back.item !== 'task') throw new Error(`expected a task item, got ${back.item}`);
    expect(back.task.group_id).toBe('g-65');
    expect(taskRecordFromMessage(back.task).group).toBe('g-65');
    const none = decodeCaptureItem(expectSameBytes({ task: { uuid: 'v', state: 'PENDING', timestamp: 1 } }));
    if (none.item !== 'task') throw new Error(`expected a task item, got ${none.item}`);
    expect(taskRecordFromMessage(none.task).group).toBeNull();
  });

  it('writes Missed, with and without a count', () => {
    for (const count of [0, 1, 127, 128, 10_000, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1]) {
      const bytes = expectSameBytes({ missed: { count } });
      expect(decoded(bytes)).toEqual({ item: 'missed', missed: { count } });
    }
    expect(decoded(expectSameBytes({ missed: {} }))).toEqual({ item: 'missed', missed: {} });
  });

  it('writes proto3 defaults that are set, and leaves out what is undefined', () => {
    const task: TaskMessage = { uuid: '', state: '', timestamp: 0, generated: false, retries: 0, name: '', runtime: 0 };
    const bytes = expectSameBytes({ task });
    expect(decoded(bytes)).toEqual({ item: 'task', task });
    const sparse = { uuid: 'u', name: undefined, state: 'PENDING', timestamp: 1, worker: undefined } as TaskMessage;
    expect(decoded(expectSameBytes({ task: sparse }))).toEqual({ item: 'task', task: present(sparse) });
    const worker: WorkerMessage = { hostname: 'h', state: 'OFFLINE', timestamp: 0, alive: false, freq: 0, loadavg: [], last_seen: 0 };
    // An empty repeated field is not written at all.
    expect(decoded(expectSameBytes({ worker }))).toEqual({
      item: 'worker',
      worker: { hostname: 'h', state: 'OFFLINE', timestamp: 0, alive: false, freq: 0, last_seen: 0 },
    });
  });

  it('writes edge doubles bit for bit', () => {
    for (const v of [-0, Number.NaN, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE, -1e-300, 2 ** 53 + 2]) {
      expectSameBytes({ task: { uuid: 'u', state: 'S', timestamp: v, runtime: v, sent: v } });
      expectSameBytes({ worker: { hostname: 'h', state: 'ONLINE', timestamp: v, freq: v, loadavg: [v, v], last_seen: v } });
    }
  });

  it('converts int64, uint64 and uint32 numbers as protobufjs (long.js) does', () => {
    const odd = [
      0, -0, 1, 127, 128, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 62, 2 ** 63 - 1024, 2 ** 63,
      2 ** 64, 2 ** 70, -1, -127, -128, -(2 ** 31), -(2 ** 32), -(2 ** 53), -(2 ** 63), -(2 ** 64), 1.5, -1.5, 0.5, -0.5,
      4_294_967_296.7, -4_294_967_296.7, Infinity, -Infinity, Number.NaN,
    ];
    for (const v of odd) {
      expectSameBytes({ worker: { hostname: 'h', state: 'ONLINE', timestamp: 1, pid: v, active: v, processed: v } });
      expectSameBytes({ missed: { count: v } });
      expectSameBytes({ task: { uuid: 'u', state: 'S', timestamp: 1, retries: v } });
    }
    // Values that survive as numbers come back as they went.
    const w = { hostname: 'h', state: 'ONLINE', timestamp: 1, pid: -1, active: 2 ** 53 - 1, processed: -(2 ** 40) };
    expect(decoded(encodeCaptureItemFast({ worker: w }))).toEqual({ item: 'worker', worker: w });
  });

  it('writes strings of every length class and script', () => {
    const samples = [
      '',
      'a',
      'x'.repeat(42),
      'x'.repeat(43),
      'x'.repeat(63),
      'x'.repeat(64),
      'x'.repeat(65),
      'x'.repeat(127),
      'x'.repeat(128),
      'x'.repeat(16_383),
      'x'.repeat(16_384),
      'é'.repeat(63), // 126 bytes: one length byte
      'é'.repeat(64), // 128 bytes from 64 units: the length needs a second byte
      '日'.repeat(43), // 129 bytes
      '日'.repeat(64), // 192 bytes
      '😀'.repeat(32), // 64 units, 128 bytes
      '😀'.repeat(33),
      'mixed ascii é 日本 😀 end',
      'é'.repeat(40_000),
      'y'.repeat(1_000_000),
    ];
    for (const s of samples) {
      const task: TaskMessage = { uuid: s, name: s, state: 'S', timestamp: 1, result_json: s, client: s, expires: s };
      const bytes = expectSameBytes({ task });
      const back = decodeCaptureItem(bytes);
      expect(back.item === 'task' && back.task.result_json).toBe(s);
    }
  });

  it('writes a lone surrogate as U+FFFD, as Buffer does (protobufjs does too, from 40 units on)', () => {
    const lone = ['\ud800', 'a\udc00b', 'x\ud83d', '\ud83d\ud83d\ude00', '\ude00\ud83d'];
    for (const s of lone) {
      for (const text of [s, s + 'z'.repeat(40), s + 'z'.repeat(70)]) {
        const ours = encodeCaptureItemFast({ task: { uuid: text, state: 'S', timestamp: 1 } });
        const fixed = reference({ task: { uuid: wellFormed(text), state: 'S', timestamp: 1 } });
        expect(ours.toString('hex')).toBe(fixed.toString('hex'));
        if (text.length >= 40) expect(ours.equals(reference({ task: { uuid: text, state: 'S', timestamp: 1 } }))).toBe(true);
        const back = decodeCaptureItem(ours);
        expect(back.item === 'task' && back.task.uuid).toBe(wellFormed(text));
      }
    }
  });

  it("copies a root_id equal to the uuid (a root task's), whatever lies between them", () => {
    const id = FULL_TASK.uuid;
    const copy = (' ' + id).slice(1); // same text, another string
    for (const [uuid, root] of [
      [id, id],
      [id, copy],
      ['é'.repeat(70), 'é'.repeat(70)], // a 2-byte length
      ['', ''],
      [id, id.slice(0, -1) + 'b'],
    ] as const) {
      for (const between of ['', 'R'.repeat(200_000)]) {
        // A big result between them moves the item to a new slab after the uuid is written.
        const task: TaskMessage = { ...FULL_TASK, uuid, root_id: root, result_repr: between };
        const back = decoded(expectSameBytes({ task })) as { task: TaskMessage };
        expect([back.task.uuid ?? '', back.task.root_id]).toEqual([uuid, root]);
      }
    }
  });

  it('writes several members when given several (the decoder keeps the last)', () => {
    expectSameBytes({ task: FULL_TASK, worker: FULL_WORKER, missed: { count: 3 } } as unknown as CaptureItem);
    expectSameBytes({ task: { uuid: 'u', state: 'S', timestamp: 1, traceback: 't'.repeat(300) }, missed: { count: 1 } } as unknown as CaptureItem);
  });

  it('keeps every returned buffer intact across slabs, and after an item bigger than a slab', () => {
    const items: CaptureItem[] = [];
    for (let i = 0; i < 3000; i++) {
      const big = i === 700 || i === 701 ? 'B'.repeat(200_000 + i) : 'r'.repeat(i % 300);
      items.push(i % 7 === 0 ? { worker: { ...FULL_WORKER, pid: i } } : { task: { ...FULL_TASK, retries: i, result_repr: big } });
    }
    const ours = items.map((item) => encodeCaptureItemFast(item));
    // Checked only once all are written: a later item must not have overwritten an earlier one.
    items.forEach((item, i) => expect(ours[i]!.equals(reference(item))).toBe(true));
    // They do share slabs (the point of them), and an item never extends past its own end.
    expect(new Set(ours.map((b) => b.buffer)).size).toBeLessThan(ours.length / 3);
  });

  it('keeps little memory alive per queued item: a small slab, or about the big item itself', () => {
    const small = encodeCaptureItemFast({ task: FULL_TASK });
    expect(small.buffer.byteLength).toBeLessThanOrEqual(8 * 1024);
    for (const text of ['a'.repeat(1_000_000), '日'.repeat(300_000), 'b'.repeat(5_000)]) {
      const big = encodeCaptureItemFast({ task: { ...FULL_TASK, result_json: text } });
      expect(big.buffer.byteLength).toBeLessThan(big.length + 20 * 1024);
      // And the next item does not land in that big one's buffer.
      expect(encodeCaptureItemFast({ task: FULL_TASK }).buffer).not.toBe(big.buffer);
    }
  });

  it('is what encodeCaptureItem uses', () => {
    expect(encodeCaptureItem({ task: FULL_TASK }).equals(reference({ task: FULL_TASK }))).toBe(true);
  });
});

describe('encoded items over gRPC', () => {
  it('reach a client intact: views into a shared slab, written as the server writes them', async () => {
    const items: CaptureItem[] = [
      { missed: { count: 3 } },
      { task: FULL_TASK },
      { worker: FULL_WORKER },
      { task: { ...FULL_TASK, traceback: 'T'.repeat(100_000) } }, // bigger than a slab
      { task: { uuid: 'last', state: 'STARTED', timestamp: 2 } },
    ];
    const encoded = items.map((item) => encodeCaptureItem(item));
    // Not each its own allocation: the point is that grpc-js copes with views at an offset.
    expect(encoded.some((b) => b.byteOffset > 0)).toBe(true);
    const server = new grpc.Server();
    server.addService(serverService(), {
      Capture: (call: grpc.ServerWritableStream<unknown, Buffer>) => {
        for (const b of encoded) call.write(b);
        call.end();
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const client = createClearlyClient(`127.0.0.1:${port}`);
    try {
      const received: DecodedCaptureItem[] = [];
      await new Promise<void>((resolve, reject) => {
        const stream = client.Capture({ tasks: true });
        stream.on('data', (item: DecodedCaptureItem) => received.push(item));
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      expect(received).toEqual(items.map((item) => decodeCaptureItem(reference(item))));
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Property test: random messages, same bytes and same decoded objects as protobufjs.

const ALPHABET = ['a', 'Z', '0', ' ', "'", '\n', '\u0000', 'é', 'ß', '\u07ff', '\u0800', '日', '\uffff', '😀', '\u{10ffff}'];
const LENGTHS = [0, 1, 5, 36, 42, 43, 63, 64, 65, 127, 128, 200, 1500, 20_000];

function generators(rand: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const maybe = <T>(make: () => T): T | undefined => (rand() < 0.5 ? make() : undefined);
  const str = (): string => {
    const n = pick(LENGTHS);
    const ascii = rand() < 0.6;
    let s = '';
    while (s.length < n) s += ascii ? pick(ALPHABET.slice(0, 6)) : pick(ALPHABET);
    return s;
  };
  const dbl = (): number =>
    pick([() => rand() * 2e9, () => -rand(), () => 0, () => -0, () => Number.NaN, () => Infinity, () => Math.floor(rand() * 100)])();
  const int = (): number =>
    pick([() => Math.floor(rand() * 1e6), () => -Math.floor(rand() * 1e6), () => Math.floor(rand() * 2 ** 53), () => rand() * 1e20, () => 0])();
  const task = (): TaskMessage => ({
    uuid: str(),
    name: maybe(str),
    state: str(),
    timestamp: dbl(),
    generated: maybe(() => rand() < 0.5),
    worker: maybe(str),
    retries: maybe(() => Math.floor(rand() * 2 ** 33) - 2 ** 31),
    args_repr: maybe(str),
    kwargs_repr: maybe(str),
    result_repr: maybe(str),
    result_json: maybe(str),
    result_source: maybe(str),
    exception: maybe(str),
    traceback: maybe(str),
    runtime: maybe(dbl),
    routing_key: maybe(str),
    queue: maybe(str),
    exchange: maybe(str),
    parent_id: maybe(str),
    root_id: maybe(str),
    client: maybe(str),
    eta: maybe(str),
    expires: maybe(str),
    sent: maybe(dbl),
    received: maybe(dbl),
    started: maybe(dbl),
    succeeded: maybe(dbl),
    failed: maybe(dbl),
    retried: maybe(dbl),
    revoked: maybe(dbl),
    rejected: maybe(dbl),
    celery_state: maybe(str),
    lost: maybe(() => rand() < 0.5),
    lost_at: maybe(dbl),
    args_json: maybe(str),
    kwargs_json: maybe(str),
    body: maybe(str),
    group_id: maybe(str),
  });
  const worker = (): WorkerMessage => ({
    hostname: str(),
    state: str(),
    timestamp: dbl(),
    alive: maybe(() => rand() < 0.5),
    pid: maybe(int),
    freq: maybe(dbl),
    active: maybe(int),
    processed: maybe(int),
    loadavg: maybe(() => Array.from({ length: Math.floor(rand() * 5) }, dbl)),
    sw_ident: maybe(str),
    sw_ver: maybe(str),
    sw_sys: maybe(str),
    last_seen: maybe(dbl),
  });
  const item = (): CaptureItem => {
    const r = rand();
    return r < 0.6 ? { task: task() } : r < 0.95 ? { worker: worker() } : { missed: { count: maybe(int) } };
  };
  return { item };
}

describe('encodeCaptureItemFast: random messages', () => {
  it.each([1, 2, 3, 4])('matches protobufjs on 500 messages (seed %i)', (seed) => {
    const { item } = generators(prng(seed));
    const items = Array.from({ length: 500 }, item);
    const ours = items.map((it) => encodeCaptureItemFast(it));
    let differing = 0;
    items.forEach((it, i) => {
      const ref = reference(it);
      if (!ours[i]!.equals(ref)) differing++;
      else expect(decodeCaptureItem(ours[i]!)).toEqual(decodeCaptureItem(ref));
    });
    expect(differing).toBe(0);
  });
});

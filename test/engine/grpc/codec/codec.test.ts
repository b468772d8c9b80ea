import { describe, expect, it } from 'vitest';
import { decoder, encoder, ProtoDecodeError, type FieldSpec, type Schema } from '../../../../src/engine/grpc/codec/codec.js';
import { SCHEMA } from '../../../../src/engine/grpc/codec/schema.js';
import { clearlyService } from '../../../../src/engine/grpc/proto.js';
import { rng } from '../../../helpers/rng.js';

/** proto-loader's (de)serializers for each message type an RPC carries (the reference). */
function reference(): Map<string, { encode: (v: object) => Buffer; decode: (b: Buffer) => unknown }> {
  const service = clearlyService();
  const refs = new Map<string, { encode: (v: object) => Buffer; decode: (b: Buffer) => unknown }>();
  for (const m of SCHEMA.methods) {
    const def = service[m.name]!;
    refs.set(m.request, { encode: def.requestSerialize as (v: object) => Buffer, decode: def.requestDeserialize });
    refs.set(m.response, { encode: def.responseSerialize as (v: object) => Buffer, decode: def.responseDeserialize });
  }
  return refs;
}

/** A value with its objects as ordered entry lists, so that equality also checks key order. */
function ordered(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(ordered);
  if (v !== null && typeof v === 'object') return Object.entries(v).map(([k, x]) => [k, ordered(x)]);
  return v;
}

const SAMPLES: Record<Exclude<FieldSpec['type'], 'message'>, readonly unknown[]> = {
  string: ['', 'a', 'SUCCESS', 'déjà vu', '🙂 ok', 'x'.repeat(300)],
  bool: [true, false],
  double: [0, -0, 1.5, -2.25, 1795254978.8134377, 1e300, Number.MIN_VALUE, NaN, Infinity, -Infinity],
  int32: [0, 1, -1, 300, 2147483647, -2147483648],
  uint32: [0, 1, 300, 4294967295],
  int64: [0, 1, -1, 300, 12345678901, 2 ** 53 - 1, -(2 ** 53 - 1)],
  uint64: [0, 1, 300, 2 ** 32, 2 ** 53 - 1],
};

function randomMessage(schema: Schema, type: string, rand: () => number, depth = 0): Record<string, unknown> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const value = (f: FieldSpec): unknown =>
    f.type === 'message' ? (depth > 2 || rand() < 0.2 ? {} : randomMessage(schema, f.message!, rand, depth + 1)) : pick(SAMPLES[f.type]);
  const out: Record<string, unknown> = {};
  for (const f of schema.messages[type]!) {
    const r = rand();
    if (r < 0.35) continue; // absent
    if (r < 0.4) out[f.name] = f.repeated === true ? [] : null;
    else out[f.name] = f.repeated === true ? Array.from({ length: 1 + Math.floor(rand() * 3) }, () => value(f)) : value(f);
  }
  return out;
}

describe('proto-codec against proto-loader', () => {
  const refs = reference();

  it('covers every message type of the schema', () => {
    const reachable = new Set(refs.keys());
    for (const fields of Object.values(SCHEMA.messages)) for (const f of fields) if (f.message !== undefined) reachable.add(f.message);
    expect([...reachable].sort()).toEqual(Object.keys(SCHEMA.messages).sort());
  });

  for (const type of [...reference().keys()]) {
    it(`${type}: the same bytes, and the same decoded objects (keys in the same order)`, () => {
      const ref = refs.get(type)!;
      const encode = encoder(SCHEMA, type);
      const decode = decoder(SCHEMA, type);
      const rand = rng(type.length * 7919);
      let nonEmpty = 0;
      for (let i = 0; i < 300; i++) {
        const msg = randomMessage(SCHEMA, type, rand);
        const bytes = ref.encode(msg);
        if (bytes.length > 0) nonEmpty++;
        expect(encode(msg).toString('hex')).toBe(bytes.toString('hex'));
        expect(ordered(decode(bytes))).toEqual(ordered(ref.decode(bytes)));
      }
      if (SCHEMA.messages[type]!.length > 0) expect(nonEmpty).toBeGreaterThan(100);
    });
  }

  it('decodes what the server sends the way grpc-js hands it to the CLI', () => {
    const bytes = refs.get('clearly.v1.CaptureItem')!.encode({
      task: { uuid: 'u1', name: 'tasks.add', state: 'SUCCESS', timestamp: 1.5, retries: 0, runtime: 0.25 },
    });
    expect(decoder(SCHEMA, 'clearly.v1.CaptureItem')(bytes)).toEqual({
      task: { uuid: 'u1', name: 'tasks.add', _name: 'name', state: 'SUCCESS', timestamp: 1.5, retries: 0, runtime: 0.25, _runtime: 'runtime' },
      item: 'task',
    });
  });
});

describe('proto-codec decoding', () => {
  const decodeWorker = decoder(SCHEMA, 'clearly.v1.WorkerMessage');
  const encodeWorker = encoder(SCHEMA, 'clearly.v1.WorkerMessage');

  it('skips fields it does not know, of every wire type', () => {
    const known = encodeWorker({ hostname: 'w1', loadavg: [1, 2] });
    const unknown = Buffer.from([
      ...[0xf8, 0x06, 0x96, 0x01], // field 111, varint 150
      ...[0xf9, 0x06, 1, 2, 3, 4, 5, 6, 7, 8], // field 111, fixed64
      ...[0xfa, 0x06, 0x02, 0x68, 0x69], // field 111, "hi"
      ...[0xfd, 0x06, 1, 2, 3, 4], // field 111, fixed32
    ]);
    expect(decodeWorker(Buffer.concat([unknown, known]))).toEqual({ hostname: 'w1', loadavg: [1, 2] });
  });

  it('reads repeated numbers packed or not', () => {
    const one = Buffer.alloc(8);
    one.writeDoubleLE(0.5);
    const unpacked = Buffer.concat([Buffer.from([0x49]), one, Buffer.from([0x49]), one]); // field 9, fixed64, twice
    expect(decodeWorker(unpacked)).toEqual({ loadavg: [0.5, 0.5] });
  });

  it('keeps the last value of a field sent twice', () => {
    expect(decodeWorker(Buffer.concat([encodeWorker({ hostname: 'a' }), encodeWorker({ hostname: 'b' })]))).toEqual({ hostname: 'b' });
  });

  it.each([
    ['a truncated varint', [0x28, 0x96]],
    ['a length past the end', [0x0a, 0x05, 0x61]],
    ['a truncated double', [0x19, 1, 2, 3]],
    ['a wire type the field cannot have', [0x0d, 1, 2, 3, 4]],
    ['a group (wire type 3)', [0xfb, 0x06]],
    ['a varint longer than 10 bytes', [0x28, ...Array(10).fill(0xff), 0x01]],
  ])('refuses %s', (_what, bytes) => {
    expect(() => decodeWorker(Buffer.from(bytes))).toThrow(ProtoDecodeError);
  });
});

describe('proto-codec encoding', () => {
  it('refuses what proto-loader refuses', () => {
    const encode = encoder(SCHEMA, 'clearly.v1.TaskQuery');
    expect(() => encode({ filter: 'x' })).toThrow(/filter: object expected/);
    expect(() => encode({ filter: { states: 'SUCCESS' } })).toThrow(/states: array expected/);
  });

  it('sign-extends a negative int32, as the server must see it', () => {
    expect(encoder(SCHEMA, 'clearly.v1.TaskQuery')({ limit: -1 }).toString('hex')).toBe('10ffffffffffffffffff01');
  });
});

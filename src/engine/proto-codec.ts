/**
 * Protocol Buffers encoding and decoding driven by a plain table of the messages (proto-schema.ts,
 * generated from the .proto), for the CLI's gRPC client: loading protobufjs and building its
 * descriptors took a noticeable part of every one-shot command's start-up.
 *
 * It reproduces what @grpc/proto-loader does with the options in proto.ts (LOADER_OPTIONS:
 * keepCase, longs as Number, no defaults, oneofs) byte for byte and key for key, so the client and
 * a server that still uses proto-loader agree (test/engine/proto-codec.test.ts checks both ways):
 *  - encoding writes every field that is not null/undefined, in field-number order, even when it
 *    holds the proto3 default; repeated numbers are packed;
 *  - decoding builds a plain object with only the fields on the wire, in field-number order, each
 *    member of a oneof also naming itself in the oneof's key (`item: 'task'`, and `_name: 'name'`
 *    for a proto3 `optional` field), 64-bit integers as Numbers.
 * Only the types the .proto uses are implemented; the generator refuses any other.
 */

export type WireScalar = 'double' | 'bool' | 'string' | 'int32' | 'uint32' | 'int64' | 'uint64';

export interface FieldSpec {
  readonly no: number;
  readonly name: string;
  readonly type: WireScalar | 'message';
  /** The full name of the message type, when `type` is 'message'. */
  readonly message?: string;
  readonly repeated?: true;
  /** The oneof this field belongs to (`_name` for a proto3 `optional` field). */
  readonly oneof?: string;
}

export interface MethodSpec {
  readonly name: string;
  readonly request: string;
  readonly response: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

export interface Schema {
  /** The service's full name (`clearly.v1.Clearly`). */
  readonly service: string;
  readonly methods: readonly MethodSpec[];
  /** Each message's fields in field-number order, by the message's full name. */
  readonly messages: Readonly<Record<string, readonly FieldSpec[]>>;
}

/** Bytes that are not a valid encoding of the expected message. */
export class ProtoDecodeError extends Error {
  readonly code = 'PROTO_DECODE';
  constructor(message: string) {
    super(message);
    this.name = 'ProtoDecodeError';
  }
}

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

const TWO_32 = 4294967296;

interface Field {
  readonly spec: FieldSpec;
  readonly index: number;
  readonly wireType: number;
  /** Repeated numbers are packed (proto3's default); strings and messages never are. */
  readonly packed: boolean;
  message: Message | undefined;
}

interface Message {
  readonly name: string;
  readonly fields: readonly Field[];
  /** Fields by number (sparse). */
  readonly byNo: readonly (Field | undefined)[];
}

const WIRE_TYPE: Readonly<Record<FieldSpec['type'], number>> = {
  double: FIXED64,
  bool: VARINT,
  string: LENGTH_DELIMITED,
  int32: VARINT,
  uint32: VARINT,
  int64: VARINT,
  uint64: VARINT,
  message: LENGTH_DELIMITED,
};

const compiled = new WeakMap<Schema, Map<string, Message>>();

function messages(schema: Schema): Map<string, Message> {
  let all = compiled.get(schema);
  if (all !== undefined) return all;
  all = new Map();
  for (const [name, specs] of Object.entries(schema.messages)) {
    const byNo: (Field | undefined)[] = [];
    const fields = specs.map((spec, index): Field => {
      const wireType = WIRE_TYPE[spec.type];
      const f = { spec, index, wireType, packed: spec.repeated === true && wireType !== LENGTH_DELIMITED, message: undefined };
      byNo[spec.no] = f;
      return f;
    });
    all.set(name, { name, fields, byNo });
  }
  for (const m of all.values()) {
    for (const f of m.fields) if (f.spec.message !== undefined) f.message = lookup(all, f.spec.message);
  }
  compiled.set(schema, all);
  return all;
}

function lookup(all: Map<string, Message>, name: string): Message {
  const m = all.get(name);
  if (m === undefined) throw new Error(`proto schema: no message ${name}`);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Decoding

class Reader {
  pos: number;
  /** The high 32 bits of the last varint read. */
  hi = 0;

  constructor(
    readonly buf: Buffer,
    pos: number,
    readonly end: number,
  ) {
    this.pos = pos;
  }

  /** A varint's low 32 bits (unsigned); its high bits are left in `hi`. */
  varint(): number {
    const b = this.buf;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; ; i++) {
      if (p >= this.end) throw new ProtoDecodeError('truncated varint');
      if (i === 10) throw new ProtoDecodeError('varint longer than 10 bytes');
      const byte = b[p++]!;
      if (i < 4) lo |= (byte & 127) << (7 * i);
      else if (i === 4) {
        lo |= (byte & 15) << 28;
        hi = (byte & 127) >> 4;
      } else hi |= (byte & 127) << (7 * i - 32);
      if (byte < 128) break;
    }
    this.pos = p;
    this.hi = hi >>> 0;
    return lo >>> 0;
  }

  /** Where a length-delimited value ends (its start is `pos` afterwards). */
  delimited(): number {
    const len = this.varint();
    const end = this.pos + len;
    if (this.hi !== 0 || end > this.end) throw new ProtoDecodeError('length past the end of the message');
    return end;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new ProtoDecodeError('truncated double');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        this.pos += 8;
        break;
      case LENGTH_DELIMITED:
        this.pos = this.delimited();
        return;
      case FIXED32:
        this.pos += 4;
        break;
      default:
        throw new ProtoDecodeError(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) throw new ProtoDecodeError('truncated field');
  }
}

/** A 64-bit varint as a Number (as protobufjs' LongBits.toNumber; exact up to 2^53). */
function toNumber(lo: number, hi: number, signed: boolean): number {
  if (signed && hi >>> 31 !== 0) {
    const nlo = (~lo + 1) >>> 0;
    let nhi = ~hi >>> 0;
    if (nlo === 0) nhi = (nhi + 1) >>> 0;
    return -(nlo + nhi * TWO_32);
  }
  return lo + hi * TWO_32;
}

function readScalar(r: Reader, f: Field): unknown {
  switch (f.spec.type) {
    case 'double':
      return r.double();
    case 'string': {
      const end = r.delimited();
      const s = r.buf.toString('utf8', r.pos, end);
      r.pos = end;
      return s;
    }
    case 'bool':
      return r.varint() !== 0;
    case 'int32':
      return r.varint() | 0;
    case 'uint32':
      return r.varint();
    case 'int64':
    case 'uint64': {
      const lo = r.varint();
      return toNumber(lo, r.hi, f.spec.type === 'int64');
    }
    case 'message': {
      const end = r.delimited();
      const value = decodeMessage(r, f.message!, end);
      r.pos = end;
      return value;
    }
  }
}

function decodeMessage(r: Reader, m: Message, end: number): Record<string, unknown> {
  const values: unknown[] = new Array(m.fields.length);
  const outer = r.end;
  (r as { end: number }).end = end;
  try {
    while (r.pos < end) {
      const tag = r.varint();
      const wireType = tag & 7;
      const f = m.byNo[tag >>> 3];
      if (f === undefined) {
        r.skip(wireType);
        continue;
      }
      if (f.spec.repeated === true) {
        const list = (values[f.index] ??= []) as unknown[];
        if (f.packed && wireType === LENGTH_DELIMITED) {
          const stop = r.delimited();
          while (r.pos < stop) list.push(readScalar(r, f));
          if (r.pos !== stop) throw new ProtoDecodeError(`${m.name}.${f.spec.name}: packed values overrun their length`);
          continue;
        }
        if (wireType !== f.wireType) throw new ProtoDecodeError(`${m.name}.${f.spec.name}: wire type ${wireType}, expected ${f.wireType}`);
        list.push(readScalar(r, f));
      } else {
        if (wireType !== f.wireType) throw new ProtoDecodeError(`${m.name}.${f.spec.name}: wire type ${wireType}, expected ${f.wireType}`);
        values[f.index] = readScalar(r, f);
      }
    }
  } finally {
    (r as { end: number }).end = outer;
  }
  const out: Record<string, unknown> = {};
  for (const f of m.fields) {
    const v = values[f.index];
    if (v === undefined || (f.spec.repeated === true && (v as unknown[]).length === 0)) continue;
    out[f.spec.name] = v;
    if (f.spec.oneof !== undefined) out[f.spec.oneof] = f.spec.name;
  }
  return out;
}

/** A decoder for the message `type` of `schema`. */
export function decoder(schema: Schema, type: string): (bytes: Buffer) => Record<string, unknown> {
  const m = lookup(messages(schema), type);
  return (bytes) => {
    const r = new Reader(bytes, 0, bytes.length);
    return decodeMessage(r, m, bytes.length);
  };
}

// ---------------------------------------------------------------------------------------------
// Encoding (requests are a few bytes: simplicity over speed)

class Writer {
  private readonly bytes: number[] = [];
  private readonly chunks: Buffer[] = [];

  varint(lo: number, hi = 0): void {
    lo >>>= 0;
    hi >>>= 0;
    while (hi !== 0 || lo > 127) {
      this.bytes.push((lo & 127) | 128);
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.bytes.push(lo);
  }

  tag(no: number, wireType: number): void {
    this.varint((no << 3) | wireType);
  }

  raw(b: Buffer): void {
    this.flush();
    this.chunks.push(b);
  }

  double(v: number): void {
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleLE(v);
    this.raw(b);
  }

  delimited(b: Buffer): void {
    this.varint(b.length);
    this.raw(b);
  }

  finish(): Buffer {
    this.flush();
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
  }

  private flush(): void {
    if (this.bytes.length === 0) return;
    this.chunks.push(Buffer.from(this.bytes));
    this.bytes.length = 0;
  }
}

/** A JS number as the two's-complement bits of an int64, as protobufjs' Long.fromNumber makes them. */
function int64Bits(v: number): [lo: number, hi: number] {
  if (Number.isNaN(v)) return [0, 0];
  const n = v >= 2 ** 63 ? 2n ** 63n - 1n : v <= -(2 ** 63) ? -(2n ** 63n) : BigInt(Math.trunc(v));
  const bits = BigInt.asUintN(64, n);
  return [Number(bits & 0xffffffffn), Number(bits >> 32n)];
}

function writeScalar(w: Writer, f: Field, value: unknown, where: string): void {
  switch (f.spec.type) {
    case 'double':
      w.double(Number(value));
      return;
    case 'string':
      w.delimited(Buffer.from(String(value), 'utf8'));
      return;
    case 'bool':
      w.varint(value ? 1 : 0);
      return;
    case 'int32': {
      const v = (value as number) | 0;
      w.varint(v, v < 0 ? 0xffffffff : 0); // negative int32s are sign-extended to 10 bytes
      return;
    }
    case 'uint32':
      w.varint((value as number) >>> 0);
      return;
    case 'int64':
    case 'uint64':
      w.varint(...int64Bits(Number(value)));
      return;
    case 'message':
      if (typeof value !== 'object') throw new TypeError(`${where}: object expected`);
      w.delimited(encodeMessage(f.message!, value as Record<string, unknown>));
      return;
  }
}

function encodeMessage(m: Message, value: Record<string, unknown>): Buffer {
  const w = new Writer();
  for (const f of m.fields) {
    const v = value[f.spec.name];
    const where = `.${m.name}.${f.spec.name}`;
    if (f.spec.repeated === true) {
      if (!v) continue;
      if (!Array.isArray(v)) throw new TypeError(`${where}: array expected`);
      if (v.length === 0) continue;
      if (f.packed) {
        const inner = new Writer();
        for (const item of v) writeScalar(inner, f, item, where);
        w.tag(f.spec.no, LENGTH_DELIMITED);
        w.delimited(inner.finish());
      } else {
        for (const item of v) {
          w.tag(f.spec.no, f.wireType);
          writeScalar(w, f, item, where);
        }
      }
    } else if (v != null) {
      w.tag(f.spec.no, f.wireType);
      writeScalar(w, f, v, where);
    }
  }
  return w.finish();
}

/** An encoder for the message `type` of `schema`. */
export function encoder(schema: Schema, type: string): (value: object) => Buffer {
  const m = lookup(messages(schema), type);
  return (value) => encodeMessage(m, value as Record<string, unknown>);
}

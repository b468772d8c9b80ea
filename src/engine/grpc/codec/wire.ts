/**
 * The wire-level primitives of codec.ts: wire types, a Reader over a buffer and a Writer
 * that collects bytes, and the conversions between 64-bit varints and JS Numbers.
 */

/** Bytes that are not a valid encoding of the expected message. */
export class ProtoDecodeError extends Error {
  readonly code = 'PROTO_DECODE';
  constructor(message: string) {
    super(message);
    this.name = 'ProtoDecodeError';
  }
}

export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;
export const FIXED32 = 5;

const TWO_32 = 4294967296;

export class Reader {
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
export function toNumber(lo: number, hi: number, signed: boolean): number {
  if (signed && hi >>> 31 !== 0) {
    const nlo = (~lo + 1) >>> 0;
    let nhi = ~hi >>> 0;
    if (nlo === 0) nhi = (nhi + 1) >>> 0;
    return -(nlo + nhi * TWO_32);
  }
  return lo + hi * TWO_32;
}

export class Writer {
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
export function int64Bits(v: number): [lo: number, hi: number] {
  if (Number.isNaN(v)) return [0, 0];
  const n = v >= 2 ** 63 ? 2n ** 63n - 1n : v <= -(2 ** 63) ? -(2n ** 63n) : BigInt(Math.trunc(v));
  const bits = BigInt.asUintN(64, n);
  return [Number(bits & 0xffffffffn), Number(bits >> 32n)];
}

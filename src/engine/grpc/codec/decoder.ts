/** Decoding (see codec.ts for what it reproduces). */
import { lookup, messages, type Field, type Message, type Schema } from './messages.js';
import { LENGTH_DELIMITED, ProtoDecodeError, Reader, toNumber } from './wire.js';

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

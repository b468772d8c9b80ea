/** Encoding (see codec.ts for what it reproduces); requests are a few bytes: simplicity over speed. */
import { lookup, messages, type Field, type Message, type Schema } from './messages.js';
import { int64Bits, LENGTH_DELIMITED, Writer } from './wire.js';

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

/**
 * A msgpack task body (kombu's `msgpack` serializer: `packb(obj, use_bin_type=True)`) -> plain
 * JSON values, with @msgpack/msgpack (pure, no dependencies). What JSON cannot hold is written
 * as Python would show it: bytes as their repr (`b'\x00\xff'`), a timestamp extension as an ISO
 * string, any other extension as `<ext N, M bytes>`. Integers past 2^53 lose precision, as the
 * JSON bodies' do. Pure and total: a body that does not decode is null.
 */
import { decode, ExtData } from '@msgpack/msgpack';

/** The decoded value, or null when the bytes are not msgpack. */
export function decodeMsgpack(body: Buffer): { readonly value: unknown } | null {
  try {
    return { value: toJson(decode(body), 0) };
  } catch {
    return null;
  }
}

const MAX_DEPTH = 1000;

function toJson(v: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new RangeError('too deep');
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return bytesRepr(v);
  if (v instanceof Date) return v.toISOString();
  if (v instanceof ExtData) return `<ext ${v.type}, ${v.data.length} bytes>`;
  if (Array.isArray(v)) return v.map((x) => toJson(x, depth + 1));
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = toJson(x, depth + 1);
    return out;
  }
  return null;
}

/** Python's repr of a bytes value: `b'...'` with printable ASCII as is, the rest escaped. */
export function bytesRepr(b: Uint8Array): string {
  let s = '';
  for (const c of b) {
    if (c === 0x5c) s += '\\\\';
    else if (c === 0x27) s += "\\'";
    else if (c === 0x09) s += '\\t';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x0d) s += '\\r';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `b'${s}'`;
}

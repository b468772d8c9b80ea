/**
 * A hand-written protobuf encoder for the one message the server sends per live record: a
 * CaptureItem (proto/clearly/v1/clearly.proto) holding a TaskMessage, WorkerMessage or Missed.
 * protobufjs (through proto-loader) spent ~40% of the server's per-event time on it: a converted
 * copy of every message (fromObject), a linked list of write operations, then a Buffer per item.
 *
 * The output is byte-for-byte what proto-loader's serializer gives with clearly's options
 * (LOADER_OPTIONS in proto.ts), test/engine/proto-encode.test.ts checks it:
 *  - fields in field-number order, each written when its value is not null/undefined, even when it
 *    holds the proto3 default (protobufjs does so: `generated: false` is on the wire);
 *  - values converted as protobufjs' fromObject does: uint32 `>>> 0`, bool by truthiness, int64
 *    and uint64 from JS numbers as long.js' `fromNumber` does (truncated, clamped, NaN = 0,
 *    negative int64 in ten bytes, negative uint64 = 0);
 *  - `loadavg` packed, and left out when empty.
 * One deliberate difference: a lone UTF-16 surrogate always becomes U+FFFD (EF BF BD), as Buffer
 * writes it. protobufjs does that only for strings of 40+ code units; shorter ones got the raw
 * surrogate bytes (ED A0 80...), which is not UTF-8 (a Python client refuses the message).
 *
 * Items are written one after the other into a shared 64 KiB slab; each returned Buffer is a view
 * of its own bytes there (no copy), so a slab lives as long as one of its items is still queued.
 */
import type { CaptureItem, Missed, TaskMessage, WorkerMessage } from './proto.js';

const SLAB_SIZE = 64 * 1024;
/** Below this much room left, the next item starts a fresh slab rather than growing mid-item. */
const SLAB_MIN_ROOM = 2 * 1024;
/** Strings up to this many UTF-16 units are written in JS; longer ones by Buffer (native). */
const SHORT_STRING = 24;

// The writer: one item at a time (encoding is synchronous), so module state is enough.
let buf: Buffer = Buffer.allocUnsafeSlow(SLAB_SIZE);
let view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
let pos = 0;
/** Where the item being written starts in `buf`. */
let start = 0;

/**
 * Buffer's own UTF-8 writer, under `buf.write`: that public wrapper's argument handling cost more
 * than the native write itself (profiled). It has been on Buffer.prototype since Node's early
 * days and protobufjs relies on it too.
 */
type NativeWriter = Buffer & { utf8Write(s: string, offset: number): number };

function utf8Write(s: string): number {
  return (buf as NativeWriter).utf8Write(s, pos);
}

function newSlab(size: number): void {
  buf = Buffer.allocUnsafeSlow(size);
  view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Make room for `n` more bytes, moving the item written so far to a new slab if needed. */
function ensure(n: number): void {
  if (pos + n <= buf.length) return;
  const old = buf;
  const written = pos - start;
  newSlab(Math.max(SLAB_SIZE, 2 * (written + n)));
  old.copy(buf, 0, start, pos);
  start = 0;
  pos = written;
}

function varint32(v: number): void {
  while (v > 127) {
    buf[pos++] = (v & 127) | 128;
    v >>>= 7;
  }
  buf[pos++] = v;
}

function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** A 64-bit varint from its two unsigned 32-bit halves. */
function varint64(lo: number, hi: number): void {
  while (hi !== 0) {
    buf[pos++] = (lo & 127) | 128;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  varint32(lo);
}

const TWO_32 = 4294967296;
const TWO_63 = 9223372036854775808;
const TWO_64 = 18446744073709551616;

/** int64/uint64 from a JS number, as long.js `Long.fromNumber(v, unsigned)` reads it. */
function writeLong(v: number, unsigned: boolean): void {
  if (v >>> 0 === v) {
    // The usual case: an integer in [0, 2^32).
    varint32(v);
    return;
  }
  if (Number.isNaN(v)) {
    buf[pos++] = 0;
    return;
  }
  if (unsigned) {
    if (v < 0) {
      buf[pos++] = 0;
      return;
    }
    if (v >= TWO_64) {
      varint64(0xffffffff, 0xffffffff);
      return;
    }
  } else {
    if (v <= -TWO_63) {
      varint64(0, 0x80000000);
      return;
    }
    if (v + 1 >= TWO_63) {
      varint64(0xffffffff, 0x7fffffff);
      return;
    }
  }
  const a = Math.abs(v);
  let lo = (a % TWO_32 | 0) >>> 0;
  let hi = ((a / TWO_32) | 0) >>> 0;
  if (v < 0) {
    // Two's complement over 64 bits (Long#neg).
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  varint64(lo, hi);
}

function double(v: number): void {
  view.setFloat64(pos, v, true);
  pos += 8;
}

/**
 * UTF-8 of a short `s` at `pos`, lone surrogates as U+FFFD (what Buffer writes): for a few dozen
 * characters a JS loop beats the native call's fixed cost. Locals, not the module's `buf`/`pos`,
 * inside the loop: that is twice as fast.
 */
function utf8(s: string): void {
  const b = buf;
  let p = pos;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      b[p++] = c;
    } else if (c < 0x800) {
      b[p++] = (c >> 6) | 0xc0;
      b[p++] = (c & 63) | 0x80;
    } else {
      if ((c & 0xf800) === 0xd800) {
        const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c < 0xdc00 && (d & 0xfc00) === 0xdc00) {
          const cp = 0x10000 + ((c & 0x3ff) << 10) + (d & 0x3ff);
          i++;
          b[p++] = (cp >> 18) | 0xf0;
          b[p++] = ((cp >> 12) & 63) | 0x80;
          b[p++] = ((cp >> 6) & 63) | 0x80;
          b[p++] = (cp & 63) | 0x80;
          continue;
        }
        c = 0xfffd;
      }
      b[p++] = (c >> 12) | 0xe0;
      b[p++] = ((c >> 6) & 63) | 0x80;
      b[p++] = (c & 63) | 0x80;
    }
  }
  pos = p;
}

/** Longest text (UTF-16 units) whose length prefix surely fits 2 bytes: 3 bytes a unit < 2^14. */
const TWO_BYTE_LENGTH = 5461;

/** A length-delimited string field. `tag` is the whole key, already a varint's value. */
function stringField(tag: number, s: string): void {
  const n = s.length;
  // Tag (2) + length (5) + at most 3 bytes per UTF-16 unit.
  ensure(7 + 3 * n);
  varint32(tag);
  if (n > TWO_BYTE_LENGTH) {
    // Long (results, tracebacks): count first, then one native write.
    varint32(Buffer.byteLength(s, 'utf8'));
    pos += utf8Write(s);
    return;
  }
  // The length takes 1 or 2 bytes. Guess from the units (right for ASCII), move the text one byte
  // when the guess was wrong (non-ASCII near 128 bytes).
  const lenAt = pos;
  const guess = n < 0x80 ? 1 : 2;
  pos += guess;
  if (n <= SHORT_STRING) utf8(s);
  else pos += utf8Write(s);
  const len = pos - lenAt - guess;
  const need = len < 0x80 ? 1 : 2;
  if (need !== guess) {
    buf.copyWithin(lenAt + need, lenAt + guess, pos);
    pos += need - guess;
  }
  if (need === 1) {
    buf[lenAt] = len;
  } else {
    buf[lenAt] = (len & 127) | 128;
    buf[lenAt + 1] = len >>> 7;
  }
}

function doubleField(tag: number, v: number): void {
  ensure(10);
  varint32(tag);
  double(v);
}

function varintField(tag: number, v: number): void {
  ensure(7);
  varint32(tag);
  varint32(v >>> 0);
}

function boolField(tag: number, v: boolean): void {
  ensure(3);
  varint32(tag);
  buf[pos++] = v ? 1 : 0;
}

function longField(tag: number, v: number, unsigned: boolean): void {
  ensure(12);
  varint32(tag);
  writeLong(v, unsigned);
}

// Keys: (field number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited).

function taskBody(m: TaskMessage): void {
  if (m.uuid != null) stringField(10, m.uuid);
  if (m.name != null) stringField(18, m.name);
  if (m.state != null) stringField(26, m.state);
  if (m.timestamp != null) doubleField(33, m.timestamp);
  if (m.generated != null) boolField(40, m.generated);
  if (m.worker != null) stringField(50, m.worker);
  if (m.retries != null) varintField(56, m.retries);
  if (m.args_repr != null) stringField(66, m.args_repr);
  if (m.kwargs_repr != null) stringField(74, m.kwargs_repr);
  if (m.result_repr != null) stringField(82, m.result_repr);
  if (m.result_json != null) stringField(90, m.result_json);
  if (m.result_source != null) stringField(98, m.result_source);
  if (m.exception != null) stringField(106, m.exception);
  if (m.traceback != null) stringField(114, m.traceback);
  if (m.runtime != null) doubleField(121, m.runtime);
  if (m.routing_key != null) stringField(130, m.routing_key);
  if (m.queue != null) stringField(138, m.queue);
  if (m.exchange != null) stringField(146, m.exchange);
  if (m.parent_id != null) stringField(154, m.parent_id);
  if (m.root_id != null) stringField(162, m.root_id);
  if (m.client != null) stringField(170, m.client);
  if (m.eta != null) stringField(178, m.eta);
  if (m.expires != null) stringField(186, m.expires);
  if (m.sent != null) doubleField(193, m.sent);
  if (m.received != null) doubleField(201, m.received);
  if (m.started != null) doubleField(209, m.started);
  if (m.succeeded != null) doubleField(217, m.succeeded);
  if (m.failed != null) doubleField(225, m.failed);
  if (m.retried != null) doubleField(233, m.retried);
  if (m.revoked != null) doubleField(241, m.revoked);
  if (m.rejected != null) doubleField(249, m.rejected);
}

function workerBody(m: WorkerMessage): void {
  if (m.hostname != null) stringField(10, m.hostname);
  if (m.state != null) stringField(18, m.state);
  if (m.timestamp != null) doubleField(25, m.timestamp);
  if (m.alive != null) boolField(32, m.alive);
  if (m.pid != null) longField(40, m.pid, false);
  if (m.freq != null) doubleField(49, m.freq);
  if (m.active != null) longField(56, m.active, false);
  if (m.processed != null) longField(64, m.processed, false);
  const load = m.loadavg;
  if (load != null && load.length > 0) {
    ensure(6 + 8 * load.length);
    varint32(74);
    varint32(8 * load.length);
    for (let i = 0; i < load.length; i++) double(load[i]!);
  }
  if (m.sw_ident != null) stringField(82, m.sw_ident);
  if (m.sw_ver != null) stringField(90, m.sw_ver);
  if (m.sw_sys != null) stringField(98, m.sw_sys);
  if (m.last_seen != null) doubleField(105, m.last_seen);
}

function missedBody(m: Missed): void {
  if (m.count != null) longField(8, m.count, true);
}

/** Room for a member's key (1 byte: fields 1-3) and length (up to 5 bytes), written afterwards. */
const HEADER_ROOM = 6;

/** One CaptureItem member: key, length, then the body `write` produces. */
function member<M>(tag: number, m: M, write: (m: M) => void): void {
  ensure(HEADER_ROOM);
  const reserved = pos - start; // relative: `ensure` may move the item to another slab
  pos += HEADER_ROOM;
  write(m);
  const body = start + reserved + HEADER_ROOM;
  const len = pos - body;
  const header = 1 + varintSize(len);
  let at: number;
  if (reserved === 0) {
    // First member (the only one, in practice): the item starts at its header, nothing moves.
    at = body - header;
    start = at;
  } else {
    // Not first: the header goes where it was reserved, the body closes the gap after it.
    at = start + reserved;
    buf.copyWithin(at + header, body, pos);
    pos -= HEADER_ROOM - header;
  }
  const end = pos;
  pos = at;
  buf[pos++] = tag;
  varint32(len);
  pos = end;
}

/** The CaptureItem's bytes, as proto-loader's `Capture` response serializer writes them. */
export function encodeCaptureItemFast(item: CaptureItem): Buffer {
  if (buf.length - pos < SLAB_MIN_ROOM || buf.length > SLAB_SIZE) {
    // Out of room, or the slab was grown for one big item: do not keep filling that one.
    newSlab(SLAB_SIZE);
    pos = 0;
  }
  start = pos;
  const it = item as { task?: TaskMessage | null; worker?: WorkerMessage | null; missed?: Missed | null };
  if (it.task != null) member(10, it.task, taskBody);
  if (it.worker != null) member(18, it.worker, workerBody);
  if (it.missed != null) member(26, it.missed, missedBody);
  return Buffer.from(buf.buffer, buf.byteOffset + start, pos - start);
}

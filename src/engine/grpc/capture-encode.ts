/**
 * A hand-written protobuf encoder for the one message the server sends per live record: a
 * CaptureItem (proto/clearly/v1/clearly.proto) holding a TaskMessage, WorkerMessage or Missed.
 * protobufjs (through proto-loader) spent ~40% of the server's per-event time on it: a converted
 * copy of every message (fromObject), a linked list of write operations, then a Buffer per item.
 *
 * The output is byte-for-byte what proto-loader's serializer gives with clearly's options
 * (LOADER_OPTIONS in proto.ts), test/engine/grpc/capture-encode.test.ts checks it:
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
 * Items are written one after the other into a shared slab; each returned Buffer is a view of its
 * own bytes there (no copy), so a slab lives as long as one of its items is still queued.
 *
 * Why hand-written and not generated (bench/protobuf/README.md, 2026-12-04, median of 7 interleaved
 * runs, the server's hot path decode + state + dispatch to one client, events/s, RabbitMQ / Redis):
 * this encoder 211,777 / 161,408; protobufjs static module 150,744 / 118,116 (-29% / -27%);
 * @bufbuild/protobuf v2 64,793 / 70,157 (-69% / -57%); ts-proto 100,292 / 79,640 (-53% / -51%).
 * Encoding alone, ns per item: 915 / 790 here, 2,271 / 2,259, 4,991 / 4,153, 2,892 / 3,556. None is
 * within 10%: each goes through its own layers (a Writer's list of operations and a copy; create
 * then a reflective toBinary; forks per sub-message) where this writes straight into the slab.
 */
import type { CaptureItem, Missed, TaskMessage, WorkerMessage } from './messages.js';

/**
 * 8 KiB, as Node's Buffer pool (where protobufjs' items were): a slow client queueing items that
 * are each the only one it wants from its slab retains no more than before. 64 KiB slabs were
 * ~4% faster but would multiply that worst case by 8.
 */
const SLAB_SIZE = 8 * 1024;
/** Below this much room left, the next item starts a fresh slab rather than growing mid-item. */
const SLAB_MIN_ROOM = 1024;
/** Strings up to this many UTF-16 units are written in JS; longer ones by Buffer (native). */
const SHORT_STRING = 24;
/** Longest text (UTF-16 units) whose length prefix surely fits 2 bytes: 3 bytes a unit < 2^14. */
const TWO_BYTE_LENGTH = 5461;

// The writer: one item at a time (encoding is synchronous), so module state is enough. The write
// position is threaded through the functions as `p` (argument in, result out) rather than kept
// here: a local can stay in a register, a module variable costs a memory access per byte.
let buf: Buffer = Buffer.allocUnsafeSlow(SLAB_SIZE);
let view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
/** Where the item being written starts in `buf`. */
let start = 0;
/** Where the next item may start. */
let free = 0;

/**
 * Buffer's own UTF-8 writer, under `buf.write`: that public wrapper's argument handling cost more
 * than the native write itself (profiled). It has been on Buffer.prototype since Node's early
 * days and protobufjs relies on it too.
 */
type NativeWriter = Buffer & { utf8Write(s: string, offset: number): number };

function newSlab(size: number): void {
  buf = Buffer.allocUnsafeSlow(size);
  view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Make room for `n` more bytes at `p`, moving the item written so far to a new slab if needed.
 * Returns where writing goes on (`p`, or its place in the new slab).
 */
function ensure(p: number, n: number): number {
  if (p + n <= buf.length) return p;
  const old = buf;
  const written = p - start;
  // Room for this item and a slab's worth more (its other fields), not double: a big item's
  // buffer is its alone (the next item starts a fresh slab) and lives as long as it is queued.
  newSlab(written + n + SLAB_SIZE);
  old.copy(buf, 0, start, p);
  start = 0;
  return written;
}

function varint32(b: Buffer, p: number, v: number): number {
  while (v > 127) {
    b[p++] = (v & 127) | 128;
    v >>>= 7;
  }
  b[p++] = v;
  return p;
}

function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** A 64-bit varint from its two unsigned 32-bit halves. */
function varint64(b: Buffer, p: number, lo: number, hi: number): number {
  while (hi !== 0) {
    b[p++] = (lo & 127) | 128;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  return varint32(b, p, lo);
}

const TWO_32 = 4294967296;
const TWO_63 = 9223372036854775808;
const TWO_64 = 18446744073709551616;

/** int64/uint64 from a JS number, as long.js `Long.fromNumber(v, unsigned)` reads it. */
function writeLong(b: Buffer, p: number, v: number, unsigned: boolean): number {
  // The usual case: an integer in [0, 2^32).
  if (v >>> 0 === v) return varint32(b, p, v);
  if (Number.isNaN(v)) return varint32(b, p, 0);
  if (unsigned) {
    if (v < 0) return varint32(b, p, 0);
    if (v >= TWO_64) return varint64(b, p, 0xffffffff, 0xffffffff);
  } else {
    if (v <= -TWO_63) return varint64(b, p, 0, 0x80000000);
    if (v + 1 >= TWO_63) return varint64(b, p, 0xffffffff, 0x7fffffff);
  }
  const a = Math.abs(v);
  let lo = (a % TWO_32 | 0) >>> 0;
  let hi = ((a / TWO_32) | 0) >>> 0;
  if (v < 0) {
    // Two's complement over 64 bits (Long#neg).
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  return varint64(b, p, lo, hi);
}

/**
 * UTF-8 of a short `s` at `p`, lone surrogates as U+FFFD (what Buffer writes): for a few dozen
 * characters a JS loop beats the native call's fixed cost.
 */
function utf8(b: Buffer, p: number, s: string): number {
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
  return p;
}

/** A length-delimited string field. `tag` is the whole key, already a varint's value. */
function stringField(p: number, tag: number, s: string): number {
  const n = s.length;
  if (n > TWO_BYTE_LENGTH) {
    // Long (results, tracebacks): count first, then room for exactly that (tag 2, length 5).
    const len = Buffer.byteLength(s, 'utf8');
    p = ensure(p, 7 + len);
    p = varint32(buf, p, tag);
    p = varint32(buf, p, len);
    return p + (buf as NativeWriter).utf8Write(s, p);
  }
  // Tag (2) + length (2) + at most 3 bytes per UTF-16 unit.
  p = ensure(p, 4 + 3 * n);
  const b = buf;
  p = varint32(b, p, tag);
  // The length takes 1 or 2 bytes. Guess from the units (right for ASCII), move the text one byte
  // when the guess was wrong (non-ASCII near 128 bytes).
  const lenAt = p;
  const guess = n < 0x80 ? 1 : 2;
  p += guess;
  p = n <= SHORT_STRING ? utf8(b, p, s) : p + (b as NativeWriter).utf8Write(s, p);
  const len = p - lenAt - guess;
  const need = len < 0x80 ? 1 : 2;
  if (need !== guess) {
    b.copyWithin(lenAt + need, lenAt + guess, p);
    p += need - guess;
  }
  if (need === 1) {
    b[lenAt] = len;
  } else {
    b[lenAt] = (len & 127) | 128;
    b[lenAt + 1] = len >>> 7;
  }
  return p;
}

function doubleField(p: number, tag: number, v: number): number {
  p = ensure(p, 10);
  p = varint32(buf, p, tag);
  view.setFloat64(p, v, true);
  return p + 8;
}

function varintField(p: number, tag: number, v: number): number {
  p = ensure(p, 7);
  p = varint32(buf, p, tag);
  return varint32(buf, p, v >>> 0);
}

function boolField(p: number, tag: number, v: boolean): number {
  p = ensure(p, 3);
  p = varint32(buf, p, tag);
  buf[p] = v ? 1 : 0;
  return p + 1;
}

function longField(p: number, tag: number, v: number, unsigned: boolean): number {
  p = ensure(p, 12);
  p = varint32(buf, p, tag);
  return writeLong(buf, p, v, unsigned);
}

// Keys: (field number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited).

/**
 * The string field `tag` holding the same text as the field written at `from`..`to` (relative to
 * the item's start): its bytes copied, not encoded again.
 */
function sameStringField(p: number, tag: number, from: number, to: number): number {
  // The old field's key is 1 byte (uuid, field 1); the copy is its length and text.
  p = ensure(p, 2 + to - from);
  p = varint32(buf, p, tag);
  buf.copyWithin(p, start + from + 1, start + to);
  return p + (to - from - 1);
}

function taskBody(p: number, m: TaskMessage): number {
  // Celery gives a root task its own id as root_id: copy those bytes (relative: `ensure` may move
  // the item).
  const uuidFrom = p - start;
  if (m.uuid != null) p = stringField(p, 10, m.uuid);
  const uuidTo = p - start;
  if (m.name != null) p = stringField(p, 18, m.name);
  if (m.state != null) p = stringField(p, 26, m.state);
  if (m.timestamp != null) p = doubleField(p, 33, m.timestamp);
  if (m.generated != null) p = boolField(p, 40, m.generated);
  if (m.worker != null) p = stringField(p, 50, m.worker);
  if (m.retries != null) p = varintField(p, 56, m.retries);
  if (m.args_repr != null) p = stringField(p, 66, m.args_repr);
  if (m.kwargs_repr != null) p = stringField(p, 74, m.kwargs_repr);
  if (m.result_repr != null) p = stringField(p, 82, m.result_repr);
  if (m.result_json != null) p = stringField(p, 90, m.result_json);
  if (m.result_source != null) p = stringField(p, 98, m.result_source);
  if (m.exception != null) p = stringField(p, 106, m.exception);
  if (m.traceback != null) p = stringField(p, 114, m.traceback);
  if (m.runtime != null) p = doubleField(p, 121, m.runtime);
  if (m.routing_key != null) p = stringField(p, 130, m.routing_key);
  if (m.queue != null) p = stringField(p, 138, m.queue);
  if (m.exchange != null) p = stringField(p, 146, m.exchange);
  if (m.parent_id != null) p = stringField(p, 154, m.parent_id);
  if (m.root_id != null) {
    p = m.root_id === m.uuid ? sameStringField(p, 162, uuidFrom, uuidTo) : stringField(p, 162, m.root_id);
  }
  if (m.client != null) p = stringField(p, 170, m.client);
  if (m.eta != null) p = stringField(p, 178, m.eta);
  if (m.expires != null) p = stringField(p, 186, m.expires);
  if (m.sent != null) p = doubleField(p, 193, m.sent);
  if (m.received != null) p = doubleField(p, 201, m.received);
  if (m.started != null) p = doubleField(p, 209, m.started);
  if (m.succeeded != null) p = doubleField(p, 217, m.succeeded);
  if (m.failed != null) p = doubleField(p, 225, m.failed);
  if (m.retried != null) p = doubleField(p, 233, m.retried);
  if (m.revoked != null) p = doubleField(p, 241, m.revoked);
  if (m.rejected != null) p = doubleField(p, 249, m.rejected);
  if (m.celery_state != null) p = stringField(p, 258, m.celery_state);
  // 60 lost (varint), 61 lost_at (double): only on lost tasks.
  if (m.lost != null) p = boolField(p, 480, m.lost);
  if (m.lost_at != null) p = doubleField(p, 489, m.lost_at);
  // 62-64 args_json, kwargs_json, body (length-delimited): only on tapped tasks.
  if (m.args_json != null) p = stringField(p, 498, m.args_json);
  if (m.kwargs_json != null) p = stringField(p, 506, m.kwargs_json);
  if (m.body != null) p = stringField(p, 514, m.body);
  // 65 group_id (length-delimited): only on tapped tasks sent in a group.
  if (m.group_id != null) p = stringField(p, 522, m.group_id);
  return p;
}

function workerBody(p: number, m: WorkerMessage): number {
  if (m.hostname != null) p = stringField(p, 10, m.hostname);
  if (m.state != null) p = stringField(p, 18, m.state);
  if (m.timestamp != null) p = doubleField(p, 25, m.timestamp);
  if (m.alive != null) p = boolField(p, 32, m.alive);
  if (m.pid != null) p = longField(p, 40, m.pid, false);
  if (m.freq != null) p = doubleField(p, 49, m.freq);
  if (m.active != null) p = longField(p, 56, m.active, false);
  if (m.processed != null) p = longField(p, 64, m.processed, false);
  const load = m.loadavg;
  if (load != null && load.length > 0) {
    p = ensure(p, 6 + 8 * load.length);
    p = varint32(buf, p, 74);
    p = varint32(buf, p, 8 * load.length);
    for (let i = 0; i < load.length; i++) {
      view.setFloat64(p, load[i]!, true);
      p += 8;
    }
  }
  if (m.sw_ident != null) p = stringField(p, 82, m.sw_ident);
  if (m.sw_ver != null) p = stringField(p, 90, m.sw_ver);
  if (m.sw_sys != null) p = stringField(p, 98, m.sw_sys);
  if (m.last_seen != null) p = doubleField(p, 105, m.last_seen);
  if (m.events != null) p = stringField(p, 482, m.events); // 60, length-delimited
  return p;
}

function missedBody(p: number, m: Missed): number {
  return m.count != null ? longField(p, 8, m.count, true) : p;
}

/** Room for a member's key (1 byte: fields 1-3) and length (up to 5 bytes), written afterwards. */
const HEADER_ROOM = 6;

/** One CaptureItem member at `p`: key, length, then the body `write` produces. */
function member<M>(p: number, tag: number, m: M, write: (p: number, m: M) => number): number {
  p = ensure(p, HEADER_ROOM);
  const reserved = p - start; // relative: `ensure` may move the item to another slab
  p = write(p + HEADER_ROOM, m);
  const body = start + reserved + HEADER_ROOM;
  const len = p - body;
  const header = 1 + varintSize(len);
  let at: number;
  if (reserved === 0) {
    // First member (the only one, in practice): the item starts at its header, nothing moves.
    at = body - header;
    start = at;
  } else {
    // Not first: the header goes where it was reserved, the body closes the gap after it.
    at = start + reserved;
    buf.copyWithin(at + header, body, p);
    p -= HEADER_ROOM - header;
  }
  buf[at] = tag;
  varint32(buf, at + 1, len);
  return p;
}

/** The CaptureItem's bytes, as proto-loader's `Capture` response serializer writes them. */
export function encodeCaptureItemFast(item: CaptureItem): Buffer {
  if (buf.length - free < SLAB_MIN_ROOM || buf.length > SLAB_SIZE) {
    // Out of room, or the slab was grown for one big item: do not keep filling that one.
    newSlab(SLAB_SIZE);
    free = 0;
  }
  start = free;
  let p = free;
  const it = item as { task?: TaskMessage | null; worker?: WorkerMessage | null; missed?: Missed | null };
  if (it.task != null) p = member(p, 10, it.task, taskBody);
  if (it.worker != null) p = member(p, 18, it.worker, workerBody);
  if (it.missed != null) p = member(p, 26, it.missed, missedBody);
  free = p;
  return Buffer.from(buf.buffer, buf.byteOffset + start, p - start);
}

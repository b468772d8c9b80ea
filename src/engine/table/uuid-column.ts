/**
 * Every stored task's uuid, as texts of CHUNK "\n"-joined uuids (by table slot), so a `--pattern`
 * regex runs once per chunk instead of once per task (regex-prefilter.ts says why it cannot miss).
 * Uuids are unique per task, so unlike names they cannot be judged once per distinct value.
 *
 * A chunk is rebuilt by the first query after one of its slots got a new task; events only mark
 * it stale (one store). Slots are reused in eviction order, oldest finished first, which keeps
 * the stale chunks few between queries under a steady stream of tasks.
 */
import type { Task } from '../model.js';

const CHUNK_BITS = 11;
/** Slots per chunk: 2048 uuids of 36 characters make a 75 KB text. */
export const CHUNK = 1 << CHUNK_BITS;

interface Chunk {
  /** The uuids of `count` slots, "\n"-joined. */
  readonly text: string;
  readonly count: number;
  /** Every uuid + separator takes `width` characters; 0 when they differ (see `starts`). */
  readonly width: number;
  /** Where each uuid starts in `text`, when the widths differ; then `starts[count]` is past the end. */
  readonly starts: Int32Array | null;
}

export class UuidColumn {
  /** Null: stale, to be rebuilt. */
  private chunks: (Chunk | null)[] = [];

  /** `slot` got a new task. */
  touch(slot: number): void {
    this.chunks[slot >> CHUNK_BITS] = null;
  }

  clear(): void {
    this.chunks = [];
  }

  /**
   * Sets `marks[s] = 1` for every slot s < size whose uuid `re` (a prefilterRegex) might match.
   * Gives up, returning false, once more than `budget` matches were found: then the marks are
   * incomplete and the caller must test every uuid itself.
   */
  mark(re: RegExp, size: number, tasks: readonly Task[], marks: Uint8Array, budget: number): boolean {
    let found = 0;
    for (let base = 0, k = 0; base < size; base += CHUNK, k++) {
      const count = Math.min(CHUNK, size - base);
      let chunk = this.chunks[k];
      if (chunk === null || chunk === undefined || chunk.count !== count) {
        chunk = build(tasks, base, count);
        this.chunks[k] = chunk;
      }
      re.lastIndex = 0;
      for (let m = re.exec(chunk.text); m !== null; m = re.exec(chunk.text)) {
        if (++found > budget) return false;
        const start = m.index;
        const end = start + m[0].length;
        // An empty match does not move lastIndex: step over it (no `u` flag, so by one unit).
        if (end === start) re.lastIndex = start + 1;
        const last = segment(chunk, Math.max(start, end - 1));
        for (let i = segment(chunk, start); i <= last; i++) marks[base + i] = 1;
      }
    }
    return true;
  }
}

function build(tasks: readonly Task[], base: number, count: number): Chunk {
  const parts = new Array<string>(count);
  let width = -1;
  for (let i = 0; i < count; i++) {
    const uuid = tasks[base + i]!.uuid;
    parts[i] = uuid;
    if (width === -1) width = uuid.length + 1;
    else if (width !== uuid.length + 1) width = 0;
  }
  const text = parts.join('\n');
  if (width > 0) return { text, count, width, starts: null };
  const starts = new Int32Array(count + 1);
  let at = 0;
  for (let i = 0; i < count; i++) {
    starts[i] = at;
    at += parts[i]!.length + 1;
  }
  starts[count] = at;
  return { text, count, width: 0, starts };
}

/** The slot (within the chunk) whose span, separator included, holds text position `pos`. */
function segment(c: Chunk, pos: number): number {
  if (c.starts === null) return Math.min(Math.floor(pos / c.width), c.count - 1);
  let lo = 0;
  let hi = c.count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (c.starts[mid]! <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

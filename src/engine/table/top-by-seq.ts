/**
 * Ordering query results by update sequence (TaskColumns.seq): the `want` newest (or oldest)
 * slots, in that order. A bounded heap keeps it O(n log want) when many tasks pass a filter
 * with a small limit.
 */

/** The `want` (0: all) slots of largest seq, largest first; or of smallest seq, smallest first. */
export function takeBySeq(slots: readonly number[], seq: Float64Array, want: number, newestFirst: boolean): number[] {
  const key = newestFirst ? (s: number): number => seq[s]! : (s: number): number => -seq[s]!;
  const byKeyDesc = (a: number, b: number): number => key(b) - key(a);
  if (want === 0 || slots.length <= want) return [...slots].sort(byKeyDesc);
  // Min-heap (by key) of the best `want` so far: its root is the first to give way.
  const heap = slots.slice(0, want);
  for (let i = (want >> 1) - 1; i >= 0; i--) siftDown(heap, i, key);
  for (let i = want; i < slots.length; i++) {
    const s = slots[i]!;
    if (key(s) > key(heap[0]!)) {
      heap[0] = s;
      siftDown(heap, 0, key);
    }
  }
  return heap.sort(byKeyDesc);
}

function siftDown(heap: number[], i: number, key: (s: number) => number): void {
  const n = heap.length;
  const item = heap[i]!;
  const k = key(item);
  for (;;) {
    let child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && key(heap[child + 1]!) < key(heap[child]!)) child++;
    if (key(heap[child]!) >= k) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = item;
}

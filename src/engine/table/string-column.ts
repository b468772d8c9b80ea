/**
 * One text field of every stored task (name, routing key, worker, state) as a column of small
 * ids, one per table slot, so a query judges each distinct value once and then reads two bytes
 * per task instead of following pointers into a million task objects (see task-scan.ts).
 *
 * The values are few and shared (task names, queues, nodenames), so ids are 16 bits. Each id
 * counts the slots holding it and is recycled when none does: a publisher inventing names cannot
 * grow the pool past 65 534 live values. Past that, a slot gets OVERFLOW_ID, which means "read the
 * task itself": slower for that slot, never wrong.
 */

/** The id of null. */
export const NULL_ID = 0;
/** A value the pool had no room for: read it from the task. */
export const OVERFLOW_ID = 0xffff;

export class StringColumn {
  /** The id of each slot's value. Only the first `length` entries mean anything. */
  ids = new Uint16Array(0);
  private readonly idOf = new Map<string, number>();
  /** Value of each id (null for NULL_ID and for free ids). */
  private readonly values: (string | null)[] = [null];
  /** Slots holding each id. */
  private readonly refs: number[] = [0];
  private readonly free: number[] = [];

  /** Make room for slots [0, n); new slots hold null. */
  grow(n: number): void {
    if (n <= this.ids.length) return;
    const ids = new Uint16Array(n);
    ids.set(this.ids);
    this.ids = ids;
  }

  /** Give `slot` the value `v`. Cheap when it already holds it: the per-event case. */
  set(slot: number, v: string | null): void {
    const old = this.ids[slot]!;
    if (old !== OVERFLOW_ID && this.values[old] === v) return;
    this.release(old);
    this.ids[slot] = this.acquire(v);
  }

  /** The value of an id (null for NULL_ID, OVERFLOW_ID and free ids). */
  value(id: number): string | null {
    return this.values[id] ?? null;
  }

  /** Live distinct values (not counting null). */
  get distinct(): number {
    return this.idOf.size;
  }

  clear(): void {
    this.ids = new Uint16Array(0);
    this.idOf.clear();
    this.values.length = 1;
    this.refs.length = 1;
    this.free.length = 0;
  }

  private acquire(v: string | null): number {
    if (v === null) return NULL_ID;
    let id = this.idOf.get(v);
    if (id === undefined) {
      id = this.free.pop();
      if (id === undefined) {
        if (this.values.length >= OVERFLOW_ID) return OVERFLOW_ID;
        id = this.values.length;
        this.values.push(v);
        this.refs.push(0);
      } else {
        this.values[id] = v;
      }
      this.idOf.set(v, id);
    }
    this.refs[id]!++;
    return id;
  }

  private release(id: number): void {
    if (id === NULL_ID || id === OVERFLOW_ID) return;
    if (--this.refs[id]! > 0) return;
    this.idOf.delete(this.values[id]!);
    this.values[id] = null;
    this.free.push(id);
  }
}

/**
 * A bounded string-keyed cache that forgets in O(1): two generations, the older one dropped whole
 * when the newer one fills; a hit in the older generation moves the entry to the newer one. A
 * Map's "delete the first key" looks cheaper but walks over the holes deleted entries leave until
 * the next rehash (measured in task-table.ts). Holds at most 2 × `limit` entries.
 */
export class RecentCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();

  constructor(private readonly limit: number) {}

  get(key: string): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const aged = this.old.get(key);
    if (aged !== undefined) this.set(key, aged);
    return aged;
  }

  set(key: string, value: V): void {
    if (this.young.size >= this.limit) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}

/** The task names the server has seen, for `clearly seen`. */

/**
 * Every task name seen since start (or the last reset), bounded: a publisher inventing names
 * must not grow the server without limit. Past the bound, new names are not recorded.
 */
export class SeenNames {
  private readonly names = new Set<string>();
  constructor(private readonly limit = 10_000) {}

  add(name: string | null): void {
    if (name === null || this.names.size >= this.limit) return;
    this.names.add(name);
  }

  sorted(): string[] {
    return [...this.names].sort();
  }

  clear(): void {
    this.names.clear();
  }

  get size(): number {
    return this.names.size;
  }
}

/**
 * A bounded FIFO between a socket and the work done per message. Redis pub/sub has no flow
 * control: if messages are handled inside the socket's read callback and we fall behind, Redis
 * lets its 32 MB output buffer fill and then drops the connection and every event in it. Queued
 * here instead, they are read off the socket as fast as they arrive and handled in slices of a
 * few milliseconds between reads, so a burst is absorbed in our memory and caught up afterwards.
 * Past `maxBytes` the newest are dropped and counted: memory stays bounded, and the loss is said.
 */
export interface BacklogOptions {
  /** Bytes of queued messages at most (by string length). */
  readonly maxBytes: number;
  /** How long one slice of handling may run before the socket gets a turn. */
  readonly sliceMs?: number;
}

export class Backlog<T extends { readonly size: number }> {
  private items: T[] = [];
  private head = 0;
  private bytes = 0;
  private scheduled = false;
  /** Messages refused because the backlog was full, since the last `takeDropped()`. */
  private dropped = 0;
  peakBytes = 0;

  constructor(
    private readonly handle: (item: T) => void,
    private readonly options: BacklogOptions,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.bytes + item.size > this.options.maxBytes) {
      this.dropped++;
      return;
    }
    this.items.push(item);
    this.bytes += item.size;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  takeDropped(): number {
    const n = this.dropped;
    this.dropped = 0;
    return n;
  }

  /** Forget what is queued (on close). */
  clear(): void {
    this.items = [];
    this.head = 0;
    this.bytes = 0;
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    const deadline = performance.now() + (this.options.sliceMs ?? 8);
    const items = this.items;
    let i = this.head;
    while (i < items.length) {
      const item = items[i]!;
      items[i] = undefined as unknown as T; // let it be collected
      i++;
      this.bytes -= item.size;
      this.handle(item);
      // Reading the clock is not free: look every 64 messages.
      if ((i & 63) === 0 && performance.now() >= deadline) break;
    }
    if (i >= items.length) {
      this.items = [];
      this.head = 0;
      return;
    }
    this.head = i;
    if (i > 4096 && i * 2 > items.length) {
      this.items = items.slice(i);
      this.head = 0;
    }
    this.scheduled = true;
    setImmediate(this.drain);
  };
}

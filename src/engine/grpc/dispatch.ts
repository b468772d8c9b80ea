/**
 * Fan-out of live changes to the clients of `Capture`, each with its own filter.
 *
 * Per change, the filter runs first and the payload (an encoded CaptureItem on the server) is
 * built at most once, only if some client wants it, then shared by every client that does.
 *
 * A slow client must neither grow the server's memory nor slow the others: while its stream
 * refuses more (`write()` returned false, waiting for 'drain'), its records wait in a bounded
 * ring; when the ring is full the oldest record is dropped and counted, and a `Missed{count}`
 * item goes out before the next record it does get.
 */
import { taskSubject, type Filter, type FilterSubject } from '../table/filter.js';
import type { Change, TaskChange, WorkerChange } from '../model.js';

/** What the dispatcher writes to: a grpc-js ServerWritableStream fits. */
export interface Sink<T> {
  write(item: T): boolean;
  once(event: 'drain', listener: () => void): unknown;
  end(): void;
}

/** Builds the payloads; called lazily, once per record that at least one client wants. */
export interface Encoders<T> {
  /** The record for `change.states[index]` (earlier states of the list are generated ones). */
  task(change: TaskChange, index: number): T;
  worker(change: WorkerChange): T;
  missed(count: number): T;
}

export const DEFAULT_CLIENT_BUFFER = 10_000;

/** A FIFO of at most `capacity` items; grows on demand (most clients never queue anything). */
class Ring<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  length = 0;
  constructor(private readonly capacity: number) {}

  get full(): boolean {
    return this.length >= this.capacity;
  }

  push(item: T): void {
    if (this.length === this.items.length) this.grow();
    this.items[(this.head + this.length) % this.items.length] = item;
    this.length++;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.length--;
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.length = 0;
  }

  private grow(): void {
    const size = Math.min(this.capacity, Math.max(16, this.items.length * 2));
    const next: (T | undefined)[] = new Array<T | undefined>(size);
    for (let i = 0; i < this.length; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}

export class LiveClient<T> {
  /** Records dropped for this client since it connected. */
  dropped = 0;
  /** Dropped but not yet announced with a Missed item. */
  private unannounced = 0;
  private blocked = false;
  private closed = false;
  private readonly queue: Ring<T>;

  constructor(
    private readonly sink: Sink<T>,
    readonly filter: Filter,
    capacity: number,
    private readonly encoders: Encoders<T>,
    private readonly onDrop: () => void,
  ) {
    this.queue = new Ring<T>(capacity);
  }

  /** Records waiting for the stream to take them. */
  get queued(): number {
    return this.queue.length;
  }

  push(item: T): void {
    if (this.closed) return;
    if (!this.blocked && this.queue.length === 0 && this.unannounced === 0) {
      this.write(item);
      return;
    }
    if (this.queue.full) {
      this.queue.shift();
      this.dropped++;
      this.unannounced++;
      this.onDrop();
    }
    this.queue.push(item);
  }

  /**
   * Hold live records back (queued, bounded as ever) until `release`: a resuming client gets
   * the history it missed before anything live.
   */
  hold(): void {
    this.blocked = true;
  }

  /** Write `first` (the catch-up), then what was held. */
  release(first: readonly T[]): void {
    if (this.closed) return;
    for (const item of first) this.sink.write(item);
    this.flush();
  }

  /** Forget everything queued; nothing more is written. */
  close(): void {
    this.closed = true;
    this.queue.clear();
  }

  /** End the stream (server shutdown): what is queued is dropped, the client sees a clean end. */
  end(): void {
    if (this.closed) return;
    this.close();
    try {
      this.sink.end();
    } catch {
      // already ended or destroyed
    }
  }

  private write(item: T): void {
    if (!this.sink.write(item)) {
      this.blocked = true;
      this.sink.once('drain', () => this.flush());
    }
  }

  private flush(): void {
    this.blocked = false;
    while (!this.blocked && !this.closed) {
      if (this.unannounced > 0) {
        const count = this.unannounced;
        this.unannounced = 0;
        this.write(this.encoders.missed(count));
        continue;
      }
      const item = this.queue.shift();
      if (item === undefined) return;
      this.write(item);
    }
  }
}

export interface DispatcherOptions {
  /** Records buffered per client while its stream is full (default 10 000). */
  readonly clientBuffer?: number;
}

export class Dispatcher<T> {
  private readonly clients = new Set<LiveClient<T>>();
  private readonly capacity: number;
  /** Records dropped for slow clients, all clients together, since start. */
  dropped = 0;

  constructor(
    private readonly encoders: Encoders<T>,
    options: DispatcherOptions = {},
  ) {
    const capacity = options.clientBuffer ?? DEFAULT_CLIENT_BUFFER;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`client buffer must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
  }

  get size(): number {
    return this.clients.size;
  }

  add(sink: Sink<T>, filter: Filter): LiveClient<T> {
    const client = new LiveClient<T>(sink, filter, this.capacity, this.encoders, () => this.dropped++);
    this.clients.add(client);
    return client;
  }

  /** The client went away (cancelled, closed, errored): forget it and its queue at once. */
  remove(client: LiveClient<T>): void {
    client.close();
    this.clients.delete(client);
  }

  publish(change: Change): void {
    if (this.clients.size === 0) return;
    if (change.kind === 'worker') this.publishWorker(change);
    else this.publishTask(change);
  }

  /** End every stream (shutdown). */
  endAll(): void {
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  private publishWorker(change: WorkerChange): void {
    const subject: FilterSubject = { kind: 'worker', hostname: change.worker.hostname, state: change.status };
    let payload: T | undefined;
    for (const c of this.clients) {
      if (!c.filter(subject)) continue;
      payload ??= this.encoders.worker(change);
      c.push(payload);
    }
  }

  private publishTask(change: TaskChange): void {
    const { states, task } = change;
    for (let i = 0; i < states.length; i++) {
      const subject = taskSubject(task, states[i]!);
      let payload: T | undefined;
      for (const c of this.clients) {
        if (!c.filter(subject)) continue;
        payload ??= this.encoders.task(change, i);
        c.push(payload);
      }
    }
  }
}

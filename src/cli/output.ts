/**
 * stdout for records: lines are batched into one write per event-loop turn (a syscall per record
 * would cap throughput), the batch is bounded (a reader that cannot keep up costs us at most
 * `maxPendingBytes`, the rest is counted as dropped), and a closed pipe (`| head`) ends quietly.
 *
 * Each line is encoded to UTF-8 as it comes, into a slab the batches are cut from. Joining the
 * batch into one string first cost more than building the lines: the join copies every line
 * again, and one line outside Latin-1 makes the whole batch a two-byte string, which encodes
 * several times slower. The sink gets views of the slab, not written again while the sink may
 * still hold them (a stream keeps chunks until the reader catches up).
 */
export interface LineSink {
  write(chunk: Uint8Array): boolean;
  on(event: 'error', listener: (e: NodeJS.ErrnoException) => void): unknown;
  once(event: 'drain', listener: () => void): unknown;
  readonly writableLength: number;
}

/** Bytes per slab; a batch larger than that gets a slab of its own. */
const SLAB_BYTES = 256 * 1024;
/** A slab grown past this for a large batch is not kept once the batch is written. */
const KEEP_SLAB_BYTES = 4 * 1024 * 1024;
/** UTF-8 bytes per UTF-16 code unit, at most (a lone surrogate becomes U+FFFD: 3 bytes). */
const MAX_UTF8_PER_UNIT = 3;

export class LineWriter {
  written = 0;
  dropped = 0;
  private slab: Buffer = Buffer.alloc(0);
  /** The batch is slab[batchStart, batchEnd). */
  private batchStart = 0;
  private batchEnd = 0;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly sink: LineSink,
    private readonly onClosed: () => void,
    private readonly maxPendingBytes = 32 * 1024 * 1024,
  ) {
    sink.on('error', (e) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') this.close();
      else throw e;
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Queue one line (no trailing newline). Returns false when it was dropped or the reader is gone. */
  line(text: string): boolean {
    return this.add(text, false);
  }

  /**
   * Queue one line already in UTF-8, one byte per character (its Latin-1 encoding is the bytes to
   * write): a plain copy, where `line` has to encode.
   */
  lineBytes(bytes: string): boolean {
    return this.add(bytes, true);
  }

  private add(text: string, bytes: boolean): boolean {
    if (this.closed) return false;
    if (this.batchEnd - this.batchStart + this.sink.writableLength > this.maxPendingBytes) {
      this.dropped++;
      return false;
    }
    const room = (bytes ? text.length : text.length * MAX_UTF8_PER_UNIT) + 1;
    if (this.batchEnd + room > this.slab.length) this.newSlab(room);
    this.batchEnd += bytes ? this.slab.write(text, this.batchEnd, 'latin1') : this.slab.write(text, this.batchEnd);
    this.slab[this.batchEnd++] = 0x0a;
    this.written++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  flush(): void {
    this.scheduled = false;
    if (this.batchEnd === this.batchStart || this.closed) return;
    const chunk = this.slab.subarray(this.batchStart, this.batchEnd);
    this.batchStart = this.batchEnd;
    try {
      this.sink.write(chunk);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') this.close();
      else throw e;
    }
    // Nothing pending: the sink is done with every chunk it got (stdout to a file or a pipe
    // writes synchronously on Linux), so the slab can be filled again from the start.
    if (this.sink.writableLength === 0) {
      this.batchStart = this.batchEnd = 0;
      if (this.slab.length > KEEP_SLAB_BYTES) this.slab = Buffer.alloc(0); // after a burst, give the memory back
    }
  }

  /** A fresh slab with `room` bytes free after the batch so far (moved over). */
  private newSlab(room: number): void {
    const batch = this.batchEnd - this.batchStart;
    const next = Buffer.allocUnsafe(Math.max(SLAB_BYTES, 2 * (batch + room)));
    this.slab.copy(next, 0, this.batchStart, this.batchEnd);
    this.slab = next;
    this.batchStart = 0;
    this.batchEnd = batch;
  }

  /** Flush and wait until the sink has taken everything (or gave up). */
  async end(): Promise<void> {
    this.flush();
    if (this.closed || this.sink.writableLength === 0) return;
    await new Promise<void>((resolve) => {
      this.sink.once('drain', resolve);
      setTimeout(resolve, 2000).unref();
    });
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.batchStart = this.batchEnd;
    this.onClosed();
  }
}

/** Messages for people go to stderr, prefixed so they stand out from piped data. */
export function note(message: string): void {
  process.stderr.write(`clearly: ${message}\n`);
}

/**
 * The columns text output fits: the terminal's, or `COLUMNS` when stdout is not a terminal and it
 * is set (a pipe into a pager, a test); otherwise none (a file or a pipe has no width: each value
 * stays one whole line there).
 */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv): number | undefined {
  if (stream.isTTY === true && typeof stream.columns === 'number' && stream.columns > 0) return stream.columns;
  const columns = Number(env['COLUMNS']);
  return Number.isInteger(columns) && columns > 0 ? columns : undefined;
}

/** Bytes stdout may hold unwritten before a paced producer waits. */
const PACED_HIGH_BYTES = 4 * 1024 * 1024;
/** Lines are gathered into writes of about this size. */
const PACED_CHUNK_CHARS = 64 * 1024;

/**
 * stdout for output that must not lose a line (`export`): where LineWriter drops what a slow
 * reader cannot take, this makes the producer wait (`ready()`), so memory stays bounded and every
 * line arrives. A closed pipe ends it quietly (`isClosed`).
 */
export class PacedLines {
  written = 0;
  private parts: string[] = [];
  private chars = 0;
  private closed = false;

  constructor(private readonly sink: NodeJS.WriteStream) {
    sink.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') this.closed = true;
      else throw e;
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  line(text: string): void {
    if (this.closed) return;
    this.parts.push(text, '\n');
    this.chars += text.length + 1;
    this.written++;
    if (this.chars >= PACED_CHUNK_CHARS) this.flush();
  }

  private flush(): void {
    if (this.chars === 0 || this.closed) return;
    this.sink.write(this.parts.join(''));
    this.parts = [];
    this.chars = 0;
  }

  /** Whether the reader is behind: wait for `ready()` before the next line. */
  get behind(): boolean {
    return !this.closed && this.sink.writableLength >= PACED_HIGH_BYTES;
  }

  /** Resolves once the reader has caught up enough to take more (at once when it has). */
  ready(): Promise<void> {
    return this.behind ? this.drainOrClose() : Promise.resolve();
  }

  private drainOrClose(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.sink.off('drain', done);
        this.sink.off('close', done);
        resolve();
      };
      this.sink.once('drain', done);
      this.sink.once('close', done);
    });
  }

  /** Writes what is gathered and waits until the sink has taken all of it (or closed). */
  async end(): Promise<void> {
    this.flush();
    while (!this.closed && this.sink.writableLength > 0) await this.drainOrClose();
  }
}

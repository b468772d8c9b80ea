/**
 * stdout for records: lines are batched into one write per event-loop turn (a syscall per record
 * would cap throughput), the batch is bounded (a reader that cannot keep up costs us at most
 * `maxPendingBytes`, the rest is counted as dropped), and a closed pipe (`| head`) ends quietly.
 */
export interface LineSink {
  write(chunk: string): boolean;
  on(event: 'error', listener: (e: NodeJS.ErrnoException) => void): unknown;
  once(event: 'drain', listener: () => void): unknown;
  readonly writableLength: number;
}

export class LineWriter {
  written = 0;
  dropped = 0;
  private batch: string[] = [];
  private batchBytes = 0;
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
    if (this.closed) return false;
    if (this.batchBytes + this.sink.writableLength > this.maxPendingBytes) {
      this.dropped++;
      return false;
    }
    this.batch.push(text);
    this.batchBytes += text.length + 1;
    this.written++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  flush(): void {
    this.scheduled = false;
    if (this.batch.length === 0 || this.closed) return;
    const text = this.batch.join('\n') + '\n';
    this.batch = [];
    this.batchBytes = 0;
    try {
      this.sink.write(text);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') this.close();
      else throw e;
    }
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
    this.batch = [];
    this.onClosed();
  }
}

/** Messages for people go to stderr, prefixed so they stand out from piped data. */
export function note(message: string): void {
  process.stderr.write(`clearly: ${message}\n`);
}

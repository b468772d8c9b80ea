/**
 * Live streams of records, for `watch` and `demo`: where they come from (a clearly server's Capture
 * stream, a session straight on the broker, or a simulated cluster in the process), and the run loop that prints them until `--count`,
 * `--timeout`, Ctrl-C or a closed pipe, then says on stderr what it printed.
 */
import { parseServerAddress, ServerConnection, type Reading, type ServerTarget } from './client.js';
import { backoffMs } from '../engine/broker/source.js';
import { note } from './output.js';
import type { LivePrinter } from './printer.js';
import type { CaptureRequest, DecodedCaptureItem } from '../engine/grpc/messages.js';
import type { Change } from '../engine/model.js';
import type { Redactor } from '../engine/redact/redact.js';
import { startSession, startSimulatedSession, type SimulatedSessionOptions } from '../engine/session.js';
import type { TapOptions } from '../engine/broker/tap-source.js';
import type { FilterSpec } from '../engine/table/filter.js';
import { UnavailableError } from '../errors.js';
import { taskRecordFromMessage, workerRecordFromMessage } from '../format/message-records.js';
import type { OutputRecord } from '../format/record.js';

/** Where a feed hands what it gets; `fail` ends the run with that error (its exit code). */
export interface FeedTarget {
  record(record: OutputRecord): void;
  change(change: Change): void;
  fail(error: unknown): void;
}

/** A source of live records, open until closed. */
export interface Feed {
  close(): Promise<void>;
  /** What the closing summary says about the source: `from` before the duration, `extra` after it. */
  summary(): { from: string; extra: string };
}

export type OpenFeed = (target: FeedTarget) => Feed | Promise<Feed>;

/** Straight from the broker: engine changes, filtered by the printer. */
export function brokerFeed(broker: string, debug: boolean, redactor: Redactor | null, enableEvents = false, tap?: TapOptions): OpenFeed {
  return async (target) => {
    const session = await startSession({
      broker,
      debug,
      log: note,
      redactor,
      onChange: (change) => target.change(change),
      detectEventsOff: true,
      enableEvents,
      tap,
    });
    note(`watching ${session.masked} (Ctrl-C to stop)${redactor === null ? "; redaction is off (--redact '')" : ''}`);
    return {
      close: () => session.close(),
      summary: () => {
        const c = session.pipeline.counters;
        return { from: ` from ${c.events} events`, extra: c.decodeErrors > 0 ? `, ${c.decodeErrors} undecodable messages` : '' };
      },
    };
  };
}

/** From a simulated cluster in this process (`clearly demo`): engine changes, as from a broker. */
export function demoFeed(o: Omit<SimulatedSessionOptions, 'log' | 'onChange'>): OpenFeed {
  return (target) => {
    const session = startSimulatedSession({ ...o, log: note, onChange: (change) => target.change(change) });
    note(`watching ${session.masked}, no broker needed (Ctrl-C to stop)`);
    return {
      close: () => session.close(),
      summary: () => ({ from: ` from ${session.pipeline.counters.events} simulated events`, extra: '' }),
    };
  };
}

/**
 * From a clearly server, which filters by the same rules; a slow reader is told what it missed.
 * The first connection must work (no server: exit 69 at once, as every client command). Once
 * connected, a server that goes away (restarted, upgraded, its host rebooted) is waited for: one
 * notice on stderr, new connections with backoff (0.5 s doubling to 10 s) until it is back, then
 * one notice saying how long it was gone. It is asked for the tasks that changed since the newest
 * one received (`resume_after`): they come first, in their current state, marked `resumed`.
 */
export function serverFeed(server: ServerTarget | string, spec: FilterSpec): OpenFeed {
  return (target) => {
    const address = typeof server === 'string' ? parseServerAddress(server) : server.address;
    const request: CaptureRequest = {
      filter: { pattern: spec.pattern ?? '', states: [...(spec.states ?? [])], worker: spec.worker ?? '' },
      tasks: spec.tasks,
      workers: spec.workers,
    };
    let missed = 0;
    let reconnects = 0;
    let closed = false;
    /** When the stream was lost (ms), while we try to get it back. */
    let lostAt: number | null = null;
    let everConnected = false;
    let attempt = 0;
    let conn: ServerConnection | undefined;
    let reading: Reading | undefined;
    let retryTimer: NodeJS.Timeout | undefined;
    /** The newest task time received: a reconnection asks for what changed since (`resume_after`). */
    let newest = -Infinity;

    const onItem = (c: DecodedCaptureItem): void => {
      switch (c.item) {
        case 'task':
          if (c.task.timestamp !== undefined && !(c.task.timestamp <= newest)) newest = c.task.timestamp;
          return target.record(taskRecordFromMessage(c.task));
        case 'worker':
          return target.record(workerRecordFromMessage(c.worker));
        case 'missed': {
          const n = c.missed.count ?? 0;
          missed += n;
          note(`missed ${n} records (this client read too slowly)`);
          return;
        }
      }
    };
    const onConnected = (): void => {
      attempt = 0;
      if (!everConnected) {
        everConnected = true;
        note(`watching the clearly server at ${address} (Ctrl-C to stop)`);
      } else if (lostAt !== null) {
        reconnects++;
        note(`reconnected to the clearly server at ${address} after ${((Date.now() - lostAt) / 1000).toFixed(1)}s; the tasks it has that changed meanwhile come first, marked resumed`);
      }
      lostAt = null;
    };
    /** The stream ended or failed: give up (first connection, or not a connection problem) or try again. */
    const onEnd = (error: unknown): void => {
      conn?.close();
      if (closed) return;
      const retryable = error === undefined || error instanceof UnavailableError;
      if (!everConnected || !retryable) {
        // A live stream has no natural end: the server closed it (shutting down).
        target.fail(error ?? new UnavailableError(`the clearly server at ${address} ended the stream (shutting down?)`));
        return;
      }
      if (lostAt === null) {
        lostAt = Date.now();
        const why =
          error instanceof Error ? error.message : `the clearly server at ${address} ended the stream (shutting down?)`;
        note(`${why}; reconnecting…`);
      }
      retryTimer = setTimeout(connect, backoffMs(++attempt));
    };
    const connect = (): void => {
      retryTimer = undefined;
      if (closed) return;
      // A fresh channel each time: grpc-js's own reconnect backoff would wait up to two minutes.
      conn = new ServerConnection(server);
      // Back after a loss: first the tasks that changed meanwhile (their current state, `resumed`).
      const since = Number.isFinite(newest) ? newest : lostAt === null ? undefined : lostAt / 1000;
      // onAccepted, not the channel's readiness: a token the server refuses must be the only line.
      const r = conn.capture(everConnected && since !== undefined ? { ...request, resume_after: since } : request, { onItem, onAccepted: onConnected });
      reading = r;
      r.done.then(
        () => onEnd(undefined),
        (e: unknown) => onEnd(e),
      );
    };
    connect();
    return {
      close: async () => {
        closed = true;
        if (retryTimer !== undefined) clearTimeout(retryTimer);
        reading?.cancel();
        conn?.close();
      },
      summary: () => ({
        from: ` from the server at ${address}`,
        extra:
          (missed > 0 ? `, ${missed} missed (this client read too slowly)` : '') +
          (reconnects > 0 ? `, reconnected ${reconnects} time${reconnects === 1 ? '' : 's'}` : ''),
      }),
    };
  };
}

export interface RunOptions {
  /** Stop (exit 0) after this many seconds. */
  readonly timeoutSeconds?: number | undefined;
}

/**
 * Prints what the feed brings until the printer's limit, the timeout, SIGINT/SIGTERM or a closed
 * pipe (all exit 0), or the feed fails (its error). Then closes the feed, flushes stdout and says
 * on stderr how many records were printed, from what, in how long.
 */
export async function runLive(printer: LivePrinter, open: OpenFeed, o: RunOptions = {}): Promise<number> {
  let finish: (code: number) => void = () => {};
  let fail: (error: unknown) => void = () => {};
  const done = new Promise<number>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  printer.onDone(() => finish(0));
  const started = Date.now();
  const feed = await open({ record: (r) => printer.record(r), change: (c) => printer.change(c), fail: (e) => fail(e) });
  const timer = o.timeoutSeconds === undefined ? undefined : setTimeout(() => finish(0), o.timeoutSeconds * 1000);
  const onSignal = (): void => finish(0);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let code: number;
  try {
    code = await done;
  } finally {
    if (timer) clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await feed.close();
    await printer.writer.end();
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const dropped = printer.writer.dropped > 0 ? `, ${printer.writer.dropped} dropped (output too slow)` : '';
  const { from, extra } = feed.summary();
  const { tasks, workers } = printer;
  note(`${tasks + workers} records (${tasks} task, ${workers} worker)${from} in ${secs}s${dropped}${extra}`);
  return code;
}

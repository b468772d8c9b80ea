/**
 * Live streams of records, for `watch`: where they come from (a clearly server's Capture stream,
 * or a session straight on the broker), and the run loop that prints them until `--count`,
 * `--timeout`, Ctrl-C or a closed pipe, then says on stderr what it printed.
 */
import { ServerConnection } from './client.js';
import { note } from './output.js';
import type { LivePrinter } from './printer.js';
import type { CaptureRequest, DecodedCaptureItem } from '../engine/grpc/messages.js';
import type { Change } from '../engine/model.js';
import { startSession } from '../engine/session.js';
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
export function brokerFeed(broker: string, debug: boolean, enableEvents = false, tap?: TapOptions): OpenFeed {
  return async (target) => {
    const session = await startSession({
      broker,
      debug,
      log: note,
      onChange: (change) => target.change(change),
      detectEventsOff: true,
      enableEvents,
      tap,
    });
    note(`watching ${session.masked} (Ctrl-C to stop)`);
    return {
      close: () => session.close(),
      summary: () => {
        const c = session.pipeline.counters;
        return { from: ` from ${c.events} events`, extra: c.decodeErrors > 0 ? `, ${c.decodeErrors} undecodable messages` : '' };
      },
    };
  };
}

/** From a clearly server, which filters by the same rules; a slow reader is told what it missed. */
export function serverFeed(server: string, spec: FilterSpec): OpenFeed {
  return (target) => {
    const conn = new ServerConnection(server);
    const request: CaptureRequest = {
      filter: { pattern: spec.pattern ?? '', states: [...(spec.states ?? [])], worker: spec.worker ?? '' },
      tasks: spec.tasks,
      workers: spec.workers,
    };
    let missed = 0;
    const onItem = (c: DecodedCaptureItem): void => {
      switch (c.item) {
        case 'task':
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
    const reading = conn.capture(request, {
      onItem,
      onConnected: () => note(`watching the clearly server at ${conn.address} (Ctrl-C to stop)`),
    });
    reading.done.then(
      // A live stream has no natural end: the server closed it (shutting down).
      () => target.fail(new UnavailableError(`the clearly server at ${conn.address} ended the stream (shutting down?)`)),
      (e: unknown) => target.fail(e),
    );
    return {
      close: async () => {
        reading.cancel();
        conn.close();
      },
      summary: () => ({
        from: ` from the server at ${conn.address}`,
        extra: missed > 0 ? `, ${missed} missed (this client read too slowly)` : '',
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

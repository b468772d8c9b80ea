/**
 * A live engine straight on the broker (no server): source -> pipeline -> changes, with the
 * worker-expiry tick and stderr notices about the connection and undecodable messages.
 */
import { parseBrokerUrl } from '../engine/broker/url.js';
import { DecodeErrorLog } from '../engine/events/decode-errors.js';
import type { Change } from '../engine/model.js';
import { Pipeline } from '../engine/pipeline.js';
import { openEventSource } from '../engine/broker/open-source.js';
import type { EventSource, SourceStatus } from '../engine/broker/source.js';
import { State } from '../engine/state/state.js';
import { note } from './output.js';

export interface DirectOptions {
  readonly broker: string;
  readonly debug: boolean;
  readonly maxTasks?: number;
  readonly maxWorkers?: number;
  readonly onChange: (change: Change) => void;
  /** Connection changes, after the notices on stderr (the server tracks its broker state). */
  readonly onStatus?: (status: SourceStatus) => void;
}

export interface DirectSession {
  readonly pipeline: Pipeline;
  readonly source: EventSource;
  readonly masked: string;
  close(): Promise<void>;
}

const now = (): number => Date.now() / 1000;

async function wakeWorkers(broker: string, debug: boolean): Promise<void> {
  try {
    const { openControl } = await import('../engine/control/open.js');
    const control = await openControl(broker, { connectTimeoutMs: 3000 });
    try {
      await control.cast('heartbeat');
    } finally {
      await control.close();
    }
  } catch (e) {
    // Only a nicety: the workers' own heartbeats come anyway.
    if (debug) note(`could not ask workers for a heartbeat: ${(e as Error).message}`);
  }
}

export async function startDirect(o: DirectOptions): Promise<DirectSession> {
  const broker = parseBrokerUrl(o.broker, '--broker / CLEARLY_BROKER');
  const state = new State({ maxTasks: o.maxTasks ?? 10_000, maxWorkers: o.maxWorkers ?? 1_000 });
  const decodeErrors = new DecodeErrorLog(o.debug ? 5 : 0);
  const pipeline = new Pipeline(state, o.onChange, (e) => decodeErrors.add(e));
  const source = await openEventSource(broker, {
    message: (raw) => pipeline.handle(raw, now()),
    status: (s) => {
      if (s.kind === 'lost') note(`lost the connection to ${broker.masked} (${s.error}); reconnecting…`);
      if (s.kind === 'dropped') {
        note(`could not keep up with ${broker.masked}: ${s.count} events lost (our backlog of received messages was full)`);
      }
      if (s.kind === 'reconnected') {
        note(`reconnected to ${broker.masked} after ${s.downSeconds.toFixed(1)}s; events published meanwhile were missed`);
      }
      o.onStatus?.(s);
    },
  });
  await source.start();
  // As Celery's own EventReceiver does once it consumes: ask every worker for a heartbeat now,
  // so workers show up at once instead of after up to `freq` seconds.
  void wakeWorkers(o.broker, o.debug);
  const timer = setInterval(() => {
    pipeline.tick(now());
    const report = decodeErrors.drain();
    if (report !== null) {
      note(report.summary + (o.debug ? '' : ' (--debug for details)'));
      for (const s of report.samples) note(`  ${s.reason}: ${s.detail}`);
    }
  }, 1000);
  return {
    pipeline,
    source,
    masked: broker.masked,
    async close() {
      clearInterval(timer);
      await source.close();
    },
  };
}

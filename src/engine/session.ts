/**
 * A live session on one broker: source -> pipeline -> changes, with the one-second tick (worker
 * expiry, the undecodable-message summary) and the notices a person needs about the connection.
 * What `watch --broker`, `server`, `check --broker` and `task --wait --broker` each build once;
 * the notices go to `log` (the CLI's stderr), never to stdout. `clearly demo` gets the same
 * pipeline and tick fed by a simulated cluster instead (`startSimulatedSession`).
 */
import { parseBrokerUrl } from './broker/url.js';
import { DecodeErrorLog } from './events/decode-errors.js';
import type { Change } from './model.js';
import { Pipeline } from './pipeline.js';
import { openEventSource } from './broker/open-source.js';
import type { EventSource, SourceStatus } from './broker/source.js';
import type { Redactor } from './redact/redact.js';
import { startSimulatedCluster } from './simulate/cluster.js';
import { State } from './state/state.js';

export interface SessionOptions {
  readonly broker: string;
  readonly debug: boolean;
  /** Notices for a person (connection lost and back, events lost, undecodable messages). */
  readonly log: (message: string) => void;
  readonly maxTasks?: number;
  readonly maxWorkers?: number;
  readonly onChange: (change: Change) => void;
  /** Secrets out before the reducer (`--redact`); null or absent: off. */
  readonly redactor?: Redactor | null;
  /** Connection changes, after the notices on stderr (the server tracks its broker state). */
  readonly onStatus?: (status: SourceStatus) => void;
}

export interface Session {
  readonly pipeline: Pipeline;
  readonly source: EventSource;
  readonly masked: string;
  close(): Promise<void>;
}

const now = (): number => Date.now() / 1000;

async function wakeWorkers(broker: string, debug: boolean, log: (message: string) => void): Promise<void> {
  try {
    const { openControl } = await import('./control/open.js');
    const control = await openControl(broker, { connectTimeoutMs: 3000 });
    try {
      await control.cast('heartbeat');
    } finally {
      await control.close();
    }
  } catch (e) {
    // Only a nicety: the workers' own heartbeats come anyway.
    if (debug) log(`could not ask workers for a heartbeat: ${(e as Error).message}`);
  }
}

/** The one-second tick: expire silent workers, report undecodable messages. */
function everySecond(pipeline: Pipeline, decodeErrors: DecodeErrorLog, o: { debug: boolean; log: (m: string) => void }): NodeJS.Timeout {
  return setInterval(() => {
    pipeline.tick(now());
    const report = decodeErrors.drain();
    if (report !== null) {
      o.log(report.summary + (o.debug ? '' : ' (--debug for details)'));
      for (const s of report.samples) o.log(`  ${s.reason}: ${s.detail}`);
    }
  }, 1000);
}

export async function startSession(o: SessionOptions): Promise<Session> {
  const note = o.log;
  const broker = parseBrokerUrl(o.broker, '--broker / CLEARLY_BROKER');
  const state = new State({ maxTasks: o.maxTasks ?? 10_000, maxWorkers: o.maxWorkers ?? 1_000 });
  const decodeErrors = new DecodeErrorLog(o.debug ? 5 : 0);
  const pipeline = new Pipeline(state, o.onChange, (e) => decodeErrors.add(e), o.redactor ?? null);
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
  void wakeWorkers(o.broker, o.debug, note);
  const timer = everySecond(pipeline, decodeErrors, o);
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

export interface SimulatedSessionOptions {
  readonly debug: boolean;
  readonly log: (message: string) => void;
  readonly onChange: (change: Change) => void;
  /** Events per second of the simulated cluster. */
  readonly rate: number;
  readonly seed: number;
  readonly workers: number;
}

export interface SimulatedSession {
  readonly pipeline: Pipeline;
  /** What it watches, for notices: the simulated cluster has no URL. */
  readonly masked: string;
  close(): Promise<void>;
}

/**
 * The same pipeline and tick as `startSession`, fed by a simulated cluster in this process
 * (`simulate/cluster.ts`) instead of a broker: what `clearly demo` shows.
 */
export function startSimulatedSession(o: SimulatedSessionOptions): SimulatedSession {
  const state = new State({ maxTasks: 10_000, maxWorkers: 1_000 });
  const decodeErrors = new DecodeErrorLog(o.debug ? 5 : 0);
  const pipeline = new Pipeline(state, o.onChange, (e) => decodeErrors.add(e));
  const cluster = startSimulatedCluster({
    rate: o.rate,
    seed: o.seed,
    workers: o.workers,
    host: 'demo',
    message: (raw, at) => pipeline.handle(raw, at),
  });
  const timer = everySecond(pipeline, decodeErrors, o);
  return {
    pipeline,
    masked: `a simulated cluster of ${o.workers} workers (${o.rate} events/s, seed ${o.seed})`,
    async close() {
      clearInterval(timer);
      cluster.stop();
    },
  };
}

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
import { openTap } from './broker/open-tap.js';
import type { TapOptions, TapSource } from './broker/tap-source.js';
import type { EventSource, SourceStatus } from './broker/source.js';
import type { Redactor } from './redact/redact.js';
import { startSimulatedCluster } from './simulate/cluster.js';
import { State } from './state/state.js';
import { eventsOffNotice, eventsStatus, taskSentMissing, TASK_SENT_FIX, workerEventsSeen, type EventsStatus } from './state/events-status.js';

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
  /**
   * Say once on `log` which workers send no events (and whether publishers send no task-sent),
   * with the fix (watch and server; state/events-status.ts).
   */
  readonly detectEventsOff?: boolean;
  /** Broadcast enable_events every 5 s (`--enable-events`), saying once which workers it switched on. */
  readonly enableEvents?: boolean;
  /** The task-message tap (`--tap`, `--tap-exchange`): task messages merged with the events. */
  readonly tap?: TapOptions | undefined;
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
function everySecond(
  pipeline: Pipeline,
  decodeErrors: DecodeErrorLog,
  o: { debug: boolean; log: (m: string) => void },
  also?: (at: number) => void,
): NodeJS.Timeout {
  return setInterval(() => {
    pipeline.tick(now());
    also?.(now());
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
  let tap: TapSource | null = null;
  const tapOptions = o.tap;
  if (tapOptions !== undefined && (tapOptions.queues.length > 0 || tapOptions.exchanges.length > 0)) {
    tap = await openTap(broker, tapOptions, {
      message: (raw) => pipeline.handleTapped(raw, now()),
      envelope: (envelope, queue) => pipeline.handleTapped({ envelope, queue }, now()),
      status: (s) => {
        if (s.kind === 'lost') note(`the tap lost its connection to ${broker.masked} (${s.error}); reconnecting…`);
        if (s.kind === 'reconnected') note(`the tap reconnected to ${broker.masked} after ${s.downSeconds.toFixed(1)}s; ${tapGap(broker.transport, tapOptions)}`);
      },
    });
    if (tap.swept !== undefined && tap.swept.length > 0) {
      note(`removed ${tap.swept.join(', ')}: left bound by a clearly on this host that died without closing (Redis has no auto-delete)`);
    }
    note(`tapping task messages from ${tap.reading.join(', ')}`);
  }
  const events = o.detectEventsOff === true ? new EventsOffNotices(state, pipeline, note, o.enableEvents === true) : null;
  const enabler = o.enableEvents === true ? await startEnabling(o.broker, note, o.debug) : null;
  const timer = everySecond(pipeline, decodeErrors, o, (at) => events?.check(at));
  return {
    pipeline,
    source,
    masked: broker.masked,
    async close() {
      clearInterval(timer);
      await enabler?.stop();
      await tap?.close();
      await source.close();
    },
  };
}

/**
 * What a tap reconnection missed: monitor queues, durable queues and Redis lists keep what was
 * published meanwhile; RabbitMQ deleted clearly's own exclusive queue with the connection.
 */
function tapGap(transport: string, o: TapOptions): string {
  if (transport === 'amqp' && !o.durable && o.exchanges.length > 0) {
    return `task messages published meanwhile to ${o.exchanges.join(', ')} were missed (--tap-durable keeps them)`;
  }
  return 'task messages queued meanwhile are read now';
}

/** Each worker whose events are off is named once (per status), missing task-sent once, silent tapped tasks once. */
class EventsOffNotices {
  private readonly said = new Map<string, EventsStatus>();
  private taskSentSaid = false;
  private tapSaid = false;
  private tapCheckedAt = 0;
  constructor(
    private readonly state: State,
    private readonly pipeline: Pipeline,
    private readonly note: (message: string) => void,
    private readonly enabling: boolean,
  ) {}

  private checkTapped(at: number): void {
    if (this.tapSaid || this.pipeline.counters.tapped === 0 || at - this.tapCheckedAt < 10) return;
    this.tapCheckedAt = at;
    const n = tappedWithoutEvents(this.state, at);
    if (n === 0) return;
    this.tapSaid = true;
    this.note(
      `${n} tapped task${n === 1 ? ' has' : 's have'} had no event for ${TAP_QUIET_SECONDS}s: their workers send no task events, or no worker consumes their queue. ` +
        `Fix: start the workers with -E (or clearly enable-events); \`clearly diagnose --broker URL\` says which`,
    );
  }

  check(at: number): void {
    this.checkTapped(at);
    for (const w of this.state.workers()) {
      const v = eventsStatus(workerEventsSeen(w, at));
      if (this.said.get(w.hostname) === v.status) continue;
      const text = eventsOffNotice(w.hostname, v, this.enabling);
      if (text === null) continue;
      this.said.set(w.hostname, v.status);
      this.note(text);
    }
    if (!this.taskSentSaid && taskSentMissing(this.state.publishersSent, this.state.firstReceived)) {
      this.taskSentSaid = true;
      this.note(`no task-sent events: ${this.state.firstReceived} tasks appeared first at a worker's task-received, so nothing shows while they wait in a queue. Fix: ${TASK_SENT_FIX}`);
    }
  }
}

const TAP_QUIET_SECONDS = 30;

/**
 * Tapped tasks no event ever follows are the tasks whose workers send no events (or that no
 * worker consumes): said once, looked for every 10 s among the unfinished tasks only.
 */
function tappedWithoutEvents(state: State, at: number): number {
  let n = 0;
  for (const t of state.table.unfinishedTasks()) {
    if (t.tapped !== null && (t.tapped.argsJson !== null || t.tapped.body !== null) && t.state === 'PENDING' && t.events === 1 && t.sent !== null && t.sent < at - TAP_QUIET_SECONDS) n++;
  }
  return n;
}

/** `--enable-events`: enable_events to every worker now and every 5 s; each switch said once. */
async function startEnabling(broker: string, note: (message: string) => void, debug: boolean): Promise<{ stop(): Promise<void> }> {
  const { openControl } = await import('./control/open.js');
  const { enableEvents, ENABLE_EVERY_MS } = await import('./control/enable-events.js');
  const ctl = await openControl(broker, { connectTimeoutMs: 3000 });
  let running: Promise<void> | null = null;
  let stopped = false;
  const round = (): void => {
    if (running !== null || stopped) return;
    running = enableEvents(ctl, 1000)
      .then((replies) => {
        const switched = replies.filter((r) => r.switched).map((r) => r.hostname);
        if (switched.length > 0) note(`--enable-events: switched task events on in ${switched.join(', ')} (until they restart)`);
      })
      .catch((e: unknown) => {
        if (debug) note(`--enable-events: could not ask the workers (${(e as Error).message})`);
      })
      .finally(() => {
        running = null;
      });
  };
  round();
  const timer = setInterval(round, ENABLE_EVERY_MS);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await ctl.close();
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

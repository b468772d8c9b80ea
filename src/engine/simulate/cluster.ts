/**
 * A simulated Celery cluster running in this process, for `clearly demo`: the load generator's
 * Workload paced by a token bucket on the wall clock, each message encoded to the exact bytes a
 * Celery 5.2 worker publishes and handed over as the raw AMQP message clearly's own source would
 * pass to the pipeline. No broker, no sockets: only a timer, so the pipeline sees what it sees
 * in production, byte for byte.
 */
import type { RawMessage } from '../events/types.js';
import { encodeMessage, type EncodedMessage } from './encode.js';
import { TokenBucket } from './rate.js';
import { Workload } from './workload.js';

export interface ClusterOptions {
  /** Events per second. */
  readonly rate: number;
  readonly seed: number;
  /** Simulated workers `w1@<host>`..`wK@<host>`. */
  readonly workers: number;
  readonly host: string;
  /** Each raw message, with the local receive time (epoch seconds). */
  readonly message: (raw: RawMessage, now: number) => void;
}

export interface SimulatedCluster {
  /** Events handed over so far. */
  readonly events: () => number;
  /** Workers flush their buffers and go offline (those messages are handed over at once); then it stops. */
  stop(): void;
}

/** Epoch seconds with sub-millisecond precision, like Python's `time.time()`. */
const wallClock = (): number => (performance.timeOrigin + performance.now()) / 1000;

/** The longest sleep between ticks: a stop is noticed within this. */
const MAX_SLEEP_MS = 250;

function rawAmqp(m: EncodedMessage): RawMessage {
  // The body is pure ASCII (Python's ensure_ascii): latin1 gives its UTF-8 bytes.
  return {
    transport: 'amqp',
    routingKey: m.routingKey,
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    body: Buffer.from(m.body, 'latin1'),
  };
}

export function startSimulatedCluster(o: ClusterOptions): SimulatedCluster {
  if (!(o.rate > 0)) throw new RangeError(`rate must be > 0, got ${o.rate}`);
  const wl = new Workload({
    seed: o.seed,
    workers: Array.from({ length: o.workers }, (_, i) => `w${i + 1}@${o.host}`),
    host: o.host,
    clientPid: process.pid,
    now: wallClock,
  });
  const bucket = new TokenBucket(o.rate, performance.now());
  let pending: EncodedMessage | null = null;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const hand = (m: EncodedMessage): void => o.message(rawAmqp(m), wallClock());
  const tick = (): void => {
    timer = undefined;
    for (;;) {
      if (pending === null) {
        const m = wl.next();
        if (m === null) return;
        pending = encodeMessage(m);
      }
      if (!bucket.tryTake(pending.events, performance.now())) break;
      const m = pending;
      pending = null;
      hand(m);
      // The handler may have stopped us (the printer reached --count).
      if (stopped) return;
    }
    const wait = bucket.waitMs(pending.events, performance.now());
    timer = setTimeout(tick, Math.max(1, Math.min(wait, MAX_SLEEP_MS)));
  };
  timer = setTimeout(tick, 0);

  return {
    events: () => wl.stats.events,
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      // What a real cluster does on shutdown: buffered task events, then worker-offline.
      wl.stop();
      if (pending !== null) hand(pending);
      pending = null;
      for (let m = wl.next(); m !== null; m = wl.next()) hand(encodeMessage(m));
    },
  };
}

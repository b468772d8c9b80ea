/**
 * One generator process ("shard"): drives a Workload into a Publisher as fast as allowed.
 *
 * --max: publish slices of SLICE_EVENTS synchronously, yield to the event loop between slices
 * (socket writes, signals), and wait for 'drain' when the transport says its buffers are full.
 * --rate: a token bucket refilled from real elapsed time; each tick publishes every message the
 * tokens cover, then sleeps until the next message is affordable.
 * Stop (signal, --duration): the workload flushes its buffers and sends worker-offline, which go out
 * at once, without waiting for tokens.
 */
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { encodeMessage, type EncodedMessage } from '../../src/engine/simulate/encode.js';
import type { Publisher } from './publisher.js';
import { TokenBucket } from '../../src/engine/simulate/rate.js';
import { Workload, type WorkloadOptions } from '../../src/engine/simulate/workload.js';

const SLICE_EVENTS = 2000;

export interface ShardOptions {
  readonly workload: Omit<WorkloadOptions, 'now'>;
  /** Events per second; null = as fast as the broker takes them. */
  readonly rate: number | null;
  /** Seconds; null = until the event budget or a stop. */
  readonly duration: number | null;
  /** Stops the run (worker-offline events are still sent). */
  readonly signal?: AbortSignal;
}

export interface ShardResult {
  /** Events published (a task.multi of 3 counts 3). */
  readonly published: number;
  /** Broker messages published. */
  readonly messages: number;
  readonly tasks: number;
  readonly seconds: number;
}

/** Epoch seconds with sub-millisecond precision, like Python's `time.time()`. */
export const wallClock = (): number => (performance.timeOrigin + performance.now()) / 1000;

export async function runShard(opts: ShardOptions, pub: Publisher): Promise<ShardResult> {
  const wl = new Workload({ ...opts.workload, now: wallClock });
  const start = performance.now();
  const deadline = opts.duration === null ? Infinity : start + opts.duration * 1000;
  const bucket = opts.rate === null ? null : new TokenBucket(opts.rate, start);
  let pending: EncodedMessage | null = null;
  let finished = false;

  while (!finished) {
    const stopping = opts.signal?.aborted === true || performance.now() >= deadline;
    if (stopping) wl.stop();
    let allowance = SLICE_EVENTS;
    for (;;) {
      if (pending === null) {
        const m = wl.next();
        if (m === null) {
          finished = true;
          break;
        }
        pending = encodeMessage(m);
      }
      if (bucket !== null && !stopping) {
        if (!bucket.tryTake(pending.events, performance.now())) break;
      } else if (allowance <= 0) {
        break;
      }
      // An empty batch costs no tokens but still a little slice, so a slice always ends.
      allowance -= Math.max(1, pending.events);
      const room = pub.publish(pending);
      pending = null;
      if (!room) {
        pub.flush();
        await pub.drained();
      }
    }
    pub.flush();
    if (finished) break;
    if (bucket !== null && !stopping && pending !== null) {
      const wait = bucket.waitMs(pending.events, performance.now());
      const untilDeadline = deadline - performance.now();
      await sleep(Math.max(1, Math.min(wait, untilDeadline, 250)));
    } else {
      await yieldToLoop();
    }
  }
  await pub.close();
  const seconds = (performance.now() - start) / 1000;
  return { published: wl.stats.events, messages: wl.stats.messages, tasks: wl.stats.tasks, seconds };
}

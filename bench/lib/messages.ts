/**
 * Raw broker messages built up front from the load generator's workload, exactly as clearly's
 * event sources hand them to the pipeline: AMQP bodies (Buffer, with Celery's properties) and
 * Redis kombu envelopes (the PUBLISH payload string ioredis gives). Used where the broker must be
 * left out (the hot path measured from memory).
 */
import { randomUUID } from 'node:crypto';
import { encodeMessage, redisChannel, redisEnvelope } from '../../src/engine/simulate/encode.js';
import { Workload } from '../../src/engine/simulate/workload.js';
import type { RawMessage } from '../../src/engine/events/types.js';

export type Transport = 'amqp' | 'redis';

export interface BuiltMessages {
  readonly messages: RawMessage[];
  /** Events inside them (a task.multi of 3 counts 3). */
  readonly events: number;
  readonly tasks: number;
  /** Bytes on the wire: AMQP bodies, or Redis envelopes. */
  readonly bytes: number;
}

export interface BuildOptions {
  readonly transport: Transport;
  /** Stop after this many events (worker-offline included). */
  readonly events: number;
  readonly seed: number;
  readonly workers?: number;
  readonly host?: string;
  /** The simulated rate, events/s: it spaces timestamps (and so heartbeats) as a real run would. */
  readonly simulatedRate?: number;
  /** Redis db in the channel name. */
  readonly db?: number;
  /**
   * Redis envelopes as the bytes they arrive in (a Buffer per message) rather than the string
   * ioredis makes of them. Converted as each is built, so the strings die young and the heap
   * never holds them all (see bench/hotpath-child.ts).
   */
  readonly redisBytes?: boolean;
}

/** 5.2 publishes an empty `[]` task.multi now and then on AMQP only (as the generator CLI does). */
const EMPTY_BATCH_RATE: Readonly<Record<Transport, number>> = { amqp: 0.04, redis: 0 };

export function buildMessages(o: BuildOptions): BuiltMessages {
  const rate = o.simulatedRate ?? 100_000;
  let clock = Date.now() / 1000;
  const host = o.host ?? 'hotpath';
  const wl = new Workload({
    seed: o.seed,
    workers: Array.from({ length: o.workers ?? 4 }, (_, i) => `w${i + 1}@${host}`),
    host,
    clientPid: 4242,
    emptyBatchRate: EMPTY_BATCH_RATE[o.transport],
    maxEvents: o.events,
    // Each produce() call advances the clock by about one event's worth of simulated time.
    now: () => (clock += 1 / rate),
  });
  const messages: RawMessage[] = [];
  let bytes = 0;
  for (let m = wl.next(); m !== null; m = wl.next()) {
    const e = encodeMessage(m);
    if (o.transport === 'amqp') {
      const body = Buffer.from(e.body, 'latin1');
      bytes += body.length;
      messages.push({
        transport: 'amqp',
        routingKey: e.routingKey,
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        body,
      });
    } else {
      const envelope = redisEnvelope(e.body, e.routingKey, e.hostname, randomUUID());
      bytes += envelope.length;
      const payload = o.redisBytes === true ? Buffer.from(envelope, 'utf8') : envelope;
      messages.push({ transport: 'redis', channel: redisChannel(o.db ?? 9, e.routingKey), payload });
    }
  }
  return { messages, events: wl.stats.events, tasks: wl.stats.tasks, bytes };
}

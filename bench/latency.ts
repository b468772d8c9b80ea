/**
 * End-to-end latency at 1k events/s: publish (this process) → broker → `clearly server` →
 * `clearly watch` (a client of the server, stdout piped here) → the NDJSON line read here. Both
 * ends are in this process, on one clock.
 *
 * The events' own `timestamp` is not the publish time: the generator stamps an event when the
 * simulated worker makes it, and task events then wait in the worker's buffer for their
 * task.multi batch, as in Celery. So this publisher notes when each message is handed to the
 * broker client and keys every event in it by (uuid, state).
 */
import type { Interface as ReadLine } from 'node:readline';
import { createInterface } from 'node:readline';
import { encodeMessage, type GenEvent } from '../src/engine/simulate/encode.js';
import type { Publisher } from './generator/publisher.js';
import { openRedisPublisher } from './generator/publish-redis.js';
import { TokenBucket } from '../src/engine/simulate/rate.js';
import { wallClock } from './generator/run.js';
import { Workload } from '../src/engine/simulate/workload.js';
import { withUnit, type BenchContext, type Measurement, type MeasurementBody } from './lib/context.js';
import { openNoDelayAmqpPublisher } from './lib/amqp-nodelay.js';
import { BROKERS, TRANSPORTS, TRANSPORT_NAME, uniqueHost } from './lib/brokers.js';
import type { Transport } from './lib/messages.js';
import { sleep, startServer, startWatch } from './lib/procs.js';
import type { Cell, Figure, TargetCheck } from './lib/results.js';
import { sig, summarize } from './lib/stats.js';

export const TARGET_P99_MS = 10;
export const RATE = 1000;

/** The record state a task event leads to (records of generated states are not timed). */
const STATE_OF: Readonly<Record<string, string>> = {
  'task-sent': 'PENDING',
  'task-received': 'RECEIVED',
  'task-started': 'STARTED',
  'task-succeeded': 'SUCCESS',
  'task-failed': 'FAILURE',
  'task-retried': 'RETRY',
};

/** Publish times (performance.now()) by `uuid state`, oldest first: a retried task repeats states. */
export class PublishTimes {
  private readonly times = new Map<string, number[]>();

  note(events: readonly GenEvent[], at: number): void {
    for (const e of events) {
      const state = STATE_OF[e.type];
      if (state === undefined || !('uuid' in e)) continue;
      const key = `${e.uuid} ${state}`;
      const list = this.times.get(key);
      if (list === undefined) this.times.set(key, [at]);
      else list.push(at);
    }
  }

  /** The publish time of the event behind this record, consumed (undefined: not ours / generated). */
  take(uuid: string, state: string): number | undefined {
    const key = `${uuid} ${state}`;
    const list = this.times.get(key);
    const t = list?.shift();
    if (list !== undefined && list.length === 0) this.times.delete(key);
    return t;
  }
}

async function openPublisher(transport: Transport): Promise<Publisher> {
  // ioredis sets TCP_NODELAY by itself; amqplib must be asked (see amqp-nodelay.ts).
  return transport === 'amqp' ? openNoDelayAmqpPublisher(BROKERS.amqp) : openRedisPublisher(BROKERS.redis);
}

/** Publish at `rate` events/s for `seconds`, noting when each message left; then workers go offline. */
async function publish(pub: Publisher, times: PublishTimes, rate: number, seconds: number, host: string): Promise<number> {
  const wl = new Workload({
    seed: 4711,
    workers: [1, 2, 3, 4].map((i) => `w${i}@${host}`),
    host,
    clientPid: process.pid,
    now: wallClock,
  });
  const bucket = new TokenBucket(rate, performance.now());
  const end = performance.now() + seconds * 1000;
  for (;;) {
    if (performance.now() >= end) wl.stop();
    const m = wl.next();
    if (m === null) break;
    const encoded = encodeMessage(m);
    while (!bucket.tryTake(encoded.events, performance.now()) && performance.now() < end) {
      await sleep(Math.max(1, bucket.waitMs(encoded.events, performance.now())));
    }
    times.note(m.kind === 'single' ? [m.event] : m.events, performance.now());
    if (!pub.publish(encoded)) await pub.drained();
    pub.flush();
  }
  await pub.close();
  return wl.stats.events;
}

interface Sample {
  readonly at: number;
  readonly ms: number;
}

function collect(lines: ReadLine, times: PublishTimes, samples: Sample[]): void {
  lines.on('line', (line) => {
    const at = performance.now();
    const r = JSON.parse(line) as { uuid?: string; state?: string; generated?: boolean };
    if (r.generated === true || r.uuid === undefined || r.state === undefined) return;
    const t = times.take(r.uuid, r.state);
    if (t !== undefined) samples.push({ at, ms: at - t });
  });
}

export async function measure(
  transport: Transport,
  seconds: number,
  warmup: number,
  log: (m: string) => void,
  open: (t: Transport) => Promise<Publisher> = openPublisher,
): Promise<{ ms: number[]; published: number }> {
  const server = await startServer(BROKERS[transport]);
  const watch = await startWatch(['--server', server.address, '--json'], 'pipe');
  try {
    const times = new PublishTimes();
    const samples: Sample[] = [];
    const lines = createInterface({ input: watch.proc.stdout! });
    collect(lines, times, samples);
    const pub = await open(transport);
    log(`latency: ${TRANSPORT_NAME[transport]}, ${RATE} events/s for ${seconds + warmup}s (first ${warmup}s not counted)`);
    const start = performance.now();
    const published = await publish(pub, times, RATE, seconds + warmup, uniqueHost(`latency-${transport}`));
    await sleep(500); // the last records
    lines.close();
    return { ms: samples.filter((s) => s.at - start >= warmup * 1000).map((s) => s.ms), published };
  } finally {
    await watch.stop();
    await server.stop();
  }
}

async function run(ctx: BenchContext): Promise<MeasurementBody> {
  const seconds = ctx.quick ? 4 : 10;
  const warmup = 1;
  const figures: Figure[] = [];
  const targets: TargetCheck[] = [];
  const rows: Cell[][] = [];
  for (const transport of TRANSPORTS) {
    const { ms, published } = await measure(transport, seconds, warmup, ctx.log);
    const s = summarize(ms);
    ctx.log(`  ${s.count} records: p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms`);
    rows.push([TRANSPORT_NAME[transport], published, s.count, sig(s.p50), sig(s.p90), sig(s.p99), sig(s.max)]);
    figures.push(
      { label: `${TRANSPORT_NAME[transport]}: p50`, value: sig(s.p50), unit: 'ms' },
      { label: `${TRANSPORT_NAME[transport]}: p99`, value: sig(s.p99), unit: 'ms' },
    );
    targets.push({
      what: `latency publish → watch client through the server, ${TRANSPORT_NAME[transport]}, ${RATE} events/s, p99`,
      target: `≤ ${TARGET_P99_MS} ms`,
      actual: withUnit(s.p99, 'ms', 2),
      met: s.p99 <= TARGET_P99_MS,
    });
  }
  return {
    figures,
    targets,
    tables: [
      {
        title: `Publish → record read from \`clearly watch --server … --json\`, ${RATE} events/s, ${seconds} s measured`,
        columns: ['broker', 'events published', 'records timed', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
        rows,
      },
    ],
    notes: [
      'Publisher: the generator\'s workload, encoder and publishers, paced by its token bucket, in the bench process; each message\'s events are keyed (uuid, state) with the time the message was handed to the broker client (amqplib with TCP_NODELAY as py-amqp sets it / an ioredis pipeline flushed at once). Without TCP_NODELAY (amqplib\'s default, and the generator\'s AMQP publisher today) RabbitMQ p99 was 46 ms: Nagle holding small publish frames for the broker\'s 40 ms delayed ACK. Arrival: when the bench process reads the NDJSON line from `clearly watch`\'s stdout (its records are task records only; generated states are not timed).',
      'Path: broker → clearly server (decode, state, fan-out as protobuf over gRPC) → clearly watch process (decode, record, NDJSON) → pipe → bench. The event timestamps are not used: the generator stamps an event when a simulated worker makes it, and task events then wait for their task.multi batch as in Celery, which is the worker\'s delay, not clearly\'s.',
    ],
  };
}

export const latency: Measurement = { name: 'latency', title: 'End-to-end latency through the server', run };

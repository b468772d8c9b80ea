/**
 * Ingest: the generator publishes at a ladder of rates up to the broker's maximum, into a
 * `clearly server` or a `clearly watch --broker --json > /dev/null`, on RabbitMQ and on Redis.
 * Per step: events published vs processed (loss), CPU and peak RSS of our process, and the drain
 * time (from the generator's exit until our process has handled the last event).
 *
 * Each step gets a fresh consumer: watch reports its count when it exits, and a fresh server
 * gives each rate its own RSS.
 */
import { ServerConnection } from '../src/cli/client.js';
import type { Decoded, StatsReply } from '../src/engine/grpc/messages.js';
import { withUnit, type BenchContext, type Measurement, type MeasurementBody } from './lib/context.js';
import { BROKERS, TRANSPORTS, TRANSPORT_NAME, uniqueHost } from './lib/brokers.js';
import type { Transport } from './lib/messages.js';
import { ProcSampler, readStatus, waitIdle } from './lib/proc.js';
import { runGenerator, sleep, startServer, startWatch, type Child, type GeneratorRun } from './lib/procs.js';
import type { Cell, Figure, TargetCheck } from './lib/results.js';
import { median } from './lib/stats.js';

export const MODES = ['server', 'server-no-metrics', 'watch'] as const;
export type Mode = (typeof MODES)[number];

const MODE_NAME: Readonly<Record<Mode, string>> = {
  server: 'clearly server (/metrics on)',
  'server-no-metrics': 'clearly server --metrics off',
  watch: 'watch --broker --json > /dev/null',
};

/** Metrics on may cost at most this much CPU per event (the bound), judged at one rate for both. */
export const METRICS_CPU_OVERHEAD_MAX = 0.1;

/** Events/s; null = `--max` (as fast as the broker takes them: the broker's maximum here). */
export type Rate = number | null;

export interface StepResult {
  readonly transport: Transport;
  readonly mode: Mode;
  readonly requested: Rate;
  readonly published: number;
  /** What the generator achieved (published / its seconds). */
  readonly publishRate: number;
  readonly processed: number;
  readonly cpuPercent: number;
  readonly peakRssBytes: number;
  /** ms from the generator's exit until our process had handled everything it was going to. */
  readonly drainMs: number | null;
  /** Times our process lost its broker connection (Redis drops a subscriber 32 MB behind). */
  readonly disconnects: number;
  /** The server's counters once drained (null for watch): the store's, for bench/store.ts. */
  readonly stats: Decoded<StatsReply> | null;
}

/** How often a clearly process said it lost its broker connection (its stderr notices). */
export function countDisconnects(stderr: string): number {
  return stderr.match(/lost the connection to /g)?.length ?? 0;
}

/** Loss in % of what was published (never negative: extra events would be someone else's). */
export function lossPercent(published: number, processed: number): number {
  return published === 0 ? 0 : (Math.max(0, published - processed) / published) * 100;
}

/** The highest achieved publish rate among the steps that lost nothing (null: every step lost). */
export function highestZeroLoss(steps: readonly Pick<StepResult, 'published' | 'processed' | 'publishRate'>[]): number | null {
  let best: number | null = null;
  for (const s of steps) {
    if (s.processed >= s.published && (best === null || s.publishRate > best)) best = s.publishRate;
  }
  return best;
}

type CpuStep = Pick<StepResult, 'requested' | 'published' | 'processed' | 'publishRate' | 'cpuPercent'>;

/**
 * CPU per event (% of a core x seconds / events) with metrics on over off, minus one, at the
 * highest fixed rate both ran without loss; null when they share none. One rate for both, because
 * per-event CPU falls as the rate rises (each broker read and timer wake-up carries more events):
 * two "maximum" runs a few thousand events/s apart would compare the rates as much as the metrics.
 */
export function overheadAtCommonRate(on: readonly CpuStep[], off: readonly CpuStep[]): { rate: number; overhead: number; on: CpuStep; off: CpuStep } | null {
  const lossless = (s: CpuStep) => s.requested !== null && s.processed > 0 && s.processed >= s.published;
  let best: { rate: number; overhead: number; on: CpuStep; off: CpuStep } | null = null;
  for (const a of on) {
    if (!lossless(a) || (best !== null && a.requested! <= best.rate)) continue;
    const b = off.find((o) => o.requested === a.requested && lossless(o));
    if (b === undefined) continue;
    best = { rate: a.requested!, overhead: cpuPerEvent(a) / cpuPerEvent(b) - 1, on: a, off: b };
  }
  return best;
}

export function cpuPerEvent(s: Pick<StepResult, 'cpuPercent' | 'publishRate'>): number {
  return s.cpuPercent / s.publishRate;
}

/** Repeats of the metrics on/off pair at the common rate (`pairedOverhead`), each this long. */
export const OVERHEAD_PAIRS = 3;
export const OVERHEAD_SECONDS = 8;

/**
 * The metrics' CPU per event from pairs run back to back at one rate (on and off; a pair lossy
 * on either side is left out): the median of their overheads, null with no lossless pair. One
 * 4-second step each is at the mercy of a slow spell of a shared machine: the ladder's two steps
 * at one rate have read 7 points apart on an idle one.
 */
export function pairedOverhead(pairs: readonly (readonly [CpuStep, CpuStep])[]): { overhead: number; overheads: number[] } | null {
  const lossless = (s: CpuStep) => s.processed > 0 && s.processed >= s.published;
  const overheads = pairs.filter(([on, off]) => lossless(on) && lossless(off)).map(([on, off]) => cpuPerEvent(on) / cpuPerEvent(off) - 1);
  return overheads.length === 0 ? null : { overhead: median(overheads), overheads };
}

/** Parse watch's closing summary: `clearly: N records (…) from E events in Xs…`. */
export function watchEventsFromSummary(stderr: string): number | null {
  const m = /records \(.*?\) from (\d+) events in /.exec(stderr);
  return m === null ? null : Number(m[1]);
}

interface Consumer {
  readonly child: Child;
  /** Set by finish() for a server. */
  stats: Decoded<StatsReply> | null;
  /** Events handled so far, or null when only known at exit (watch). */
  processed(): Promise<number | null>;
  /** Stop it; resolves with the events it handled. */
  finish(): Promise<number>;
}

async function startConsumer(transport: Transport, mode: Mode, serverArgs: readonly string[]): Promise<Consumer> {
  const broker = BROKERS[transport];
  switch (mode) {
    case 'server':
    case 'server-no-metrics': {
      // Metrics on an OS-chosen port (on, as by default, but never the taken-9808 warning path) or off.
      const metrics = serverArgs.includes('--metrics') ? [] : ['--metrics', mode === 'server' ? '127.0.0.1:0' : 'off'];
      const server = await startServer(broker, [...metrics, ...serverArgs]);
      const conn = new ServerConnection(server.address);
      const processed = async (): Promise<number> => (await conn.stats()).events_processed ?? 0;
      const consumer: Consumer = {
        child: server,
        stats: null,
        processed,
        finish: async () => {
          // Past the store's batch window, so its counters include the last batch.
          await sleep(600);
          consumer.stats = await conn.stats();
          const n = consumer.stats.events_processed ?? 0;
          conn.close();
          await server.stop();
          return n;
        },
      };
      return consumer;
    }
    case 'watch': {
      const watch = await startWatch(['--broker', broker, '--json'], 'ignore');
      return {
        child: watch,
        stats: null,
        processed: async () => null,
        finish: async () => {
          await watch.stop();
          const n = watchEventsFromSummary(watch.stderr());
          if (n === null) throw new Error(`no summary from clearly watch:\n${watch.stderr()}`);
          return n;
        },
      };
    }
    default: {
      const unhandled: never = mode;
      throw new TypeError(`unknown mode ${String(unhandled)}`);
    }
  }
}

/**
 * When the consumer has handled everything: the server is asked for its count until it reaches
 * `published` (or stops moving for `stallMs`); watch's count is only known at exit, so its CPU
 * going quiet marks the end of its work.
 */
async function drained(c: Consumer, published: number, gen: GeneratorRun, stallMs: number): Promise<number | null> {
  if ((await c.processed()) === null) {
    const lastBusy = await waitIdle(c.child.pid, stallMs);
    return lastBusy === null ? null : Math.max(0, lastBusy - gen.endedAt);
  }
  let last = -1;
  let lastChange = performance.now();
  for (;;) {
    const n = (await c.processed()) ?? 0;
    const now = performance.now();
    if (n >= published) return Math.max(0, now - gen.endedAt);
    if (n !== last) {
      last = n;
      lastChange = now;
    } else if (now - lastChange > stallMs) {
      return Math.max(0, lastChange - gen.endedAt);
    }
    await sleep(25);
  }
}

/** One step of the ladder; `serverArgs` for the server (e.g. a store: bench/store.ts). */
export async function step(transport: Transport, mode: Mode, rate: Rate, seconds: number, seed: number, serverArgs: readonly string[] = []): Promise<StepResult> {
  const consumer = await startConsumer(transport, mode, serverArgs);
  const sampler = new ProcSampler(consumer.child.pid, 100);
  await sampler.start();
  const t0 = performance.now();
  const gen = await runGenerator(BROKERS[transport], [
    ...(rate === null ? ['--max'] : ['--rate', String(rate)]),
    '--duration',
    String(seconds),
    '--host',
    uniqueHost(`ingest-${transport}-${mode}`),
    '--seed',
    String(seed),
  ]);
  const cpuPercent = sampler.cpuBetween(t0, gen.endedAt);
  const drainMs = await drained(consumer, gen.summary.published, gen, 1000);
  await sampler.stop();
  const peak = await readStatus(consumer.child.pid).then(
    (s) => s.hwmBytes,
    () => sampler.peakRssBytes,
  );
  const processed = await consumer.finish();
  return {
    transport,
    mode,
    requested: rate,
    published: gen.summary.published,
    publishRate: gen.summary.rate,
    processed,
    cpuPercent,
    peakRssBytes: peak,
    drainMs,
    disconnects: countDisconnects(consumer.child.stderr()),
    stats: consumer.stats,
  };
}

const MiB = 2 ** 20;

async function run(ctx: BenchContext): Promise<MeasurementBody> {
  const ladder: readonly Rate[] = ctx.quick ? [10_000, null] : [5_000, 10_000, 20_000, 40_000, null];
  const seconds = ctx.quick ? 2 : 4;
  const steps: StepResult[] = [];
  let seed = 5000;
  for (const transport of TRANSPORTS) {
    for (const mode of MODES) {
      for (const rate of ladder) {
        ctx.log(`ingest: ${TRANSPORT_NAME[transport]} → ${MODE_NAME[mode]} at ${rate ?? 'max'} events/s for ${seconds}s`);
        steps.push(await step(transport, mode, rate, seconds, ++seed));
        const s = steps[steps.length - 1]!;
        ctx.log(`  published ${s.published} (${s.publishRate}/s), processed ${s.processed}, drain ${s.drainMs?.toFixed(0)} ms`);
      }
    }
  }
  const rows: Cell[][] = steps.map((s) => [
    TRANSPORT_NAME[s.transport],
    MODE_NAME[s.mode],
    s.requested === null ? 'max' : s.requested,
    s.publishRate,
    s.published,
    s.processed,
    Number(lossPercent(s.published, s.processed).toFixed(3)),
    Math.round(s.cpuPercent),
    Math.round(s.peakRssBytes / MiB),
    s.drainMs === null ? null : Math.round(s.drainMs),
    s.disconnects,
  ]);
  // The metrics' price, measured again at the highest rate both ran lossless: pairs back to back.
  const overheadPairs = new Map<Transport, [StepResult, StepResult][]>();
  for (const transport of TRANSPORTS) {
    const mine = (mode: Mode) => steps.filter((s) => s.transport === transport && s.mode === mode);
    const common = overheadAtCommonRate(mine('server'), mine('server-no-metrics'));
    if (common === null) continue;
    const pairs: [StepResult, StepResult][] = [];
    for (let r = 0; r < (ctx.quick ? 1 : OVERHEAD_PAIRS); r++) {
      ctx.log(`ingest: ${TRANSPORT_NAME[transport]}, metrics on/off pair ${r + 1} at ${common.rate} events/s`);
      // Alternate which goes first, so a machine slowing down (or warming up) favours neither.
      const run = (mode: Mode) => step(transport, mode, common.rate, ctx.quick ? 2 : OVERHEAD_SECONDS, ++seed);
      const on = r % 2 === 0 ? await run('server') : null;
      const off = await run('server-no-metrics');
      const onAfter = on ?? (await run('server'));
      ctx.log(`  CPU ${onAfter.cpuPercent.toFixed(1)}% at ${onAfter.publishRate}/s vs ${off.cpuPercent.toFixed(1)}% at ${off.publishRate}/s`);
      pairs.push([onAfter, off]);
    }
    overheadPairs.set(transport, pairs);
  }
  const figures: Figure[] = [];
  const targets: TargetCheck[] = [];
  for (const transport of TRANSPORTS) {
    for (const mode of MODES) {
      const mine = steps.filter((s) => s.transport === transport && s.mode === mode);
      const max = mine.find((s) => s.requested === null);
      const best = highestZeroLoss(mine);
      const where = `${TRANSPORT_NAME[transport]} → ${MODE_NAME[mode]}`;
      figures.push({ label: `${where}: highest zero-loss rate`, value: best, unit: 'events/s' });
      if (max !== undefined) {
        figures.push({ label: `${where}: broker maximum (generator --max)`, value: max.publishRate, unit: 'events/s' });
        const loss = lossPercent(max.published, max.processed);
        targets.push({
          what: `ingest, ${where}, at the broker's maximum (${withUnit(max.publishRate, 'events/s')})`,
          target: 'zero loss',
          actual: `${max.published - Math.min(max.published, max.processed)} of ${max.published} lost (${loss.toFixed(3)}%)`,
          met: max.processed >= max.published,
        });
      }
    }
  }
  for (const transport of TRANSPORTS) {
    const on = steps.filter((s) => s.transport === transport && s.mode === 'server');
    const off = steps.filter((s) => s.transport === transport && s.mode === 'server-no-metrics');
    const common = overheadAtCommonRate(on, off);
    const onMax = on.find((s) => s.requested === null && s.processed > 0);
    const offMax = off.find((s) => s.requested === null && s.processed > 0);
    if (onMax !== undefined && offMax !== undefined) {
      const atMax = cpuPerEvent(onMax) / cpuPerEvent(offMax) - 1;
      figures.push({ label: `${TRANSPORT_NAME[transport]}: CPU per event, metrics on vs off, each at its maximum (${onMax.publishRate} vs ${offMax.publishRate} events/s)`, value: Number((atMax * 100).toFixed(1)), unit: '%' });
    }
    if (common === null) continue;
    figures.push({ label: `${TRANSPORT_NAME[transport]}: CPU per event, metrics on vs off, at ${common.rate} events/s (the ladder's one step each)`, value: Number((common.overhead * 100).toFixed(1)), unit: '%' });
    const pairs = overheadPairs.get(transport) ?? [];
    const paired = pairedOverhead(pairs);
    if (paired === null) continue;
    const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
    figures.push({ label: `${TRANSPORT_NAME[transport]}: CPU per event, metrics on vs off, at ${common.rate} events/s (median of ${paired.overheads.length} pairs)`, value: Number((paired.overhead * 100).toFixed(1)), unit: '%' });
    targets.push({
      what: `ingest, ${TRANSPORT_NAME[transport]} at ${withUnit(common.rate, 'events/s')} (highest rate both ran lossless): CPU per event with /metrics on vs --metrics off`,
      target: `≤ +${METRICS_CPU_OVERHEAD_MAX * 100}%`,
      actual: `${pct(paired.overhead)} (median of ${paired.overheads.length} on/off pairs of ${ctx.quick ? 2 : OVERHEAD_SECONDS} s: ${paired.overheads.map(pct).join(', ')})`,
      met: paired.overhead <= METRICS_CPU_OVERHEAD_MAX,
    });
  }
  return {
    figures,
    targets,
    tables: [
      {
        title: `Rate ladder, ${seconds} s per step`,
        columns: ['broker', 'consumer', 'requested/s', 'published/s', 'published', 'processed', 'loss %', 'CPU % of a core', 'peak RSS MiB', 'drain ms', 'broker disconnects'],
        rows,
      },
      {
        title: `Metrics on/off pairs at the highest rate both ran lossless, ${ctx.quick ? 2 : OVERHEAD_SECONDS} s per step (the overhead target's measure)`,
        columns: ['broker', 'pair', 'rate/s', 'on: published/s', 'on: CPU %', 'off: published/s', 'off: CPU %', 'lost (on/off)', 'CPU per event on vs off'],
        rows: [...overheadPairs].flatMap(([transport, pairs]) =>
          pairs.map(([on, off], i): Cell[] => [
            TRANSPORT_NAME[transport],
            i + 1,
            on.requested,
            on.publishRate,
            Number(on.cpuPercent.toFixed(1)),
            off.publishRate,
            Number(off.cpuPercent.toFixed(1)),
            `${Math.max(0, on.published - on.processed)}/${Math.max(0, off.published - off.processed)}`,
            `${((cpuPerEvent(on) / cpuPerEvent(off) - 1) * 100).toFixed(1)}%`,
          ]),
        ),
      },
    ],
    notes: [
      `Publishing: the load generator (one process) with a fresh --host and seed per step, into the RabbitMQ vhost clearly-bench and Redis db 9 (channels /9.celeryev/*), so other users of these brokers see none of it. "max" is --max: as fast as the broker takes the messages while our consumer reads them, i.e. the broker's own maximum on this machine with everything sharing the cores.`,
      'Processed = events our pipeline decoded and applied (one per event, a task.multi of 3 counts 3): for the server its GetStats events_processed, for watch the "from N events" of its closing summary (same counter). Records printed differ from events (worker heartbeats are not printed by default; a task can print generated states).',
      'CPU % is user+system time of our process (all threads) while the generator published, in % of one core; peak RSS is VmHWM. Drain: from the generator\'s exit (all messages handed to the broker) until the server\'s count reached the published count, or for watch until its CPU went quiet (±50 ms).',
      'Each step starts a fresh consumer (a server with the default --max-tasks 10000), so RSS is per rate and not cumulative. Broker disconnects: "lost the connection" notices of our process; on Redis that is the server closing a subscriber whose output buffer passed client-output-buffer-limit pubsub (32 MB hard here), and what was published until the reconnect is lost.',
      'One generator process: on these 2 cores a second one only takes CPU from the broker and from clearly. Measured while setting this up: with a consumer attached, RabbitMQ took 62.9k events/s from one process and 61.5k from two; with no consumer, Redis took 123k/s from one and 122k/s from two.',
    ],
  };
}

export const ingest: Measurement = { name: 'ingest', title: 'Ingest: published vs processed at a ladder of rates', run };

/**
 * The hot path timed from memory, in a process of its own (bench/hotpath.ts starts it pinned to
 * one core): `node dist/bench/hotpath-child.js '{"transport":"amqp","events":200000,"runs":5}'`.
 * Prints one JSON line per variant (events/s of each timed run), then the metrics' price timed chunk by chunk (`timePair`).
 *
 * Messages are built before the clock starts (generator-encoded, every task a fresh uuid). Each run
 * gets a fresh State and sink, so every run sees new tasks, and the task table fills up and evicts
 * (the defaults: 10 000 tasks) as it does in a long-running process.
 */
import { LivePrinter } from '../src/cli/printer.js';
import type { LineSink } from '../src/cli/output.js';
import { Dispatcher, type Sink } from '../src/engine/grpc/dispatch.js';
import { compileFilter } from '../src/engine/table/filter.js';
import { SeenNames } from '../src/engine/state/seen-names.js';
import type { Change } from '../src/engine/model.js';
import { decodeMessage } from '../src/engine/events/decode.js';
import type { CeleryEvent, RawMessage } from '../src/engine/events/types.js';
import { Pipeline, redactEvent } from '../src/engine/pipeline.js';
import { compileRedactor, DEFAULT_REDACT_PATTERN } from '../src/engine/redact/redact.js';
import { encodeCaptureItem } from '../src/engine/grpc/proto.js';
import { ServerMetrics } from '../src/engine/metrics/server-metrics.js';
import { State } from '../src/engine/state/state.js';
import { taskMessage, workerMessage } from '../src/engine/grpc/wire.js';
import { makePalette } from '../src/format/colors.js';
import { buildMessages, type Transport } from './lib/messages.js';

/**
 * - state: decode + reduce, nothing listening (the server with no live client);
 * - ndjson: + the records as NDJSON lines batched for stdout (`watch --broker --json`, its LivePrinter);
 * - dispatch: + the server's fan-out to one live client (CaptureItem protobuf per record);
 * - dispatch-noredact: dispatch with redaction off (`--redact ''`), to price redaction;
 * - redact-only: the redaction step alone (pipeline.ts redactEvent) over the decoded events: its
 *   share of an event's time is the steadiest price on a busy machine.
 * - metrics: dispatch + the server's metrics (celery-exporter's set and clearly's latency legs,
 *   as `clearly server` feeds them by default).
 * The first three and metrics redact with the default pattern, as clearly runs by default.
 */
export const VARIANTS = ['state', 'ndjson', 'dispatch', 'dispatch-noredact', 'redact-only', 'metrics'] as const;
export type Variant = (typeof VARIANTS)[number];

export interface ChildRequest {
  readonly transport: Transport;
  readonly events: number;
  readonly runs: number;
  readonly seed?: number;
  /** Default: all of them. */
  readonly variants?: readonly Variant[];
  /** Also time dispatch against metrics chunk by chunk (`timePair`), this many runs (default: `runs`; 0: not). */
  readonly pairRuns?: number;
}

export interface ChildReport {
  readonly transport: Transport;
  readonly variant: Variant;
  readonly events: number;
  readonly messages: number;
  readonly bytes: number;
  /** Records (or protobuf items) produced per run: what the variant's output side handled. */
  readonly outputs: number;
  readonly eventsPerSecond: readonly number[];
}

/**
 * The metrics' price per event, from `timePair`: per run, the seconds the metrics path took over
 * the seconds the dispatch path took on the same messages, minus one.
 */
export interface PairReport {
  readonly kind: 'pair';
  readonly transport: Transport;
  readonly base: 'dispatch';
  readonly with: 'metrics';
  readonly overheads: readonly number[];
}

export type ChildLine = ChildReport | PairReport;

/**
 * Output that goes nowhere, but through the real LineWriter / Dispatcher code. The LineWriter hands
 * over UTF-8 bytes (it encodes each line itself), which stdout writes as they are.
 */
const nullLines: LineSink = {
  write: (chunk) => chunk.length >= 0,
  on: () => undefined,
  once: () => undefined,
  writableLength: 0,
};
const nullStream: Sink<Buffer> = { write: () => true, once: () => undefined, end: () => undefined };

/*
 * Redis envelopes are held as the bytes they arrive in: ioredis turns each PUBLISH payload into a
 * string as it reads the socket, so the real process pays for that conversion per message and the
 * string dies young. Held as strings instead, ~130 MB of them would sit on the heap for the whole
 * run, which no watch process has, and would slow every garbage collection (measured: an AMQP
 * NDJSON run with 130 MB of unrelated strings held was about 12% slower). As Buffers they sit
 * outside the heap, and decodeMessage converts each one (payload.toString) inside the timed loop,
 * as ioredis would. AMQP bodies already are Buffers, as amqplib hands them over.
 */

/** How many messages a socket read typically hands over before the event loop turns (LineWriter flushes then). */
const MESSAGES_PER_TURN = 64;

interface Harness {
  readonly onChange: (change: Change) => void;
  /** The end of an event-loop turn. */
  readonly turn: () => void;
  readonly outputs: () => number;
}

function harness(variant: Variant): Harness {
  switch (variant) {
    case 'state': {
      let n = 0;
      return { onChange: () => void n++, turn: () => undefined, outputs: () => n };
    }
    case 'ndjson': {
      // watch's defaults: task records only, JSON, no colour.
      const filter = compileFilter({ tasks: true, workers: false });
      const printer = new LivePrinter(nullLines, { json: true, palette: makePalette(false), text: {}, filter });
      const writer = printer.writer;
      return {
        onChange: (change) => printer.change(change),
        turn: () => writer.flush(),
        outputs: () => writer.written,
      };
    }
    case 'redact-only':
      return { onChange: () => undefined, turn: () => undefined, outputs: () => 0 };
    case 'dispatch':
    case 'dispatch-noredact':
    case 'metrics': {
      // The server's encoders (server.ts), no result backend; one client with Capture's default filter.
      let items = 0;
      const dispatcher = new Dispatcher<Buffer>({
        task: (ch, i) => {
          items++;
          const last = ch.states.length - 1;
          return encodeCaptureItem({ task: taskMessage(ch.task, ch.states[i]!, i < last, ch.event?.timestamp ?? ch.task.timestamp, undefined) });
        },
        worker: (ch) => encodeCaptureItem({ worker: workerMessage(ch.worker, ch.status) }),
        missed: (count) => encodeCaptureItem({ missed: { count } }),
      });
      dispatcher.add(nullStream, compileFilter({ tasks: true, workers: false }));
      const seen = new SeenNames();
      const metrics = variant === 'metrics' ? new ServerMetrics() : null;
      return {
        onChange: (change) => {
          if (change.kind === 'task') seen.add(change.task.name);
          dispatcher.publish(change);
          // As the collector: the clock is read only for a worker's change.
          metrics?.onChange(change, change.kind === 'worker' ? Date.now() / 1000 : 0);
        },
        turn: () => undefined,
        outputs: () => items,
      };
    }
    default: {
      const unhandled: never = variant;
      throw new TypeError(`unknown variant ${String(unhandled)}`);
    }
  }
}

/** The events of `messages`, decoded once (for redact-only, which times only the redaction). */
let decoded: { readonly of: unknown; readonly events: CeleryEvent[] } | null = null;

function timeRedaction(messages: readonly RawMessage[]): { seconds: number; events: number; outputs: number } {
  if (decoded?.of !== messages) decoded = { of: messages, events: messages.flatMap((m) => decodeMessage(m).events) };
  const events = decoded.events;
  const redactor = compileRedactor(DEFAULT_REDACT_PATTERN)!;
  let changed = 0;
  const t0 = performance.now();
  for (let i = 0; i < events.length; i++) if (redactEvent(events[i]!, redactor) !== events[i]) changed++;
  return { seconds: (performance.now() - t0) / 1000, events: events.length, outputs: changed };
}

/** This process's CPU time (user + system, ms): what the pair compares, not the wall clock. */
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Messages per alternation in `timePair`: a few milliseconds of work, shorter than a machine's swings. */
const PAIR_CHUNK = 512;

/**
 * Two paths fed the same messages in alternation, `PAIR_CHUNK` at a time (A B, then B A: neither
 * always goes first), each with its own State: a slow spell of a shared machine lasts longer than
 * a chunk, so it slows both alike and their ratio holds, where two whole runs a second apart can
 * differ by more than the metrics cost. Returns each path's CPU seconds (the child is pinned to
 * one core, GC threads included: its CPU time is that core's time spent on it).
 */
function timePair(a: Variant, b: Variant, messages: readonly Parameters<Pipeline['handle']>[0][]): readonly [number, number] {
  const paths = [a, b].map((variant) => {
    const h = harness(variant);
    const state = new State({ maxTasks: 10_000, maxWorkers: 1_000 });
    return { h, pipeline: new Pipeline(state, h.onChange, () => undefined, compileRedactor(DEFAULT_REDACT_PATTERN)), seconds: 0 };
  });
  for (let start = 0, k = 0; start < messages.length; start += PAIR_CHUNK, k++) {
    const end = Math.min(messages.length, start + PAIR_CHUNK);
    for (const p of k % 2 === 0 ? paths : [...paths].reverse()) {
      const t0 = cpuNow();
      for (let i = start; i < end; i++) {
        p.pipeline.handle(messages[i]!, Date.now() / 1000);
        if (i % MESSAGES_PER_TURN === MESSAGES_PER_TURN - 1) p.h.turn();
      }
      p.h.turn();
      p.seconds += (cpuNow() - t0) / 1000;
    }
  }
  for (const p of paths) if (p.pipeline.counters.decodeErrors > 0) throw new Error('decode errors: the messages are wrong');
  return [paths[0]!.seconds, paths[1]!.seconds];
}

function timeRun(variant: Variant, messages: readonly Parameters<Pipeline['handle']>[0][]): { seconds: number; events: number; outputs: number } {
  if (variant === 'redact-only') return timeRedaction(messages);
  const h = harness(variant);
  const state = new State({ maxTasks: 10_000, maxWorkers: 1_000 });
  const redactor = variant === 'dispatch-noredact' ? null : compileRedactor(DEFAULT_REDACT_PATTERN);
  const pipeline = new Pipeline(state, h.onChange, () => undefined, redactor);
  const t0 = performance.now();
  for (let i = 0; i < messages.length; i++) {
    // The sources stamp every message with the local time, as here.
    pipeline.handle(messages[i]!, Date.now() / 1000);
    if (i % MESSAGES_PER_TURN === MESSAGES_PER_TURN - 1) h.turn();
  }
  h.turn();
  const seconds = (performance.now() - t0) / 1000;
  if (pipeline.counters.decodeErrors > 0) throw new Error(`${pipeline.counters.decodeErrors} decode errors: the messages are wrong`);
  return { seconds, events: pipeline.counters.events, outputs: h.outputs() };
}

function main(): void {
  const req = JSON.parse(process.argv[2] ?? '{}') as ChildRequest;
  const { messages, events, bytes } = buildMessages({ transport: req.transport, events: req.events, seed: req.seed ?? 20_24, redisBytes: true });
  const variants = req.variants ?? VARIANTS;
  for (const variant of variants) timeRun(variant, messages); // warm-up: JIT, inline caches, repr cache
  // Runs interleave the variants (run 1 of each, then run 2 of each, …): a busy moment of a shared
  // machine then slows every variant alike, and the comparisons (redaction on/off) hold.
  const rates = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  const outputs = new Map<Variant, number>();
  for (let r = 0; r < req.runs; r++) {
    for (const variant of variants) {
      const run = timeRun(variant, messages);
      if (run.events !== events) throw new Error(`processed ${run.events} events of ${events}`);
      rates.get(variant)!.push(run.events / run.seconds);
      outputs.set(variant, run.outputs);
    }
  }
  for (const variant of variants) {
    const report: ChildReport = {
      transport: req.transport,
      variant,
      events,
      messages: messages.length,
      bytes,
      outputs: outputs.get(variant) ?? 0,
      eventsPerSecond: rates.get(variant)!,
    };
    process.stdout.write(JSON.stringify(report) + '\n');
  }
  const pairRuns = req.pairRuns ?? req.runs;
  if (pairRuns > 0 && variants.includes('dispatch') && variants.includes('metrics')) {
    timePair('dispatch', 'metrics', messages); // warm-up
    const overheads: number[] = [];
    for (let r = 0; r < pairRuns; r++) {
      const [base, withMetrics] = timePair('dispatch', 'metrics', messages);
      overheads.push(withMetrics / base - 1);
    }
    const pair: PairReport = { kind: 'pair', transport: req.transport, base: 'dispatch', with: 'metrics', overheads };
    process.stdout.write(JSON.stringify(pair) + '\n');
  }
}

main();

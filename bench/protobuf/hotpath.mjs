/**
 * The server's hot path (decode + state + dispatch to one live client) with each encoder, and the
 * CaptureItem encoding alone. Run from the repository root after `npm run build`, `npm install` and
 * `./gen.sh` in this folder:
 *
 *   taskset -c 1 node bench/protobuf/hotpath.mjs '{"transport":"amqp","events":200000,"runs":7}'
 *
 * The pipeline is bench/hotpath-child.ts's `dispatch` variant (the same messages, State, Pipeline,
 * Dispatcher and wire.ts taskMessage); only the function that turns a TaskMessage into bytes
 * changes:
 *  - hand:    clearly's grpc/capture-encode.ts (what the server runs);
 *  - pbjs:    protobufjs static module (`pbjs -t static-module --keep-case --force-number`),
 *             `CaptureItem.encode(item).finish()` on wire.ts's object as it is;
 *  - es:      @bufbuild/protobuf v2 + protoc-gen-es, `toBinary(CaptureItemSchema, create(...))`, the
 *             object's fields renamed to the generated localNames (camelCase) on the way;
 *  - ts-proto: `CaptureItem.encode(item).finish()`, the object's absent non-optional fields set to
 *             their defaults first (ts-proto's encoder needs them).
 * The adapters (renaming, defaults) are in the timed loop, as a wire.ts written for that generator
 * would build its shape in their place; "encode only" times each encoder alone on objects already
 * in its shape (a lower bound of its cost).
 */
import { Dispatcher } from '../../dist/src/engine/grpc/dispatch.js';
import { compileFilter } from '../../dist/src/engine/table/filter.js';
import { SeenNames } from '../../dist/src/engine/state/seen-names.js';
import { Pipeline } from '../../dist/src/engine/pipeline.js';
import { compileRedactor, DEFAULT_REDACT_PATTERN } from '../../dist/src/engine/redact/redact.js';
import { encodeCaptureItem } from '../../dist/src/engine/grpc/proto.js';
import { State } from '../../dist/src/engine/state/state.js';
import { taskMessage, workerMessage } from '../../dist/src/engine/grpc/wire.js';
import { buildMessages } from '../../dist/bench/lib/messages.js';
import { createRequire } from 'node:module';
import { create, toBinary } from '@bufbuild/protobuf';
import { CaptureItemSchema, TaskMessageSchema, WorkerMessageSchema } from './gen/es/clearly/v1/clearly_pb.js';
import * as tsp from './gen/ts-proto/clearly/v1/clearly.js';

const P = createRequire(import.meta.url)('./gen/pbjs/clearly.cjs').clearly.v1;

/** proto field name -> protoc-gen-es localName, per message. */
const localNames = (schema) => schema.fields.map((f) => [f.name, f.localName]);
const TASK_NAMES = localNames(TaskMessageSchema);
const WORKER_NAMES = localNames(WorkerMessageSchema);
function renamed(names, m) {
  const out = {};
  for (let i = 0; i < names.length; i++) {
    const v = m[names[i][0]];
    if (v !== undefined && v !== null) out[names[i][1]] = v;
  }
  return out;
}
const TASK_DEFAULTS = tsp.TaskMessage.fromPartial({});
const WORKER_DEFAULTS = tsp.WorkerMessage.fromPartial({});
function withDefaults(defaults, m) {
  const out = { ...defaults };
  for (const k in m) if (m[k] !== undefined) out[k] = m[k];
  return out;
}

export const ENCODERS = {
  hand: encodeCaptureItem,
  pbjs: (item) => P.CaptureItem.encode(item).finish(),
  es: (item) =>
    toBinary(
      CaptureItemSchema,
      create(CaptureItemSchema, {
        item: item.task
          ? { case: 'task', value: create(TaskMessageSchema, renamed(TASK_NAMES, item.task)) }
          : item.worker
            ? { case: 'worker', value: create(WorkerMessageSchema, renamed(WORKER_NAMES, item.worker)) }
            : { case: 'missed', value: { count: BigInt(item.missed.count) } },
      }),
    ),
  'ts-proto': (item) =>
    tsp.CaptureItem.encode(
      item.task
        ? { task: withDefaults(TASK_DEFAULTS, item.task) }
        : item.worker
          ? { worker: withDefaults(WORKER_DEFAULTS, item.worker) }
          : { missed: item.missed },
    ).finish(),
};

/** Each encoder alone, on items already in its own shape. */
const NATIVE = {
  hand: (item) => item,
  pbjs: (item) => item,
  es: (item) => create(CaptureItemSchema, { item: { case: 'task', value: create(TaskMessageSchema, renamed(TASK_NAMES, item.task)) } }),
  'ts-proto': (item) => ({ task: withDefaults(TASK_DEFAULTS, item.task) }),
};
const ENCODE_ONLY = {
  hand: encodeCaptureItem,
  pbjs: (item) => P.CaptureItem.encode(item).finish(),
  es: (msg) => toBinary(CaptureItemSchema, msg),
  'ts-proto': (item) => tsp.CaptureItem.encode(item).finish(),
};

const nullStream = { write: () => true, once: () => undefined, end: () => undefined };
const MESSAGES_PER_TURN = 64;

function timeRun(encode, messages, collect) {
  let items = 0;
  let bytes = 0;
  const dispatcher = new Dispatcher({
    task: (ch, i) => {
      items++;
      const last = ch.states.length - 1;
      const item = { task: taskMessage(ch.task, ch.states[i], i < last, ch.event?.timestamp ?? ch.task.timestamp, undefined) };
      if (collect !== undefined) collect.push(item);
      const b = encode(item);
      bytes += b.length;
      return b;
    },
    worker: (ch) => encode({ worker: workerMessage(ch.worker, ch.status) }),
    missed: (count) => encode({ missed: { count } }),
  });
  dispatcher.add(nullStream, compileFilter({ tasks: true, workers: false }));
  const seen = new SeenNames();
  const state = new State({ maxTasks: 10_000, maxWorkers: 1_000 });
  const pipeline = new Pipeline(
    state,
    (change) => {
      if (change.kind === 'task') seen.add(change.task.name);
      dispatcher.publish(change);
    },
    () => undefined,
    compileRedactor(DEFAULT_REDACT_PATTERN),
  );
  const t0 = performance.now();
  for (let i = 0; i < messages.length; i++) {
    pipeline.handle(messages[i], Date.now() / 1000);
    if (i % MESSAGES_PER_TURN === MESSAGES_PER_TURN - 1) void 0;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { eventsPerSecond: pipeline.counters.events / seconds, items, bytes, events: pipeline.counters.events };
}

function timeEncodeOnly(name, natives) {
  const enc = ENCODE_ONLY[name];
  let bytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < natives.length; i++) bytes += enc(natives[i]).length;
  return { nsPerItem: ((performance.now() - t0) * 1e6) / natives.length, bytes };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function main() {
  const req = JSON.parse(process.argv[2] ?? '{}');
  const transport = req.transport ?? 'amqp';
  const runs = req.runs ?? 7;
  const { messages, events } = buildMessages({ transport, events: req.events ?? 200_000, seed: 20_24, redisBytes: true });
  const names = Object.keys(ENCODERS);
  // The items the hand-written run hands its encoder, for the encode-only timing (and a check
  // that every encoder reads them back as the same message).
  const items = [];
  timeRun(ENCODERS.hand, messages, items);
  const natives = Object.fromEntries(names.map((n) => [n, items.map(NATIVE[n])]));
  for (const n of names) {
    const decoded = P.CaptureItem.decode(n === 'hand' ? ENCODERS.hand(items[7]) : ENCODERS[n](items[7]));
    if (decoded.task.uuid !== items[7].task.uuid || decoded.task.state !== items[7].task.state) throw new Error(`${n}: wrong bytes`);
  }
  for (const n of names) timeRun(ENCODERS[n], messages); // warm-up
  for (const n of names) timeEncodeOnly(n, natives[n]);
  const rates = Object.fromEntries(names.map((n) => [n, []]));
  const encodeNs = Object.fromEntries(names.map((n) => [n, []]));
  const bytes = {};
  // Round-robin: run r of each encoder, then run r+1 of each (a busy moment hits all alike).
  for (let r = 0; r < runs; r++) {
    for (const n of names) {
      const run = timeRun(ENCODERS[n], messages);
      if (run.events !== events) throw new Error(`${n}: ${run.events} events of ${events}`);
      rates[n].push(run.eventsPerSecond);
      const e = timeEncodeOnly(n, natives[n]);
      encodeNs[n].push(e.nsPerItem);
      bytes[n] = e.bytes;
    }
  }
  const hand = median(rates.hand);
  for (const n of names) {
    const m = median(rates[n]);
    console.log(
      JSON.stringify({
        transport,
        encoder: n,
        events,
        items: items.length,
        hotPathEventsPerSecond: Math.round(m),
        vsHand: +(m / hand - 1).toFixed(3),
        // Round by round (the same moment of the machine), the steadier comparison.
        vsHandPairwise: +(median(rates[n].map((x, r) => x / rates.hand[r])) - 1).toFixed(3),
        runs: rates[n].map(Math.round),
        encodeOnlyNsPerItem: +median(encodeNs[n]).toFixed(0),
        encodedBytes: bytes[n],
      }),
    );
  }
}

main();

/**
 * Queries over N stored tasks (100k and 1M in a full run): `tasks --state FAILURE --limit 100`, a
 * regex pattern that hits often, and one that hits almost never (so every task is scanned).
 *
 * Three times per query:
 * - server-side: what the server's FilterTasks handler does (compile the query, scan, build the
 *   messages, encode them as protobuf), timed in-process on a State holding N tasks of the same
 *   workload: no network, no client;
 * - gRPC call: the FilterTasks call from a client in this process to the filled `clearly server`,
 *   until the stream ends (server-side + HTTP/2 + client decoding);
 * - whole command: `clearly tasks ... --json` as a process, spawn to exit.
 */
import { ServerConnection } from '../src/cli/client.js';
import { decodeBody } from '../src/engine/events/decode.js';
import { compileTaskQuery, queryTasks } from '../src/engine/grpc/queries.js';
import { clearlyService } from '../src/engine/grpc/proto.js';
import type { TaskQuery } from '../src/engine/grpc/messages.js';
import { State } from '../src/engine/state/state.js';
import { taskMessage } from '../src/engine/grpc/wire.js';
import { encodeMessage } from '../src/engine/simulate/encode.js';
import { Workload } from '../src/engine/simulate/workload.js';
import { withUnit, type BenchContext, type Measurement, type MeasurementBody } from './lib/context.js';
import { runClearly } from './lib/procs.js';
import type { Cell, Figure, TargetCheck } from './lib/results.js';
import { median, sig } from './lib/stats.js';

export const TARGET_SERVER_MS = 50;

export interface Query {
  readonly name: string;
  readonly request: TaskQuery;
  readonly args: readonly string[];
}

export const QUERIES: readonly Query[] = [
  {
    name: 'failures: --state FAILURE --limit 100',
    request: { filter: { states: ['FAILURE'] }, limit: 100 },
    args: ['--state', 'FAILURE', '--limit', '100'],
  },
  {
    name: "regex: --pattern '^app\\.reports\\.' --limit 100",
    request: { filter: { pattern: '^app\\.reports\\.' }, limit: 100 },
    args: ['--pattern', '^app\\.reports\\.', '--limit', '100'],
  },
  {
    name: "rare regex (scans all): --pattern '^ffff' --limit 100",
    request: { filter: { pattern: '^ffff' }, limit: 100 },
    args: ['--pattern', '^ffff', '--limit', '100'],
  },
];

/**
 * Feeds the generator's workload into a State through the server's decoder, until it holds
 * `tasks` tasks. The events go through their JSON text on purpose: the server's strings are the
 * flat ones JSON.parse makes, and the generator's own are concatenations (V8 cons strings), which
 * a regex would first have to flatten: a scan over those measures something else.
 */
export class LocalStore {
  readonly state: State;
  private readonly workload: Workload;
  private clock = Date.now() / 1000;

  constructor(maxTasks: number) {
    this.state = new State({ maxTasks, maxWorkers: 100 });
    this.workload = new Workload({
      seed: 31337,
      workers: ['w1@local', 'w2@local', 'w3@local', 'w4@local'],
      host: 'local',
      clientPid: 4242,
      now: () => (this.clock += 1e-5),
    });
  }

  fillTo(tasks: number): void {
    while (this.state.taskCount < tasks) {
      const m = this.workload.next();
      if (m === null) throw new Error('the workload ended');
      const { events, errors } = decodeBody(encodeMessage(m).body);
      if (errors.length > 0) throw new Error(`generator message does not decode: ${errors[0]?.detail}`);
      for (const ev of events) this.state.apply(ev, this.clock);
    }
  }
}

const serialize = (): ((m: unknown) => Buffer) => clearlyService()['FilterTasks']!.responseSerialize;

/** The FilterTasks handler's work (grpc/service.ts), with grpc-js's per-message serialization. */
export function serverSideQuery(state: State, request: TaskQuery): { ms: number; results: number } {
  const encode = serialize();
  const t0 = performance.now();
  const spec = compileTaskQuery(request);
  const messages = queryTasks(state, spec).map((t) => taskMessage(t, t.state, false, t.timestamp, undefined));
  for (const m of messages) encode(m);
  return { ms: performance.now() - t0, results: messages.length };
}

function grpcQuery(conn: ServerConnection, request: TaskQuery): Promise<{ ms: number; results: number }> {
  const t0 = performance.now();
  let results = 0;
  const reading = conn.filterTasks(request, { onItem: () => void results++ });
  return reading.done.then(() => ({ ms: performance.now() - t0, results }));
}

async function repeat(times: number, fn: () => Promise<number> | number): Promise<number[]> {
  await fn(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < times; i++) out.push(await fn());
  return out;
}

async function run(ctx: BenchContext): Promise<MeasurementBody> {
  const runs = ctx.quick ? 3 : 7;
  const cmdRuns = ctx.quick ? 3 : 5;
  const figures: Figure[] = [];
  const targets: TargetCheck[] = [];
  const rows: Cell[][] = [];
  const local = new LocalStore(Math.max(...ctx.sizes));
  for (const n of ctx.sizes) {
    ctx.log(`queries: building a local store of ${n} tasks`);
    local.fillTo(n);
    const filled = await ctx.filled.get(n);
    for (const q of QUERIES) {
      let results = 0;
      const server = median(
        await repeat(runs, () => {
          const r = serverSideQuery(local.state, q.request);
          results = r.results;
          return r.ms;
        }),
      );
      let grpcResults = 0;
      const call = median(
        await repeat(runs, async () => {
          const r = await grpcQuery(filled.conn, q.request);
          grpcResults = r.results;
          return r.ms;
        }),
      );
      const command = median(
        await repeat(cmdRuns, async () => {
          const r = await runClearly(['tasks', '--server', filled.server.address, '--json', ...q.args]);
          if (r.code !== 0) throw new Error(`clearly tasks ${q.args.join(' ')} exited ${r.code}: ${r.stderr}`);
          return r.ms;
        }),
      );
      ctx.log(`  ${n} tasks, ${q.name}: server-side ${server.toFixed(1)} ms, gRPC ${call.toFixed(1)} ms, command ${command.toFixed(0)} ms`);
      rows.push([n, q.name, results, sig(server), grpcResults, sig(call), Math.round(command)]);
      figures.push({ label: `${q.name} over ${n.toLocaleString('en-US')} tasks, server-side`, value: sig(server), unit: 'ms (median)' });
      targets.push({
        what: `query over ${n.toLocaleString('en-US')} tasks, ${q.name}, server-side`,
        target: `≤ ${TARGET_SERVER_MS} ms`,
        actual: withUnit(server, 'ms', 1),
        met: server <= TARGET_SERVER_MS,
      });
    }
  }
  return {
    figures,
    targets: targets.filter((t) => t.what.includes(Math.max(...ctx.sizes).toLocaleString('en-US'))),
    tables: [
      {
        title: `Median of ${runs} runs (server-side, gRPC) and ${cmdRuns} runs (command), after one warm-up each`,
        columns: ['stored tasks', 'query', 'results', 'server-side ms', 'results (server)', 'gRPC call ms', 'whole command ms'],
        rows,
      },
    ],
    notes: [
      'Server-side: the FilterTasks handler\'s own work — compileTaskQuery, queryTasks (newest first, stops at the limit), a TaskMessage per result and its protobuf encoding — run in this process over a State holding the same number of tasks of the same workload (the generator\'s messages through the server\'s decoder). No network and no client are included.',
      'gRPC call: FilterTasks from a client in the bench process to the filled `clearly server` (the one the memory figures come from), until the stream ended; whole command: `clearly tasks --server … --json …` spawned and timed to its exit (stdout read by the bench). Results of the server and the local store may differ slightly: same workload shape, different seeds.',
      "The rare regex matches a uuid prefix (about one task in 65 536): every stored task is tested against name, uuid and routing key, the worst case for a filtered query. The target applies over the largest store.",
    ],
  };
}

export const queries: Measurement = { name: 'queries', title: 'Queries over stored tasks', run };

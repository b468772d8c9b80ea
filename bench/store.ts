/**
 * The durable store (issue 13's targets):
 * - ingest at each broker's maximum into a `clearly server` with the default SQLite store on
 *   (zero loss, as without it), and on Redis with PostgreSQL; the task rows it wrote per second;
 * - an SQLite store filled directly (batches of 1000 rows, as the writer makes them) with the
 *   generator's typical mix to 1M and 10M tasks (100k with --quick): rows written per second,
 *   bytes on disk per task, and the history queries timed in-process on the store (what the
 *   store does for the server: SQL pages in its thread, plus the regexes);
 * - start-up: a `clearly server` on the 10M store, from spawn to its first answer, and the same
 *   queries through it over gRPC.
 *
 * The 10M store: the workload's base tasks copied with fresh uuids, each copy 15 minutes older
 * than the next (the history of about half a day), written oldest first as a server would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerConnection } from '../src/cli/client.js';
import type { TaskQuery } from '../src/engine/grpc/messages.js';
import { compileTaskQuery } from '../src/engine/grpc/queries.js';
import { storeQuery } from '../src/engine/server/history.js';
import { openStore } from '../src/engine/store/open.js';
import type { Store } from '../src/engine/store/store.js';
import { taskRow, type TaskRow } from '../src/engine/store/rows.js';
import { step, lossPercent, type StepResult } from './ingest.js';
import { withUnit, type BenchContext, type Measurement, type MeasurementBody } from './lib/context.js';
import { BROKERS, TRANSPORT_NAME, TRANSPORTS } from './lib/brokers.js';
import { sleep, startServer } from './lib/procs.js';
import { LocalStore } from './queries.js';
import type { Cell, Figure, TargetCheck } from './lib/results.js';
import { median } from './lib/stats.js';

const QUERY_TARGET_MS = 50;
const SEARCH_TARGET_MS = 200;
const START_TARGET_MS = 2000;
const COPY_STEP_S = 15 * 60;
const BATCH = 1000;
const BROKER_LABEL = 'redis://127.0.0.1:6379/9';

interface StoreQuerySpec {
  readonly name: string;
  readonly target: number;
  /** Built at query time: `--since 1h` means the store's last hour. */
  request(newest: number): TaskQuery;
}

const STORE_QUERIES: readonly StoreQuerySpec[] = [
  { name: 'failures: --state FAILURE --limit 100', target: QUERY_TARGET_MS, request: () => ({ filter: { states: ['FAILURE'] }, limit: 100 }) },
  { name: "name prefix: --pattern '^app\\.reports\\.' --limit 100", target: QUERY_TARGET_MS, request: () => ({ filter: { pattern: '^app\\.reports\\.' }, limit: 100 }) },
  { name: '--since 1h --limit 100', target: QUERY_TARGET_MS, request: (newest) => ({ filter: {}, limit: 100, since: newest - 3600 }) },
  { name: "--search 'invoice' --limit 100", target: SEARCH_TARGET_MS, request: () => ({ filter: {}, limit: 100, search: 'invoice' }) },
];

/** The base tasks as rows (the workload's mix, through the real decoder and reducer). */
function baseRows(n: number): TaskRow[] {
  const local = new LocalStore(n);
  local.fillTo(n);
  return [...local.state.tasks()].reverse().map((t) => taskRow(t, BROKER_LABEL, undefined));
}

const TIME_FIELDS = ['state_at', 'finished_at', 'timestamp', 'sent', 'received', 'started', 'succeeded', 'failed', 'retried', 'revoked', 'rejected'] as const;

/** Copy `k` of a row: a fresh uuid (its first 6 hex digits are the copy's number), `shift` seconds older. */
function copyOf(r: TaskRow, k: number, shift: number): TaskRow {
  const c: TaskRow = { ...r, uuid: `${k.toString(16).padStart(6, '0')}${r.uuid.slice(6)}` };
  for (const f of TIME_FIELDS) {
    const v = c[f];
    if (typeof v === 'number') (c as unknown as Record<string, number>)[f] = v - shift;
  }
  return c;
}

interface Point {
  readonly tasks: number;
  readonly bytesPerTask: number;
  readonly rowsPerSecond: number;
  /** name -> median ms, results. */
  readonly queries: ReadonlyMap<string, { ms: number; results: number }>;
}

async function timeQuery(db: Store, request: TaskQuery): Promise<{ ms: number; results: number }> {
  const q = storeQuery(compileTaskQuery(request));
  await db.queryTasks(q); // warm the page cache once
  const times: number[] = [];
  let results = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    results = (await db.queryTasks(q)).length;
    times.push(performance.now() - t0);
  }
  return { ms: median(times), results };
}

/** Fills `path` to each size in turn, measuring at each; returns the points and the newest time. */
async function fillAndMeasure(ctx: BenchContext, path: string, sizes: readonly number[], base: readonly TaskRow[]): Promise<{ points: Point[]; newest: number }> {
  const db = await openStore({ kind: 'sqlite', path, isDefault: false });
  if (db === null) throw new Error('no store');
  const total = sizes[sizes.length - 1]!;
  const copies = Math.ceil(total / base.length);
  const newestBase = base.reduce((m, r) => Math.max(m, r.timestamp), 0);
  const points: Point[] = [];
  let written = 0;
  let writeMs = 0;
  let newest = 0;
  try {
    for (const size of sizes) {
      const t0 = performance.now();
      while (written < size) {
        // Copy k is written after copy k+1 (it is newer): the oldest history first.
        const k = copies - 1 - Math.floor(written / base.length);
        const from = written % base.length;
        const rows = base.slice(from, Math.min(base.length, from + BATCH, from + (size - written))).map((r) => copyOf(r, k, k * COPY_STEP_S));
        await db.write({ tasks: rows, workers: [], names: [], counters: {} });
        written += rows.length;
        newest = Math.max(newest, newestBase - k * COPY_STEP_S);
      }
      writeMs += performance.now() - t0;
      const bytes = (await db.size()).bytes ?? 0;
      ctx.log(`store: ${written.toLocaleString('en-US')} tasks written, ${(bytes / 2 ** 20).toFixed(0)} MiB, ${Math.round((written / writeMs) * 1000)} rows/s so far`);
      const queries = new Map<string, { ms: number; results: number }>();
      for (const q of STORE_QUERIES) {
        const r = await timeQuery(db, q.request(newest));
        queries.set(q.name, r);
        ctx.log(`  ${q.name}: ${r.ms.toFixed(1)} ms, ${r.results} results`);
      }
      points.push({ tasks: written, bytesPerTask: bytes / written, rowsPerSecond: (written / writeMs) * 1000, queries });
    }
  } finally {
    await db.close();
  }
  return { points, newest };
}

/** A server on the filled store: spawn to first answer, then the queries over gRPC. */
async function serverOnStore(path: string, newest: number): Promise<{ startMs: number; queries: Map<string, number> }> {
  const t0 = performance.now();
  const server = await startServer(BROKERS.redis, ['--store', path, '--max-stored', '100000000', '--retention', '3650d']);
  const conn = new ServerConnection(server.address);
  try {
    await conn.stats();
    const startMs = performance.now() - t0;
    const queries = new Map<string, number>();
    for (const q of STORE_QUERIES) {
      const times: number[] = [];
      for (let i = 0; i < 4; i++) {
        const t = performance.now();
        const reading = conn.filterTasks(q.request(newest), { onItem: () => undefined });
        await reading.done;
        if (i > 0) times.push(performance.now() - t);
      }
      queries.set(q.name, median(times));
    }
    return { startMs, queries };
  } finally {
    conn.close();
    await server.stop();
  }
}

async function run(ctx: BenchContext): Promise<MeasurementBody> {
  const dir = mkdtempSync(join(tmpdir(), 'clearly-bench-store-'));
  const figures: Figure[] = [];
  const targets: TargetCheck[] = [];
  const notes: string[] = [];
  try {
    // 1. Ingest at the broker's maximum with the store on.
    const seconds = ctx.quick ? 2 : 4;
    const ingestRows: Cell[][] = [];
    const runs: { where: string; args: string[]; transport: (typeof TRANSPORTS)[number] }[] = TRANSPORTS.map((t) => ({
      where: `${TRANSPORT_NAME[t]} → clearly server, SQLite store`,
      args: ['--store', join(dir, `ingest-${t}.sqlite`)],
      transport: t,
    }));
    const pg = process.env['BENCH_POSTGRES_URL'] || 'postgres://postgres@127.0.0.1:5432/clearly_bench';
    runs.push({ where: 'Redis → clearly server, PostgreSQL store', args: ['--store', pg], transport: 'redis' });
    let seed = 7000;
    for (const r of runs) {
      ctx.log(`store: ingest ${r.where} at the broker's maximum for ${seconds}s`);
      let s: StepResult;
      try {
        s = await step(r.transport, 'server', null, seconds, ++seed, r.args);
      } catch (e) {
        notes.push(`${r.where}: not measured (${(e as Error).message.split('\n')[0]}); create the database with \`createdb -h 127.0.0.1 -U postgres clearly_bench\` or set BENCH_POSTGRES_URL.`);
        continue;
      }
      const written = s.stats?.store_written ?? 0;
      const perSecond = written / (seconds + (s.drainMs ?? 0) / 1000);
      ctx.log(`  published ${s.published} (${s.publishRate}/s), processed ${s.processed}, store wrote ${written} rows, backlog ${s.stats?.store_backlog ?? 0}`);
      ingestRows.push([r.where, s.publishRate, s.published, s.processed, Number(lossPercent(s.published, s.processed).toFixed(3)), Math.round(s.cpuPercent), Math.round(s.peakRssBytes / 2 ** 20), written, Math.round(perSecond), s.stats?.store_dropped ?? 0]);
      targets.push({
        what: `ingest, ${r.where}, at the broker's maximum (${withUnit(s.publishRate, 'events/s')})`,
        target: 'zero loss',
        actual: `${s.published - Math.min(s.published, s.processed)} of ${s.published} lost (${lossPercent(s.published, s.processed).toFixed(3)}%)`,
        met: s.processed >= s.published,
      });
      figures.push({ label: `${r.where}: task rows written per second during ingest`, value: Math.round(perSecond), unit: 'rows/s' });
      await sleep(500);
    }

    // 2. Filled stores: write rate, bytes per task, queries.
    const sizes = ctx.quick ? [100_000] : [1_000_000, 10_000_000];
    const base = baseRows(ctx.quick ? 20_000 : 200_000);
    const path = join(dir, 'filled.sqlite');
    const { points, newest } = await fillAndMeasure(ctx, path, sizes, base);
    const queryRows: Cell[][] = [];
    for (const p of points) {
      figures.push({ label: `SQLite, direct batches of ${BATCH}: rows written per second, up to ${p.tasks.toLocaleString('en-US')} tasks`, value: Math.round(p.rowsPerSecond), unit: 'rows/s' });
      figures.push({ label: `SQLite: bytes on disk per task at ${p.tasks.toLocaleString('en-US')} tasks`, value: Math.round(p.bytesPerTask), unit: 'bytes' });
      for (const q of STORE_QUERIES) {
        const r = p.queries.get(q.name)!;
        queryRows.push([p.tasks, q.name, Number(r.ms.toFixed(1)), r.results]);
        targets.push({
          what: `store query over ${p.tasks.toLocaleString('en-US')} SQLite tasks, ${q.name}, in the store`,
          target: `≤ ${q.target} ms`,
          actual: `${r.ms.toFixed(1)} ms`,
          met: r.ms <= q.target,
        });
      }
    }

    // 3. A server on the biggest store: start-up, and the queries over gRPC.
    const biggest = points[points.length - 1]!;
    ctx.log(`store: clearly server on the ${biggest.tasks.toLocaleString('en-US')}-task store`);
    const srv = await serverOnStore(path, newest);
    targets.push({
      what: `server start to first answer with ${biggest.tasks.toLocaleString('en-US')} stored tasks`,
      target: `≤ ${START_TARGET_MS} ms`,
      actual: `${Math.round(srv.startMs)} ms`,
      met: srv.startMs <= START_TARGET_MS,
    });
    for (const q of STORE_QUERIES) queryRows.push([`${biggest.tasks} (gRPC, whole call)`, q.name, Number(srv.queries.get(q.name)!.toFixed(1)), null]);

    notes.push(
      'Ingest: the generator at --max for the given seconds into a server with the store on, as the ingest measurement does without it (bench/ingest.ts; a fresh server per step). Rows written per second during ingest: the store_written counter over the publishing time plus the drain; the writer coalesces a task\'s changes within each ~250 ms batch, so rows are fewer than events.',
      `Filled store: the workload's ${base.length.toLocaleString('en-US')} base tasks (through the real decoder and reducer) copied with fresh uuids, each copy ${COPY_STEP_S / 60} minutes older, written oldest first in batches of ${BATCH} through the same store the server uses (its worker thread). Queries timed on that store from this process (SQL pages plus the regex decided in JavaScript, and the rows crossing from the thread): median of 5 after one warm-up. "--since 1h" is the store's last hour.`,
      'Start-up: spawn of `clearly server --store FILE` until its first GetStats answer (it loads the newest --max-tasks tasks, the workers and the names back, not the whole store). The gRPC rows time the FilterTasks call from a client in this process until the stream ends.',
    );
    return {
      figures,
      targets,
      tables: [
        {
          title: `Ingest at the broker's maximum with the store on, ${seconds} s`,
          columns: ['consumer', 'published/s', 'published', 'processed', 'loss %', 'CPU % of a core', 'peak RSS MiB', 'rows written', 'rows/s', 'dropped'],
          rows: ingestRows,
        },
        { title: 'History queries over the SQLite store', columns: ['stored tasks', 'query', 'ms', 'results'], rows: queryRows },
      ],
      notes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const store: Measurement = { name: 'store', title: 'The durable store: ingest, writes, disk, queries, start-up', run };

/**
 * Stores filled with the load generator's realistic tasks (the same ones the memory path holds),
 * and random queries over them, for the store tests: results from the store must be those memory
 * gives.
 */
import { buildMessages } from '../../../bench/lib/messages.js';
import type { TaskQuery } from '../../../src/engine/grpc/messages.js';
import { compileTaskQuery, type TaskQuerySpec } from '../../../src/engine/grpc/queries.js';
import type { Task } from '../../../src/engine/model.js';
import { Pipeline } from '../../../src/engine/pipeline.js';
import { State } from '../../../src/engine/state/state.js';
import { taskRow, type TaskRow } from '../../../src/engine/store/rows.js';
import { rng } from '../../helpers/rng.js';

/** A State that went through `events` generator events, nothing evicted. */
export function filledState(events: number, seed: number): State {
  const state = new State({ maxTasks: 1_000_000, maxWorkers: 100 });
  const pipeline = new Pipeline(state, () => undefined, () => undefined);
  const built = buildMessages({ transport: 'redis', events, seed });
  built.messages.forEach((m, i) => pipeline.handle(m, 1_700_000_000 + i / 1000));
  return state;
}

/** The State's tasks as rows, in the order they were last updated (oldest first): write them so. */
export function rowsInUpdateOrder(state: State, broker = 'redis://test/0'): TaskRow[] {
  const newestFirst: Task[] = [...state.tasks()];
  return newestFirst.reverse().map((t) => taskRow(t, broker, undefined));
}

/** Random task queries of every kind the CLI sends (filters, limits, order, windows, search). */
export function randomQueries(state: State, seed: number, n: number): { query: TaskQuery; spec: TaskQuerySpec }[] {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const tasks = [...state.tasks()];
  const names = [...new Set(tasks.map((t) => t.name).filter((x): x is string => x !== null))];
  const workers = [...new Set(tasks.map((t) => t.worker).filter((x): x is string => x !== null))];
  const times = tasks.map((t) => t.timestamp).sort((a, b) => a - b);
  const words = ['user_id', 'KeyError', 'alice', 'invoice', 'report', 'resize', 'tasks', 'ok', 'True', 'nope_never'];
  const out: { query: TaskQuery; spec: TaskQuerySpec }[] = [];
  for (let i = 0; i < n; i++) {
    const q: TaskQuery = { filter: {}, limit: pick([0, 1, 10, 100, 1000]), oldest_first: rand() < 0.3 };
    const f = q.filter!;
    if (rand() < 0.4) f.states = [pick(['SUCCESS', 'FAILURE', 'RETRY', 'STARTED', 'PENDING', '!SUCCESS', 'FAILURE,RETRY', 'RECEIVED'])];
    if (rand() < 0.4) {
      const name = pick(names);
      f.pattern = pick([`^${name.split('.').slice(0, 2).join('\\.')}\\.`, name.slice(-4), `!^${name.split('.')[0]}`, '^[0-9a-f]{2}', 'celery$']);
    }
    if (rand() < 0.2) f.worker = pick([`^${pick(workers).split('@')[0]}@`, `!${pick(workers)}`]);
    if (rand() < 0.25) q.since = times[Math.floor(rand() * times.length)]!;
    if (rand() < 0.15) q.until = times[Math.floor(rand() * times.length)]!;
    if (rand() < 0.2) q.search = pick(words);
    if (rand() < 0.2) q.retried = true;
    out.push({ query: q, spec: compileTaskQuery(q) });
  }
  return out;
}

/**
 * Lost tasks through a store (both dialects run it): a STARTED task, then the same task marked
 * lost by the reducer (no event more), then cleared by a later event. `write`/`get`/`lost` are the
 * store's own calls. Returns what the store held at each step.
 */
export async function lostRoundTrip(
  write: (rows: TaskRow[]) => Promise<void> | void,
  get: (uuid: string) => Promise<TaskRow | null> | TaskRow | null,
  lost: () => Promise<TaskRow[]> | TaskRow[],
): Promise<{ marked: TaskRow | null; listed: string[]; behind: TaskRow | null; cleared: TaskRow | null; listedAfter: string[] }> {
  const state = new State({ maxTasks: 10, maxWorkers: 10 });
  const worker = (subject: 'online' | 'offline', t: number) => ({
    kind: 'worker' as const, type: `worker-${subject}` as const, subject, hostname: 'w1@h', timestamp: t, clock: 0, pid: 1,
    utcoffset: 0, freq: 2, active: undefined, processed: undefined, loadavg: undefined, sw_ident: undefined, sw_ver: undefined, sw_sys: undefined,
  });
  const task = (subject: 'received' | 'started' | 'succeeded', uuid: string, t: number, hostname = 'w1@h') => ({
    kind: 'task' as const, type: `task-${subject}` as const, subject, uuid, hostname, timestamp: t, clock: 0, pid: 1, utcoffset: 0,
    name: 'tasks.slow', args: undefined, kwargs: undefined, retries: undefined, root_id: undefined, parent_id: undefined,
    eta: undefined, expires: undefined, queue: undefined, exchange: undefined, routing_key: undefined, result: undefined,
    runtime: undefined, exception: undefined, traceback: undefined, terminated: undefined, signum: undefined,
    expired: undefined, requeue: undefined,
  });
  const row = (uuid: string): TaskRow => taskRow(state.getTask(uuid)!, 'b', undefined);
  state.apply(worker('online', 1), 1);
  state.apply(task('received', 'L1', 2), 2);
  state.apply(task('started', 'L1', 3), 3);
  state.apply(task('received', 'L2', 3), 3);
  state.apply(task('started', 'L2', 3), 3);
  state.apply(task('succeeded', 'L2', 4), 4);
  const before = row('L1');
  await write([before, row('L2')]);
  state.apply(worker('offline', 5), 5.5);
  await write([row('L1')]);
  const marked = await get('L1');
  const listed = (await lost()).map((r) => r.uuid);
  // A snapshot from before the mark, written late (another server behind this one): same events, keeps the newest word.
  await write([{ ...before, lost: 0, lost_at: null, events: before.events - 1 }]);
  const behind = await get('L1');
  state.apply(task('received', 'L1', 9, 'w2@h'), 9);
  await write([row('L1')]);
  const cleared = await get('L1');
  return { marked, listed, behind, cleared, listedAfter: (await lost()).map((r) => r.uuid) };
}

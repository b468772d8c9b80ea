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

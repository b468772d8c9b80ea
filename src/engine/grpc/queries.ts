/**
 * Queries over what the server's State holds: tasks (filter, limit, newest first unless asked)
 * and workers. Requests are validated here: anything wrong throws a
 * UsageError whose message the service returns with INVALID_ARGUMENT.
 */
import { UsageError } from '../../errors.js';
import { compileTaskMatch, parseStates, type TaskMatch } from '../table/filter.js';
import { TASK_STATES, type Task, type Worker } from '../model.js';
import type { FilterMessage, TaskQuery, WorkerQuery } from './messages.js';
import type { State } from '../state/state.js';
import { scanTasks } from '../table/task-scan.js';
import { searchWords, textWords } from '../table/search.js';

export interface TaskQuerySpec {
  readonly match: TaskMatch;
  /** 0: no limit. */
  readonly limit: number;
  readonly oldestFirst: boolean;
  /** Tasks whose last event is at or after / before (epoch seconds); null: no bound. */
  readonly since: number | null;
  readonly until: number | null;
  /** Lower-cased words that must all appear in name, args, kwargs, result or exception; null: no search. */
  readonly search: readonly string[] | null;
  /** Only lost tasks (state/lost.ts). */
  readonly lost: boolean;
  /** Only tasks that ever retried: `--state` judges the current state only, and a retried task ends SUCCESS or FAILURE. */
  readonly retried: boolean;
}

/** A filter over task records from a request's Filter message (throws UsageError). */
export function compileTaskFilter(f: FilterMessage | null | undefined): TaskMatch {
  return compileTaskMatch({ pattern: f?.pattern, states: f?.states, worker: f?.worker, tasks: true, workers: false });
}

export function compileTaskQuery(q: TaskQuery): TaskQuerySpec {
  const limit = q.limit ?? 0;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new UsageError(`limit must be a whole number ≥ 0 (0 = no limit), got ${limit}`);
  }
  // Stored tasks only: a worker state here would silently mean "any task state" (as in watch).
  const workerStates = [...parseStates(q.filter?.states).workerIn];
  if (workerStates.length > 0) {
    const what = workerStates.length === 1 ? 'is a worker state' : 'are worker states';
    throw new UsageError(`--state: ${workerStates.join(', ')} ${what}; task states: ${TASK_STATES.join(', ')}`);
  }
  const since = finiteOrNull(q.since, 'since');
  const until = finiteOrNull(q.until, 'until');
  const text = (q.search ?? '').trim();
  const search = text === '' ? null : searchWords(text);
  if (search !== null && search.length === 0) throw new UsageError(`--search: no words to look for in ${JSON.stringify(text)}`);
  return {
    match: compileTaskFilter(q.filter),
    limit,
    oldestFirst: q.oldest_first === true,
    since,
    until,
    search,
    retried: q.retried === true,
    lost: q.lost === true,
  };
}

function finiteOrNull(v: number | undefined, field: string): number | null {
  if (v === undefined) return null;
  if (!Number.isFinite(v)) throw new UsageError(`${field} must be a time (epoch seconds), got ${v}`);
  return v;
}

/** Whether a task ever retried: a task-retried event was seen, or a later delivery counted its retries. */
export function everRetried(t: Pick<Task, 'retried' | 'retries'>): boolean {
  return t.retried !== null || t.retries > 0;
}

/** Whether a task passes the time window, the search words and --retried (what the column scan does not judge). */
function passesExtra(q: TaskQuerySpec, t: Task): boolean {
  if (q.lost && !t.lost) return false;
  if (q.retried && !everRetried(t)) return false;
  if (q.since !== null && t.timestamp < q.since) return false;
  if (q.until !== null && t.timestamp >= q.until) return false;
  if (q.search === null) return true;
  const text = [t.name, t.args, t.kwargs, t.result, t.exception].filter((x) => x !== null).join(' ').toLowerCase();
  const words = new Set(textWords(text));
  return q.search.every((w) => words.has(w));
}

/**
 * Stored tasks that pass the filter, judged on their current state, most recently updated first
 * (or oldest first), at most `limit`. Returns the Task objects themselves: the caller must turn
 * them into messages before the next event changes them.
 */
export function queryTasks(state: State, q: TaskQuerySpec): Task[] {
  if (q.since === null && q.until === null && q.search === null && !q.retried && !q.lost) return scanTasks(state.table, q.match, q.limit, q.oldestFirst);
  // A window, a search, --retried or --lost: judge every task the filter passes (memory holds at most --max-tasks).
  const out: Task[] = [];
  for (const t of scanTasks(state.table, q.match, 0, q.oldestFirst)) {
    if (!passesExtra(q, t)) continue;
    out.push(t);
    if (q.limit !== 0 && out.length >= q.limit) break;
  }
  return out;
}

export interface WorkerQuerySpec {
  readonly pattern: { readonly re: RegExp; readonly negate: boolean } | null;
  readonly aliveOnly: boolean;
}

export function compileWorkerQuery(q: WorkerQuery): WorkerQuerySpec {
  const raw = q.pattern ?? '';
  if (raw === '') return { pattern: null, aliveOnly: q.alive_only === true };
  const negate = raw.startsWith('!');
  const source = negate ? raw.slice(1) : raw;
  try {
    return { pattern: { re: new RegExp(source), negate }, aliveOnly: q.alive_only === true };
  } catch (e) {
    throw new UsageError(`pattern: invalid regular expression ${JSON.stringify(source)}: ${(e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '')}`, { cause: e });
  }
}

/** Stored workers that match, first seen first. */
export function queryWorkers(state: State, q: WorkerQuerySpec): Worker[] {
  const out: Worker[] = [];
  for (const w of state.workers()) {
    if (q.aliveOnly && !w.alive) continue;
    if (q.pattern !== null && q.pattern.re.test(w.hostname) === q.pattern.negate) continue;
    out.push(w);
  }
  return out;
}

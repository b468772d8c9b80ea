/**
 * The combinable filters of `watch` (and of the server's streams and queries), as the Python
 * Clearly has them: each value may be negated with a leading `!`.
 */
import { UsageError } from '../../errors.js';
import { TASK_STATES } from '../model.js';

export const WORKER_STATES = ['ONLINE', 'OFFLINE', 'HEARTBEAT'] as const;
const TASK_STATE_SET: ReadonlySet<string> = new Set(TASK_STATES);
const WORKER_STATE_SET: ReadonlySet<string> = new Set(WORKER_STATES);

export interface FilterSpec {
  /** Regex on task name, uuid or routing key; `!re` keeps what does not match. */
  readonly pattern?: string | undefined;
  /** States (task or worker); each may be `!STATE`; comma-separated values are split. */
  readonly states?: readonly string[] | undefined;
  /** Regex on the worker hostname (of a task: the worker that ran it); `!re` negates. */
  readonly worker?: string | undefined;
  readonly tasks: boolean;
  readonly workers: boolean;
}

/** What a filter looks at: a task record or a worker record, in one state. */
export type FilterSubject =
  | {
      readonly kind: 'task';
      readonly name: string | null;
      readonly uuid: string;
      readonly routing_key: string | null;
      readonly worker: string | null;
      readonly state: string;
    }
  | { readonly kind: 'worker'; readonly hostname: string; readonly state: string };

export type Filter = (subject: FilterSubject) => boolean;

/** What a filter sees of a task shown in `state` (not necessarily its current state). */
export function taskSubject(
  task: { readonly name: string | null; readonly uuid: string; readonly routing_key: string | null; readonly worker: string | null },
  state: string,
): FilterSubject {
  return { kind: 'task', name: task.name, uuid: task.uuid, routing_key: task.routing_key, worker: task.worker, state };
}

/** A compiled `--pattern` or `--worker`: a hit on any of the values, or on none when negated. */
export interface Negatable {
  readonly re: RegExp;
  readonly negate: boolean;
}

function compileRegex(value: string | undefined, flag: string): Negatable | null {
  if (value === undefined || value === '') return null;
  const negate = value.startsWith('!');
  const source = negate ? value.slice(1) : value;
  try {
    return { re: new RegExp(source), negate };
  } catch (e) {
    throw new UsageError(`${flag}: invalid regular expression ${JSON.stringify(source)}: ${(e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '')}`, {
      cause: e,
    });
  }
}

/** Whether `n` lets these values through: no filter, a hit on one of them, or (negated) on none. */
export function passes(n: Negatable | null, ...values: (string | null)[]): boolean {
  if (n === null) return true;
  let hit = false;
  for (const v of values) {
    if (v !== null && n.re.test(v)) {
      hit = true;
      break;
    }
  }
  return hit !== n.negate;
}

export interface StateSets {
  readonly taskIn: ReadonlySet<string>;
  readonly workerIn: ReadonlySet<string>;
  readonly out: ReadonlySet<string>;
}

/** Split, validate and sort `--state` values into wanted task/worker states and unwanted ones. */
export function parseStates(values: readonly string[] | undefined, flag = '--state'): StateSets {
  const taskIn = new Set<string>();
  const workerIn = new Set<string>();
  const out = new Set<string>();
  for (const raw of values ?? []) {
    for (const part of raw.split(',')) {
      const item = part.trim();
      if (item === '') continue;
      const negate = item.startsWith('!');
      const state = (negate ? item.slice(1) : item).trim().toUpperCase();
      const isTask = TASK_STATE_SET.has(state);
      if (!isTask && !WORKER_STATE_SET.has(state)) {
        throw new UsageError(
          `${flag}: unknown state "${state}"; task states: ${TASK_STATES.join(', ')}; worker states: ${WORKER_STATES.join(', ')}`,
        );
      }
      if (negate) out.add(state);
      else (isTask ? taskIn : workerIn).add(state);
    }
  }
  return { taskIn, workerIn, out };
}

/**
 * A filter's parts as they apply to task records: what the indexed scan over stored tasks
 * (task-scan.ts) evaluates column by column. `matchesTask` is the same test on one task.
 */
export interface TaskMatch {
  /** False: no task passes (the filter asked for workers only). */
  readonly tasks: boolean;
  /** On name, uuid and routing key. */
  readonly pattern: Negatable | null;
  /** On the worker hostname. */
  readonly worker: Negatable | null;
  /** Whether a task in this state passes the `--state` values. */
  readonly stateOk: (state: string) => boolean;
  /** The `--state` values `stateOk` decides by (for a store, which asks SQL). */
  readonly states: StateSets;
}

/** What a task filter reads of a task. */
export interface TaskFields {
  readonly name: string | null;
  readonly uuid: string;
  readonly routing_key: string | null;
  readonly worker: string | null;
  readonly state: string;
}

export function matchesTask(m: TaskMatch, t: TaskFields): boolean {
  return m.tasks && m.stateOk(t.state) && passes(m.pattern, t.name, t.uuid, t.routing_key) && passes(m.worker, t.worker);
}

interface Compiled {
  readonly task: TaskMatch;
  readonly worker: Negatable | null;
  readonly workerIn: ReadonlySet<string>;
  readonly out: ReadonlySet<string>;
  readonly workers: boolean;
}

function compile(spec: FilterSpec): Compiled {
  const pattern = compileRegex(spec.pattern, '--pattern');
  const worker = compileRegex(spec.worker, '--worker');
  const { taskIn, workerIn, out } = parseStates(spec.states);
  const stateOk = (state: string): boolean => !out.has(state) && (taskIn.size === 0 || taskIn.has(state));
  return { task: { tasks: spec.tasks, pattern, worker, stateOk, states: { taskIn, workerIn, out } }, worker, workerIn, out, workers: spec.workers };
}

/** The task side of a filter (throws UsageError on a bad regex or state). */
export function compileTaskMatch(spec: FilterSpec): TaskMatch {
  return compile(spec).task;
}

export function compileFilter(spec: FilterSpec): Filter {
  const { task, worker, workerIn, out, workers } = compile(spec);
  return (s) => {
    if (s.kind === 'task') return matchesTask(task, s);
    if (!workers || out.has(s.state)) return false;
    if (workerIn.size > 0 && !workerIn.has(s.state)) return false;
    return passes(worker, s.hostname);
  };
}

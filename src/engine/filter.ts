/**
 * The combinable filters of `watch` (and of the server's streams and queries), as the Python
 * Clearly has them: each value may be negated with a leading `!`.
 */
import { UsageError } from '../errors.js';
import { TASK_STATES } from './model.js';

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

interface Negatable {
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
    throw new UsageError(`${flag}: invalid regular expression ${JSON.stringify(source)}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

function test(n: Negatable | null, ...values: (string | null)[]): boolean {
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

export function compileFilter(spec: FilterSpec): Filter {
  const pattern = compileRegex(spec.pattern, '--pattern');
  const worker = compileRegex(spec.worker, '--worker');
  const { taskIn, workerIn, out } = parseStates(spec.states);
  const { tasks, workers } = spec;
  return (s) => {
    if (out.has(s.state)) return false;
    if (s.kind === 'task') {
      if (!tasks) return false;
      if (taskIn.size > 0 && !taskIn.has(s.state)) return false;
      return test(pattern, s.name, s.uuid, s.routing_key) && test(worker, s.worker);
    }
    if (!workers) return false;
    if (workerIn.size > 0 && !workerIn.has(s.state)) return false;
    return test(worker, s.hostname);
  };
}

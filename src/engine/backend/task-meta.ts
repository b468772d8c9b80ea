/**
 * A result backend's stored state of one task (`celery-task-meta-<uuid>`, PROTOCOL.md §7), for
 * `task --wait`: whether it is final, and the Task it describes (merged over what events told,
 * if anything). No I/O.
 */
import { TERMINAL_STATES, type Task, newTask } from '../model.js';
import { parsePythonJson } from '../events/py-json.js';

export interface TaskMeta {
  readonly status: string;
  /** The return value (SUCCESS) or the exception dict `{exc_type, exc_message, exc_module}`. */
  readonly result: unknown;
  readonly traceback: string | null;
  /** Epoch seconds, from `date_done` (naive UTC ISO in Celery 5.2); null when absent. */
  readonly doneAt: number | null;
  /** `result_extended` fields, when the worker stored them. */
  readonly name: string | null;
  readonly worker: string | null;
}

/** Parse a stored value; null when it is not a Celery task meta object. */
export function parseTaskMeta(raw: string): TaskMeta | null {
  const parsed = parsePythonJson(raw);
  if (!parsed.ok) return null;
  const v = parsed.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const m = v as Record<string, unknown>;
  if (typeof m['status'] !== 'string') return null;
  const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);
  const done = str(m['date_done']);
  // Celery 5.2 writes naive UTC (`2026-11-21T05:33:25.181386`); later versions add an offset.
  const doneAt = done === null ? NaN : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(done) ? done : `${done}Z`);
  return {
    status: m['status'],
    result: m['result'] ?? null,
    traceback: str(m['traceback']),
    doneAt: Number.isFinite(doneAt) ? doneAt / 1000 : null,
    name: str(m['name']),
    worker: str(m['worker']),
  };
}

/** The backend stores SUCCESS, FAILURE, RETRY and REVOKED; only RETRY is not the end. */
export function metaIsFinal(meta: TaskMeta): boolean {
  return TERMINAL_STATES.has(meta.status);
}

/** Python's repr of a JSON value, near enough for an exception's arguments. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isNaN(v) ? 'nan' : !Number.isFinite(v) ? (v > 0 ? 'inf' : '-inf') : String(v);
  if (typeof v === 'string') {
    // Python picks double quotes only for a string with a single quote and no double quote.
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    const body = v
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(/\t/g, '\\t')
      .split(q)
      .join(`\\${q}`);
    return `${q}${body}${q}`;
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  }
  return String(v);
}

/** `HarnessError('kaboom', 42)` from `{exc_type, exc_message: [...]}`; null for anything else. */
export function exceptionRepr(result: unknown): string | null {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return null;
  const r = result as Record<string, unknown>;
  if (typeof r['exc_type'] !== 'string') return null;
  const msg = r['exc_message'];
  const args = Array.isArray(msg) ? msg : msg === undefined || msg === null ? [] : [msg];
  return `${r['exc_type']}(${args.map(pyRepr).join(', ')})`;
}

/** Which Task field records when each final state was reached. */
const DONE_FIELD: Readonly<Record<string, 'succeeded' | 'failed' | 'revoked' | 'rejected'>> = {
  SUCCESS: 'succeeded',
  FAILURE: 'failed',
  REVOKED: 'revoked',
  REJECTED: 'rejected',
};

/**
 * The task as the backend says it ended: a copy of what events told (`seen`), or a bare task,
 * with the backend's state, exception, traceback and time laid over it. (A SUCCESS value is not
 * put in `result`, which holds reprs: pass `meta.result` as the record's backend result.)
 */
export function taskFromMeta(uuid: string, meta: TaskMeta, seen: Task | undefined, fallbackTime: number): Task {
  const task: Task = seen === undefined ? newTask(uuid) : { ...seen };
  task.state = meta.status;
  task.timestamp = meta.doneAt ?? fallbackTime;
  const field = DONE_FIELD[meta.status];
  if (field !== undefined && task[field] === null) task[field] = task.timestamp;
  if (meta.status !== 'SUCCESS') {
    task.exception = exceptionRepr(meta.result) ?? task.exception;
    task.traceback = meta.traceback ?? task.traceback;
  }
  task.name ??= meta.name;
  task.worker ??= meta.worker;
  return task;
}

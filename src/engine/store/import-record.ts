/**
 * A `--json` task record (as `watch`, `tasks` and `export` print it) back into a store row, for
 * `clearly import`. Pure and total: whatever a line holds, the answer is a row or a reason it is
 * not one. What a record does not carry is derived from what it does, as the reducer would have
 * left it: the finish time is the final state's time, the event count is the number of states the
 * task went through (what the upsert's rule compares, rule-sql.ts), and Celery's own state is the
 * record's `celery_state` or, without one, its state.
 */
import { isFinished } from '../model.js';
import type { TaskRow } from './rows.js';

export type ImportedRow = { readonly ok: true; readonly row: TaskRow } | { readonly ok: false; readonly reason: string };

const TIMES = ['sent', 'received', 'started', 'succeeded', 'failed', 'retried', 'revoked', 'rejected'] as const;
const TEXTS = [
  'name', 'worker', 'client', 'exception', 'traceback', 'eta', 'expires', 'queue', 'exchange', 'routing_key', 'parent_id',
  'root_id', 'args_repr', 'kwargs_repr', 'result_repr', 'group',
] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `broker`: what to record as the task's origin when the record names none. */
export function rowFromRecord(value: unknown, broker: string): ImportedRow {
  if (!isObject(value)) return { ok: false, reason: 'not a JSON object' };
  if (value['kind'] !== 'task') return { ok: false, reason: `not a task record (kind ${JSON.stringify(value['kind'] ?? null)})` };
  const uuid = value['uuid'];
  if (typeof uuid !== 'string' || uuid === '') return { ok: false, reason: 'a task record without a uuid' };
  const state = value['state'];
  if (typeof state !== 'string' || state === '') return { ok: false, reason: `task ${uuid}: no state` };
  const timestamp = value['timestamp'];
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) return { ok: false, reason: `task ${uuid}: no timestamp` };

  const text: Partial<Record<(typeof TEXTS)[number], string | null>> = {};
  for (const k of TEXTS) {
    const v = value[k];
    if (v !== undefined && v !== null && typeof v !== 'string') return { ok: false, reason: `task ${uuid}: ${k} is not text` };
    text[k] = v ?? null;
  }
  const time: Partial<Record<(typeof TIMES)[number], number | null>> = {};
  for (const k of TIMES) {
    const v = value[k];
    if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isFinite(v))) {
      return { ok: false, reason: `task ${uuid}: ${k} is not a time` };
    }
    time[k] = v ?? null;
  }
  const num = (k: string): number | null => {
    const v = value[k];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  const celery = value['celery_state'];
  // A backend's whole result is the record's `result` (its source says so); keep it as the JSON
  // it was printed as, which is what the store's result_json holds.
  const whole = value['result_source'] === 'backend' && value['result'] !== undefined ? JSON.stringify(value['result']) : null;
  const requeue = state === 'REJECTED' ? false : null;
  const finished = isFinished({ state, requeue });
  const states = TIMES.filter((k) => time[k] !== null).length;
  const row: TaskRow = {
    uuid,
    name: text.name ?? null,
    state,
    celery_state: typeof celery === 'string' && celery !== '' ? celery : state,
    state_at: timestamp,
    finished_at: finished ? timestamp : null,
    requeue: requeue === null ? null : 0,
    events: Math.max(1, states),
    timestamp,
    worker: text.worker ?? null,
    client: text.client ?? null,
    retries: Math.max(0, Math.trunc(num('retries') ?? 0)),
    args: text.args_repr ?? null,
    kwargs: text.kwargs_repr ?? null,
    result: text.result_repr ?? null,
    result_json: whole,
    exception: text.exception ?? null,
    traceback: text.traceback ?? null,
    runtime: num('runtime'),
    eta: text.eta ?? null,
    expires: text.expires ?? null,
    queue: text.queue ?? null,
    exchange: text.exchange ?? null,
    routing_key: text.routing_key ?? null,
    parent_id: text.parent_id ?? null,
    root_id: text.root_id ?? null,
    clock: 0,
    sent: time.sent ?? null,
    received: time.received ?? null,
    started: time.started ?? null,
    succeeded: time.succeeded ?? null,
    failed: time.failed ?? null,
    retried: time.retried ?? null,
    revoked: time.revoked ?? null,
    rejected: time.rejected ?? null,
    terminated: null,
    signum: null,
    expired: null,
    broker: typeof value['broker'] === 'string' && value['broker'] !== '' ? value['broker'] : broker,
    seq: 0,
    // A lost task's record says so (state/lost.ts); the mark comes back with it.
    lost: value['lost'] === true ? 1 : 0,
    lost_at: value['lost'] === true ? num('lost_at') : null,
    // A record's args are the whole ones when a tap brought them; its repr is kept as args.
    args_json: null,
    kwargs_json: null,
    body: typeof value['body'] === 'string' ? value['body'] : null,
    // The tap's group id (schema version 3); records from before have none.
    group_id: text.group ?? null,
  };
  return { ok: true, row };
}

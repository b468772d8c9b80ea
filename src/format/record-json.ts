/**
 * NDJSON of a record: exactly `JSON.stringify(record)` in UTF-8, built faster for task records.
 *
 * `watch --broker --json` prints one task record per event. JSON.stringify spends most of its time
 * on the 34 keys (escape-scanned on every call), on the parsed args/kwargs/result (re-serialised
 * on every record though they come from a cache) and on number formatting; then the line still
 * had to be encoded to UTF-8. Here a line is concatenated from a few cached fragments
 * (json-fragments.ts) and pieces that are already UTF-8 (json-pieces.ts): the args, kwargs and
 * result, and their reprs, are rendered once per repr text. Fewer pieces also make the line
 * cheaper to flatten when it is written.
 *
 * test/format/record-json.test.ts holds the output to JSON.stringify's on real and adversarial
 * records, and the field order to `taskRecord`'s.
 */
import type { Task, TaskState } from '../engine/model.js';
import { celeryStateOf, stateTime } from '../engine/state/task-state.js';
import { head, route, run, stateFragment, times, type TaskFields } from './json-fragments.js';
import { isPlain, num, reprEntry, reprField, status, str, utf8Bytes, valueField } from './json-pieces.js';
import { reprCacheEntry, taskRecord, type OutputRecord, type TaskRecord } from './record.js';

/**
 * The UTF-8 of `JSON.stringify(record)` as a byte string: one character per byte (write it as
 * Latin-1). A line of `--json` output, without the newline.
 */
export function recordJsonBytes(record: OutputRecord): string {
  return record.kind === 'task' ? taskRecordBytes(record) : utf8Bytes(JSON.stringify(record));
}

/**
 * `recordJsonBytes(taskRecord(task, state, generated, fallbackTime))`, without building the
 * record: what `watch --broker --json` prints for each state of a task change.
 */
export function taskJsonBytes(task: Task, state: TaskState, generated: boolean, fallbackTime: number): string {
  // A tapped task's whole args are not a repr the fragments know: the plain way (rare).
  if (task.tapped !== null) return utf8Bytes(JSON.stringify(taskRecord(task, state, generated, fallbackTime)));
  status.irregular = false;
  const lost = task.lost ? task.lostAt : undefined;
  const text = line(task, state, stateTime(task, state, fallbackTime), generated, taskOutcome(task), celeryStateOf(task, state), lost);
  return status.irregular ? utf8Bytes(JSON.stringify(taskRecord(task, state, generated, fallbackTime))) : text;
}

/** The field order of `taskRecord` (record.ts), which JSON.stringify follows: the test checks both agree. */
export const TASK_RECORD_KEYS = [
  'kind',
  'uuid',
  'name',
  'state',
  'timestamp',
  'generated',
  'worker',
  'retries',
  'args',
  'kwargs',
  'result',
  'args_repr',
  'kwargs_repr',
  'result_repr',
  'result_source',
  'exception',
  'traceback',
  'runtime',
  'args_truncated',
  'kwargs_truncated',
  'result_truncated',
  'routing_key',
  'queue',
  'exchange',
  'parent_id',
  'root_id',
  'client',
  'eta',
  'expires',
  'sent',
  'received',
  'started',
  'succeeded',
  'failed',
  'retried',
  'revoked',
  'rejected',
  'group',
] as const satisfies ReadonlyArray<keyof TaskRecord>;

function taskRecordBytes(r: TaskRecord): string {
  // A tapped task's group or body: the plain way (rare), as taskJsonBytes does for tapped tasks.
  if (r.body !== undefined || r.group !== null) return utf8Bytes(JSON.stringify(r));
  status.irregular = false;
  const lost = r.lost === true ? (r.lost_at ?? null) : undefined;
  let text = line(r, r.state, r.timestamp, r.generated, recordOutcome(r), r.celery_state, lost, r.broker);
  if (r.resumed === true) text = text.slice(0, -1) + ',"resumed":true}';
  // the slow path is for records that should not exist (a field of the wrong type)
  return status.irregular ? utf8Bytes(JSON.stringify(r)) : text;
}

/**
 * The whole line; `outcome` is `,"args":…` through `,"result_truncated":…`; then the optional last keys:
 * `celery_state` (only when Celery's State would differ), `lost` and `lost_at` (only on a lost
 * task: `lostAt` is its `lost_at`, undefined when not lost) and `broker` (records from history).
 */
function line(
  t: TaskFields,
  state: TaskState,
  timestamp: number,
  generated: boolean,
  outcome: string,
  celery: TaskState | undefined,
  lostAt: number | null | undefined,
  broker?: string,
): string {
  const uuidIsPlain = typeof t.uuid === 'string' && isPlain(t.uuid);
  const text =
    head(t, uuidIsPlain) + stateFragment(state) + num(timestamp) + run(t, generated) + outcome + route(t, uuidIsPlain) + times(t);
  if (celery === undefined && lostAt === undefined && broker === undefined) return text;
  return (
    text.slice(0, -1) +
    (celery === undefined ? '' : ',"celery_state":' + str(celery)) +
    (lostAt === undefined ? '' : ',"lost":true,"lost_at":' + num(lostAt)) +
    (broker === undefined ? '' : ',"broker":' + str(broker)) +
    '}'
  );
}

/** result … runtime (args_repr and kwargs_repr come between): before a task ends all are null. */
const NO_RESULT = ',"result":null';
const NO_OUTCOME = ',"result_repr":null,"result_source":null,"exception":null,"traceback":null,"runtime":null';

/** `,"args":…` through `,"result_truncated":…` of a record; each repr's cache entry is looked up once for its two fields. */
function recordOutcome(r: TaskRecord): string {
  const a = reprEntry(r.args_repr);
  const k = reprEntry(r.kwargs_repr);
  const params = valueField('args', ',"args":', '', r.args, a) + valueField('kwargs', ',"kwargs":', '', r.kwargs, k);
  const reprs = reprField('argsRepr', ',"args_repr":', '', r.args_repr, a) + reprField('kwargsRepr', ',"kwargs_repr":', '', r.kwargs_repr, k);
  if (
    r.result === null &&
    r.result_repr === null &&
    r.result_source === null &&
    r.exception === null &&
    r.traceback === null &&
    r.runtime === null
  ) {
    return params + NO_RESULT + reprs + NO_OUTCOME + cutFlags(r.args_truncated, r.kwargs_truncated, r.result_truncated);
  }
  const res = reprEntry(r.result_repr);
  return (
    params +
    (r.result === null ? NO_RESULT : valueField('result', ',"result":', '', r.result, res)) +
    reprs +
    (r.result_repr === null ? ',"result_repr":null' : reprField('resultRepr', ',"result_repr":', '', r.result_repr, res)) +
    outcomeTail(r.result_source, r.exception, r.traceback, r.runtime) +
    cutFlags(r.args_truncated, r.kwargs_truncated, r.result_truncated)
  );
}

/** `,"args_truncated":…,"kwargs_truncated":…,"result_truncated":…`: one of eight constant pieces. */
const CUT_FLAGS: readonly string[] = Array.from(
  { length: 8 },
  (_, i) => `,"args_truncated":${(i & 4) !== 0},"kwargs_truncated":${(i & 2) !== 0},"result_truncated":${(i & 1) !== 0}`,
);

function cutFlags(args: unknown, kwargs: unknown, result: unknown): string {
  if (typeof args !== 'boolean' || typeof kwargs !== 'boolean' || typeof result !== 'boolean') {
    status.irregular = true;
    return '';
  }
  return CUT_FLAGS[(args ? 4 : 0) | (kwargs ? 2 : 0) | (result ? 1 : 0)]!;
}

/** The same from a Task, as taskRecord derives it: parsed args/kwargs/result and where the result came from. */
function taskOutcome(t: Task): string {
  const a = t.args === null ? undefined : reprCacheEntry(t.args);
  const k = t.kwargs === null ? undefined : reprCacheEntry(t.kwargs);
  const args = a === undefined ? ',"args":null' : valueField('args', ',"args":', '', a.value, a);
  const argsRepr = a === undefined ? ',"args_repr":null' : reprField('argsRepr', ',"args_repr":', '', t.args, a);
  const argsCut = a !== undefined && a.truncated;
  const kwargsCut = k !== undefined && k.truncated;
  if (t.result === null && t.exception === null && t.traceback === null && t.runtime === null) {
    // before the task ends (most records): kwargs and its repr carry the nulls after them
    return (
      args +
      (k === undefined ? ',"kwargs":null' + NO_RESULT : valueField('kwargsNoResult', ',"kwargs":', NO_RESULT, k.value, k)) +
      argsRepr +
      (k === undefined ? ',"kwargs_repr":null' + NO_OUTCOME : reprField('kwargsReprNoOutcome', ',"kwargs_repr":', NO_OUTCOME, t.kwargs, k)) +
      cutFlags(argsCut, kwargsCut, false)
    );
  }
  const kwargs = k === undefined ? ',"kwargs":null' : valueField('kwargs', ',"kwargs":', '', k.value, k);
  const kwargsRepr = k === undefined ? ',"kwargs_repr":null' : reprField('kwargsRepr', ',"kwargs_repr":', '', t.kwargs, k);
  if (t.result === null) {
    return (
      args + kwargs + NO_RESULT + argsRepr + kwargsRepr + ',"result_repr":null' +
      outcomeTail(null, t.exception, t.traceback, t.runtime) + cutFlags(argsCut, kwargsCut, false)
    );
  }
  const res = reprCacheEntry(t.result);
  return (
    args +
    kwargs +
    valueField('result', ',"result":', '', res.value, res) +
    argsRepr +
    kwargsRepr +
    reprField('resultRepr', ',"result_repr":', '', t.result, res) +
    outcomeTail(res.truncated ? 'truncated' : 'event', t.exception, t.traceback, t.runtime) +
    cutFlags(argsCut, kwargsCut, res.truncated)
  );
}

/** `,"result_source":…` through `,"runtime":…`; a success has no exception nor traceback: one piece. */
const EVENT_RESULT = ',"result_source":"event","exception":null,"traceback":null,"runtime":';
const TRUNCATED_RESULT = ',"result_source":"truncated","exception":null,"traceback":null,"runtime":';

function outcomeTail(source: string | null, exception: string | null, traceback: string | null, runtime: number | null): string {
  if (exception === null && traceback === null) {
    if (source === 'event') return EVENT_RESULT + num(runtime);
    if (source === 'truncated') return TRUNCATED_RESULT + num(runtime);
  }
  return ',"result_source":' + str(source) + ',"exception":' + str(exception) + ',"traceback":' + str(traceback) + ',"runtime":' + num(runtime);
}

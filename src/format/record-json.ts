/**
 * NDJSON of a record: exactly `JSON.stringify(record)` in UTF-8, built faster for task records.
 *
 * `watch --broker --json` prints one task record per event. JSON.stringify spends most of its time
 * on the 34 keys (escape-scanned on every call), on the parsed args/kwargs/result (re-serialised
 * on every record though they come from a cache) and on number formatting; then the line still
 * had to be encoded to UTF-8. Here a line is concatenated from a few constant fragments and
 * cached pieces that are already UTF-8 (json-pieces.ts): keys are folded into the pieces next to
 * them, and runs of fields that are usually null or shared by many tasks (routing, client,
 * outcome, state times) are one piece. Fewer pieces also make the line cheaper to flatten when it
 * is written.
 *
 * test/format/record-json.test.ts holds the output to JSON.stringify's on real and adversarial
 * records, and the field order to `taskRecord`'s.
 */
import type { Task, TaskState } from '../engine/model.js';
import { stateTime } from '../engine/task-state.js';
import { flat, id, irregular, isPlain, num, reprEntry, reprField, status, str, utf8Bytes, valueField } from './json-pieces.js';
import { RecentCache } from './recent-cache.js';
import { reprCacheEntry, taskRecord, type CachedRepr, type OutputRecord, type TaskRecord } from './record.js';

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
  status.irregular = false;
  const text = line(task, state, stateTime(task, state, fallbackTime), generated, taskOutcome(task));
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
] as const satisfies ReadonlyArray<keyof TaskRecord>;

/**
 * The fields a task record copies from its Task unchanged (same names, same types): the line is
 * built from either.
 */
type TaskFields = Pick<
  TaskRecord,
  | 'uuid'
  | 'name'
  | 'worker'
  | 'retries'
  | 'routing_key'
  | 'queue'
  | 'exchange'
  | 'parent_id'
  | 'root_id'
  | 'client'
  | 'eta'
  | 'expires'
  | 'sent'
  | 'received'
  | 'started'
  | 'succeeded'
  | 'failed'
  | 'retried'
  | 'revoked'
  | 'rejected'
>;

function taskRecordBytes(r: TaskRecord): string {
  status.irregular = false;
  const text = line(r, r.state, r.timestamp, r.generated, recordOutcome(r));
  // the slow path is for records that should not exist (a field of the wrong type)
  return status.irregular ? utf8Bytes(JSON.stringify(r)) : text;
}

/** The whole line; `outcome` is `,"args":…` through `,"runtime":…`. */
function line(t: TaskFields, state: TaskState, timestamp: number, generated: boolean, outcome: string): string {
  const uuidIsPlain = typeof t.uuid === 'string' && isPlain(t.uuid);
  return (
    head(t, uuidIsPlain) + stateFragment(state) + num(timestamp) + run(t, generated) + outcome + route(t, uuidIsPlain) + times(t)
  );
}

/** `{"kind":"task","uuid":…,"name":…` */
function head(t: TaskFields, uuidIsPlain: boolean): string {
  if (uuidIsPlain) return '{"kind":"task","uuid":"' + t.uuid + nameFragment(t.name);
  return '{"kind":"task","uuid":' + id(t.uuid) + ',"name":' + str(t.name);
}

/** `","name":…`: closes a plain uuid written unquoted (`"` + uuid), then the name (a few distinct). */
const nameFragments = new RecentCache<string>(1024);
const NO_NAME = '","name":null';

function nameFragment(name: string | null): string {
  if (name === null) return NO_NAME;
  if (typeof name !== 'string') return irregular();
  let f = nameFragments.get(name);
  if (f === undefined) {
    f = flat('","name":' + str(name));
    nameFragments.set(name, f);
  }
  return f;
}

/** `,"state":…,"timestamp":` for the built-in states, others cached. */
const STATE_FRAGMENTS = new Map(
  ['PENDING', 'RECEIVED', 'STARTED', 'SUCCESS', 'FAILURE', 'RETRY', 'REVOKED', 'REJECTED'].map((s) => [s, stateFragmentOf(s)]),
);
const otherStateFragments = new RecentCache<string>(256);

function stateFragmentOf(state: string): string {
  return flat(',"state":' + utf8Bytes(JSON.stringify(state)) + ',"timestamp":');
}

function stateFragment(state: string): string {
  const known = STATE_FRAGMENTS.get(state);
  if (known !== undefined) return known;
  if (typeof state !== 'string') return irregular();
  let f = otherStateFragments.get(state);
  if (f === undefined) {
    f = stateFragmentOf(state);
    otherStateFragments.set(state, f);
  }
  return f;
}

/** `,"generated":…,"worker":…,"retries":` per worker, and with `0` (no retry yet, the usual). */
class RunFragments {
  readonly fresh: string;
  readonly freshGenerated: string;
  readonly retried: string;
  readonly retriedGenerated: string;
  constructor(worker: string) {
    this.retried = flat(',"generated":false,"worker":' + worker + ',"retries":');
    this.retriedGenerated = flat(',"generated":true,"worker":' + worker + ',"retries":');
    this.fresh = flat(this.retried + '0');
    this.freshGenerated = flat(this.retriedGenerated + '0');
  }
}
const NO_WORKER = new RunFragments('null');
const runFragments = new RecentCache<RunFragments>(1024);

function run(t: TaskFields, generated: boolean): string {
  const worker = t.worker;
  let f: RunFragments | undefined = NO_WORKER;
  if (worker !== null) {
    if (typeof worker !== 'string') return irregular();
    f = runFragments.get(worker);
    if (f === undefined) {
      f = new RunFragments(str(worker));
      runFragments.set(worker, f);
    }
  }
  if (generated !== true && generated !== false) return irregular();
  if (t.retries === 0) return generated ? f.freshGenerated : f.fresh;
  return (generated ? f.retriedGenerated : f.retried) + num(t.retries);
}

/** result … runtime (args_repr and kwargs_repr come between): before a task ends all are null. */
const NO_RESULT = ',"result":null';
const NO_OUTCOME = ',"result_repr":null,"result_source":null,"exception":null,"traceback":null,"runtime":null';

/** `,"args":…` through `,"runtime":…` of a record; each repr's cache entry is looked up once for its two fields. */
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
    return params + NO_RESULT + reprs + NO_OUTCOME;
  }
  const res = reprEntry(r.result_repr);
  return (
    params +
    (r.result === null ? NO_RESULT : valueField('result', ',"result":', '', r.result, res)) +
    reprs +
    (r.result_repr === null ? ',"result_repr":null' : reprField('resultRepr', ',"result_repr":', '', r.result_repr, res)) +
    outcomeTail(r.result_source, r.exception, r.traceback, r.runtime)
  );
}

/** The same from a Task, as taskRecord derives it: parsed args/kwargs/result and where the result came from. */
function taskOutcome(t: Task): string {
  const a = t.args === null ? undefined : reprCacheEntry(t.args);
  const k = t.kwargs === null ? undefined : reprCacheEntry(t.kwargs);
  const args = a === undefined ? ',"args":null' : valueField('args', ',"args":', '', a.value, a);
  const argsRepr = a === undefined ? ',"args_repr":null' : reprField('argsRepr', ',"args_repr":', '', t.args, a);
  if (t.result === null && t.exception === null && t.traceback === null && t.runtime === null) {
    // before the task ends (most records): kwargs and its repr carry the nulls after them
    return (
      args +
      (k === undefined ? ',"kwargs":null' + NO_RESULT : valueField('kwargsNoResult', ',"kwargs":', NO_RESULT, k.value, k)) +
      argsRepr +
      (k === undefined ? ',"kwargs_repr":null' + NO_OUTCOME : reprField('kwargsReprNoOutcome', ',"kwargs_repr":', NO_OUTCOME, t.kwargs, k))
    );
  }
  const kwargs = k === undefined ? ',"kwargs":null' : valueField('kwargs', ',"kwargs":', '', k.value, k);
  const kwargsRepr = k === undefined ? ',"kwargs_repr":null' : reprField('kwargsRepr', ',"kwargs_repr":', '', t.kwargs, k);
  if (t.result === null) {
    return args + kwargs + NO_RESULT + argsRepr + kwargsRepr + ',"result_repr":null' + outcomeTail(null, t.exception, t.traceback, t.runtime);
  }
  const res = reprCacheEntry(t.result);
  return (
    args +
    kwargs +
    valueField('result', ',"result":', '', res.value, res) +
    argsRepr +
    kwargsRepr +
    reprField('resultRepr', ',"result_repr":', '', t.result, res) +
    outcomeTail(res.truncated ? 'truncated' : 'event', t.exception, t.traceback, t.runtime)
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

/**
 * routing_key … expires. Routing fields and the client are shared by many tasks (the very same
 * string objects: the state keeps one copy of such text), so their fragments are cached by
 * routing key and by client, in the variants the parent and root ids around them need; only the
 * ids are the task's own.
 */
class Route {
  constructor(
    readonly routing_key: string | null,
    readonly queue: string | null,
    readonly exchange: string | null,
    /** `,"routing_key":…,"queue":…,"exchange":…,"parent_id":` */
    readonly text: string,
    /** … and `null,"root_id":` */
    readonly noParent: string,
  ) {}
}
const routes = new RecentCache<Route>(256);
/** The cache key for a null field (a string may look like it: entries check their field too). */
const NULL_KEY = '\0null';

function routeOf(r: TaskFields): Route | undefined {
  const key = r.routing_key ?? NULL_KEY;
  if (typeof key !== 'string') return undefined;
  const hit = routes.get(key);
  if (hit !== undefined && hit.routing_key === r.routing_key && hit.queue === r.queue && hit.exchange === r.exchange) return hit;
  const text = flat(',"routing_key":' + str(r.routing_key) + ',"queue":' + str(r.queue) + ',"exchange":' + str(r.exchange) + ',"parent_id":');
  if (status.irregular) return undefined;
  const route = new Route(r.routing_key, r.queue, r.exchange, text, flat(text + 'null,"root_id":'));
  routes.set(key, route);
  return route;
}

const NO_DATES = ',"eta":null,"expires":null';

/**
 * `,"client":…`, and `"` before it to close a root id written unquoted (`"` + uuid); each also
 * with the null eta and expires that usually follow.
 */
class Client {
  readonly afterPlainRoot: string;
  readonly noDates: string;
  readonly afterPlainRootNoDates: string;
  constructor(
    readonly client: string | null,
    readonly text: string,
  ) {
    this.afterPlainRoot = flat('"' + text);
    this.noDates = flat(text + NO_DATES);
    this.afterPlainRootNoDates = flat('"' + text + NO_DATES);
  }
}
const clients = new RecentCache<Client>(1024);

function clientOf(r: TaskFields): Client | undefined {
  const key = r.client ?? NULL_KEY;
  if (typeof key !== 'string') return undefined;
  let c = clients.get(key);
  if (c === undefined || c.client !== r.client) {
    c = new Client(r.client, flat(',"client":' + str(r.client)));
    clients.set(key, c);
  }
  return c;
}

function route(r: TaskFields, uuidIsPlain: boolean): string {
  const q = routeOf(r);
  const c = clientOf(r);
  if (q === undefined || c === undefined) return irregular();
  const parent = r.parent_id;
  const root = r.root_id;
  const noDates = r.eta === null && r.expires === null;
  const upToRoot = parent === null ? q.noParent : q.text + id(parent) + ',"root_id":';
  // a root id is most often the task's own uuid: a plain string, written without quoting it
  if (typeof root === 'string' && (root === r.uuid ? uuidIsPlain : isPlain(root))) {
    return noDates ? upToRoot + '"' + root + c.afterPlainRootNoDates : upToRoot + '"' + root + c.afterPlainRoot + dates(r);
  }
  return noDates ? upToRoot + id(root) + c.noDates : upToRoot + id(root) + c.text + dates(r);
}

function dates(r: TaskFields): string {
  return ',"eta":' + str(r.eta) + ',"expires":' + str(r.expires);
}

const TIME_KEYS = ['sent', 'received', 'started', 'succeeded', 'failed', 'retried', 'revoked', 'rejected'] as const;
/** TIME_TAILS[i]: the state times from the i-th on (none for i = 8), all null, and the closing brace. */
const TIME_TAILS = [...TIME_KEYS, ''].map((_, i) => TIME_KEYS.slice(i).map((k) => `,"${k}":null`).join('') + '}');

/** sent … rejected: the trailing nulls (most of them, on most records) as one constant. */
function times(r: TaskFields): string {
  const last =
    r.rejected !== null ? 7
    : r.revoked !== null ? 6
    : r.retried !== null ? 5
    : r.failed !== null ? 4
    : r.succeeded !== null ? 3
    : r.started !== null ? 2
    : r.received !== null ? 1
    : r.sent !== null ? 0
    : -1;
  let s = last >= 0 ? ',"sent":' + num(r.sent) : '';
  if (last >= 1) s += ',"received":' + num(r.received);
  if (last >= 2) s += ',"started":' + num(r.started);
  if (last >= 3) s += ',"succeeded":' + num(r.succeeded);
  if (last >= 4) s += ',"failed":' + num(r.failed);
  if (last >= 5) s += ',"retried":' + num(r.retried);
  if (last >= 6) s += ',"revoked":' + num(r.revoked);
  if (last >= 7) s += ',"rejected":' + num(r.rejected);
  return s + TIME_TAILS[last + 1]!;
}

/**
 * NDJSON of a record: exactly `JSON.stringify(record)` in UTF-8, built faster for task records.
 *
 * `watch --broker --json` prints one task record per event. JSON.stringify spends most of its time
 * on the 34 keys (escape-scanned on every call), on the parsed args/kwargs/result (re-serialised
 * on every record though they come from a cache) and on number formatting; then the line still
 * had to be encoded to UTF-8. Here a line is concatenated from constant fragments and cached
 * pieces that are already UTF-8 (json-pieces.ts), and a task's next records reuse the fragments
 * of its previous one for the fields that rarely change (uuid, name, worker, args, routing,
 * parent/root...). Fewer, larger pieces also make the line cheaper to flatten when it is written.
 *
 * test/format/record-json.test.ts holds the output to JSON.stringify's on real and adversarial
 * records, and the field order to `taskRecord`'s.
 */
import { bool, flat, id, num, reprEntry, reprText, status, str, utf8Bytes, value } from './json-pieces.js';
import { RecentCache } from './recent-cache.js';
import type { OutputRecord, TaskRecord } from './record.js';

/**
 * The UTF-8 of `JSON.stringify(record)` as a byte string: one character per byte (write it as
 * Latin-1). A line of `--json` output, without the newline.
 */
export function recordJsonBytes(record: OutputRecord): string {
  return record.kind === 'task' ? taskRecordBytes(record) : utf8Bytes(JSON.stringify(record));
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

/** result … runtime. Before a task ends (most records) all are null. */
const NO_RESULT = ',"result":null';
const NO_OUTCOME = ',"result_repr":null,"result_source":null,"exception":null,"traceback":null,"runtime":null';

/**
 * What a task's previous record rendered of the fields that rarely change, with the values it was
 * rendered from: a fragment is reused only when every one of its fields is identical (`===`).
 */
interface TaskFragments {
  name: string | null;
  /** `{"kind":"task","uuid":…,"name":…` */
  head: string;
  generated: boolean;
  worker: string | null;
  retries: number;
  /** `,"generated":…,"worker":…,"retries":…` */
  run: string;
  args: unknown;
  kwargs: unknown;
  args_repr: string | null;
  kwargs_repr: string | null;
  /** `,"args":…,"kwargs":…` */
  params: string;
  /** `,"args_repr":…,"kwargs_repr":…` */
  paramReprs: string;
  /** `params` through `,"runtime":null` for a task that has no outcome yet (most records). */
  paramsNoOutcome: string;
  routing_key: string | null;
  queue: string | null;
  exchange: string | null;
  parent_id: string | null;
  root_id: string | null;
  client: string | null;
  eta: string | null;
  expires: string | null;
  /** `,"routing_key":…` through `,"expires":…` */
  route: string;
}

/** By uuid: a task's records are a few events apart, so a few thousand recent tasks suffice. */
const taskFragments = new RecentCache<TaskFragments>(4096);

function head(r: TaskRecord): string {
  return flat('{"kind":"task","uuid":' + id(r.uuid) + ',"name":' + str(r.name));
}

function run(r: TaskRecord): string {
  return flat(',"generated":' + bool(r.generated) + ',"worker":' + str(r.worker) + ',"retries":' + num(r.retries));
}

/** Sets `params`, `paramReprs` and `paramsNoOutcome` (one cache lookup per repr serves both). */
function setParams(f: TaskFragments, r: TaskRecord): void {
  const a = reprEntry(r.args_repr);
  const k = reprEntry(r.kwargs_repr);
  f.params = flat(',"args":' + value(r.args, a) + ',"kwargs":' + value(r.kwargs, k));
  f.paramReprs = flat(',"args_repr":' + reprText(r.args_repr, a) + ',"kwargs_repr":' + reprText(r.kwargs_repr, k));
  f.paramsNoOutcome = flat(f.params + NO_RESULT + f.paramReprs + NO_OUTCOME);
}

/**
 * The last routing_key/queue/exchange and client/eta/expires rendered: most tasks share them
 * (the same string objects, even: the state keeps one copy of such text), so a new task's route
 * is mostly reused, only the parent and root ids are its own.
 */
const lastQueue = { routing_key: null as string | null, queue: null as string | null, exchange: null as string | null, text: '' };
const lastOrigin = { client: null as string | null, eta: null as string | null, expires: null as string | null, text: '' };

function route(r: TaskRecord): string {
  const q = lastQueue;
  if (q.text === '' || q.routing_key !== r.routing_key || q.queue !== r.queue || q.exchange !== r.exchange) {
    const text = flat(',"routing_key":' + str(r.routing_key) + ',"queue":' + str(r.queue) + ',"exchange":' + str(r.exchange));
    if (status.irregular) return '';
    q.routing_key = r.routing_key;
    q.queue = r.queue;
    q.exchange = r.exchange;
    q.text = text;
  }
  const o = lastOrigin;
  if (o.text === '' || o.client !== r.client || o.eta !== r.eta || o.expires !== r.expires) {
    const text = flat(',"client":' + str(r.client) + ',"eta":' + str(r.eta) + ',"expires":' + str(r.expires));
    if (status.irregular) return '';
    o.client = r.client;
    o.eta = r.eta;
    o.expires = r.expires;
    o.text = text;
  }
  return flat(q.text + ',"parent_id":' + id(r.parent_id) + ',"root_id":' + id(r.root_id) + o.text);
}

function newFragments(r: TaskRecord): TaskFragments {
  const f: TaskFragments = {
    name: r.name,
    head: head(r),
    generated: r.generated,
    worker: r.worker,
    retries: r.retries,
    run: run(r),
    args: r.args,
    kwargs: r.kwargs,
    args_repr: r.args_repr,
    kwargs_repr: r.kwargs_repr,
    params: '',
    paramReprs: '',
    paramsNoOutcome: '',
    routing_key: r.routing_key,
    queue: r.queue,
    exchange: r.exchange,
    parent_id: r.parent_id,
    root_id: r.root_id,
    client: r.client,
    eta: r.eta,
    expires: r.expires,
    route: route(r),
  };
  setParams(f, r);
  return f;
}

/** Brings `f` up to date with `r`, fragment by fragment. */
function refresh(f: TaskFragments, r: TaskRecord): void {
  if (f.name !== r.name) {
    f.name = r.name;
    f.head = head(r);
  }
  if (f.generated !== r.generated || f.worker !== r.worker || f.retries !== r.retries) {
    f.generated = r.generated;
    f.worker = r.worker;
    f.retries = r.retries;
    f.run = run(r);
  }
  if (f.args !== r.args || f.kwargs !== r.kwargs || f.args_repr !== r.args_repr || f.kwargs_repr !== r.kwargs_repr) {
    f.args = r.args;
    f.kwargs = r.kwargs;
    f.args_repr = r.args_repr;
    f.kwargs_repr = r.kwargs_repr;
    setParams(f, r);
  }
  if (
    f.routing_key !== r.routing_key ||
    f.queue !== r.queue ||
    f.exchange !== r.exchange ||
    f.parent_id !== r.parent_id ||
    f.root_id !== r.root_id ||
    f.client !== r.client ||
    f.eta !== r.eta ||
    f.expires !== r.expires
  ) {
    f.routing_key = r.routing_key;
    f.queue = r.queue;
    f.exchange = r.exchange;
    f.parent_id = r.parent_id;
    f.root_id = r.root_id;
    f.client = r.client;
    f.eta = r.eta;
    f.expires = r.expires;
    f.route = route(r);
  }
}

/** The task's fragments, up to date with `r`. */
function fragmentsOf(r: TaskRecord): TaskFragments {
  const uuid = r.uuid;
  let f = typeof uuid === 'string' ? taskFragments.get(uuid) : undefined;
  if (f === undefined) {
    f = newFragments(r);
    // Fragments of an irregular record are wrong: never keep them.
    if (!status.irregular && typeof uuid === 'string') taskFragments.set(uuid, f);
  } else {
    refresh(f, r);
    if (status.irregular) taskFragments.delete(uuid);
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
  if (typeof state !== 'string') {
    status.irregular = true;
    return '';
  }
  let f = otherStateFragments.get(state);
  if (f === undefined) {
    f = stateFragmentOf(state);
    otherStateFragments.set(state, f);
  }
  return f;
}

function hasOutcome(r: TaskRecord): boolean {
  return (
    r.result !== null ||
    r.result_repr !== null ||
    r.result_source !== null ||
    r.exception !== null ||
    r.traceback !== null ||
    r.runtime !== null
  );
}

/** `,"result":…` through `,"runtime":…` (args_repr and kwargs_repr come between). */
function outcome(r: TaskRecord, f: TaskFragments): string {
  const entry = reprEntry(r.result_repr);
  return (
    ',"result":' +
    value(r.result, entry) +
    f.paramReprs +
    ',"result_repr":' +
    reprText(r.result_repr, entry) +
    ',"result_source":' +
    str(r.result_source) +
    ',"exception":' +
    str(r.exception) +
    ',"traceback":' +
    str(r.traceback) +
    ',"runtime":' +
    num(r.runtime)
  );
}

const TIME_KEYS = ['sent', 'received', 'started', 'succeeded', 'failed', 'retried', 'revoked', 'rejected'] as const;
/** TIME_TAILS[i]: the state times from the i-th on (none for i = 8), all null, and the closing brace. */
const TIME_TAILS = [...TIME_KEYS, ''].map((_, i) => TIME_KEYS.slice(i).map((k) => `,"${k}":null`).join('') + '}');

/** sent … rejected: the trailing nulls (most of them, on most records) as one constant. */
function times(r: TaskRecord): string {
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

function taskRecordBytes(r: TaskRecord): string {
  status.irregular = false;
  const f = fragmentsOf(r);
  const text =
    f.head +
    stateFragment(r.state) +
    num(r.timestamp) +
    f.run +
    (hasOutcome(r) ? f.params + outcome(r, f) : f.paramsNoOutcome) +
    f.route +
    times(r);
  // the slow path is for records that should not exist (a field of the wrong type)
  return status.irregular ? utf8Bytes(JSON.stringify(r)) : text;
}

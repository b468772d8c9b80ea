/**
 * The parts of a task's NDJSON line around its args and outcome (record-json.ts), as cached
 * fragments: keys are folded into the pieces next to them, values shared by many tasks (names,
 * states, workers, routing, clients) are rendered once, and runs of fields that are usually null
 * are constants. Each fragment is exactly what JSON.stringify writes for those fields, as a byte
 * string (json-pieces.ts).
 */
import { flat, id, irregular, isPlain, num, status, str, utf8Bytes } from './json-pieces.js';
import { RecentCache } from '../engine/repr/recent-cache.js';
import type { TaskRecord } from './record.js';

/**
 * The fields a task record copies from its Task unchanged (same names, same types): the line is
 * built from either.
 */
export type TaskFields = Pick<
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

/** `{"kind":"task","uuid":…,"name":…` */
export function head(t: TaskFields, uuidIsPlain: boolean): string {
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

export function stateFragment(state: string): string {
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

export function run(t: TaskFields, generated: boolean): string {
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

export function route(r: TaskFields, uuidIsPlain: boolean): string {
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
/**
 * TIME_TAILS[i]: the state times from the i-th on (none for i = 8), all null, then `group` (null:
 * only a tapped task has one, and those take JSON.stringify's way, record-json.ts) and the closing brace.
 */
const TIME_TAILS = [...TIME_KEYS, ''].map((_, i) => TIME_KEYS.slice(i).map((k) => `,"${k}":null`).join('') + ',"group":null}');

/** sent … rejected (and a null group): the trailing nulls (most of them, on most records) as one constant. */
export function times(r: TaskFields): string {
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

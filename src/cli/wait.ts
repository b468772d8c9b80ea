/**
 * `clearly task <uuid> --wait`: block until the task reaches a final state (SUCCESS, FAILURE,
 * REVOKED, REJECTED), from a clearly server's live stream or, with `--broker`, from the events
 * themselves plus the result backend when `--backend` is given.
 *
 * Race-free by construction: subscribe first, then look. A task that finished before we started
 * listening is found by the look (the server's GetTask, the backend's GET); one that finishes in
 * between is caught by the subscription.
 */
import { ServerConnection, type ServerTarget } from './client.js';
import { startSession } from '../engine/session.js';
import { note } from './output.js';
import { watchTaskMeta, type MetaWatch } from './wait-backend.js';
import type { Task } from '../engine/model.js';
import type { Redactor } from '../engine/redact/redact.js';
import { metaIsFinal, taskFromMeta, type TaskMeta } from '../engine/backend/task-meta.js';
import { taskRecordFromMessage } from '../format/message-records.js';
import { NotFoundError, UnavailableError } from '../errors.js';
import { nonFiniteToStrings } from '../format/json-safe.js';
import { taskRecord, type TaskRecord } from '../format/record.js';

export type FinalState = 'SUCCESS' | 'FAILURE' | 'REVOKED' | 'REJECTED';

export type WaitOutcome =
  | { readonly kind: 'finished'; readonly state: FinalState; readonly record: TaskRecord }
  | { readonly kind: 'timeout'; readonly last: TaskRecord | null };

export interface WaitOptions {
  readonly uuid: string;
  /** Give up after this long (ms); undefined waits for ever. */
  readonly timeoutMs?: number | undefined;
}

const FINAL: ReadonlySet<string> = new Set(['SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED']);

/** The final state a task record shows, or null (a rejection is final: state/task-state.ts). */
export function finalState(r: Pick<TaskRecord, 'state'>): FinalState | null {
  return FINAL.has(r.state) ? (r.state as FinalState) : null;
}

/** `task --wait`'s exit code for a final state: 0 only for SUCCESS. */
export function waitExitCode(state: FinalState): 0 | 1 {
  return state === 'SUCCESS' ? 0 : 1;
}

/** How often the server is asked again, in case a stream item was missed (it says so) or raced. */
const RECHECK_MS = 5_000;

/** A promise settled once, plus the timers and closers to clean up whichever way it ends. */
function outcome(timeoutMs: number | undefined, last: () => TaskRecord | null) {
  let settle!: (o: WaitOutcome) => void;
  let fail!: (e: unknown) => void;
  let settled = false;
  const promise = new Promise<WaitOutcome>((resolve, reject) => {
    settle = (o) => {
      if (settled) return;
      settled = true;
      resolve(o);
    };
    fail = (e) => {
      if (settled) return;
      settled = true;
      reject(e);
    };
  });
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => settle({ kind: 'timeout', last: last() }), timeoutMs);
  void promise.then(
    () => clearTimeout(timer),
    () => clearTimeout(timer),
  );
  return { promise, settle, fail, isSettled: () => settled };
}

export async function waitFromServer(server: ServerTarget | string, o: WaitOptions): Promise<WaitOutcome> {
  const conn = new ServerConnection(server);
  let last: TaskRecord | null = null;
  const out = outcome(o.timeoutMs, () => last);
  const seen = (r: TaskRecord): void => {
    if (r.uuid !== o.uuid) return;
    last = r;
    const state = finalState(r);
    if (state !== null) out.settle({ kind: 'finished', state, record: r });
  };
  let told = false;
  const look = async (): Promise<void> => {
    try {
      seen(taskRecordFromMessage(await conn.getTask(o.uuid)));
    } catch (e) {
      if (!(e instanceof NotFoundError)) return out.fail(e);
      if (!told) note(`the server at ${conn.address} does not know task ${o.uuid} yet: waiting for it`);
      told = true;
    }
  };
  // Subscribe first (same channel, so the server registers it before the GetTask that follows).
  const reading = conn.capture(
    { filter: { pattern: `^${o.uuid.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` }, tasks: true, workers: false },
    {
      onItem: (c) => {
        if (c.item === 'task') seen(taskRecordFromMessage(c.task));
        else if (c.item === 'missed') void look();
      },
    },
  );
  reading.done.then(
    () => out.fail(new UnavailableError(`the clearly server at ${conn.address} ended the stream (shutting down?)`)),
    (e: unknown) => out.fail(e),
  );
  void look();
  const recheck = setInterval(() => void look(), RECHECK_MS);
  try {
    return await out.promise;
  } finally {
    clearInterval(recheck);
    reading.cancel();
    conn.close();
  }
}

export interface BrokerWaitOptions extends WaitOptions {
  readonly broker: string;
  /** A Redis result backend: finds a task that finished before we listened, and its whole result. */
  readonly backend?: string | undefined;
  readonly debug: boolean;
  /** `--redact`: secrets out of the events and of the backend's meta (null: off). */
  readonly redactor?: Redactor | null;
}

/** The backend's meta with the redactor's keys replaced in its result (or exception) and traceback. */
function redactMeta(m: TaskMeta, r: Redactor | null): TaskMeta {
  if (r === null) return m;
  return { ...m, result: r.value(m.result), traceback: m.traceback === null ? null : r.text(m.traceback) };
}

/** When the backend says "done" first (it stores before the event is sent), wait this long for the event's details. */
const EVENT_GRACE_MS = 500;

export async function waitFromBroker(o: BrokerWaitOptions): Promise<WaitOutcome> {
  let task: Task | undefined;
  let meta: TaskMeta | undefined;
  /** The record's `result` for a SUCCESS meta, made JSON-safe once when the meta arrives. */
  let whole: { value: unknown } | undefined;
  let grace: NodeJS.Timeout | undefined;
  const recordOf = (t: Task, state: string): TaskRecord => taskRecord(t, state, false, t.timestamp, { backendResult: whole });
  const out = outcome(o.timeoutMs, () => (task === undefined ? null : recordOf(task, task.shown ?? task.state)));
  const fromMeta = (): void => {
    if (meta === undefined) return;
    const t = taskFromMeta(o.uuid, meta, task, Date.now() / 1000);
    out.settle({ kind: 'finished', state: meta.status as FinalState, record: recordOf(t, meta.status) });
  };
  const session = await startSession({
    log: note,
    broker: o.broker,
    debug: o.debug,
    redactor: o.redactor ?? null,
    onChange: (change) => {
      if (change.kind !== 'task' || change.task.uuid !== o.uuid) return;
      task = change.task;
      // The states this change shows, in order: the last final one ends the wait.
      const final = [...change.states].reverse().find((s) => FINAL.has(s));
      if (final !== undefined) out.settle({ kind: 'finished', state: final as FinalState, record: recordOf(task, final) });
    },
  });
  let backend: MetaWatch | undefined;
  try {
    if (o.backend !== undefined) {
      backend = await watchTaskMeta(o.backend, o.uuid, (stored) => {
        if (!metaIsFinal(stored) || out.isSettled()) return;
        const m = redactMeta(stored, o.redactor ?? null);
        meta = m;
        whole = m.status === 'SUCCESS' ? { value: nonFiniteToStrings(m.result) } : undefined;
        grace ??= setTimeout(fromMeta, EVENT_GRACE_MS);
      });
    } else {
      note(`waiting for events about ${o.uuid} on ${session.masked} (a task that finished before now is only found with --backend)`);
    }
    return await out.promise;
  } catch (e) {
    out.fail(e);
    throw e;
  } finally {
    clearTimeout(grace);
    backend?.close();
    await session.close();
  }
}

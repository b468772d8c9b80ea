/**
 * Where the server answers history from: its memory (the State's task table) when it has no store,
 * the store when it has one. With a store, every task query is answered by the store, after the
 * changes not yet written are flushed, so the answer is what memory would give over the whole
 * history. One task is looked up in memory first (the freshest copy), then in the store.
 *
 * While the store cannot be written (PostgreSQL lost, disk full: the writer is failing) or cannot
 * answer, memory answers: it holds the newest `--max-tasks` tasks, the changes the store lacks.
 */
import type { ResultBackend } from '../backend/results.js';
import type { TaskMessage } from '../grpc/messages.js';
import { queryTasks, type TaskQuerySpec } from '../grpc/queries.js';
import { taskMessage } from '../grpc/wire.js';
import type { State } from '../state/state.js';
import type { StoreQuery } from '../store/query.js';
import type { Redactor } from '../redact/redact.js';
import { redactRow } from '../store/redact-row.js';
import { taskFromRow, wholeOf, type TaskRow } from '../store/rows.js';
import type { Store } from '../store/store.js';
import type { StoreWriter } from '../store/writer.js';

export interface History {
  tasks(q: TaskQuerySpec): Promise<TaskMessage[]>;
  /** undefined when neither memory nor the store has it. */
  task(uuid: string): Promise<TaskMessage | undefined>;
}

/** `broker`: the masked URL each message says the task was heard on. */
export function memoryHistory(state: State, results: ResultBackend, broker: string, backendTimeoutMs: number): History {
  return {
    // Messages are built now, in one go: the tasks are live objects the next event changes.
    tasks: async (q) => queryTasks(state, q).map((t) => ({ ...taskMessage(t, t.state, false, t.timestamp, results.get(t.uuid)), broker })),
    task: async (uuid) => {
      const t = state.getTask(uuid);
      if (t === undefined) return undefined;
      const whole = await results.fetch(t, backendTimeoutMs);
      return { ...taskMessage(t, t.state, false, t.timestamp, whole), broker };
    },
  };
}

/** The store's form of a compiled query (its regexes and states, decided in the store's pages). */
export function storeQuery(q: TaskQuerySpec): StoreQuery {
  return {
    statesIn: q.match.tasks ? [...q.match.states.taskIn] : ['\u0000none'],
    statesOut: [...q.match.states.out],
    pattern: q.match.pattern,
    worker: q.match.worker,
    since: q.since,
    until: q.until,
    search: q.search === null ? null : q.search.join(' '),
    retried: q.retried,
    lost: q.lost,
    limit: q.limit,
    oldestFirst: q.oldestFirst,
  };
}

function rowMessage(row: TaskRow, redactor: Redactor | null): TaskMessage {
  const r = redactRow(row, redactor);
  const t = taskFromRow(r);
  return { ...taskMessage(t, t.state, false, t.timestamp, wholeOf(r)), broker: r.broker };
}

export function storeHistory(
  state: State,
  store: Store,
  writer: StoreWriter,
  results: ResultBackend,
  broker: string,
  backendTimeoutMs: number,
  /** Rows written before redaction was on (or with a narrower pattern) are redacted as they are read. */
  redactor: Redactor | null = null,
): History {
  const memory = memoryHistory(state, results, broker, backendTimeoutMs);
  return {
    tasks: async (q) => {
      await writer.flush();
      if (writer.stats.state === 'failing') return memory.tasks(q);
      try {
        return (await store.queryTasks(storeQuery(q))).map((r) => rowMessage(r, redactor));
      } catch {
        return memory.tasks(q);
      }
    },
    task: async (uuid) => {
      const live = await memory.task(uuid);
      // Memory may hold only a new entry for a task it had forgotten (its later events made one):
      // the store's row is every write of it merged, so it answers, with the whole result memory
      // may just have fetched.
      await writer.flush();
      if (writer.stats.state === 'failing' && live !== undefined) return live;
      const row = await store.getTask(uuid).catch(() => null);
      if (row === null) return live;
      const stored = rowMessage(row, redactor);
      return live?.result_json !== undefined && stored.result_json === undefined ? { ...stored, result_json: live.result_json, result_source: live.result_source } : stored;
    },
  };
}

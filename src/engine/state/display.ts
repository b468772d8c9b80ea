/**
 * The display path (like the Python Clearly's ExpectedStateHandler): the states a watcher sees
 * as the task's state moves, with the ones it skipped generated in order.
 *
 * The reducer (task-state.ts) decides every move; the display only fills in what was skipped, so
 * what is on screen always ends where `tasks` and `task` say the task is. The state may jump
 * (first event SUCCESS): the states in between are generated along the expected graph:
 *
 *   PENDING → RECEIVED → STARTED → {SUCCESS, FAILURE, REJECTED, REVOKED, RETRY}
 *   PENDING → REVOKED            (expired/revoked before receipt: no invented STARTED)
 *   RECEIVED → REVOKED | REJECTED
 *   RETRY → RECEIVED (default) | PENDING (the retry's task-sent arrived first)
 *
 * Generated (intermediate) states are only PENDING/RECEIVED/STARTED: we never invent a retry. A
 * move the graph cannot walk shows its target alone; the reducer never makes one backwards
 * (STARTED → RECEIVED would need a RETRY in between, and a late RECEIVED moves nothing).
 * Every answer for the built-in states is precomputed into frozen shared arrays: no allocation on
 * the per-event path.
 */
import { TASK_STATES, type KnownTaskState, type TaskState } from '../model.js';

const EDGES: Readonly<Record<KnownTaskState, readonly KnownTaskState[]>> = {
  // Order matters: the first edge is the default when several shortest paths exist.
  PENDING: ['RECEIVED', 'REVOKED'],
  RECEIVED: ['STARTED', 'REVOKED', 'REJECTED'],
  STARTED: ['SUCCESS', 'FAILURE', 'REJECTED', 'REVOKED', 'RETRY'],
  RETRY: ['RECEIVED', 'PENDING'],
  SUCCESS: [],
  FAILURE: [],
  REVOKED: [],
  REJECTED: [],
};

/** States we may generate on the way to a target. */
const INTERMEDIATE: ReadonlySet<string> = new Set(['PENDING', 'RECEIVED', 'STARTED']);

const NOTHING: readonly TaskState[] = Object.freeze([]);
const KNOWN: ReadonlySet<string> = new Set(TASK_STATES);

/** Shortest path from `from` to `to` (excluding `from`), through intermediate states only. */
function path(from: KnownTaskState, to: KnownTaskState): readonly TaskState[] {
  if (from === to) return NOTHING;
  // Breadth-first over a graph of 8 nodes: only run at module load.
  const prev = new Map<KnownTaskState, KnownTaskState>();
  const queue: KnownTaskState[] = [from];
  while (queue.length > 0) {
    const node = queue.shift() as KnownTaskState;
    if (node !== from && !INTERMEDIATE.has(node)) continue;
    for (const next of EDGES[node]) {
      if (next === from || prev.has(next)) continue;
      prev.set(next, node);
      if (next === to) {
        const out: KnownTaskState[] = [to];
        for (let at = node; at !== from; at = prev.get(at) as KnownTaskState) out.unshift(at);
        return Object.freeze(out);
      }
      queue.push(next);
    }
  }
  return NOTHING;
}

/** `TABLE[shown][target]`; the `''` row is "never shown". */
const TABLE = new Map<string, ReadonlyMap<string, readonly TaskState[]>>();
for (const shown of TASK_STATES) {
  const row = new Map<string, readonly TaskState[]>();
  for (const target of TASK_STATES) row.set(target, path(shown, target));
  TABLE.set(shown, row);
}
{
  // First sight: we only know it was sent if we saw task-sent; otherwise start at RECEIVED.
  const row = new Map<string, readonly TaskState[]>();
  for (const target of TASK_STATES) {
    const rest = path('RECEIVED', target);
    row.set(target, Object.freeze(target === 'PENDING' ? ['PENDING'] : ['RECEIVED', ...rest]));
  }
  TABLE.set('', row);
}
/** `[state]` for a built-in state, shared. */
const ALONE = new Map<string, readonly TaskState[]>(TASK_STATES.map((s) => [s, Object.freeze([s])]));

/**
 * The states to print when the task moves from `shown` (null: never shown) to `target`: the
 * generated ones in order, then `target`; empty only when `target === shown`. A move the graph
 * has no forward path for (out of a final state: a later retry, a rejection requeued; into a
 * custom state `FOO` from `task-foo`) shows `target` alone, with nothing generated around it.
 */
export function statesThrough(shown: TaskState | null, target: TaskState): readonly TaskState[] {
  if (shown === target) return NOTHING;
  if (!KNOWN.has(target)) return Object.freeze([target]);
  if (shown !== null && !KNOWN.has(shown)) return ALONE.get(target) ?? NOTHING;
  const path = TABLE.get(shown ?? '')?.get(target) ?? NOTHING;
  return path.length > 0 ? path : (ALONE.get(target) ?? NOTHING);
}

/**
 * `[shown]`: the task printed again in the state it already shows, for an event that moved
 * nothing but filled in its name, args, kwargs or outcome (task-refresh.ts).
 */
export function again(shown: TaskState): readonly TaskState[] {
  return ALONE.get(shown) ?? Object.freeze([shown]);
}

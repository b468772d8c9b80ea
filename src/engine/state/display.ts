/**
 * The "never backwards" display path (like the Python Clearly's ExpectedStateHandler).
 *
 * Celery's State may jump (first event SUCCESS) or move "back" (RETRY after SUCCESS from a late
 * event). A person watching must see a task walk forward through the expected graph, with the
 * states we skipped generated in order, and never see it go back:
 *
 *   PENDING → RECEIVED → STARTED → {SUCCESS, FAILURE, REJECTED, REVOKED, RETRY}
 *   PENDING → REVOKED            (expired/revoked before receipt: no invented STARTED)
 *   RECEIVED → REVOKED | REJECTED
 *   RETRY → RECEIVED (default) | PENDING (the retry's task-sent arrived first)
 *
 * Generated (intermediate) states are only PENDING/RECEIVED/STARTED: we never invent a retry, so
 * STARTED → RECEIVED (which would need RETRY in between) is "backwards" and shows nothing.
 * Every answer for the built-in states is precomputed into frozen shared arrays: no allocation on
 * the per-event path.
 */
import { TASK_STATES, TERMINAL_STATES, type KnownTaskState, type TaskState } from '../model.js';

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
 * The states to print when the display moves from `shown` (null: never shown) to `target`: the
 * generated ones in order, then `target`. Empty when `target === shown`, when `shown` is terminal
 * (final for display), or when `target` is not forward-reachable from `shown`.
 * Custom states (`FOO`, from `task-foo`) are shown as-is, with nothing generated around them.
 */
export function statesThrough(shown: TaskState | null, target: TaskState): readonly TaskState[] {
  if (shown === target) return NOTHING;
  if (shown !== null && TERMINAL_STATES.has(shown)) return NOTHING;
  if (!KNOWN.has(target)) return Object.freeze([target]);
  if (shown !== null && !KNOWN.has(shown)) {
    // Leaving a custom state: Celery only lets a higher-precedence (or RETRY) state through.
    return ALONE.get(target) ?? NOTHING;
  }
  return TABLE.get(shown ?? '')?.get(target) ?? NOTHING;
}

/**
 * `[shown]`: the task printed again in the state it already shows, for an event that moved
 * nothing but filled in its name, args, kwargs or outcome (task-refresh.ts).
 */
export function again(shown: TaskState): readonly TaskState[] {
  return ALONE.get(shown) ?? Object.freeze([shown]);
}

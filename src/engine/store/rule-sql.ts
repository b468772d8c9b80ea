/**
 * The state rule (state/task-state.ts) in SQL, for the upsert of a task row: when two writes of
 * one task meet in the database (two servers on one broker, or a row written again after it was
 * forgotten from memory), the stored row and the incoming one are merged as the reducer merges a
 * late event, so the database converges on the state the reducer would reach, never regressing.
 *
 * A row that saw more of the task's events than the stored one (`events`: two servers reading one
 * stream, one ahead of the other) replaces its state outright: its state is where the reducer
 * went from there, a path no pairwise comparison can rebuild (SUCCESS, a later RETRY, RECEIVED),
 * except that an unfinished row never reopens a finished task unless it retried at or after that
 * finish (a server that missed the final event). A row that saw fewer is behind (the other
 * server's older snapshot, or a task a server had forgotten and heard of again through a late
 * event): it moves no state, except that a finished row closes an unfinished task that has not
 * retried since (a task forgotten from memory while running, whose end made a new entry that
 * counts its events from scratch). With as many events the
 * incoming row plays the event that put it in its state, at `state_at`: it is late when the
 * stored task is finished and the row's state is older than `finished_at`, or when neither state
 * is RETRY and the incoming state ranks lower (a REJECTED without requeue ranking with REVOKED).
 * A late row changes no state column; every other column takes the incoming value where it has
 * one (Celery merges a late event's fields). `celery_state` follows Celery's uncorrected rule the
 * same way. Written once for both dialects: `t` is the stored row, `n` the incoming one.
 */

export type Dialect = 'sqlite' | 'postgres';

/** celery.states.PRECEDENCE (lower wins), custom states in between FAILURE and REVOKED. */
function precedence(state: string): string {
  return (
    `CASE ${state} WHEN 'SUCCESS' THEN 0 WHEN 'FAILURE' THEN 1 WHEN 'REVOKED' THEN 3 WHEN 'STARTED' THEN 4 ` +
    `WHEN 'RECEIVED' THEN 5 WHEN 'REJECTED' THEN 6 WHEN 'RETRY' THEN 7 WHEN 'PENDING' THEN 8 ELSE 2 END`
  );
}

/** The corrected rank: a REJECTED that did not requeue ranks with REVOKED. */
function rank(state: string, requeue: string): string {
  return `(CASE WHEN ${state} = 'REJECTED' AND COALESCE(${requeue}, 0) = 0 THEN 3 ELSE ${precedence(state)} END)`;
}

/** Whether row `x` is finished (model.ts isFinished). */
function finished(x: string): string {
  return `(${x}.state IN ('SUCCESS', 'FAILURE', 'REVOKED') OR (${x}.state = 'REJECTED' AND COALESCE(${x}.requeue, 0) = 0))`;
}

/** A retry of `r` at or after `f`'s finish. */
function retryAfter(r: string, f: string): string {
  return `(${r}.retried IS NOT NULL AND ${r}.retried >= ${f}.finished_at)`;
}

/**
 * The row `n` saw fewer events than `t` but finishes it: a task memory forgot while it ran,
 * whose end made a new entry counting its events from scratch.
 */
function closesBehind(t: string, n: string): string {
  return `(${finished(n)} AND NOT ${finished(t)} AND NOT ${retryAfter(t, n)})`;
}

/** True when the incoming row `n` is late against the stored row `t`. */
export function lateSql(t: string, n: string): string {
  const pairwise =
    `((${t}.finished_at IS NOT NULL AND ${finished(t)} AND ${n}.state_at < ${t}.finished_at) OR ` +
    `(${n}.state <> 'RETRY' AND ${t}.state <> 'RETRY' AND ${rank(`${n}.state`, `${n}.requeue`)} > ${rank(`${t}.state`, `${t}.requeue`)}))`;
  // A retry at or after a finish reopens a finished task (as in the reducer: RETRY is never late
  // then, and what follows it moves on from RETRY); nothing else does.
  return (
    `(CASE ` +
    // Ahead: its state replaces the stored one, but a finished task is never moved back by a row
    // that is not (a server that missed the final event, however much else it saw).
    `WHEN ${n}.events > ${t}.events THEN (${finished(t)} AND NOT ${finished(n)} AND NOT ${retryAfter(n, t)}) ` +
    // Behind: moves no state, except a finished row over an unfinished stored task (a task heard
    // of again after memory forgot it, whose new entry counts its events from scratch).
    `WHEN ${n}.events < ${t}.events THEN NOT ${closesBehind(t, n)} ` +
    `ELSE ${pairwise} END)`
  );
}

/**
 * Celery's own lateness, for `celery_state`: a row behind is late, except one that closes the
 * task (as for `state`), which Celery's precedence judges as it would the event, so a task memory
 * forgot while it ran ends in the `celery_state` a reducer that never forgot reaches.
 */
function celeryLateSql(t: string, n: string): string {
  const pairwise =
    `(${n}.celery_state <> 'RETRY' AND ${t}.celery_state <> 'RETRY' AND ` +
    `${precedence(`${n}.celery_state`)} > ${precedence(`${t}.celery_state`)})`;
  return `((${n}.events < ${t}.events AND (NOT ${closesBehind(t, n)} OR ${pairwise})) OR (${n}.events = ${t}.events AND ${pairwise}))`;
}

/** Columns the rule decides: they keep the stored value when the incoming row is late. */
const STATE_COLUMNS = ['state', 'state_at', 'finished_at', 'requeue'] as const;
/** Columns that are never overwritten once set (identity). */
const KEEP = new Set(['uuid']);

/**
 * The `SET` list of `INSERT … ON CONFLICT (uuid) DO UPDATE SET …` for these columns. `seq` always
 * takes the incoming value (the row changed); `broker` keeps the first writer's.
 */
export function upsertSet(columns: readonly string[], dialect: Dialect): string {
  // SQLite names the stored row by its table and the incoming one `excluded`; PostgreSQL too
  // (with EXCLUDED upper-cased by convention only).
  const t = 'tasks';
  const n = dialect === 'sqlite' ? 'excluded' : 'EXCLUDED';
  const late = lateSql(t, n);
  const parts: string[] = [];
  for (const c of columns) {
    if (KEEP.has(c)) continue;
    if ((STATE_COLUMNS as readonly string[]).includes(c)) parts.push(`${c} = CASE WHEN ${late} THEN ${t}.${c} ELSE ${n}.${c} END`);
    else if (c === 'celery_state') parts.push(`celery_state = CASE WHEN ${celeryLateSql(t, n)} THEN ${t}.celery_state ELSE ${n}.celery_state END`);
    else if (c === 'seq') parts.push(`seq = ${n}.seq`);
    else if (c === 'broker') parts.push(`broker = ${t}.broker`);
    else if (c === 'timestamp' || c === 'clock') parts.push(`${c} = ${n}.${c}`);
    // The mark is the newest snapshot's word (it is set and cleared without an event): a row that
    // saw fewer events is behind and keeps neither; otherwise the incoming one, null lost_at too.
    else if (c === 'lost' || c === 'lost_at') parts.push(`${c} = CASE WHEN ${n}.events < ${t}.events THEN ${t}.${c} ELSE ${n}.${c} END`);
    else if (c === 'events') parts.push(`events = CASE WHEN ${n}.events > ${t}.events THEN ${n}.events ELSE ${t}.events END`);
    else parts.push(`${c} = COALESCE(${n}.${c}, ${t}.${c})`);
  }
  return parts.join(', ');
}

/**
 * A filtered query over the stored tasks, fast even when almost nothing matches and every task
 * must be judged. Same answer as testing `matchesTask` on each task newest first (the plain
 * scan, test/engine/table/task-scan.test.ts compares them), in two phases:
 *
 * 1. The newest NEWEST_FIRST tasks, one by one with the exact test, stopping at the limit: a
 *    filter that matches often is answered here without touching the rest.
 * 2. The older ones through the columns (task-columns.ts): each distinct name, routing key,
 *    worker and state is judged once, and the uuids by one regex pass per chunk of uuids
 *    (uuid-column.ts) whose hits are then checked exactly. The survivors are ordered by update
 *    sequence and cut to the limit.
 */
import { matchesTask, passes, type TaskMatch } from './filter.js';
import type { Task } from '../model.js';
import { prefilterRegex } from './regex-prefilter.js';
import { OVERFLOW_ID, type StringColumn } from './string-column.js';
import type { TaskColumns } from './task-columns.js';
import type { TaskTable } from './task-table.js';
import { takeBySeq } from './top-by-seq.js';

/** Tasks judged one by one before switching to the columns (a few ms at worst). */
export const NEWEST_FIRST = 4096;

/**
 * Matches of the uuid prefilter beyond which it gives up and uuids are tested one by one: a
 * regex that hits most uuids (or spans separators) finds nothing to skip.
 */
const prefilterBudget = (size: number): number => Math.max(1024, size >> 4);

/**
 * Tasks that pass `m`, most recently updated first (or oldest first), at most `limit` (0: all).
 * The Task objects themselves: turn them into messages before the next event changes them.
 * `newestFirst`: how many tasks phase 1 may judge (tests move the switch).
 */
export function scanTasks(
  table: TaskTable,
  m: TaskMatch,
  limit: number,
  oldestFirst: boolean,
  newestFirst = NEWEST_FIRST,
): Task[] {
  if (!m.tasks) return [];
  const out: Task[] = [];
  let before = Infinity;
  if (!oldestFirst && limit > 0) {
    let seen = 0;
    before = table.visitNewest(newestFirst, (t) => {
      seen++;
      if (matchesTask(m, t)) out.push(t);
      return out.length < limit;
    });
    if (out.length >= limit || seen >= table.size) return out;
  }
  const cols = table.columns;
  const slots = columnScan(cols, m, before);
  const want = limit === 0 ? 0 : limit - out.length;
  for (const s of takeBySeq(slots, cols.seq, want, !oldestFirst)) out.push(cols.tasks[s]!);
  return out;
}

const UNKNOWN = 0;
const NO = 1;
const YES = 2;
/** Not in the pool (StringColumn's OVERFLOW_ID): read the task. */
const ASK = 3;

/** One verdict per id of a column, judged on first use. */
class Verdicts {
  private readonly v = new Uint8Array(OVERFLOW_ID + 1);
  constructor(
    private readonly column: StringColumn,
    private readonly judge: (value: string | null) => boolean,
  ) {
    this.v[OVERFLOW_ID] = ASK;
  }
  get(id: number): number {
    const v = this.v[id]!;
    if (v !== UNKNOWN) return v;
    return (this.v[id] = this.judge(this.column.value(id)) ? YES : NO);
  }
}

/** Slots of the tasks older than `before` (by update sequence) that pass `m`, in slot order. */
function columnScan(cols: TaskColumns, m: TaskMatch, before: number): number[] {
  const size = cols.size;
  const { seq, tasks } = cols;
  const stateIds = cols.states.ids;
  const workerIds = cols.workers.ids;
  const nameIds = cols.names.ids;
  const keyIds = cols.routingKeys.ids;
  // States are never null; worker verdicts include the negation, name/key ones are raw hits.
  const states = new Verdicts(cols.states, (v) => v !== null && m.stateOk(v));
  const workers = new Verdicts(cols.workers, (v) => passes(m.worker, v));
  const pattern = m.pattern;
  const re = pattern?.re;
  const hit = (v: string | null): boolean => v !== null && re!.test(v);
  const names = new Verdicts(cols.names, hit);
  const keys = new Verdicts(cols.routingKeys, hit);
  const marks = pattern === null ? null : uuidMarks(cols, pattern.re);
  const out: number[] = [];
  for (let s = 0; s < size; s++) {
    if (seq[s]! >= before) continue;
    let v = states.get(stateIds[s]!);
    if (v === NO || (v === ASK && !m.stateOk(tasks[s]!.state))) continue;
    if (m.worker !== null) {
      v = workers.get(workerIds[s]!);
      if (v === NO || (v === ASK && !passes(m.worker, tasks[s]!.worker))) continue;
    }
    if (pattern !== null) {
      v = names.get(nameIds[s]!);
      let h = v === YES || (v === ASK && hit(tasks[s]!.name));
      if (!h) {
        v = keys.get(keyIds[s]!);
        h = v === YES || (v === ASK && hit(tasks[s]!.routing_key));
      }
      if (!h && (marks === null || marks[s] === 1)) h = hit(tasks[s]!.uuid);
      if (h === pattern.negate) continue;
    }
    out.push(s);
  }
  return out;
}

/** Slots whose uuid the pattern may match (a superset), or null when every uuid needs a test. */
function uuidMarks(cols: TaskColumns, re: RegExp): Uint8Array | null {
  const pre = prefilterRegex(re);
  if (pre === null) return null;
  const marks = new Uint8Array(cols.size);
  return cols.uuids.mark(pre, cols.size, cols.tasks, marks, prefilterBudget(cols.size)) ? marks : null;
}

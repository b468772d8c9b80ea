/** Engine changes -> the records a person or program sees (one per shown state). */
import { taskSubject, type Filter, type FilterSubject } from '../engine/table/filter.js';
import type { Change } from '../engine/model.js';
import { recordJsonBytes, taskJsonBytes } from './record-json.js';
import { taskRecord, workerRecord, type OutputRecord } from './record.js';

const ALL: Filter = () => true;

/**
 * The records for one change that pass `filter`. The filter sees the state each record shows
 * (not the task's current state), and runs before a record is built: building one parses reprs.
 */
export function changeRecords(change: Change, filter: Filter = ALL): OutputRecord[] {
  if (change.kind === 'worker') {
    const subject: FilterSubject = { kind: 'worker', hostname: change.worker.hostname, state: change.status };
    return filter(subject) ? [workerRecord(change.worker, change.status)] : [];
  }
  const { states, task, event } = change;
  const out: OutputRecord[] = [];
  for (let i = 0; i < states.length; i++) {
    const state = states[i]!;
    const subject = taskSubject(task, state);
    if (!filter(subject)) continue;
    // Every state before the last was inferred: its event is missing or still on its way.
    out.push(taskRecord(task, state, i < states.length - 1, (event?.timestamp ?? task.timestamp)));
  }
  return out;
}

/** Takes one NDJSON line (record-json.ts byte string) and its record's kind; false stops the change. */
export type JsonLineSink = (bytes: string, kind: OutputRecord['kind']) => boolean;

/**
 * The same records as `changeRecords`, as NDJSON lines handed to `out` in order. Task lines are
 * written straight from the task (`watch --broker --json` prints one per event: no record
 * object, no array).
 */
export function changeJsonLines(change: Change, filter: Filter, out: JsonLineSink): void {
  if (change.kind === 'worker') {
    const subject: FilterSubject = { kind: 'worker', hostname: change.worker.hostname, state: change.status };
    if (filter(subject)) out(recordJsonBytes(workerRecord(change.worker, change.status)), 'worker');
    return;
  }
  const { states, task, event } = change;
  for (let i = 0; i < states.length; i++) {
    const state = states[i]!;
    if (!filter(taskSubject(task, state))) continue;
    if (!out(taskJsonBytes(task, state, i < states.length - 1, (event?.timestamp ?? task.timestamp)), 'task')) return;
  }
}

/** Engine changes -> the records a person or program sees (one per shown state). */
import { taskSubject, type Filter, type FilterSubject } from '../engine/filter.js';
import type { Change } from '../engine/model.js';
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
    out.push(taskRecord(task, state, i < states.length - 1, event.timestamp));
  }
  return out;
}

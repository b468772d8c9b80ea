/**
 * A stored task row with the redactor's keys replaced, for every way a row reaches a person or a
 * store without passing the pipeline: loaded back at start, answered from the store, exported
 * straight from a store, imported from NDJSON. A store written with redaction off (or a narrower
 * pattern) then shows nothing the current pattern hides. No I/O.
 */
import { dumpPythonJson, parsePythonJson } from '../events/py-json.js';
import type { Redactor } from '../redact/redact.js';
import type { TaskRow } from './rows.js';

const TEXTS = ['args', 'kwargs', 'result', 'exception', 'traceback'] as const;

/** The same row when nothing matched (the common case), else a redacted copy. */
export function redactRow(row: TaskRow, r: Redactor | null): TaskRow {
  if (r === null) return row;
  let out: TaskRow | null = null;
  for (const f of TEXTS) {
    const v = row[f];
    if (v === null) continue;
    const red = r.text(v);
    if (red !== v) (out ??= { ...row })[f] = red;
  }
  if (row.result_json !== null) {
    const parsed = parsePythonJson(row.result_json);
    if (parsed.ok) {
      const red = r.value(parsed.value);
      if (red !== parsed.value) (out ??= { ...row }).result_json = dumpPythonJson(red);
    } else {
      // Not JSON we can read: nothing of it may show rather than a secret.
      (out ??= { ...row }).result_json = null;
    }
  }
  return out ?? row;
}

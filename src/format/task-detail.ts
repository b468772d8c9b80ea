/**
 * `clearly task <uuid>` as text: the usual record line with every detail turned on (args, kwargs,
 * result, exception, traceback), then what a record line leaves out: when each state was reached,
 * where the task was routed, its family, where its result came from, and Celery's own state when
 * clearly's differs.
 */
import type { Palette } from './colors.js';
import type { TaskRecord } from './record.js';
import { formatTime, renderText } from './text.js';

const INDENT = '    ';

/** State times, in the order a task goes through them (how equal times are listed). */
const TIMES = ['sent', 'received', 'started', 'retried', 'succeeded', 'failed', 'revoked', 'rejected'] as const;

/** `width`: the terminal's columns (values are pretty-printed to fit them; 80 when not a terminal). */
export function renderTaskDetail(r: TaskRecord, p: Palette, width?: number): string {
  const lines = [renderText(r, p, { params: true, results: true, errors: true, whole: true, width })];
  const detail = (label: string, value: string): void => {
    lines.push(`${INDENT}${p.label(label)} ${value}`);
  };

  if (r.result_source !== null) detail('result from', r.result_source);
  if (r.lost === true) {
    detail('lost', `its worker ${r.worker ?? '?'} went offline while it was ${r.state} there: nobody will finish it unless the message is delivered again (acks_late)`);
  }
  if (r.celery_state !== undefined) {
    detail('celery state', `${r.celery_state} (what Celery's own State and Flower show; clearly differs on purpose: see the README)`);
  }

  // In time order: a task that retried keeps one time per state, its latest (received and
  // started again after retried), so the lifecycle order would put a later time first.
  const stamped = TIMES.flatMap((k) => {
    const t = r[k];
    return t === null ? [] : [{ k, t }];
  }).sort((a, b) => a.t - b.t);
  // Celery's publisher sends task-sent once the message is out, stamped by its own clock: a fast
  // worker's receipt can come before it. Said, so that it does not read as sent after the end.
  const sentLate = stamped.length > 1 && stamped[0]!.k !== 'sent' && r.sent !== null;
  const times = stamped.map(({ k, t }) => `${k} ${formatTime(t)}${k === 'sent' && sentLate ? ' (stamped by the publisher after publishing)' : ''}`);
  if (times.length > 0) detail('times', times.join(', '));

  const route = [
    r.queue === null ? null : `queue ${r.queue}`,
    r.exchange === null || r.exchange === '' ? null : `exchange ${r.exchange}`,
    r.routing_key === null ? null : `routing key ${r.routing_key}`,
  ].filter((x): x is string => x !== null);
  if (route.length > 0) detail('routed', route.join(', '));

  if (r.eta !== null) detail('eta', r.eta);
  if (r.expires !== null) detail('expires', r.expires);
  if (r.parent_id !== null) detail('parent', p.uuid(r.parent_id));
  if (r.root_id !== null && r.root_id !== r.uuid) detail('root', p.uuid(r.root_id));
  if (r.group !== null) detail('group', p.uuid(r.group));
  if (r.client !== null) detail('sent by', r.client);
  return lines.join('\n');
}

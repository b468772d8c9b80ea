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

/** State times in the order a task goes through them. */
const TIMES = ['sent', 'received', 'started', 'succeeded', 'failed', 'retried', 'revoked', 'rejected'] as const;

export function renderTaskDetail(r: TaskRecord, p: Palette): string {
  const lines = [renderText(r, p, { params: true, results: true, errors: true, wholeResult: true })];
  const detail = (label: string, value: string): void => {
    lines.push(`${INDENT}${p.label(label)} ${value}`);
  };

  // text.ts prints a result from its repr; a result known only from the backend has no repr.
  if (r.state === 'SUCCESS' && r.result_repr === null && r.result_source === 'backend') {
    detail('result', JSON.stringify(r.result));
  }
  if (r.result_source !== null) detail('result from', r.result_source);
  if (r.lost === true) {
    detail('lost', `its worker ${r.worker ?? '?'} went offline while it was ${r.state} there: nobody will finish it unless the message is delivered again (acks_late)`);
  }
  if (r.celery_state !== undefined) {
    detail('celery state', `${r.celery_state} (what Celery's own State and Flower show; clearly differs on purpose: see the README)`);
  }

  const times = TIMES.flatMap((k) => {
    const t = r[k];
    return t === null ? [] : [`${k} ${formatTime(t)}`];
  });
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
  if (r.client !== null) detail('sent by', r.client);
  return lines.join('\n');
}

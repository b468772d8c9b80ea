/**
 * Human text for records: one line per state change (dimmed time, state in its colour, retries,
 * name, uuid, worker), then the detail lines the display options ask for.
 */
import type { Palette } from './colors.js';
import type { OutputRecord, TaskRecord, WorkerRecord } from './record.js';
import { renderReprText } from './repr-render.js';
import { renderTraceback } from './traceback.js';

/** `undefined` means "the default": see each field. */
export interface TextOptions {
  /** args/kwargs: default on PENDING/RECEIVED lines (where a task first shows up). */
  readonly params?: boolean | undefined;
  /** result: default on SUCCESS lines. */
  readonly results?: boolean | undefined;
  /** exception/traceback: default exception on FAILURE/RETRY/REJECTED and traceback on FAILURE; `true` adds RETRY tracebacks. */
  readonly errors?: boolean | undefined;
  /** Print a whole result from the result backend instead of the event's (bounded) repr. */
  readonly wholeResult?: boolean | undefined;
}

const INDENT = '    ';
const STATE_WIDTH = 9;

type Renderers = { [K in OutputRecord['kind']]: (r: Extract<OutputRecord, { kind: K }>, p: Palette, o: TextOptions) => string };

const RENDER: Renderers = {
  task: renderTask,
  worker: renderWorker,
};

/** Render one record; the result ends without a newline and may span several lines. */
export function renderText(record: OutputRecord, p: Palette, options: TextOptions = {}): string {
  return (RENDER[record.kind] as (r: OutputRecord, p: Palette, o: TextOptions) => string)(record, p, options);
}

export function formatTime(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  if (Number.isNaN(d.getTime())) return '--:--:--.---';
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function stateCell(state: string, p: Palette): string {
  return p.state(state)(state.padEnd(STATE_WIDTH));
}

/** `STARTED (worker w1@host offline since 12:03:04)`: a lost task's state says why nothing moves. */
export function lostNote(r: Pick<TaskRecord, 'worker' | 'lost_at'>): string {
  const since = r.lost_at === null || r.lost_at === undefined ? '' : ` since ${formatTime(r.lost_at).slice(0, 8)}`;
  return `(worker ${r.worker ?? '?'} offline${since})`;
}

function renderTask(r: TaskRecord, p: Palette, o: TextOptions): string {
  const state = r.lost === true ? `${p.state(r.state)(r.state)} ${p.error(lostNote(r))}` : stateCell(r.state, p);
  const head = [p.dim(formatTime(r.timestamp)), state];
  if (r.retries > 0) head.push(p.warn(`retry ${r.retries}`));
  head.push(p.name(r.name ?? '<unknown task>'), p.uuid(r.uuid));
  if (r.worker !== null) head.push(p.worker(r.worker));
  if (r.runtime !== null && (r.state === 'SUCCESS' || r.state === 'FAILURE')) head.push(p.dim(formatRuntime(r.runtime)));
  if (r.generated) head.push(p.dim('(inferred)'));
  const lines = [head.join(' ')];

  // By default the params go with the first line of a task: PENDING, or RECEIVED when no
  // task-sent came before it (publishers without task_send_sent_event).
  const params = o.params ?? (r.state === 'PENDING' || (r.state === 'RECEIVED' && r.sent === null));
  if (params) {
    if (r.args_repr !== null) lines.push(`${INDENT}${p.label('args')} ${renderReprText(r.args_repr, p)}`);
    if (r.kwargs_repr !== null && r.kwargs_repr !== '{}') {
      lines.push(`${INDENT}${p.label('kwargs')} ${renderReprText(r.kwargs_repr, p, { kwargs: true })}`);
    }
  }
  if ((o.results ?? true) && r.state === 'SUCCESS' && r.result_repr !== null) {
    // A line per state stays readable: the event's repr is cut at ~1KB, a backend result is not.
    const text =
      o.wholeResult === true && r.result_source === 'backend' ? JSON.stringify(r.result) : renderReprText(r.result_repr, p);
    lines.push(`${INDENT}${p.label('result')} ${text}`);
  }
  if (o.errors !== false) {
    const failing = r.state === 'FAILURE' || r.state === 'RETRY';
    if (failing && r.exception !== null) lines.push(`${INDENT}${p.label('exception')} ${p.error(r.exception)}`);
    const wantTb = r.state === 'FAILURE' || (o.errors === true && r.state === 'RETRY');
    if (wantTb && r.traceback !== null) {
      const tb = renderTraceback(r.traceback.trimEnd(), p);
      lines.push(...tb.split('\n').map((l) => INDENT + l));
    }
  }
  return lines.join('\n');
}

export function formatRuntime(seconds: number): string {
  if (seconds < 1) return `${(seconds * 1000).toFixed(1)}ms`;
  if (seconds < 60) return `${seconds.toFixed(2)}s`;
  return `${Math.floor(seconds / 60)}m${(seconds % 60).toFixed(0).padStart(2, '0')}s`;
}

function renderWorker(r: WorkerRecord, p: Palette): string {
  const parts = [p.dim(formatTime(r.timestamp)), stateCell(r.state, p), p.worker(r.hostname)];
  if (r.pid !== null) parts.push(p.dim(`pid ${r.pid}`));
  if (r.active !== null) parts.push(`${p.label('active')} ${r.active}`);
  if (r.processed !== null) parts.push(`${p.label('processed')} ${r.processed}`);
  if (r.loadavg !== null) parts.push(`${p.label('load')} ${r.loadavg.map((n) => n.toFixed(2)).join(' ')}`);
  const sw = [r.sw_ident, r.sw_ver, r.sw_sys].filter((x): x is string => x !== null);
  if (sw.length > 0 && r.state === 'ONLINE') parts.push(p.dim(sw.join(' ')));
  return parts.join(' ');
}

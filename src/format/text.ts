/**
 * Human text for records: one line per state change (dimmed time, state in its colour, retries,
 * name, uuid, worker), then the detail lines the display options ask for. In live output the
 * time column never runs backwards: a late line says when its event happened instead.
 */
import type { Palette } from './colors.js';
import type { OutputRecord, TaskRecord, WorkerRecord } from './record.js';
import { parseRepr } from '../engine/repr/repr.js';
import { fitTokens } from './fit.js';
import { jsonToNode } from './json-node.js';
import { prettyRepr } from './pretty.js';
import { paintTokens, reprTokens, visible, type Token } from './repr-render.js';
import { renderTraceback } from './traceback.js';

/** `undefined` means "the default": see each field. */
export interface TextOptions {
  /** args/kwargs: default on PENDING/RECEIVED lines (where a task first shows up). */
  readonly params?: boolean | undefined;
  /** result: default on SUCCESS lines. */
  readonly results?: boolean | undefined;
  /** exception/traceback: default exception on FAILURE/RETRY/REJECTED and traceback on FAILURE; `true` adds RETRY tracebacks. */
  readonly errors?: boolean | undefined;
  /**
   * Terminal columns: each value (args, kwargs, result) is laid out to fit them, at most
   * `maxValueLines` lines, the rest left out with a line saying how much and how to see it.
   * Without it (not a terminal), each value is one line, whole.
   */
  readonly width?: number | undefined;
  /** Lines a value may take with `width` (default 3). */
  readonly maxValueLines?: number | undefined;
  /** Where a value left out with `width` is whole (default `clearly task <uuid>`; `demo` has no server). */
  readonly wholeIn?: ((uuid: string) => string) | undefined;
  /**
   * Every value whole, pretty-printed across lines at `width` (default 80), and the result from
   * the result backend when there is one (`clearly task`).
   */
  readonly whole?: boolean | undefined;
  /**
   * Live output: the latest time already shown. A line whose event happened before it (an
   * inferred state, a late event, another worker's clock) shows this time in its time column, so
   * the column never runs backwards, and says at its end when its event really happened.
   */
  readonly shownUpTo?: number | undefined;
}

/**
 * Late by less than this, a line just shows the latest time (a few milliseconds between a
 * worker's batch and the client's task-sent are no news); later than that it says its own.
 */
const LATE_NOTE_SECONDS = 1;

/** The time column of a line, and the note it ends with ('' for none). */
function timeOf(timestamp: number, generated: boolean, p: Palette, o: TextOptions): { column: string; note: string } {
  const own = formatTime(timestamp);
  const shown = o.shownUpTo;
  const inferred = generated ? p.dim('(inferred)') : '';
  if (shown === undefined || !(timestamp < shown)) return { column: p.dim(own), note: inferred };
  const column = p.dim(formatTime(shown));
  if (shown - timestamp < LATE_NOTE_SECONDS) return { column, note: inferred };
  return { column, note: p.dim(`(${generated ? 'inferred, ' : ''}event at ${own})`) };
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
  const time = timeOf(r.timestamp, r.generated, p, o);
  const state = r.lost === true ? `${p.state(r.state)(r.state)} ${p.error(lostNote(r))}` : stateCell(r.state, p);
  const head = [time.column, state];
  if (r.retries > 0) head.push(p.warn(`retry ${r.retries}`));
  head.push(p.name(r.name ?? '<unknown task>'), p.uuid(r.uuid));
  if (r.worker !== null) head.push(p.worker(r.worker));
  if (r.runtime !== null && (r.state === 'SUCCESS' || r.state === 'FAILURE')) head.push(p.dim(formatRuntime(r.runtime)));
  if (time.note !== '') head.push(time.note);
  // Sent again after a reconnection: its current state, changed while the stream was away.
  if (r.resumed === true) head.push(p.dim('(resumed)'));
  const lines = [head.join(' ')];

  // By default the params go with the first line of a task: PENDING, or RECEIVED when no
  // task-sent came before it (publishers without task_send_sent_event).
  const params = o.params ?? (r.state === 'PENDING' || (r.state === 'RECEIVED' && r.sent === null));
  if (params) {
    if (r.args_repr !== null) lines.push(valueLine('args', r.args_repr, undefined, r, p, o));
    if (r.kwargs_repr !== null && r.kwargs_repr !== '{}') lines.push(valueLine('kwargs', r.kwargs_repr, undefined, r, p, o, true));
  }
  if ((o.results ?? true) && r.state === 'SUCCESS') {
    // The whole value from the backend where asked for and known; else the event's (cut at ~1KB) repr.
    const backend = o.whole === true && r.result_source === 'backend' ? { value: r.result } : undefined;
    if (backend !== undefined || r.result_repr !== null) lines.push(valueLine('result', r.result_repr ?? '', backend, r, p, o));
  }
  if (o.errors !== false) {
    const failing = r.state === 'FAILURE' || r.state === 'RETRY';
    if (failing && r.exception !== null) lines.push(exceptionLine(r.exception, r, p, o));
    const wantTb = r.state === 'FAILURE' || (o.errors === true && r.state === 'RETRY');
    if (wantTb && r.traceback !== null) {
      const tb = renderTraceback(r.traceback.trimEnd(), p);
      lines.push(...tb.split('\n').map((l) => INDENT + l));
    }
  }
  return lines.join('\n');
}

/** Lines a value takes in live output before the rest is left out. */
const MAX_VALUE_LINES = 3;
/** Where continuation lines of a value start. */
const VALUE_INDENT = INDENT + '  ';

/**
 * `    label value`: the value fitted to the terminal (`width`), pretty-printed whole (`whole`),
 * or on one line; a value Celery cut says so. `json`: a whole value from the result backend.
 */
function valueLine(
  label: string,
  repr: string,
  json: { value: unknown } | undefined,
  r: TaskRecord,
  p: Palette,
  o: TextOptions,
  kwargs = false,
): string {
  const prefix = `${INDENT}${p.label(label)} `;
  const column = INDENT.length + label.length + 1;
  if (o.whole === true) {
    const parsed = json === undefined ? parseRepr(repr) : { node: jsonToNode(json.value), ok: true, truncated: false };
    const text = parsed.ok ? prettyRepr(parsed.node, p, { width: o.width ?? 80, column, kwargs }) : p.raw(visible(repr));
    return prefix + text + (parsed.truncated ? ' ' + p.dim(cutNote(label, true)) : '');
  }
  const rendered = reprTokens(repr, p, { kwargs });
  const tokens: Token[] = rendered.truncated
    ? [...rendered.tokens, { text: ' ', paint: p.dim, breakAfter: true }, { text: cutNote(label, false), paint: p.dim, breakAfter: false }]
    : rendered.tokens;
  if (o.width === undefined) return prefix + paintTokens(tokens);
  return (
    prefix +
    fitTokens(tokens, {
      width: o.width,
      first: column,
      indent: VALUE_INDENT,
      maxLines: o.maxValueLines ?? MAX_VALUE_LINES,
      dim: p.dim,
      more: (left) => `… +${left} characters: ${wholeIn(r.uuid, o)}${rendered.truncated ? ' (Celery cut the rest)' : ''}`,
    })
  );
}

/** `    exception …`: like a value, fitted to the terminal in live output (split at its spaces), whole in `clearly task`. */
function exceptionLine(exception: string, r: TaskRecord, p: Palette, o: TextOptions): string {
  const prefix = `${INDENT}${p.label('exception')} `;
  const text = visible(exception);
  if (o.whole === true || o.width === undefined) return prefix + p.error(text);
  return (
    prefix +
    fitTokens([{ text, paint: p.error, breakAfter: false, str: true }], {
      width: o.width,
      first: INDENT.length + 'exception '.length,
      indent: VALUE_INDENT,
      maxLines: o.maxValueLines ?? MAX_VALUE_LINES,
      dim: p.dim,
      more: (left) => `… +${left} characters: ${wholeIn(r.uuid, o)}`,
    })
  );
}

/** Where a value the terminal's width left out is whole. */
function wholeIn(uuid: string, o: TextOptions): string {
  return o.wholeIn === undefined ? `clearly task ${uuid}` : o.wholeIn(uuid);
}

/** What a cut value says: Celery cut its repr; `clearly task` also says how to get a result whole. */
function cutNote(label: string, detail: boolean): string {
  if (!detail) return '(cut by Celery)';
  return label === 'result'
    ? '(cut by Celery at 1024 characters; a result backend keeps it whole: clearly server --backend URL)'
    : '(cut by Celery at 1024 characters)';
}

export function formatRuntime(seconds: number): string {
  if (seconds < 1) return `${(seconds * 1000).toFixed(1)}ms`;
  if (seconds < 60) return `${seconds.toFixed(2)}s`;
  return `${Math.floor(seconds / 60)}m${(seconds % 60).toFixed(0).padStart(2, '0')}s`;
}

function renderWorker(r: WorkerRecord, p: Palette, o: TextOptions): string {
  const time = timeOf(r.timestamp, false, p, o);
  const parts = [time.column, stateCell(r.state, p), p.worker(r.hostname)];
  if (r.pid !== null) parts.push(p.dim(`pid ${r.pid}`));
  if (r.active !== null) parts.push(`${p.label('active')} ${r.active}`);
  if (r.processed !== null) parts.push(`${p.label('processed')} ${r.processed}`);
  if (r.loadavg !== null) parts.push(`${p.label('load')} ${r.loadavg.map((n) => n.toFixed(2)).join(' ')}`);
  const sw = [r.sw_ident, r.sw_ver, r.sw_sys].filter((x): x is string => x !== null);
  if (sw.length > 0 && r.state === 'ONLINE') parts.push(p.dim(sw.join(' ')));
  if (time.note !== '') parts.push(time.note);
  return parts.join(' ');
}

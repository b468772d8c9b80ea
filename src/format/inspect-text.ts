/**
 * The broker-direct commands as text: aligned tables (padded before they are coloured, so ANSI
 * codes never shift a column), one row per worker, task or queue. Pure: `now` is passed in.
 */
import { formatSeconds } from '../engine/health/health.js';
import type { Palette, Paint } from './colors.js';
import type { HeldTaskRecord, LiveWorkerRecord, QueueRecord } from './inspect-record.js';

interface Cell {
  readonly text: string;
  readonly paint?: Paint;
  readonly right?: boolean;
}

/** Header + rows, two spaces between columns, no trailing spaces; no lines at all for no rows. */
export function table(header: readonly string[], rows: readonly (readonly Cell[])[], p: Palette): string[] {
  if (rows.length === 0) return [];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.text.length ?? 0)));
  const last = header.length - 1;
  const right = header.map((_, i) => rows.some((r) => r[i]?.right === true));
  const pad = (text: string, i: number): string => {
    const w = widths[i] ?? 0;
    if (right[i]) return text.padStart(w);
    return i === last ? text : text.padEnd(w);
  };
  const head = header.map((h, i) => p.label(pad(h, i))).join('  ');
  const body = rows.map((r) => r.map((c, i) => (c.paint ?? ((t: string) => t))(pad(c.text, i))).join('  '));
  return [head, ...body];
}

const num = (n: number | null): Cell => ({ text: n === null ? '-' : String(n), right: true });

function brokerText(b: LiveWorkerRecord['broker']): string {
  if (b === null) return '-';
  const user = b.userid === null ? '' : `${b.userid}@`;
  const port = b.port === null ? '' : `:${b.port}`;
  const vhost = b.virtual_host === null ? '' : `/${b.virtual_host}`;
  return `${b.transport ?? '?'}://${user}${b.hostname ?? '?'}${port}${vhost}`;
}

export function renderLiveWorkers(records: readonly LiveWorkerRecord[], p: Palette): string[] {
  const header = ['HOSTNAME', 'PID', 'CONCURRENCY', 'PROCESSED', 'PREFETCH', 'UPTIME', 'BROKER'];
  const rows = records.map((r): Cell[] => [
    { text: r.hostname, paint: p.worker },
    num(r.pid),
    { text: r.threads !== null ? `${r.threads} threads` : r.concurrency === null ? '-' : String(r.concurrency), right: true },
    num(r.processed),
    num(r.prefetch_count),
    { text: r.uptime === null ? '-' : formatSeconds(r.uptime), right: true },
    { text: r.error === null ? brokerText(r.broker) : `${brokerText(r.broker)} (${r.error})`, paint: r.error === null ? p.dim : p.warn },
  ]);
  return table(header, rows, p);
}

/** Args and kwargs in one short line: `[3] {"x": 1}`, cut at `width` characters. */
export function argsText(args: unknown, kwargs: unknown, width = 60): string {
  const parts: string[] = [];
  const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v) ?? 'null');
  if (args !== null && !(Array.isArray(args) && args.length === 0)) parts.push(show(args));
  if (kwargs !== null && !(typeof kwargs === 'object' && Object.keys(kwargs as object).length === 0)) parts.push(show(kwargs));
  const text = parts.join(' ');
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

function since(r: HeldTaskRecord, now: number): string {
  switch (r.kind) {
    case 'active':
      return r.started === null ? 'running' : `running ${formatSeconds(now - r.started)}`;
    case 'reserved':
      return 'waiting';
    case 'scheduled':
      return r.eta === null ? 'scheduled' : `eta ${r.eta}`;
  }
}

export function renderHeldTasks(records: readonly HeldTaskRecord[], p: Palette, now: number): string[] {
  const header = ['WORKER', 'UUID', 'NAME', 'STATUS', 'ARGS'];
  const rows = records.map((r): Cell[] => [
    { text: r.worker, paint: p.worker },
    { text: r.uuid, paint: p.uuid },
    { text: r.name ?? '<unknown task>', paint: p.name },
    { text: since(r, now), paint: p.state(r.kind === 'active' ? 'STARTED' : 'RECEIVED') },
    { text: argsText(r.args, r.kwargs) || '-', paint: p.dim },
  ]);
  return table(header, rows, p);
}

export function renderQueues(records: readonly QueueRecord[], p: Palette): string[] {
  const header = ['QUEUE', 'MESSAGES', 'CONSUMERS'];
  const rows = records.map((r): Cell[] => [
    { text: r.queue, paint: p.name },
    r.exists && r.messages !== null ? num(r.messages) : { text: r.exists ? 'not a queue' : 'no such queue', paint: p.warn, right: true },
    num(r.consumers),
  ]);
  return table(header, rows, p);
}

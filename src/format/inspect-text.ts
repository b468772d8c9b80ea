/**
 * The broker-direct commands as text: aligned tables (padded before they are coloured, so ANSI
 * codes never shift a column), one row per worker, task or queue. Pure: `now` is passed in.
 */
import { formatSeconds } from '../engine/health/health.js';
import type { Palette, Paint } from './colors.js';
import type { HeldTaskRecord, LiveWorkerRecord, QueueRecord } from './inspect-record.js';
import { makePalette } from './colors.js';
import { jsonToNode } from './json-node.js';
import { reprNodeTokens, reprTokens, type Token } from './repr-render.js';

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

const PLAIN = makePalette(false);

/** A JSON value or a repr string as tokens in Python's notation; args as a tuple, kwargs as `a=1`. */
function pyTokens(v: unknown, kwargs: boolean): Token[] {
  if (typeof v === 'string') return reprTokens(v, PLAIN, { kwargs }).tokens;
  const node = jsonToNode(v);
  return reprNodeTokens(node.kind === 'list' && !kwargs ? { kind: 'tuple', items: node.items } : node, PLAIN, { kwargs });
}

/**
 * Args and kwargs in one short line, in Python's notation as `watch` shows them: `(3,) x=1`, cut
 * at `width` characters after a whole token (a string longer than that is the one thing cut inside), then `…`.
 */
export function argsText(args: unknown, kwargs: unknown, width = 60): string {
  const tokens: Token[] = [];
  const space: Token = { text: ' ', paint: PLAIN.raw, breakAfter: true };
  if (args !== null && args !== undefined && !(Array.isArray(args) && args.length === 0)) tokens.push(...pyTokens(args, false));
  const noKwargs = kwargs === null || kwargs === undefined || kwargs === '{}' || (typeof kwargs === 'object' && Object.keys(kwargs).length === 0);
  if (!noKwargs) {
    if (tokens.length > 0) tokens.push(space);
    tokens.push(...pyTokens(kwargs, true));
  }
  let text = '';
  for (const t of tokens) {
    if (text.length + t.text.length > width || (text.length + t.text.length === width && t !== tokens[tokens.length - 1])) {
      const room = width - 1 - text.length;
      return (t.str === true && room > 8 ? text + t.text.slice(0, room) : text.trimEnd()) + '…';
    }
    text += t.text;
  }
  return text;
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

/**
 * `clearly workers` as text: one aligned row per worker (hostname, alive/offline, last seen,
 * active, processed, load, software) under a header. Columns are padded before they are coloured,
 * so ANSI codes never throw the alignment off.
 */
import type { Palette, Paint } from './colors.js';
import type { WorkerRecord } from './record.js';

/** "4s ago", "3m 05s ago", "2h 10m ago", "3d 4h ago"; clock skew (a future time) reads "0s ago". */
export function formatAgo(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m ago`;
  return `${Math.floor(h / 24)}d ${h % 24}h ago`;
}

interface Cell {
  readonly text: string;
  readonly paint: Paint;
  /** Numbers read best right-aligned. */
  readonly right?: boolean;
}

const HEADER = ['HOSTNAME', 'STATUS', 'LAST SEEN', 'ACTIVE', 'PROCESSED', 'LOAD', 'SOFTWARE'] as const;
const RIGHT_ALIGNED: ReadonlySet<number> = new Set([3, 4]);

function count(n: number | null): string {
  return n === null ? '-' : String(n);
}

function row(r: WorkerRecord, p: Palette, now: number): Cell[] {
  const plain: Paint = (t) => t;
  const sw = [r.sw_ident, r.sw_ver, r.sw_sys].filter((x): x is string => x !== null).join(' ');
  return [
    { text: r.hostname, paint: p.worker },
    r.alive ? { text: 'alive', paint: p.state('ONLINE') } : { text: 'offline', paint: p.state('OFFLINE') },
    { text: formatAgo(now - r.last_seen), paint: plain },
    { text: count(r.active), paint: plain, right: true },
    { text: count(r.processed), paint: plain, right: true },
    { text: r.loadavg === null ? '-' : r.loadavg.map((n) => n.toFixed(2)).join(' '), paint: plain },
    { text: sw === '' ? '-' : sw, paint: p.dim },
  ];
}

/**
 * The table's lines (header first), or no lines at all for no workers. `now` is epoch seconds:
 * passed in so the output is a pure function of its inputs.
 */
export function renderWorkerTable(records: readonly WorkerRecord[], p: Palette, now: number): string[] {
  if (records.length === 0) return [];
  const rows = records.map((r) => row(r, p, now));
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((cells) => cells[i]?.text.length ?? 0)));
  const last = HEADER.length - 1;
  const pad = (text: string, i: number, right: boolean): string => {
    if (i === last) return text; // no trailing spaces after the last column
    const w = widths[i] ?? 0;
    return right ? text.padStart(w) : text.padEnd(w);
  };
  const header = HEADER.map((h, i) => p.label(pad(h, i, RIGHT_ALIGNED.has(i)))).join('  ');
  const body = rows.map((cells) => cells.map((c, i) => c.paint(pad(c.text, i, c.right === true))).join('  '));
  return [header, ...body];
}

/**
 * `clearly stats --by-name`: one `task-name` record per task name (the JSON shape scripts rely on:
 * milliseconds, a leg with no sample null) and the aligned table a person reads.
 */
import { LEGS, type Leg, type NameRow } from '../engine/aggregate/by-name.js';
import type { Quantiles } from '../engine/aggregate/percentiles.js';
import { alignedTable } from './table-text.js';

export interface MsQuantiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

export interface TaskNameRecord {
  readonly kind: 'task-name';
  readonly name: string;
  readonly count: number;
  readonly states: Readonly<Record<string, number>>;
  readonly failure_pct: number;
  readonly retries: number;
  readonly queued_ms: MsQuantiles | null;
  readonly prefetched_ms: MsQuantiles | null;
  readonly runtime_ms: MsQuantiles | null;
  readonly total_ms: MsQuantiles | null;
}

/** Seconds -> milliseconds, to 0.1 ms. */
const ms = (s: number): number => Math.round(s * 10_000) / 10;
const toMs = (q: Quantiles | null): MsQuantiles | null => (q === null ? null : { p50: ms(q.p50), p95: ms(q.p95), p99: ms(q.p99) });

export function taskNameRecord(r: NameRow): TaskNameRecord {
  return {
    kind: 'task-name',
    name: r.name,
    count: r.count,
    states: r.states,
    failure_pct: r.failurePct,
    retries: r.retries,
    queued_ms: toMs(r.legs.queued),
    prefetched_ms: toMs(r.legs.prefetched),
    runtime_ms: toMs(r.legs.runtime),
    total_ms: toMs(r.legs.total),
  };
}

/** 0ms, 0.4ms, 12ms, 1.25s, 3m04s (nothing under 0.05 ms reads as a made-up 0.0ms). */
export function humanMs(v: number): string {
  if (v < 0.05) return '0ms';
  if (v < 1) return `${v.toFixed(1)}ms`;
  if (v < 1000) return `${Math.round(v)}ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)}s`;
  const s = Math.round(v / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

const LEG_FIELD: Record<Leg, 'queued_ms' | 'prefetched_ms' | 'runtime_ms' | 'total_ms'> = {
  queued: 'queued_ms',
  prefetched: 'prefetched_ms',
  runtime: 'runtime_ms',
  total: 'total_ms',
};

function legCell(q: MsQuantiles | null): string {
  return q === null ? '-' : `${humanMs(q.p50)}/${humanMs(q.p95)}/${humanMs(q.p99)}`;
}

export function renderByName(records: readonly TaskNameRecord[]): string[] {
  if (records.length === 0) return ['no tasks in that window'];
  const header = ['NAME', 'COUNT', 'STATES', 'FAIL%', 'RETRIES', ...LEGS.map((l) => `${l.toUpperCase()} p50/p95/p99`)];
  const rows = records.map((r) => [
    r.name,
    String(r.count),
    Object.entries(r.states)
      .map(([s, n]) => `${s}:${n}`)
      .join(' '),
    r.failure_pct.toFixed(1),
    String(r.retries),
    ...LEGS.map((l) => legCell(r[LEG_FIELD[l]])),
  ]);
  return alignedTable(header, rows, new Set([1, 3, 4]));
}

/**
 * `clearly failures`: one `failure-group` record per cause (JSON, timestamps in epoch seconds as
 * every clearly record) and, for a person, one block per group: the count and cause, then where
 * and when, then the example.
 */
import type { FailureGroup } from '../engine/aggregate/failures.js';
import { formatAgo } from './workers-text.js';

export interface FailureGroupRecord {
  readonly kind: 'failure-group';
  readonly fingerprint: string;
  readonly exception: string;
  readonly message: string;
  readonly frame: string | null;
  readonly count: number;
  readonly names: readonly string[];
  readonly first_seen: number;
  readonly last_seen: number;
  readonly workers: readonly string[];
  readonly example: { readonly uuid: string; readonly message: string };
}

export function failureGroupRecord(g: FailureGroup): FailureGroupRecord {
  return {
    kind: 'failure-group',
    fingerprint: g.fingerprint,
    exception: g.exception,
    message: g.message,
    frame: g.frame,
    count: g.count,
    names: g.names,
    first_seen: g.firstSeen,
    last_seen: g.lastSeen,
    workers: g.workers,
    example: g.example,
  };
}

export function renderFailures(records: readonly FailureGroupRecord[], now: number): string[] {
  if (records.length === 0) return ['no failures in that window'];
  const out: string[] = [];
  const width = Math.max(...records.map((r) => String(r.count).length));
  for (const r of records) {
    if (out.length > 0) out.push('');
    out.push(`${String(r.count).padStart(width)}  ${r.exception}: ${r.message}`);
    const pad = ' '.repeat(width + 2);
    out.push(`${pad}tasks ${r.names.join(', ') || '-'}; workers ${r.workers.join(', ') || '-'}`);
    out.push(`${pad}first ${formatAgo(now - r.first_seen)}, last ${formatAgo(now - r.last_seen)}${r.frame === null ? '' : `; at ${r.frame}`}`);
    out.push(`${pad}e.g. ${r.example.uuid}: ${r.example.message}`);
  }
  return out;
}

/**
 * `clearly check` output as the Nagios plugin guidelines want it: one line on stdout,
 *
 *   CLEARLY CRITICAL - 1/2 workers alive, failure rate 7.1% (10m) | workers=1;;2:;0 failure_rate=7.1%;5;10;0;100
 *
 * the status, the findings (problems first), then after `|` the performance data:
 * `'label'=value[UOM];[warn];[crit];[min];[max]` with warn/crit in the guidelines' range syntax
 * (`10` alerts above 10, `2:` alerts below 2) and `U` for a value that could not be determined.
 */
import type { CheckResult, Perf, Status, Verdict } from '../engine/health/health.js';

export const SERVICE = 'CLEARLY';

/** Problems first, worst first; OK findings after them, each group in threshold order. */
const ORDER: Readonly<Record<Status, number>> = { CRITICAL: 0, WARNING: 1, UNKNOWN: 2, OK: 3 };

/** Perfdata numbers: at most 3 decimals, no trailing zeros, never exponent notation. */
export function perfNumber(n: number): string {
  // toFixed switches to exponent notation from 1e21 on.
  if (Math.abs(n) >= 1e21) return BigInt(Math.round(n)).toString();
  const fixed = n.toFixed(3).replace(/\.?0+$/, '');
  return fixed === '-0' ? '0' : fixed;
}

/** Quoted when it holds anything but plain characters; `=` (and `|`, which ends the line's text) cannot appear even quoted. */
export function perfLabel(label: string): string {
  const safe = label.replace(/[=|]/g, '_');
  return /^[A-Za-z0-9_.\-/@:]+$/.test(safe) ? safe : `'${safe.replace(/'/g, "''")}'`;
}

function range(level: number | null, direction: Perf['direction']): string {
  if (level === null) return '';
  return direction === 'min' ? `${perfNumber(level)}:` : perfNumber(level);
}

export function perfData(p: Perf): string {
  const value = p.value === null ? 'U' : `${perfNumber(p.value)}${p.uom}`;
  const fields = [
    `${perfLabel(p.label)}=${value}`,
    range(p.levels.warning, p.direction),
    range(p.levels.critical, p.direction),
    p.min === null ? '' : perfNumber(p.min),
    p.max === null ? '' : perfNumber(p.max),
  ];
  while (fields.length > 1 && fields[fields.length - 1] === '') fields.pop();
  return fields.join(';');
}

/** A `|` would start the perfdata and a newline a second line: neither may come from a finding. */
function clean(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/\|/g, '/');
}

/** When every threshold is UNKNOWN for the same reason (server down), say it once. */
function sharedReason(verdicts: readonly Verdict[]): string | null {
  const first = verdicts[0];
  if (first === undefined || verdicts.some((v) => v.status !== 'UNKNOWN' || v.reason !== first.reason)) return null;
  return verdicts.length > 1 ? first.reason : null;
}

export function statusLine(result: CheckResult): string {
  const shared = sharedReason(result.verdicts);
  const findings =
    shared ??
    [...result.verdicts]
      .map((v, i) => ({ v, i }))
      .sort((a, b) => ORDER[a.v.status] - ORDER[b.v.status] || a.i - b.i)
      .map(({ v }) => v.summary)
      .join(', ');
  const perf = result.verdicts.map((v) => perfData(v.perf)).join(' ');
  return `${SERVICE} ${result.status} - ${clean(findings)}${perf === '' ? '' : ` | ${perf}`}`;
}

/** The line for a check that could not even start (bad flags): UNKNOWN, no perfdata. */
export function unknownLine(message: string): string {
  return `${SERVICE} UNKNOWN - ${clean(message)}`;
}

/**
 * The suite's results: one entry per measurement (its figures, the targets and whether they were
 * met, tables, notes), the machine they were taken on, written as bench/results.json and rendered
 * as bench/results.md. Rendering is pure (tested); a partial run (`--only`) merges into the
 * previous results instead of dropping the other measurements.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Machine } from './machine.js';

export const MEASUREMENTS = ['hotpath', 'ingest', 'latency', 'memory', 'queries', 'coldstart', 'store', 'scrape'] as const;
export type MeasurementName = (typeof MEASUREMENTS)[number];

export type Cell = string | number | null;

export interface Figure {
  readonly label: string;
  readonly value: Cell;
  readonly unit: string;
}

export interface TargetCheck {
  /** What is measured, e.g. "hot path, AMQP, decode+state". */
  readonly what: string;
  /** The target as written in the issue, e.g. "≥ 200k events/s". */
  readonly target: string;
  /** The measured value, formatted with its unit. */
  readonly actual: string;
  readonly met: boolean;
  /**
   * A target we set ourselves beyond the (e.g. the 200k events/s applied to a
   * path the issue does not name): reported like the others, but a miss is not the issue's.
   */
  readonly stretch?: boolean;
}

export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
}

export interface MeasurementResult {
  readonly name: MeasurementName;
  readonly title: string;
  /** ISO time the measurement finished. */
  readonly finishedAt: string;
  readonly quick: boolean;
  /** Wall time the measurement took. */
  readonly seconds: number;
  readonly figures: readonly Figure[];
  readonly targets: readonly TargetCheck[];
  readonly tables: readonly Table[];
  /** What the figures mean, how they were taken, anything odd. */
  readonly notes: readonly string[];
}

export interface Results {
  readonly generatedAt: string;
  readonly machine: Machine;
  readonly measurements: Partial<Record<MeasurementName, MeasurementResult>>;
}

/** The new measurements replace the old ones of the same name; the others are kept. */
export function mergeResults(previous: Results | null, next: Results): Results {
  return {
    generatedAt: next.generatedAt,
    machine: next.machine,
    measurements: { ...(previous?.measurements ?? {}), ...next.measurements },
  };
}

export async function readResults(path: string): Promise<Results | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Results;
  } catch {
    return null;
  }
}

export async function writeResults(jsonPath: string, mdPath: string, results: Results): Promise<void> {
  await writeFile(jsonPath, JSON.stringify(results, null, 2) + '\n');
  await writeFile(mdPath, renderMarkdown(results));
}

/** A number for a table: thousands separated, at most `digits` decimals. */
export function fmt(v: Cell, digits = 1): string {
  if (v === null) return '–';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  return v.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** `|` would end a markdown cell early. */
function cell(v: Cell): string {
  return fmt(v).replaceAll('|', '\\|');
}

function table(columns: readonly string[], rows: readonly (readonly Cell[])[]): string[] {
  return [
    `| ${columns.map(cell).join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
}

export function renderMachine(m: Machine): string[] {
  return table(
    ['machine', ''],
    [
      ['CPU', `${m.cpuModel} × ${m.cores} cores`],
      ['memory', `${fmt(m.memoryGiB)} GiB`],
      ['OS', m.os],
      ['Node.js', m.node],
      ['RabbitMQ', m.rabbitmq ?? 'not reachable'],
      ['Redis', m.redis ?? 'not reachable'],
      ['load average at start (1/5/15 min)', m.loadavg.map((l) => l.toFixed(2)).join(' / ')],
    ],
  );
}

/** How a target check reads: met, missed, or missed beyond what the issue asks. */
export function targetStatus(t: TargetCheck): string {
  if (t.met) return 'met';
  return t.stretch === true ? 'missed (stretch target, beyond the issue)' : '**missed**';
}

/** Every target of every measurement, in suite order. */
export function targetRows(results: Results): Cell[][] {
  const rows: Cell[][] = [];
  for (const name of MEASUREMENTS) {
    const m = results.measurements[name];
    for (const t of m?.targets ?? []) rows.push([name, t.what, t.target, t.actual, targetStatus(t)]);
  }
  return rows;
}

export function renderMarkdown(results: Results): string {
  const out: string[] = [
    '# clearly benchmark results',
    '',
    `Written by \`npm run bench\` (bench/run.ts) at ${results.generatedAt}. Each measurement says when it last ran;`,
    'rerun one with `npm run bench -- --only NAME` (names: ' + MEASUREMENTS.join(', ') + ').',
    '',
    ...renderMachine(results.machine),
    '',
    '## Targets',
    '',
    ...table(['measurement', 'what', 'target', 'measured', ''], targetRows(results)),
    '',
  ];
  for (const name of MEASUREMENTS) {
    const m = results.measurements[name];
    if (m === undefined) continue;
    out.push(`## ${m.title} (\`${m.name}\`)`, '');
    out.push(`Ran ${m.finishedAt}${m.quick ? ' with --quick' : ''}, took ${m.seconds.toFixed(0)} s.`, '');
    if (m.figures.length > 0) {
      out.push(...table(['figure', 'value', 'unit'], m.figures.map((f) => [f.label, f.value, f.unit])), '');
    }
    for (const t of m.tables) out.push(`**${t.title}**`, '', ...table(t.columns, t.rows), '');
    for (const n of m.notes) out.push(`- ${n}`);
    if (m.notes.length > 0) out.push('');
  }
  return out.join('\n');
}

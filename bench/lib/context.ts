/** What every measurement module gets, and the shape it hands back (bench/run.ts collects them). */
import type { FilledServers } from './filled-server.js';
import type { Figure, MeasurementName, MeasurementResult, Table, TargetCheck } from './results.js';

export interface BenchContext {
  /** Shorter runs and fewer repetitions: for trying things out, not for the committed results. */
  readonly quick: boolean;
  /** Progress on stderr. */
  readonly log: (message: string) => void;
  /** Servers holding N stored tasks, filled once per run and shared (memory, queries, coldstart). */
  readonly filled: FilledServers;
  /** The stored-task counts memory and queries measure at (and coldstart's server size). */
  readonly sizes: readonly number[];
}

/** What a measurement body returns; run.ts adds the name, title, timing and --quick flag. */
export interface MeasurementBody {
  readonly figures: readonly Figure[];
  readonly targets: readonly TargetCheck[];
  readonly tables?: readonly Table[];
  readonly notes: readonly string[];
}

export interface Measurement {
  readonly name: MeasurementName;
  readonly title: string;
  run(ctx: BenchContext): Promise<MeasurementBody>;
}

/** Run one measurement, stamping it with when it ran and how long it took. */
export async function runMeasurement(m: Measurement, ctx: BenchContext): Promise<MeasurementResult> {
  const t0 = performance.now();
  const body = await m.run(ctx);
  return {
    name: m.name,
    title: m.title,
    finishedAt: new Date().toISOString(),
    quick: ctx.quick,
    seconds: (performance.now() - t0) / 1000,
    figures: body.figures,
    targets: body.targets,
    tables: body.tables ?? [],
    notes: body.notes,
  };
}

/** "123,456 events/s" style formatting for target checks. */
export function withUnit(value: number, unit: string, digits = 0): string {
  return `${value.toLocaleString('en-US', { maximumFractionDigits: digits })} ${unit}`;
}

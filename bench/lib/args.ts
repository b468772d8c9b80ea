/** The suite's command line: which measurements to run. */
import { MEASUREMENTS, type MeasurementName } from './results.js';

export const USAGE = `usage: npm run bench -- [--only NAME[,NAME]] [--quick]
  names: ${MEASUREMENTS.join(', ')}`;

/** `--only a,b --only c` → [a, b, c] in suite order; unknown names are an error. */
export function parseOnly(values: readonly string[] | undefined): MeasurementName[] {
  if (values === undefined || values.length === 0) return [...MEASUREMENTS];
  const wanted = new Set(values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== ''));
  for (const w of wanted) {
    if (!(MEASUREMENTS as readonly string[]).includes(w)) throw new Error(`unknown measurement '${w}'\n${USAGE}`);
  }
  return MEASUREMENTS.filter((m) => wanted.has(m));
}

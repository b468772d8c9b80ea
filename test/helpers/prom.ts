/**
 * A small reader of the Prometheus text exposition (0.0.4) for tests: families with their TYPE
 * and HELP, samples with labels and values, and `promtool check metrics` over a text.
 */
import { execa } from 'execa';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly types: ReadonlyMap<string, string>;
  readonly help: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (TYPE|HELP) (\S+) ?(.*)$/.exec(line);
    if (meta !== null) {
      (meta[1] === 'TYPE' ? types : help).set(meta[2]!, meta[3]!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const v = m[3]!;
    samples.push({ name: m[1]!, labels, value: v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v) });
  }
  return { types, help, samples };
}

/** The one sample of `name` whose labels include `match`; undefined if none, throws if several. */
export function sampleValue(e: Exposition, name: string, match: Readonly<Record<string, string>>): number | undefined {
  const found = e.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(match)}`);
  return found[0]?.value;
}

export async function fetchText(url: string): Promise<{ status: number; text: string; contentType: string | null }> {
  const r = await fetch(url);
  return { status: r.status, text: await r.text(), contentType: r.headers.get('content-type') };
}

/** `promtool check metrics` (Debian's prometheus package) over `text`: its exit code and output. */
export async function promtoolCheck(text: string): Promise<{ exitCode: number | undefined; output: string }> {
  const r = await execa('promtool', ['check', 'metrics'], { input: text, reject: false });
  return { exitCode: r.exitCode, output: `${r.stdout}${r.stderr}` };
}

/** The sum of every sample of `name` whose labels include `match` (e.g. over queue_name); undefined if none. */
export function sampleSum(e: Exposition, name: string, match: Readonly<Record<string, string>>): number | undefined {
  const found = e.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  return found.length === 0 ? undefined : found.reduce((a, s) => a + s.value, 0);
}

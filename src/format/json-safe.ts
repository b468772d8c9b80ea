/**
 * A whole result from the result backend, made JSON-safe the way repr-json.ts makes a parsed
 * repr: Python's `inf`/`-inf`/`nan` (JS ±Infinity/NaN once py-json.ts has read them) become the
 * strings "Infinity"/"-Infinity"/"NaN", which JSON.stringify would otherwise print as null
 * (README, "Record fields"). Run once where the backend value is parsed, not per printed line.
 */

/** Deeper than Python's json writes (its recursion limit is ~1000); left as is past this. */
const MAX_DEPTH = 10_000;

/** The value with every non-finite number replaced; the very same value when there is none. */
export function nonFiniteToStrings(value: unknown): unknown {
  return convert(value, 0);
}

function convert(v: unknown, depth: number): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  if (v === null || typeof v !== 'object' || depth > MAX_DEPTH) return v;
  if (Array.isArray(v)) {
    // Copied on the first change only: a value without non-finite numbers is not copied at all.
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      const y = convert(x, depth + 1);
      if (y !== x && out === undefined) out = v.slice(0, i);
      out?.push(y);
    }
    return out ?? v;
  }
  const src = v as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  const keys = Object.keys(src);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const x = src[k];
    const y = convert(x, depth + 1);
    if (y !== x && out === undefined) {
      out = {};
      for (let j = 0; j < i; j++) set(out, keys[j]!, src[keys[j]!]);
    }
    if (out !== undefined) set(out, k, y);
  }
  return out ?? v;
}

/** JSON.parse makes `__proto__` an own key; plain assignment would set the prototype instead. */
function set(o: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

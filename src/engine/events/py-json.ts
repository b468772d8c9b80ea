/**
 * JSON as Python's `json` module writes it: standard JSON plus bare `NaN`, `Infinity` and
 * `-Infinity` tokens (Celery stores a task returning `float('inf')` that way, PROTOCOL.md §7).
 * `JSON.parse` throws on those; here they become the JS numbers they mean, and are written back
 * as the same tokens. Tokens are only recognised outside string literals.
 */

export type PyJsonResult =
  /** `nonFinite`: the text had NaN/Infinity tokens (so callers can skip looking for them otherwise). */
  | { readonly ok: true; readonly value: unknown; readonly nonFinite: boolean }
  | { readonly ok: false; readonly error: string };

export function parsePythonJson(text: string): PyJsonResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown, nonFinite: false };
  } catch (e) {
    const first = e instanceof Error ? e.message : String(e);
    const rewritten = rewriteNonFinite(text);
    if (rewritten === null) return { ok: false, error: first };
    try {
      const { json, nanMarker } = rewritten;
      const value =
        nanMarker === null
          ? (JSON.parse(json) as unknown)
          : (JSON.parse(json, (_key, v: unknown) => (v === nanMarker ? NaN : v)) as unknown);
      return { ok: true, value, nonFinite: true };
    } catch {
      return { ok: false, error: first };
    }
  }
}

/**
 * Standard JSON for `±Infinity` (`1e999` overflows to Infinity in every JSON parser), and a
 * marker string for NaN, which no JSON number yields. The marker starts with a lone low surrogate
 * whose `\uXXXX` escape does not occur in the text: Python always escapes lone surrogates (raw
 * ones cannot even be encoded to UTF-8), so no string in the input can equal the marker.
 * Returns null when there was nothing to rewrite.
 */
function rewriteNonFinite(text: string): { json: string; nanMarker: string | null } | null {
  const parts: string[] = [];
  let from = 0;
  let sawNaN = false;
  const NAN_SLOT = '\u0000'; // placeholder in `parts`, replaced once the marker is chosen
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string literal, escapes included.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
      continue;
    }
    if (c === 0x4e /* N */ && text.startsWith('NaN', i)) {
      parts.push(text.slice(from, i), NAN_SLOT);
      sawNaN = true;
      from = i + 3;
      i += 2;
    } else if (c === 0x49 /* I */ && text.startsWith('Infinity', i)) {
      parts.push(text.slice(from, i), '1e999');
      from = i + 8;
      i += 7;
    }
  }
  if (parts.length === 0) return null;
  parts.push(text.slice(from));
  let nanMarker: string | null = null;
  if (sawNaN) {
    nanMarker = pickMarker(text);
    const literal = JSON.stringify(nanMarker);
    for (let k = 0; k < parts.length; k++) if (parts[k] === NAN_SLOT) parts[k] = literal;
  }
  return { json: parts.join(''), nanMarker };
}

function pickMarker(text: string): string {
  const lower = text.toLowerCase();
  for (let unit = 0xdfff; unit >= 0xdc00; unit--) {
    const ch = String.fromCharCode(unit);
    if (!lower.includes(`\\u${unit.toString(16)}`) && !text.includes(ch)) return `${ch}NaN`;
  }
  // Every low surrogate occurs in the text: practically impossible; fall back to the last one.
  return '\udc00NaN';
}

/** Compact JSON text, with non-finite numbers as Python's tokens (so `parsePythonJson` reads it back). */
export function dumpPythonJson(value: unknown): string {
  return hasNonFinite(value, 0) ? dump(value) : (JSON.stringify(value) ?? 'null');
}

const MAX_SCAN_DEPTH = 10_000;

function hasNonFinite(v: unknown, depth: number): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (v === null || typeof v !== 'object' || depth > MAX_SCAN_DEPTH) return false;
  if (Array.isArray(v)) return v.some((x) => hasNonFinite(x, depth + 1));
  for (const k in v) if (hasNonFinite((v as Record<string, unknown>)[k], depth + 1)) return true;
  return false;
}

function dump(v: unknown): string {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
    return JSON.stringify(v);
  }
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(dump).join(',')}]`;
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x === undefined || typeof x === 'function') continue;
    parts.push(`${JSON.stringify(k)}:${dump(x)}`);
  }
  return `{${parts.join(',')}}`;
}

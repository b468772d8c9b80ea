/**
 * A JSON value (a whole result from the result backend, an inspect reply's args) as the repr tree
 * Python would print for it, so people read every value in one notation, Python's: `None`,
 * `True`, `'text'`, `{'key': 1}`. The inverse of repr-json.ts for the values JSON can hold; the
 * strings repr-json.ts makes of non-finite floats (`"NaN"`, `"Infinity"`) stay strings.
 */
import type { ReprNode } from '../engine/repr/repr.js';

/** Deeper than this is shown as `...` (the parser's own cap keeps renderers' recursion bounded too). */
const MAX_DEPTH = 200;

export function jsonToNode(value: unknown, depth = 0): ReprNode {
  if (depth > MAX_DEPTH) return { kind: 'ellipsis', text: '...' };
  if (value === null || value === undefined) return { kind: 'const', value: 'None' };
  switch (typeof value) {
    case 'boolean':
      return { kind: 'const', value: value ? 'True' : 'False' };
    case 'number':
      return Number.isInteger(value) ? { kind: 'int', text: String(value) } : { kind: 'float', text: String(value) };
    case 'string':
      return { kind: 'str', value };
    case 'bigint':
      return { kind: 'int', text: value.toString() };
    case 'object':
      if (Array.isArray(value)) return { kind: 'list', items: value.map((v) => jsonToNode(v, depth + 1)) };
      return {
        kind: 'dict',
        entries: Object.entries(value as Record<string, unknown>).map(([k, v]) => [{ kind: 'str', value: k }, jsonToNode(v, depth + 1)] as const),
      };
    default:
      return { kind: 'opaque', text: String(value) };
  }
}

/**
 * The tree parseRepr (repr.ts) makes of a Python repr, read by the renderers (format/repr-render.ts,
 * format/repr-json.ts): the node kinds and saferepr's budget marker.
 */

export type ReprNode =
  | { kind: 'str'; value: string } // unescaped content
  | { kind: 'bytes'; value: string; hex: boolean }
  | { kind: 'int'; text: string }
  | { kind: 'float'; text: string }
  | { kind: 'const'; value: 'None' | 'True' | 'False' | 'inf' | '-inf' | 'nan' }
  | { kind: 'list' | 'tuple' | 'set' | 'frozenset'; items: ReprNode[] }
  | { kind: 'dict'; entries: Array<readonly [ReprNode, ReprNode]> }
  | { kind: 'call'; callee: string; args: ReprNode[]; kwargs: Array<readonly [string, ReprNode]> }
  | { kind: 'ellipsis'; text: string } // saferepr's `...` marker, or `{...}`/`[...]`/`(...)`
  /** A valid repr we keep as text: `<object at 0x…>`, bare names (`datetime.timezone.utc`),
   *  complex numbers, calls whose arguments are not literals, tokens saferepr cut (`1...`). */
  | { kind: 'opaque'; text: string }
  | { kind: 'raw'; text: string }; // what could not be parsed, verbatim

export interface ParsedRepr {
  node: ReprNode;
  /** The whole text was understood (a truncated saferepr output still counts). */
  ok: boolean;
  /** saferepr's budget markers (`, ...`) or a cut token were seen. */
  truncated: boolean;
}

/** Deepest nesting parsed: past it the whole input is kept as `raw`. */
export const MAX_DEPTH = 200;

/** The `, ...` budget marker. */
export const CUT_MARKER: ReprNode = Object.freeze({ kind: 'ellipsis', text: '...' });

/** Whether a node is saferepr's `...` budget marker (not a `{...}` depth marker). */
export function isCut(node: ReprNode | undefined): boolean {
  return node?.kind === 'ellipsis' && node.text === '...';
}

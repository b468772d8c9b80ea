/**
 * Parsed reprs as JSON-safe values for `--json`: containers become arrays/objects, numbers stay
 * numbers while exact, well-known calls (datetime, Decimal, UUID) become the strings a JSON
 * consumer would want, depth markers (`[...]`: a container saferepr left out) become `{"$elided": "list"}`, and
 * anything else keeps its Python repr text so nothing is lost.
 */
import { makePalette } from './colors.js';
import { isCut, type ReprNode } from '../engine/repr/repr.js';
import { renderRepr } from './repr-render.js';

const PLAIN = makePalette(false);

type CallNode = Extract<ReprNode, { kind: 'call' }>;

export function reprToJson(node: ReprNode): unknown {
  switch (node.kind) {
    case 'str':
    case 'bytes':
      return node.value;
    case 'int': {
      const n = Number(node.text);
      return Number.isSafeInteger(n) ? n : node.text; // big ints keep every digit
    }
    case 'float': {
      const n = Number(node.text);
      return Number.isFinite(n) ? n : node.text;
    }
    case 'const':
      return CONSTS[node.value];
    case 'list':
    case 'tuple':
    case 'set':
    case 'frozenset':
      // the `...` budget marker is dropped (`*_truncated` says so); a `[...]` depth marker becomes `{"$elided": "list"}`
      return node.items.filter((item) => !isCut(item)).map(reprToJson);
    case 'dict':
      return dictToJson(node.entries);
    case 'call':
      return callToJson(node) ?? renderRepr(node, PLAIN);
    case 'ellipsis':
      // `[...]`: a container left out (saferepr's 3 levels, or a recursion) is not a string
      return ELIDED[node.text] ?? node.text;
    case 'opaque':
    case 'raw':
      return node.text;
    default:
      return assertNever(node);
  }
}

/**
 * What a depth marker becomes in JSON: an object no string value can be mistaken for. saferepr
 * writes `[...]` for a container nested deeper than its 3 levels, Python for one that contains
 * itself; `{...}` is a dict or a set (the repr does not say which).
 */
const ELIDED: Readonly<Record<string, { readonly $elided: string }>> = {
  '[...]': { $elided: 'list' },
  '{...}': { $elided: 'dict' },
  '(...)': { $elided: 'tuple' },
  '(...,)': { $elided: 'tuple' },
  'frozenset({...})': { $elided: 'frozenset' },
};

const CONSTS: Record<Extract<ReprNode, { kind: 'const' }>['value'], unknown> = {
  None: null,
  True: true,
  False: false,
  inf: 'Infinity',
  '-inf': '-Infinity',
  nan: 'NaN',
};

function dictToJson(entries: ReadonlyArray<readonly [ReprNode, ReprNode]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    if (isCut(k) || isCut(v)) continue; // a key the budget cut before its value
    const key = k.kind === 'str' ? k.value : renderRepr(k, PLAIN);
    const value = reprToJson(v);
    // plain assignment of `__proto__` would set the prototype instead of adding a key
    if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return out;
}

/** datetime/date/time → ISO 8601 as Python's isoformat(); Decimal/UUID → their string. */
function callToJson(node: CallNode): string | undefined {
  switch (node.callee) {
    case 'datetime.datetime': {
      const n = ints(node.args, 3, 7);
      if (!n) return undefined;
      const tz = offsetOf(node.kwargs);
      if (tz === null) return undefined;
      const [y = 0, mo = 0, d = 0, ...time] = n;
      return `${date(y, mo, d)}T${clock(time)}${tz}`;
    }
    case 'datetime.date': {
      const n = ints(node.args, 3, 3);
      return n && node.kwargs.length === 0 ? date(n[0] ?? 0, n[1] ?? 0, n[2] ?? 0) : undefined;
    }
    case 'datetime.time': {
      const n = ints(node.args, 1, 4);
      const tz = offsetOf(node.kwargs);
      return n && tz !== null ? clock(n) + tz : undefined;
    }
    case 'Decimal':
    case 'decimal.Decimal':
    case 'UUID':
    case 'uuid.UUID': {
      const [arg] = node.args;
      return node.args.length === 1 && node.kwargs.length === 0 && arg?.kind === 'str' ? arg.value : undefined;
    }
    default:
      return undefined;
  }
}

function ints(args: readonly ReprNode[], min: number, max: number): number[] | undefined {
  if (args.length < min || args.length > max) return undefined;
  const out: number[] = [];
  for (const a of args) {
    if (a.kind !== 'int' || !/^\d{1,9}$/.test(a.text)) return undefined;
    out.push(Number(a.text));
  }
  return out;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

function date(y: number, mo: number, d: number): string {
  return `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}`;
}

/** `HH:MM:SS[.ffffff]` from [hour, minute, second, microsecond] (missing parts are 0). */
function clock([h = 0, mi = 0, s = 0, us = 0]: readonly number[]): string {
  return `${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${us ? `.${pad(us, 6)}` : ''}`;
}

/**
 * The `+HH:MM` suffix for a `tzinfo=` kwarg: '' when naive, null when the zone is not a fixed
 * offset we can read (zoneinfo, pytz zones): then the caller keeps the repr rather than guess.
 */
function offsetOf(kwargs: ReadonlyArray<readonly [string, ReprNode]>): string | null {
  let suffix = '';
  for (const [name, value] of kwargs) {
    if (name === 'fold') continue;
    if (name !== 'tzinfo') return null;
    const seconds = tzSeconds(value);
    if (seconds === null) return null;
    suffix = formatOffset(seconds);
  }
  return suffix;
}

const UTC_REPRS = new Set(['datetime.timezone.utc', '<UTC>', 'tzutc()', 'UTC']);

function tzSeconds(tz: ReprNode): number | null {
  if (tz.kind === 'opaque' && UTC_REPRS.has(tz.text)) return 0;
  if (tz.kind === 'call' && tz.callee === 'tzutc' && tz.args.length === 0) return 0;
  // datetime.timezone(datetime.timedelta(seconds=3600)[, 'name'])
  if (tz.kind === 'call' && tz.callee === 'datetime.timezone' && tz.kwargs.length === 0) {
    const [delta] = tz.args;
    if (delta?.kind === 'call' && delta.callee === 'datetime.timedelta') return timedeltaSeconds(delta);
  }
  return null;
}

function timedeltaSeconds(delta: CallNode): number | null {
  const units: Record<string, number> = { days: 86400, seconds: 1, microseconds: 1e-6 };
  let total = 0;
  for (const a of delta.args) {
    if (a.kind !== 'int' || a.text !== '0') return null; // `datetime.timedelta(0)`
  }
  for (const [name, value] of delta.kwargs) {
    const unit = units[name];
    if (unit === undefined || value.kind !== 'int') return null;
    total += Number(value.text) * unit;
  }
  return total;
}

function formatOffset(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+';
  let rest = Math.round(Math.abs(seconds));
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  return `${sign}${pad(h, 2)}:${pad(m, 2)}${s ? `:${pad(s, 2)}` : ''}`;
}

function assertNever(x: never): never {
  throw new Error(`unhandled repr node ${JSON.stringify(x)}`);
}

/**
 * The byte-level formats pidbox messages travel in: JSON as Python's `json.dumps` writes it, and
 * kombu's Redis envelope (PROTOCOL.md §2, "Envelope"). Pure functions, no I/O.
 */

export type ControlProblemReason = 'bad-envelope' | 'bad-encoding' | 'content-type' | 'bad-json' | 'not-a-reply';

export interface ControlProblem {
  readonly reason: ControlProblemReason;
  /** Short human detail (never the whole body). */
  readonly detail: string;
}

/** A decoded body, or why it could not be used. */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: ControlProblem };

/**
 * Python `json.dumps(obj)` with default settings: `", "` / `": "` separators and ensure_ascii
 * (everything outside printable ASCII as `\uXXXX`, UTF-16 code units, so astral characters come out
 * as surrogate pairs like Python's). Requests then match Celery's own bytes, which keeps captures
 * comparable. Non-finite numbers are written as Python does (`NaN`, `Infinity`).
 */
export function pyJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (Number.isNaN(value)) return 'NaN';
      if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
      return String(value);
    case 'bigint':
      return value.toString();
    case 'string':
      return pyJsonString(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(', ')}]`;
      const parts: string[] = [];
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined || typeof v === 'function') continue;
        parts.push(`${pyJsonString(k)}: ${pyJsonDumps(v)}`);
      }
      return `{${parts.join(', ')}}`;
    }
    default:
      return 'null';
  }
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

function pyJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    const code = s.charCodeAt(i);
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) out += short;
    // Python's ESCAPE_ASCII escapes everything outside ' '..'~' (so DEL too).
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * JSON.parse, but tolerant of what Python's encoder emits and JSON forbids: bare `NaN`,
 * `Infinity`, `-Infinity` tokens (e.g. a task's args in an `active` reply). They become null
 * rather than losing the whole reply.
 */
export function pyJsonParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    const fixed = replaceNonFiniteTokens(text);
    if (fixed !== text) {
      try {
        return { ok: true, value: JSON.parse(fixed) as unknown };
      } catch {
        // fall through to the original error
      }
    }
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/** Replaces NaN / Infinity / -Infinity outside string literals with `null`. */
function replaceNonFiniteTokens(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    const rest = text.startsWith('NaN', i) ? 3 : text.startsWith('Infinity', i) ? 8 : text.startsWith('-Infinity', i) ? 9 : 0;
    if (rest > 0) {
      out += 'null';
      i += rest - 1;
    } else out += ch;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// kombu's Redis envelope

export interface EnvelopeFields {
  readonly body: Buffer;
  readonly headers: Record<string, unknown>;
  readonly contentType: string;
  readonly contentEncoding: string;
  readonly deliveryMode: 1 | 2;
  readonly priority: number;
  readonly exchange: string;
  readonly routingKey: string;
  /** kombu uses a uuid4 string here, not an int. */
  readonly deliveryTag: string;
}

/** The JSON string kombu PUBLISHes / LPUSHes (K/transport/virtual/base.py `prepare_message`), key order kept. */
export function encodeEnvelope(f: EnvelopeFields): string {
  return pyJsonDumps({
    body: f.body.toString('base64'),
    'content-encoding': f.contentEncoding,
    'content-type': f.contentType,
    headers: f.headers,
    properties: {
      delivery_mode: f.deliveryMode,
      delivery_info: { exchange: f.exchange, routing_key: f.routingKey },
      priority: f.priority,
      body_encoding: 'base64',
      delivery_tag: f.deliveryTag,
    },
  });
}

export interface UnwrappedMessage {
  readonly body: Buffer;
  readonly headers: Record<string, unknown>;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
}

const bad = (reason: ControlProblem['reason'], detail: string): { ok: false; problem: ControlProblem } => ({
  ok: false,
  problem: { reason, detail },
});

/** Unwraps an envelope read from Redis; anything malformed is reported, never thrown. */
export function decodeEnvelope(payload: string | Buffer): Decoded<UnwrappedMessage> {
  const parsed = pyJsonParse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  if (!parsed.ok) return bad('bad-envelope', `not JSON: ${parsed.error}`);
  const env = parsed.value;
  if (!isObject(env) || typeof env['body'] !== 'string') return bad('bad-envelope', 'not a kombu envelope (no string "body")');
  const props = isObject(env['properties']) ? env['properties'] : {};
  const headers = isObject(env['headers']) ? env['headers'] : {};
  const bodyEncoding = props['body_encoding'];
  let body: Buffer;
  if (bodyEncoding === 'base64') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(env['body'])) return bad('bad-encoding', 'body is not valid base64');
    body = Buffer.from(env['body'], 'base64');
  } else if (bodyEncoding === undefined || bodyEncoding === null) {
    body = Buffer.from(env['body'], 'utf8');
  } else {
    return bad('bad-encoding', `unknown body_encoding ${String(bodyEncoding)}`);
  }
  const ct = env['content-type'];
  const ce = env['content-encoding'];
  return {
    ok: true,
    value: {
      body,
      headers,
      contentType: typeof ct === 'string' ? ct : undefined,
      contentEncoding: typeof ce === 'string' ? ce : undefined,
    },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

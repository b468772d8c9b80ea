/**
 * The next message of a queue as kombu keeps it on Redis (a JSON envelope: `body`, `headers`,
 * `properties`), reduced to what says which task waits: Celery's protocol 2 headers (`id`,
 * `task`, `eta`), or protocol 1's body fields when the headers do not have them. Pure and total:
 * what does not parse is `null` fields, never a throw. The body is never decoded beyond JSON
 * (a pickle stays bytes).
 */

export interface NextMessage {
  readonly id: string | null;
  readonly task: string | null;
  /** ISO 8601 when the task is scheduled (countdown/ETA): it waits on purpose until then. */
  readonly eta: string | null;
  /** The envelope's `delivery_tag`: tells whether the same message is still first later. */
  readonly tag: string | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function nextMessage(raw: string): NextMessage {
  let env: unknown;
  try {
    env = JSON.parse(raw);
  } catch {
    return { id: null, task: null, eta: null, tag: null };
  }
  if (!isObj(env)) return { id: null, task: null, eta: null, tag: null };
  const headers = isObj(env['headers']) ? env['headers'] : {};
  const props = isObj(env['properties']) ? env['properties'] : {};
  let id = str(headers['id']);
  let task = str(headers['task']);
  let eta = str(headers['eta']);
  if (id === null && env['content-type'] === 'application/json' && props['body_encoding'] === 'base64') {
    // Protocol 1: the task fields are in the body itself.
    const body = protocol1Body(str(env['body']));
    if (body !== null) {
      id = str(body['id']);
      task = str(body['task']);
      eta = str(body['eta']);
    }
  }
  return { id, task, eta, tag: str(props['delivery_tag']) };
}

function protocol1Body(b64: string | null): Obj | null {
  if (b64 === null) return null;
  try {
    const v = JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as unknown;
    return isObj(v) ? v : null;
  } catch {
    return null;
  }
}

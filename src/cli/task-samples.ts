/**
 * Where `stats --by-name` and `failures` get their tasks: a clearly server's history (its store,
 * or its memory without one) through the FilterTasks stream, or a live broker session listened to
 * for `--for`. Either way each task becomes a TaskSample for the pure aggregations.
 */
import type { TaskSample } from '../engine/aggregate/sample.js';
import type { Decoded, TaskMessage, TaskQuery } from '../engine/grpc/messages.js';
import type { Task } from '../engine/model.js';
import { startSession } from '../engine/session.js';
import type { Redactor } from '../engine/redact/redact.js';
import { parseDuration } from '../engine/health/thresholds.js';
import { UsageError } from '../errors.js';
import { withServer, type ServerTarget } from './client.js';
import { note } from './output.js';
import { parseTimeBound } from './time-bound.js';

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

export function sampleFromMessage(m: Decoded<TaskMessage>): TaskSample {
  return {
    uuid: m.uuid ?? '',
    name: orNull(m.name),
    state: m.state ?? 'PENDING',
    worker: orNull(m.worker),
    retries: m.retries ?? 0,
    exception: orNull(m.exception),
    traceback: orNull(m.traceback),
    runtime: orNull(m.runtime),
    sent: orNull(m.sent),
    received: orNull(m.received),
    started: orNull(m.started),
    succeeded: orNull(m.succeeded),
    failed: orNull(m.failed),
    retried: orNull(m.retried),
    timestamp: m.timestamp ?? 0,
  };
}

export function sampleFromTask(t: Task): TaskSample {
  return t; // the model's Task has every field a sample reads, under the same names
}

/** Every task the server holds since `since` (epoch seconds) whose name/uuid/routing key matches `pattern`. */
export async function samplesFromServer(server: ServerTarget | string, q: { since?: number; pattern?: string }, onSample: (s: TaskSample) => void): Promise<void> {
  const query: TaskQuery = { limit: 0 };
  if (q.pattern !== undefined && q.pattern !== '') query.filter = { pattern: q.pattern };
  if (q.since !== undefined) query.since = q.since;
  await withServer(server, async (conn) => {
    await conn.filterTasks(query, { onItem: (m) => onSample(sampleFromMessage(m)) }).done;
  });
}

/** Listen to the broker for `seconds`, then hand on every task heard (newest state of each). */
export async function samplesFromBroker(
  broker: string,
  seconds: number,
  o: { pattern?: RegExp; negate?: boolean; debug?: boolean; redactor?: Redactor | null },
  onSample: (s: TaskSample) => void,
): Promise<void> {
  // Secrets out before anything is grouped or shown (exception messages quote them): `--redact`.
  const session = await startSession({ broker, debug: o.debug ?? false, log: note, onChange: () => {}, redactor: o.redactor ?? null });
  try {
    await new Promise((r) => setTimeout(r, seconds * 1000));
  } finally {
    await session.close();
  }
  for (const t of session.pipeline.state.tasks()) {
    const p = o.pattern;
    // As the server's filter: a match on name, uuid or routing key; `!re` keeps the rest.
    if (p !== undefined && (p.test(t.name ?? '') || p.test(t.uuid) || p.test(t.routing_key ?? '')) === (o.negate === true)) continue;
    onSample(sampleFromTask(t));
  }
}

export interface SampleSourceFlags {
  /** The server with its token and TLS (`serverTarget`), or a bare address. */
  readonly server: ServerTarget | string;
  readonly broker: string | undefined;
  readonly for: string | undefined;
  readonly since: string | undefined;
  readonly pattern: string | undefined;
  readonly debug: boolean;
  /** With `--broker`: `--redact` (a server redacted what it holds already). */
  readonly redactor?: Redactor | null;
}

/** A server's history (`--since`), or with `--broker` a live window (`--for`, default 10s). */
export async function collectSamples(f: SampleSourceFlags, onSample: (s: TaskSample) => void): Promise<void> {
  if (f.broker === undefined) {
    if (f.for !== undefined) throw new UsageError('--for listens to a broker: add --broker URL (a server answers from its history with --since)');
    const since = parseTimeBound(f.since, '--since');
    await samplesFromServer(f.server, { ...(since === undefined ? {} : { since }), ...(f.pattern === undefined ? {} : { pattern: f.pattern }) }, onSample);
    return;
  }
  if (f.since !== undefined) throw new UsageError('--since reads a server\'s history; a broker keeps none: listen with --for D instead');
  const seconds = parseDuration(f.for ?? '10s', '--for');
  let pattern: RegExp | undefined;
  let negate = false;
  if (f.pattern !== undefined && f.pattern !== '') {
    negate = f.pattern.startsWith('!');
    try {
      pattern = new RegExp(negate ? f.pattern.slice(1) : f.pattern);
    } catch (e) {
      throw new UsageError(`--pattern is not a valid regex: ${(e as Error).message}`);
    }
  }
  note(`listening to ${f.broker} for ${f.for ?? '10s'}`);
  await samplesFromBroker(f.broker, seconds, { ...(pattern === undefined ? {} : { pattern, negate }), debug: f.debug, redactor: f.redactor ?? null }, onSample);
}

/**
 * Which whole task results to keep, without any I/O (results.ts does the Redis side).
 *
 * The worker PUBLISHes a task's stored result *before* it sends task-succeeded, so a pushed value
 * is held raw (unparsed, bounded) until the task's event says whether it is needed: only results
 * whose event repr is cut or unparseable are parsed and kept, at most `maxResults` (the server's
 * task bound) and `maxBytes` of JSON text, oldest first out.
 */
import type { Task } from '../model.js';
import { dumpPythonJson, parsePythonJson } from '../events/py-json.js';
import type { Redactor } from '../redact/redact.js';
import { reprIsCut } from '../repr/cut.js';

/** A task's whole result as read from the result backend. */
export interface WholeResult {
  /** The backend's `status` (only SUCCESS results are kept: the others are exception dicts). */
  readonly status: string;
  /** The `result` value as Python-dialect JSON text (see py-json.ts). */
  readonly json: string;
}

export const META_PREFIX = 'celery-task-meta-';

/** Does this task's result need the backend (its event repr is not the whole value)? */
export function needsWholeResult(task: Task): boolean {
  return task.result !== null && reprIsCut(task.result);
}

/**
 * A backend's stored value -> what we keep: only SUCCESS values (the others are exception dicts
 * the event already describes), re-serialised in Python's JSON dialect, with the redactor's keys
 * replaced before anything keeps it. Null if it does not parse.
 */
export function parseMeta(raw: string, redactor: Redactor | null = null): WholeResult | null {
  const parsed = parsePythonJson(raw);
  if (!parsed.ok) return null;
  const v = parsed.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const meta = v as Record<string, unknown>;
  if (typeof meta['status'] !== 'string' || !('result' in meta)) return null;
  const result = redactor === null ? meta['result'] : redactor.value(meta['result']);
  return { status: meta['status'], json: dumpPythonJson(result) };
}

/** Insertion-ordered, bounded by count and by total string length. */
class BoundedStore<V> {
  private readonly map = new Map<string, { value: V; size: number }>();
  private bytes = 0;
  constructor(
    private readonly maxCount: number,
    private readonly maxBytes: number,
  ) {}

  get(key: string): V | undefined {
    return this.map.get(key)?.value;
  }

  take(key: string): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    this.delete(key);
    return e.value;
  }

  set(key: string, value: V, size: number): void {
    this.delete(key);
    if (size > this.maxBytes) return; // larger than the whole budget: not worth evicting everything
    this.map.set(key, { value, size });
    this.bytes += size;
    while (this.map.size > this.maxCount || this.bytes > this.maxBytes) {
      const oldest = this.map.keys().next();
      if (oldest.done === true) break;
      this.delete(oldest.value);
    }
  }

  delete(key: string): void {
    const e = this.map.get(key);
    if (e === undefined) return;
    this.map.delete(key);
    this.bytes -= e.size;
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.map.size;
  }
}

export interface KeeperOptions {
  /** Whole results kept (the server passes its task bound). */
  readonly maxResults: number;
  /** Bytes of result JSON kept, all results together. */
  readonly maxBytes?: number;
  /** Pushed results held until their task's event arrives. */
  readonly maxPending?: number;
  readonly maxPendingBytes?: number;
  /** Secrets out of every kept result (`--redact`); null or absent: off. */
  readonly redactor?: Redactor | null;
}

export class ResultKeeper {
  /** Whole results read from the backend and kept. */
  fetched = 0;
  private readonly kept: BoundedStore<WholeResult>;
  private readonly pushed: BoundedStore<string>;
  private readonly redactor: Redactor | null;

  constructor(o: KeeperOptions) {
    this.redactor = o.redactor ?? null;
    this.kept = new BoundedStore(o.maxResults, o.maxBytes ?? 256 * 1024 * 1024);
    this.pushed = new BoundedStore(o.maxPending ?? 2048, o.maxPendingBytes ?? 32 * 1024 * 1024);
  }

  /** A value PUBLISHed on `channel` (`celery-task-meta-<uuid>`). */
  push(channel: string, raw: string): void {
    if (!channel.startsWith(META_PREFIX)) return;
    const uuid = channel.slice(META_PREFIX.length);
    // Already kept: a newer push replaces it. Else hold it until the task's event arrives.
    if (this.kept.get(uuid) !== undefined) this.keep(uuid, raw);
    else this.pushed.set(uuid, raw, raw.length);
  }

  /**
   * A task changed. Returns true when its whole result is needed and not at hand (the caller
   * then GETs it and passes the value to `keep`).
   */
  onTask(task: Task): boolean {
    if (task.result === null || this.kept.get(task.uuid) !== undefined || !reprIsCut(task.result)) return false;
    const raw = this.pushed.take(task.uuid);
    return !(raw !== undefined && this.keep(task.uuid, raw) !== undefined);
  }

  /** Parse a stored value and keep it if it is a SUCCESS result; returns what was kept. */
  keep(uuid: string, raw: string): WholeResult | undefined {
    const whole = parseMeta(raw, this.redactor);
    if (whole === null || whole.status !== 'SUCCESS') return undefined;
    this.kept.set(uuid, whole, whole.json.length);
    this.fetched++;
    return whole;
  }

  get(uuid: string): WholeResult | undefined {
    return this.kept.get(uuid);
  }

  get size(): number {
    return this.kept.size;
  }

  clear(): void {
    this.kept.clear();
    this.pushed.clear();
  }
}

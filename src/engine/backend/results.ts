/**
 * Whole task results from a Redis result backend (PROTOCOL.md §7), for tasks whose result repr in
 * the event was cut by saferepr (1024 characters) or does not parse.
 *
 * The worker SETEXes `celery-task-meta-<uuid>` and PUBLISHes the same value on that channel
 * *before* it sends task-succeeded, so we PSUBSCRIBE and hold recent pushes briefly (raw, bounded)
 * until the event says whether the whole value is needed; if the push was missed, a GET fetches it.
 * Only what is needed is parsed and kept, at most `maxResults` (the task bound) and `maxBytes`.
 *
 * A backend that cannot be read never stops the server: `rpc://` (results go to the caller's reply
 * queue) and non-Redis backends are reported once at start-up; an unreachable Redis is warned
 * about and retried in the background, and events are served as usual meanwhile.
 */
import { Redis } from 'ioredis';
import { maskUrl, UsageError } from '../../errors.js';
import { backoffMs, describeError } from '../broker/source.js';
import type { Task } from '../model.js';
import { META_PREFIX, needsWholeResult, ResultKeeper, type KeeperOptions, type WholeResult } from './result-keeper.js';

/** What `stats` says of the result backend. */
export type BackendState = 'connected' | 'unavailable' | 'unsupported' | 'none';

export interface ResultBackend {
  /** Masked URL, '' when there is none. */
  readonly masked: string;
  readonly state: BackendState;
  /** Whole results read from the backend and kept. */
  readonly fetched: number;
  start(): Promise<void>;
  /** A task changed: if its event result is cut, get its whole result (now if pushed, else soon). */
  onTask(task: Task): void;
  /** The whole result kept for this task, if any. */
  get(uuid: string): WholeResult | undefined;
  /** `get`, or read it from the backend now (giving up after `timeoutMs`) if the task needs it. */
  fetch(task: Task, timeoutMs: number): Promise<WholeResult | undefined>;
  clear(): void;
  close(): Promise<void>;
}

export interface ResultBackendOptions extends KeeperOptions {
  /** Where warnings go (the server: stderr). */
  readonly log: (message: string) => void;
  readonly connectTimeoutMs?: number;
}

export function openResultBackend(url: string | undefined, options: ResultBackendOptions): ResultBackend {
  if (url === undefined || url === '') return new NoBackend('', 'none');
  let u: URL;
  try {
    u = new URL(url);
  } catch (e) {
    throw new UsageError(`--backend: not a URL: ${maskUrl(url)} (expected redis://…)`, { cause: e });
  }
  const masked = maskUrl(url);
  if (u.protocol === 'redis:' || u.protocol === 'rediss:') return new RedisResultBackend(url, masked, options);
  const why =
    u.protocol === 'rpc:'
      ? 'rpc:// sends each result to the reply queue of the client that called the task, where no monitor can read it'
      : `clearly reads whole results from a Redis result backend (redis://) only, not ${u.protocol}//`;
  return new NoBackend(masked, 'unsupported', () =>
    options.log(`result backend ${masked}: ${why}; results come from events only (cut at 1024 characters)`),
  );
}

class NoBackend implements ResultBackend {
  readonly fetched = 0;
  constructor(
    readonly masked: string,
    readonly state: BackendState,
    private readonly announce?: () => void,
  ) {}
  async start(): Promise<void> {
    this.announce?.();
  }
  onTask(): void {}
  get(): undefined {
    return undefined;
  }
  async fetch(): Promise<undefined> {
    return undefined;
  }
  clear(): void {}
  async close(): Promise<void> {}
}

class RedisResultBackend implements ResultBackend {
  state: BackendState = 'unavailable';
  private readonly keeper: ResultKeeper;
  private readonly inFlight = new Map<string, Promise<WholeResult | undefined>>();
  private sub: Redis | null = null;
  private cmd: Redis | null = null;
  /** We told the user the backend is missing: tell them when it is back. */
  private warned = false;
  private closing = false;
  private lastError = '';

  constructor(
    private readonly url: string,
    readonly masked: string,
    private readonly o: ResultBackendOptions,
  ) {
    this.keeper = new ResultKeeper(o);
  }

  get fetched(): number {
    return this.keeper.fetched;
  }

  async start(): Promise<void> {
    const common = {
      connectTimeout: this.o.connectTimeoutMs ?? 3000,
      // Never give up: the backend may come up after us. Our own log says what is happening.
      retryStrategy: (times: number) => (this.closing ? null : backoffMs(times)),
    };
    // Queued commands (the PSUBSCRIBE) wait for the connection instead of failing.
    const sub = new Redis(this.url, { ...common, maxRetriesPerRequest: null });
    // A GET while disconnected fails at once: a client asking for a task must not wait on it.
    const cmd = new Redis(this.url, { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    this.sub = sub;
    this.cmd = cmd;
    sub.on('error', () => {}); // reported through cmd's state
    sub.on('pmessage', (_p: string, channel: string, message: string) => this.keeper.push(channel, message));
    void sub.psubscribe(`${META_PREFIX}*`).catch(() => {});
    cmd.on('error', (e: Error) => {
      this.lastError = describeError(e);
    });
    cmd.on('ready', () => {
      if (this.closing) return;
      // Only say so when we said it was missing (the first connection at start-up is silent).
      if (this.warned) this.o.log(`result backend ${this.masked} answers now: whole results are read again`);
      this.warned = false;
      this.state = 'connected';
    });
    cmd.on('close', () => {
      if (this.closing || this.state !== 'connected') return;
      this.state = 'unavailable';
      this.warned = true;
      this.o.log(`lost the result backend ${this.masked} (${this.lastError || 'connection closed'}); retrying, events are still served`);
    });
    const up = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), (this.o.connectTimeoutMs ?? 3000) + 500);
      cmd.once('ready', () => {
        clearTimeout(timer);
        resolve(true);
      });
      cmd.once('error', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (!up) {
      this.warned = true;
      this.o.log(
        `cannot reach the result backend ${this.masked} (${this.lastError || 'no answer'}); serving events without whole results, retrying in the background`,
      );
    }
  }

  onTask(task: Task): void {
    if (this.keeper.onTask(task)) void this.fetchNow(task.uuid, 5000);
  }

  get(uuid: string): WholeResult | undefined {
    return this.keeper.get(uuid);
  }

  async fetch(task: Task, timeoutMs: number): Promise<WholeResult | undefined> {
    const hit = this.keeper.get(task.uuid);
    if (hit !== undefined || !needsWholeResult(task)) return hit;
    return this.fetchNow(task.uuid, timeoutMs);
  }

  clear(): void {
    this.keeper.clear();
  }

  async close(): Promise<void> {
    this.closing = true;
    const conns = [this.sub, this.cmd];
    this.sub = this.cmd = null;
    for (const r of conns) r?.disconnect();
  }

  private fetchNow(uuid: string, timeoutMs: number): Promise<WholeResult | undefined> {
    const cmd = this.cmd;
    if (cmd === null || this.state !== 'connected') return Promise.resolve(undefined);
    const running = this.inFlight.get(uuid);
    if (running !== undefined) return running;
    const get = cmd.get(META_PREFIX + uuid).then(
      (raw) => (raw === null ? undefined : this.keeper.keep(uuid, raw)),
      () => undefined,
    );
    const bounded = Promise.race([get, new Promise<undefined>((r) => setTimeout(() => r(undefined), timeoutMs).unref())]);
    this.inFlight.set(uuid, get);
    void get.finally(() => this.inFlight.delete(uuid));
    return bounded;
  }
}

/**
 * One task's stored state in a Redis result backend, for `task --wait --broker … --backend …`:
 * SUBSCRIBE to `celery-task-meta-<uuid>` (the worker PUBLISHes every state it stores there),
 * then GET the key, in that order so a result stored in between is not missed (PROTOCOL.md §7).
 */
import { Redis } from 'ioredis';
import { maskUrl, UnavailableError, UsageError } from '../errors.js';
import { parseTaskMeta, type TaskMeta } from '../engine/backend/task-meta.js';

export const META_PREFIX = 'celery-task-meta-';

export interface MetaWatch {
  close(): void;
}

/** Throws UsageError for a backend clearly cannot read (only Redis stores results it can GET). */
export function checkBackendUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch (e) {
    throw new UsageError(`--backend: not a URL: ${maskUrl(url)} (expected redis://…)`, { cause: e });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    const why = u.protocol === 'rpc:' ? 'rpc:// sends results to the caller only' : `clearly reads Redis result backends only, not ${u.protocol}//`;
    throw new UsageError(`--backend ${maskUrl(url)}: ${why}; without --backend, --wait follows the task's events`);
  }
}

/**
 * Calls `onMeta` with the stored state now (if any) and with every state stored from now on.
 * Rejects with UnavailableError when the backend cannot be reached.
 */
export async function watchTaskMeta(url: string, uuid: string, onMeta: (meta: TaskMeta) => void): Promise<MetaWatch> {
  checkBackendUrl(url);
  const options = { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 1, enableOfflineQueue: false };
  const sub = new Redis(url, { ...options, connectionName: 'clearly-wait-sub' });
  const cmd = new Redis(url, { ...options, connectionName: 'clearly-wait' });
  let lastError: unknown;
  for (const r of [sub, cmd]) r.on('error', (e: unknown) => (lastError = e));
  const close = (): void => {
    sub.disconnect();
    cmd.disconnect();
  };
  const key = META_PREFIX + uuid;
  try {
    await Promise.all([sub.connect(), cmd.connect()]);
    sub.on('message', (channel: string, message: string) => {
      if (channel !== key) return;
      const meta = parseTaskMeta(message);
      if (meta !== null) onMeta(meta);
    });
    await sub.subscribe(key);
    const stored = await cmd.get(key);
    if (stored !== null) {
      const meta = parseTaskMeta(stored);
      if (meta !== null) onMeta(meta);
    }
  } catch (e) {
    close();
    const why = (lastError ?? e) instanceof Error ? ((lastError ?? e) as Error).message : String(lastError ?? e);
    throw new UnavailableError(`cannot reach the result backend ${maskUrl(url)} (${why})`, { cause: lastError ?? e });
  }
  return { close };
}

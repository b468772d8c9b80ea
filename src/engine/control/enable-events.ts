/**
 * Switching task events on in running workers: Celery's `enable_events` remote-control command
 * (what `celery control enable_events` and Flower's every-5-seconds loop send). A worker answers
 * `{"ok": "task events enabled"}` when it switched, `{"ok": "task events already enabled"}` when
 * they were on; the change lasts until the worker restarts.
 */
import type { ControlClient, ControlReply } from './mailbox.js';

export interface EnableReply {
  readonly hostname: string;
  /** True when this call switched its task events on (they were off). */
  readonly switched: boolean;
  /** What it said (`task events enabled`), or its error. */
  readonly said: string;
}

export function parseEnableReply(r: ControlReply): EnableReply {
  if (r.error !== undefined) return { hostname: r.hostname, switched: false, said: `error: ${r.error}` };
  const v = r.value;
  const ok = v !== null && typeof v === 'object' && typeof (v as Record<string, unknown>)['ok'] === 'string' ? ((v as Record<string, unknown>)['ok'] as string) : null;
  if (ok === null) return { hostname: r.hostname, switched: false, said: JSON.stringify(v) };
  return { hostname: r.hostname, switched: ok === 'task events enabled', said: ok };
}

/** Broadcasts enable_events once and returns every worker's answer (sorted by hostname). */
export async function enableEvents(ctl: ControlClient, timeoutMs: number, destination: readonly string[] | null = null): Promise<EnableReply[]> {
  const replies = await ctl.call({ method: 'enable_events', arguments: {}, destination, timeoutMs });
  return replies.map(parseEnableReply).sort((a, b) => a.hostname.localeCompare(b.hostname));
}

/** Flower's interval. */
export const ENABLE_EVERY_MS = 5_000;

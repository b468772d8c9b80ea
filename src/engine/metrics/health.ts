/**
 * `/health`'s verdict, from what the collector knows (time passed in): healthy while the broker
 * connection is up and events arrive, or workers are online (their heartbeats are events, so an
 * idle cluster with live workers is healthy). Otherwise a one-line reason, for a 503.
 */

export interface HealthInput {
  readonly brokerState: string;
  readonly broker: string;
  /** Epoch seconds of the last event received; null if none yet. */
  readonly lastEventAt: number | null;
  readonly startedAt: number;
  readonly workersOnline: number;
  readonly now: number;
  /** How long without events counts as silence (seconds). */
  readonly silentAfter: number;
}

export type HealthVerdict = { readonly ok: true; readonly reason: string } | { readonly ok: false; readonly reason: string };

export function serverHealth(h: HealthInput): HealthVerdict {
  if (h.brokerState !== 'connected') return { ok: false, reason: `broker ${h.broker} ${h.brokerState}: no events until it is back` };
  const since = h.lastEventAt ?? h.startedAt;
  const silent = h.now - since;
  if (silent > h.silentAfter && h.workersOnline === 0) {
    const what = h.lastEventAt === null ? 'no event received since start' : 'no event received';
    return { ok: false, reason: `${what} for ${Math.round(silent)}s and no worker online (are workers started with -E?)` };
  }
  return { ok: true, reason: `OK: broker connected, ${h.workersOnline} worker${h.workersOnline === 1 ? '' : 's'} online` };
}

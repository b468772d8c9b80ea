import { describe, expect, it } from 'vitest';
import { serverHealth } from '../../../src/engine/metrics/health.js';

const base = { brokerState: 'connected', broker: 'redis://h:6379/0', lastEventAt: 100, startedAt: 0, workersOnline: 1, now: 110, silentAfter: 60 };

describe('/health', () => {
  it('is OK while the broker is connected and events arrive or workers are online', () => {
    expect(serverHealth(base)).toEqual({ ok: true, reason: 'OK: broker connected, 1 worker online' });
    expect(serverHealth({ ...base, now: 1000 }).ok).toBe(true); // silent, but a worker is online
    expect(serverHealth({ ...base, workersOnline: 0, now: 150 }).ok).toBe(true); // quiet for 50 s only
  });
  it('is 503 with one line when the broker is lost or nothing arrives and no worker is online', () => {
    const lost = serverHealth({ ...base, brokerState: 'reconnecting' });
    expect(lost).toEqual({ ok: false, reason: 'broker redis://h:6379/0 reconnecting: no events until it is back' });
    const silent = serverHealth({ ...base, workersOnline: 0, now: 200 });
    expect(silent.ok).toBe(false);
    expect(silent.reason).toBe('no event received for 100s and no worker online (are workers started with -E?)');
    expect(serverHealth({ ...base, lastEventAt: null, workersOnline: 0, now: 61 }).reason).toMatch(/^no event received since start for 61s/);
    expect(silent.reason).not.toContain('\n');
  });
});

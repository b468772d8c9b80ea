import { describe, expect, it } from 'vitest';
import type { WorkerEvent, WorkerSubject } from '../../../src/engine/events/types.js';
import {
  DEFAULT_FREQ,
  WorkerTable,
  expiresAt,
  isExpired,
  mergeWorkerEvent,
  newWorker,
  touch,
} from '../../../src/engine/state/workers.js';

function wev(subject: WorkerSubject, over: Partial<WorkerEvent> = {}): WorkerEvent {
  return {
    kind: 'worker',
    type: `worker-${subject}`,
    subject,
    hostname: 'w1@host',
    timestamp: 100,
    clock: 7,
    pid: 4242,
    utcoffset: 0,
    freq: 2,
    active: 3,
    processed: 20,
    loadavg: [0.1, 0.2, 0.3],
    sw_ident: 'py-celery',
    sw_ver: '5.2.6',
    sw_sys: 'Linux',
    ...over,
  };
}

describe('worker reducer', () => {
  it('starts unknown: offline, Celery default freq 60', () => {
    expect(newWorker('w9@h')).toEqual({
      hostname: 'w9@h', pid: null, freq: DEFAULT_FREQ, active: null, processed: null, loadavg: null,
      sw_ident: null, sw_ver: null, sw_sys: null, clock: 0, timestamp: 0, lastSeen: 0, alive: false,
      firstSeen: 0, heartbeats: 0, taskEvents: 0, processedFirst: null, solicited: false,
    });
    expect(DEFAULT_FREQ).toBe(60);
  });

  it('merges a full heartbeat', () => {
    const w = newWorker('w1@host');
    mergeWorkerEvent(w, wev('heartbeat'));
    expect(w).toMatchObject({
      pid: 4242, freq: 2, active: 3, processed: 20, loadavg: [0.1, 0.2, 0.3], sw_ident: 'py-celery',
      sw_ver: '5.2.6', sw_sys: 'Linux', clock: 7,
    });
  });

  it('keeps active/processed/loadavg through a control-induced heartbeat that lacks them', () => {
    const w = newWorker('w1@host');
    mergeWorkerEvent(w, wev('heartbeat'));
    mergeWorkerEvent(w, wev('heartbeat', { freq: 5, clock: 9, active: undefined, processed: undefined, loadavg: undefined }));
    expect(w).toMatchObject({ freq: 5, clock: 9, active: 3, processed: 20, loadavg: [0.1, 0.2, 0.3] });
  });

  it('expires 2×freq after it was last heard from, not a moment before', () => {
    const w = newWorker('w1@host');
    w.freq = 2;
    touch(w, 1000, 999.5);
    expect(expiresAt(w)).toBe(1004);
    expect(isExpired(w, 1003.999)).toBe(false);
    expect(isExpired(w, 1004)).toBe(true);
  });

  it('touch never moves liveness back for an out-of-order arrival', () => {
    const w = newWorker('w1@host');
    touch(w, 1000, 1);
    touch(w, 990, 2);
    expect(w.lastSeen).toBe(1000);
    expect(w.timestamp).toBe(2);
  });
});

describe('WorkerTable', () => {
  function seen(t: WorkerTable, host: string, lastSeen: number, alive: boolean): void {
    const w = t.create(host);
    w.lastSeen = lastSeen;
    w.alive = alive;
  }

  it('evicts offline workers first, least recently seen first', () => {
    const t = new WorkerTable(3);
    seen(t, 'a', 10, true);
    seen(t, 'b', 30, false);
    seen(t, 'c', 20, false);
    t.create('d');
    expect([...t.values()].map((w) => w.hostname)).toEqual(['a', 'b', 'd']);
    expect(t.evicted).toBe(1);
  });

  it('then the least recently seen of all', () => {
    const t = new WorkerTable(2);
    seen(t, 'a', 20, true);
    seen(t, 'b', 10, true);
    t.create('c');
    expect([...t.values()].map((w) => w.hostname)).toEqual(['a', 'c']);
    expect(t.get('b')).toBeUndefined();
    expect(t.size).toBe(2);
    expect(t.evicted).toBe(1);
  });

  it('clears, and refuses a capacity below 1', () => {
    const t = new WorkerTable(1);
    t.create('a');
    t.create('b');
    t.clear();
    expect([t.size, t.evicted]).toEqual([0, 0]);
    expect(() => new WorkerTable(0)).toThrow(RangeError);
  });
});

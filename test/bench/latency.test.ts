import { describe, expect, it } from 'vitest';
import type { GenEvent } from '../../src/engine/simulate/encode.js';
import { PublishTimes } from '../../bench/latency.js';

const common = { hostname: 'w1@h', utcoffset: 0, pid: 1, clock: 1, timestamp: 1 };
const started = (uuid: string): GenEvent => ({ ...common, uuid, type: 'task-started' });
const heartbeat: GenEvent = {
  ...common,
  freq: 2,
  active: 0,
  processed: 0,
  loadavg: [0, 0, 0],
  sw_ident: 'py-celery',
  sw_ver: '5.2.6',
  sw_sys: 'Linux',
  type: 'worker-heartbeat',
};

describe('PublishTimes', () => {
  it('keys task events by uuid and the state their record shows', () => {
    const times = new PublishTimes();
    times.note([started('a'), started('b'), heartbeat], 10);
    expect(times.take('a', 'STARTED')).toBe(10);
    expect(times.take('b', 'RECEIVED')).toBeUndefined();
    expect(times.take('b', 'STARTED')).toBe(10);
  });

  it('hands each time out once, oldest first (a retried task repeats its states)', () => {
    const times = new PublishTimes();
    times.note([started('a')], 1);
    times.note([started('a')], 2);
    expect(times.take('a', 'STARTED')).toBe(1);
    expect(times.take('a', 'STARTED')).toBe(2);
    expect(times.take('a', 'STARTED')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { queueReadings } from '../../../src/engine/metrics/queue-readings.js';

describe("celery-exporter's per-queue gauges from one poll", () => {
  const consumers = [
    { queues: ['celery', 'email'], processes: 4 },
    { queues: ['email', 'email'], processes: 2 }, // a queue listed twice counts once per worker
  ];
  it('counts workers and their processes per queue; lengths and (amqp) consumers from the broker', () => {
    const depths = [
      { queue: 'celery', messages: 3, consumers: 1, exists: true },
      { queue: 'email', messages: 0, consumers: 2, exists: true },
      { queue: 'gone', messages: null, consumers: null, exists: false },
    ];
    expect(queueReadings(['celery', 'email', 'gone'], consumers, depths, 'amqp')).toEqual([
      { queue: 'celery', length: 3, consumers: 1, workers: 1, processes: 4 },
      { queue: 'email', length: 0, consumers: 2, workers: 2, processes: 6 },
      { queue: 'gone', length: 0, consumers: 0, workers: 0, processes: 0 }, // NOT_FOUND: 0, as exporter.py
    ]);
  });
  it('on Redis no consumer count; a broker that did not answer leaves the length unset', () => {
    expect(queueReadings(['celery'], consumers, null, 'redis')).toEqual([{ queue: 'celery', length: null, consumers: null, workers: 1, processes: 4 }]);
  });
});

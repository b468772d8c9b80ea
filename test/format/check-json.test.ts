import { describe, expect, it } from 'vitest';
import { unmeasured, type Measured, type Measurements, type QueueSeen } from '../../src/engine/health/health.js';
import { evaluate } from '../../src/engine/health/evaluate.js';
import { parseCheckFlags } from '../../src/engine/health/thresholds.js';
import { checkJson } from '../../src/format/check-json.js';

describe('check --json', () => {
  it('every measured value and each verdict', () => {
    const plan = parseCheckFlags({ minWorkers: '2', workersPattern: '^w', maxFailureRate: '5%:10%', maxQueue: ['celery=10', 'gone=5'], maxStuck: '10m' });
    const m: Measurements = {
      workers: { ok: true, alive: ['w1@h'], known: 2 },
      failures: { ok: true, failures: 1, finished: 4, windowSeconds: 600, note: null },
      queues: new Map<string, Measured<QueueSeen>>([
        ['celery', { ok: true, messages: 3, consumers: 1 }],
        ['gone', unmeasured('queue gone does not exist on the broker')],
      ]),
      stuck: {
        ok: true,
        oldest: [{ uuid: 'u1', name: 'tasks.slow', state: 'STARTED', worker: 'w1@h', ageSeconds: 12 }],
        ages: [12],
        undated: 0,
        waiting: 3,
        note: null,
      },
    };
    const result = evaluate(plan, m);
    const json = checkJson(result, plan, m, { source: 'server', server: 'localhost:12223', broker: 'redis://127.0.0.1:6379/0', checkedAt: 1000, listenedSeconds: null });
    expect(json).toEqual({
      status: 'CRITICAL',
      exit_code: 2,
      source: 'server',
      server: 'localhost:12223',
      broker: 'redis://127.0.0.1:6379/0',
      checked_at: 1000,
      window_seconds: 600,
      listened_seconds: null,
      workers_pattern: '^w',
      measured: {
        workers: { alive: ['w1@h'], alive_count: 1, known: 2 },
        failures: { failures: 1, finished: 4, failure_rate: 25, window_seconds: 600, note: null },
        queues: { celery: { messages: 3, consumers: 1 }, gone: { unknown: 'queue gone does not exist on the broker' } },
        stuck: {
          in_flight: 1,
          undated: 0,
          waiting: 3,
          oldest_seconds: 12,
          oldest: [{ uuid: 'u1', name: 'tasks.slow', state: 'STARTED', worker: 'w1@h', age_seconds: 12 }],
          note: null,
        },
      },
      thresholds: [
        {
          threshold: 'min-workers',
          flag: '--min-workers',
          status: 'CRITICAL',
          value: 1,
          bound: 'exact',
          unit: 'count',
          warning: null,
          critical: 2,
          summary: '1/2 workers alive matching /^w/',
          reason: '1 live worker matching /^w/ of 2 known: w1@h',
        },
        {
          threshold: 'max-failure-rate',
          flag: '--max-failure-rate',
          status: 'CRITICAL',
          value: 25,
          bound: 'exact',
          unit: 'percent',
          warning: 5,
          critical: 10,
          summary: 'failure rate 25.0% (10m)',
          reason: '1 of 4 finished tasks failed in the last 10m',
        },
        {
          threshold: 'max-queue',
          flag: '--max-queue',
          queue: 'celery',
          status: 'OK',
          value: 3,
          bound: 'exact',
          unit: 'count',
          warning: null,
          critical: 10,
          summary: 'queue celery 3 messages',
          reason: '3 messages waiting in celery, 1 consumer',
        },
        {
          threshold: 'max-queue',
          flag: '--max-queue',
          queue: 'gone',
          status: 'UNKNOWN',
          value: null,
          bound: null,
          unit: 'count',
          warning: null,
          critical: 5,
          summary: 'queue gone unknown (queue gone does not exist on the broker)',
          reason: 'queue gone does not exist on the broker',
        },
        {
          threshold: 'max-stuck',
          flag: '--max-stuck',
          status: 'OK',
          value: 12,
          bound: 'exact',
          unit: 'seconds',
          warning: null,
          critical: 600,
          summary: 'no task stuck (oldest running 12s)',
          reason: '1 task running (or held with a pool slot free), none for longer than 10m; 3 tasks wait behind busy pool slots or for an ETA (queueing, not stuck)',
        },
      ],
    });
  });

  it('measurements not taken are left out, unknown ones say why', () => {
    const plan = parseCheckFlags({ maxSilence: '1m' });
    const m: Measurements = { silence: unmeasured('lost') };
    const json = checkJson(evaluate(plan, m), plan, m, { source: 'broker', server: null, broker: 'amqp://x', checkedAt: 1, listenedSeconds: 5.2 });
    expect(json['measured']).toEqual({ silence: { unknown: 'lost' } });
    expect(json['listened_seconds']).toBe(5.2);
    expect(json.exit_code).toBe(3);
  });
});

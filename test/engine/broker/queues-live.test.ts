/** Queue depths against real brokers, with queues filled by real Celery publishers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { queueDepths } from '../../../src/engine/broker/queue-depths.js';
import { UnavailableError } from '../../../src/errors.js';
import { assertBrokerReachable, BROKER_KINDS, BROKERS, deleteQueue, uniqueQueue, withRedis } from '../../helpers/brokers.js';
import { CELERY_DIR, PYTHON, runWorkload, startWorker } from '../../helpers/celery.js';
import type { WorkerHandle } from '../../helpers/celery.js';

/** Publish `count` tasks.add messages to `queue` with a priority, through Celery itself (nobody consumes it). */
async function publishWithPriority(broker: string, queue: string, count: number, priority: number): Promise<void> {
  const code = [
    'import tasks',
    `for _ in range(${count}): tasks.add.apply_async((1, 2), queue=${JSON.stringify(queue)}, priority=${priority})`,
  ].join('\n');
  await execa(PYTHON, ['-c', code], {
    cwd: CELERY_DIR,
    stdin: 'ignore',
    timeout: 30_000,
    env: { CLEARLY_TEST_BROKER: broker, PYTHONPATH: CELERY_DIR, PYTHONDONTWRITEBYTECODE: '1' },
  });
}

describe.each(BROKER_KINDS)('queue depths on %s', (kind) => {
  const url = BROKERS[kind];
  const idle = uniqueQueue('clearly-depth-idle');
  const served = uniqueQueue('clearly-depth-served');
  const missing = uniqueQueue('clearly-depth-missing');
  let worker: WorkerHandle;

  beforeAll(async () => {
    await assertBrokerReachable(url);
    worker = await startWorker({ broker: url, queues: [served], concurrency: 2 });
  });

  afterAll(async () => {
    await worker?.stop();
    await deleteQueue(url, idle);
    await deleteQueue(url, served);
  });

  it('counts what was published to a queue nobody consumes (all Redis priority lists)', async () => {
    const published = await runWorkload({ broker: url, queue: idle, call: { task: 'tasks.add', args: [2, 3], count: 4 } });
    expect(published).toHaveLength(4);
    // Priority 7 lands in `<queue>\x06\x166` on Redis; RabbitMQ ignores it on a non-priority queue.
    await publishWithPriority(url, idle, 3, 7);
    if (kind === 'redis') {
      expect(await withRedis(url, (r) => r.llen(`${idle}\x06\x166`))).toBe(3);
    }
    const [depth] = await queueDepths(url, [idle]);
    expect(depth).toEqual({ queue: idle, messages: 7, consumers: kind === 'amqp' ? 0 : null, exists: true });
  });

  it('reports a missing queue, keeps going after it, and creates nothing', async () => {
    const depths = await queueDepths(url, [missing, served, missing, idle]);
    const gone = { queue: missing, messages: kind === 'amqp' ? null : 0, consumers: null, exists: false };
    expect(depths).toEqual([
      gone,
      // On RabbitMQ the worker is the consumer of its queue; Redis has no consumer count.
      { queue: served, messages: 0, consumers: kind === 'amqp' ? 1 : null, exists: true },
      gone,
      { queue: idle, messages: 7, consumers: kind === 'amqp' ? 0 : null, exists: true },
    ]);
    // A passive check must not have declared it.
    expect((await queueDepths(url, [missing]))[0]?.exists).toBe(false);
  });

  it('answers an empty list with an empty list', async () => {
    expect(await queueDepths(url, [])).toEqual([]);
  });
});

describe('queue depths on an unreachable broker', () => {
  it.each([
    ['amqp', 'amqp://guest:s3cret@127.0.0.1:1//'],
    ['redis', 'redis://:s3cret@127.0.0.1:1/0'],
  ])('%s: UnavailableError within a few seconds, password masked', async (_kind, url) => {
    const t0 = Date.now();
    const err = await queueDepths(url, ['celery']).then(
      () => null,
      (e: unknown) => e,
    );
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toContain('127.0.0.1:1');
    expect((err as Error).message).not.toContain('s3cret');
  });
});

/**
 * Remote control against a REAL Celery worker on RabbitMQ and on Redis. Other test files (and other
 * people's runs) may have workers on the same brokers, so every assertion is about our worker's
 * reply, found by its node name, or uses `destination`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openControl } from '../../../src/engine/control/open.js';
import type { ControlClient } from '../../../src/engine/control/mailbox.js';
import { parsePing, parseStats, parseTaskList } from '../../../src/engine/control/replies.js';
import { UnavailableError } from '../../../src/errors.js';
import { assertBrokerReachable, BROKER_KINDS, BROKERS, deleteQueue, uniqueQueue, withRedis } from '../../helpers/brokers.js';
import { runWorkload, startWorker } from '../../helpers/celery.js';
import type { WorkerHandle } from '../../helpers/celery.js';
import amqplib from 'amqplib';

const KOMBU_SEP = '\x06\x16';

/** Passive declare: true if the queue exists, false on 404 (which closes only that channel). */
async function amqpQueueExists(url: string, queue: string): Promise<boolean> {
  const conn = await amqplib.connect(url, { timeout: 3_000 });
  conn.on('error', () => {});
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    await ch.checkQueue(queue);
    return true;
  } catch (e) {
    if ((e as { code?: unknown }).code === 404) return false;
    throw e;
  } finally {
    await conn.close().catch(() => {});
  }
}

describe.each(BROKER_KINDS)('remote control on %s', (kind) => {
  const url = BROKERS[kind];
  const queue = uniqueQueue('clearly-ctl');
  let worker: WorkerHandle;
  let ctl: ControlClient;

  beforeAll(async () => {
    await assertBrokerReachable(url);
    worker = await startWorker({ broker: url, queues: [queue], concurrency: 2 });
    ctl = await openControl(url);
    // Celery logs "ready." just before its first event-loop tick, which is when a Redis worker
    // subscribes to control broadcasts: a broadcast sent in between is lost. Wait until it answers.
    const deadline = Date.now() + 20_000;
    while ((await ctl.call({ method: 'ping', destination: [worker.hostname], timeoutMs: 500 })).length === 0) {
      if (Date.now() > deadline) throw new Error(`worker ${worker.hostname} never answered a ping`);
    }
  });

  afterAll(async () => {
    await ctl?.close();
    await worker?.stop();
    await deleteQueue(url, queue);
  });

  it('ping: the worker answers pong to a broadcast', async () => {
    const replies = await ctl.call({ method: 'ping', timeoutMs: 1500 });
    const ours = replies.filter((r) => r.hostname === worker.hostname);
    expect(ours).toEqual([{ hostname: worker.hostname, value: { ok: 'pong' } }]);
    expect(parsePing(ours[0] ?? { hostname: '', value: null })).toEqual({ ok: true, value: 'pong' });
  });

  it('ping with a destination returns as soon as that node answered', async () => {
    const t0 = Date.now();
    const replies = await ctl.call({ method: 'ping', destination: [worker.hostname], timeoutMs: 10_000 });
    expect(replies).toEqual([{ hostname: worker.hostname, value: { ok: 'pong' } }]);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('stats: prefork pool of 2, on this broker', async () => {
    const [reply, ...more] = await ctl.call({ method: 'stats', destination: [worker.hostname], timeoutMs: 10_000 });
    expect(more).toEqual([]);
    expect(reply?.hostname).toBe(worker.hostname);
    const stats = parseStats(reply ?? { hostname: '', value: null });
    expect(stats.ok).toBe(true);
    if (!stats.ok) return;
    expect(stats.value.pid).toBe(worker.pid);
    expect(stats.value.pool?.maxConcurrency).toBe(2);
    expect(stats.value.pool?.processes).toHaveLength(2);
    expect(stats.value.broker?.transport).toBe(kind);
  });

  it('active lists a running slow task', async () => {
    const [published] = await runWorkload({ broker: url, queue, call: { task: 'tasks.slow', args: [3] } });
    expect(published?.task).toBe('tasks.slow');
    let found: unknown = null;
    let workerPids: readonly number[] = [];
    const deadline = Date.now() + 8_000;
    while (!found && Date.now() < deadline) {
      const [reply] = await ctl.call({ method: 'active', arguments: { safe: null }, destination: [worker.hostname], timeoutMs: 5_000 });
      const list = parseTaskList(reply ?? { hostname: '', value: null });
      if (list.ok) found = list.value.tasks.find((t) => t.id === published?.id) ?? null;
      if (!found) await new Promise((r) => setTimeout(r, 200));
    }
    const [statsReply] = await ctl.call({ method: 'stats', destination: [worker.hostname], timeoutMs: 5_000 });
    const stats = parseStats(statsReply ?? { hostname: '', value: null });
    if (stats.ok) workerPids = stats.value.pool?.processes ?? [];
    expect(found).toMatchObject({
      id: published?.id,
      name: 'tasks.slow',
      args: [3],
      kwargs: {},
      hostname: worker.hostname,
      acknowledged: true,
      deliveryInfo: { routingKey: queue },
    });
    expect(workerPids).toContain((found as { workerPid: number }).workerPid);
  });

  it('a destination naming no worker gets no reply, after the timeout', async () => {
    const t0 = Date.now();
    const replies = await ctl.call({ method: 'ping', destination: ['nobody-clearly-test@nowhere'], timeoutMs: 800 });
    const elapsed = Date.now() - t0;
    expect(replies).toEqual([]);
    expect(elapsed).toBeGreaterThanOrEqual(750);
    expect(elapsed).toBeLessThan(3_000);
  });

  it('an unknown command comes back as the worker error', async () => {
    const replies = await ctl.call({ method: 'no_such_command', destination: [worker.hostname], timeoutMs: 10_000 });
    expect(replies).toEqual([
      { hostname: worker.hostname, value: { error: "KeyError('no_such_command')" }, error: "KeyError('no_such_command')" },
    ]);
  });

  it('concurrent calls each get their own replies', async () => {
    const [a, b] = await Promise.all([
      ctl.call({ method: 'ping', destination: [worker.hostname], timeoutMs: 10_000 }),
      ctl.call({ method: 'no_such_command', destination: [worker.hostname], timeoutMs: 10_000 }),
    ]);
    expect(a).toEqual([{ hostname: worker.hostname, value: { ok: 'pong' } }]);
    expect(b?.[0]?.error).toBe("KeyError('no_such_command')");
  });

  it('cast: the worker runs it without replying (pool_grow adds a process)', async () => {
    await ctl.cast('pool_grow', { n: 1 }, [worker.hostname]);
    let processes = 0;
    const deadline = Date.now() + 8_000;
    while (processes !== 3 && Date.now() < deadline) {
      const [reply] = await ctl.call({ method: 'stats', destination: [worker.hostname], timeoutMs: 5_000 });
      const stats = parseStats(reply ?? { hostname: '', value: null });
      processes = stats.ok ? (stats.value.pool?.processes.length ?? 0) : 0;
      if (processes !== 3) await new Promise((r) => setTimeout(r, 200));
    }
    expect(processes).toBe(3);
    await ctl.cast('pool_shrink', { n: 1 }, [worker.hostname]);
  });

  it('leaves nothing behind on the broker after close', async () => {
    const c = await openControl(url);
    expect(await c.call({ method: 'ping', destination: [worker.hostname], timeoutMs: 10_000 })).toHaveLength(1);
    if (kind === 'amqp') {
      expect(await amqpQueueExists(url, c.replyQueue)).toBe(true);
      await c.close();
      expect(await amqpQueueExists(url, c.replyQueue)).toBe(false);
    } else {
      const oid = c.replyQueue.split('.')[0] ?? '';
      const member = `${oid}${KOMBU_SEP}${KOMBU_SEP}${c.replyQueue}`;
      const bound = (): Promise<number> => withRedis(url, (r) => r.sismember('_kombu.binding.reply.celery.pidbox', member));
      expect(await bound()).toBe(1);
      await c.close();
      expect(await bound()).toBe(0);
      const left = await withRedis(url, (r) => r.keys(`${oid}*`));
      expect(left).toEqual([]);
    }
  });

  it('losing the reply path fails the pending call instead of waiting out its timeout', async () => {
    const c = await openControl(url);
    try {
      const t0 = Date.now();
      // No destination: it would wait the whole 15 s for replies.
      const pending = c.call({ method: 'ping', timeoutMs: 15_000 }).then(
        () => null,
        (e: unknown) => e,
      );
      await new Promise((r) => setTimeout(r, 300));
      if (kind === 'amqp') {
        // Deleting the queue makes RabbitMQ cancel our consumer.
        const conn = await amqplib.connect(url, { timeout: 3_000 });
        await (await conn.createChannel()).deleteQueue(c.replyQueue);
        await conn.close();
      } else {
        // Kill our BRPOP connection, found by the name it sets (CLIENT SETNAME).
        const oid = c.replyQueue.split('.')[0] ?? '';
        const list = await withRedis(url, (r) => r.client('LIST') as Promise<string>);
        const id = /(?:^|\s)id=(\d+)\s.*name=clearly-control-replies:(\S+)/m.exec(
          list.split('\n').find((l) => l.includes(`name=clearly-control-replies:${oid}`)) ?? '',
        )?.[1];
        expect(id).toBeDefined();
        await withRedis(url, (r) => r.client('KILL', 'ID', id ?? '0'));
      }
      const err = await pending;
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as Error).message).toContain(kind === 'amqp' ? 'deleted our reply queue' : 'lost the connection to Redis at');
    } finally {
      await c.close();
    }
  });

  it('a second close is harmless and a call after close rejects', async () => {
    const c = await openControl(url);
    await c.close();
    await c.close();
    await expect(c.call({ method: 'ping', timeoutMs: 100 })).rejects.toThrow('control client used after close()');
  });
});

describe('unreachable broker', () => {
  it.each([
    ['amqp', 'amqp://guest:s3cret@127.0.0.1:1//', 'RabbitMQ'],
    ['redis', 'redis://:s3cret@127.0.0.1:1/0', 'Redis'],
  ])('%s on port 1 fails fast with UnavailableError, password masked', async (_kind, url, service) => {
    const t0 = Date.now();
    const err = await openControl(url).then(
      () => null,
      (e: unknown) => e,
    );
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(err).toBeInstanceOf(UnavailableError);
    const msg = (err as Error).message;
    expect(msg).toContain(`cannot reach ${service} at`);
    expect(msg).toContain('127.0.0.1:1');
    expect(msg).toContain('****');
    expect(msg).not.toContain('s3cret');
    expect(msg).toContain(`nothing listens on 127.0.0.1:1 (connection refused): start ${service}`);
  });
});

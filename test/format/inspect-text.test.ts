import { describe, expect, it } from 'vitest';
import type { ControlReply } from '../../src/engine/control/mailbox.js';
import { parseStats, parseTaskList } from '../../src/engine/control/replies.js';
import { makePalette } from '../../src/format/colors.js';
import { heldTaskRecord, liveWorkerRecord, queueRecord } from '../../src/format/inspect-record.js';
import { argsText, renderHeldTasks, renderLiveWorkers, renderQueues } from '../../src/format/inspect-text.js';
import { readNdjson } from '../helpers/fixtures.js';

const plain = makePalette(false);

/** The reply Celery's own client returned in a capture, for its one worker. */
function capturedReply(name: string): ControlReply {
  const line = readNdjson<{ kind: string; result?: Record<string, unknown> }>(`${name}.ndjson`).find((l) => l.kind === 'client-result');
  const [hostname, value] = Object.entries(line?.result ?? {})[0] ?? ['', undefined];
  return { hostname, value };
}

function statsOf(name: string) {
  const parsed = parseStats(capturedReply(name));
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.value;
}

describe('worker records and table', () => {
  const redis = liveWorkerRecord({ hostname: 'w1@harness', pong: true, stats: statsOf('pidbox-redis-stats'), problem: null });
  const amqp = liveWorkerRecord({ hostname: 'w2@harness', pong: true, stats: statsOf('pidbox-amqp-stats'), problem: null });

  it('a record per worker from its stats (processed summed over task names)', () => {
    expect(redis).toEqual({
      kind: 'worker',
      hostname: 'w1@harness',
      alive: true,
      pong: true,
      pid: 12756,
      uptime: 9,
      concurrency: 2,
      processes: [12770, 12795],
      threads: null,
      max_tasks_per_child: null,
      prefetch_count: 8,
      processed: 27,
      processed_by_task: {
        'tasks.mul': 2,
        'tasks.add': 10,
        'tasks.echo': 3,
        'tasks.fail': 1,
        'tasks.flaky': 3,
        'tasks.big': 1,
        'tasks.reject_me': 1,
        'tasks.tsum': 1,
        'tasks.routed': 1,
        'tasks.slow': 2,
        'tasks.unserializable': 1,
        'tasks.die': 1,
      },
      broker: { transport: 'redis', hostname: '127.0.0.1', port: 6379, virtual_host: '0', userid: null },
      clock: 96,
      error: null,
    });
  });

  it('a worker that answered ping only', () => {
    expect(liveWorkerRecord({ hostname: 'w3@h', pong: true, stats: null, problem: 'w3@h: stats reply is not an object' })).toMatchObject({
      pid: null,
      processed: null,
      processes: [],
      broker: null,
      error: 'w3@h: stats reply is not an object',
    });
  });

  it('table', () => {
    const lonely = liveWorkerRecord({ hostname: 'w3@h', pong: true, stats: null, problem: 'no stats' });
    expect(renderLiveWorkers([redis, amqp, lonely], plain)).toEqual([
      'HOSTNAME      PID  CONCURRENCY  PROCESSED  PREFETCH  UPTIME  BROKER',
      'w1@harness  12756            2         27         8      9s  redis://127.0.0.1:6379/0',
      'w2@harness  12879            2         27         8      9s  amqp://guest@127.0.0.1:5672//',
      'w3@h            -            -          -         -       -  - (no stats)',
    ]);
    expect(renderLiveWorkers([], plain)).toEqual([]);
  });
});

describe('held task records and table', () => {
  const parsed = parseTaskList(capturedReply('pidbox-redis-active'));
  if (!parsed.ok) throw new Error(parsed.problem);
  const task = parsed.value.tasks[0]!;

  it('an active task as a record', () => {
    expect(heldTaskRecord({ holding: 'active', worker: 'w1@harness', task, eta: null, priority: null })).toEqual({
      kind: 'active',
      uuid: 'c015a2cc-b706-4178-ba5c-1ab4fff7198a',
      name: 'tasks.slow',
      worker: 'w1@harness',
      args: [3],
      kwargs: {},
      started: 1795240033.4117613,
      acknowledged: true,
      worker_pid: 15586,
      exchange: '',
      routing_key: 'celery',
      priority: 0,
      redelivered: null,
      eta: null,
    });
  });

  it('a scheduled one keeps its eta and priority', () => {
    expect(heldTaskRecord({ holding: 'scheduled', worker: 'w1@harness', task, eta: '2026-11-21T05:40:00+00:00', priority: 6 })).toMatchObject({
      kind: 'scheduled',
      eta: '2026-11-21T05:40:00+00:00',
      priority: 6,
    });
  });

  it('table: running time, waiting, eta', () => {
    const active = heldTaskRecord({ holding: 'active', worker: 'w1@harness', task, eta: null, priority: null });
    const reserved = { ...active, kind: 'reserved' as const, uuid: 'r-1', started: null, args: [], kwargs: { x: 1 } };
    const scheduled = { ...active, kind: 'scheduled' as const, uuid: 's-1', started: null, eta: '2026-11-21T05:40:00', args: [] };
    expect(renderHeldTasks([active, reserved, scheduled], plain, 1795240033.4117613 + 75)).toEqual([
      'WORKER      UUID                                  NAME        STATUS                   ARGS',
      'w1@harness  c015a2cc-b706-4178-ba5c-1ab4fff7198a  tasks.slow  running 1m 15s           (3,)',
      'w1@harness  r-1                                   tasks.slow  waiting                  x=1',
      'w1@harness  s-1                                   tasks.slow  eta 2026-11-21T05:40:00  -',
    ]);
  });

  it('args text is in Python notation, as watch shows it, whether the reply held values or reprs', () => {
    expect(argsText(['exported', 2, null, true], { to: 'a@b', opts: { x: [1] } })).toBe("('exported', 2, None, True) to='a@b', opts={'x': [1]}");
    expect(argsText('(1, 2)', "{'a': 1}")).toBe('(1, 2) a=1');
    expect(argsText(['x'], {})).toBe("('x',)");
    expect(argsText([], {})).toBe('');
  });

  it('args text is cut after a whole token, or inside a string too long for the cell', () => {
    expect(argsText([1111, 2222, 3333, 4444], {}, 14)).toBe('(1111, 2222,…');
    expect(argsText(['x'.repeat(100)], {}, 20)).toBe(`('${'x'.repeat(17)}…`);
  });
});

describe('queue records and table', () => {
  it('depths, a missing queue, consumers only on RabbitMQ', () => {
    const records = [
      queueRecord({ queue: 'celery', messages: 12, consumers: 2, exists: true }),
      queueRecord({ queue: 'nosuch', messages: null, consumers: null, exists: false }),
      queueRecord({ queue: 'weird', messages: null, consumers: null, exists: true }),
    ];
    expect(records[0]).toEqual({ kind: 'queue', queue: 'celery', messages: 12, consumers: 2, exists: true });
    expect(renderQueues(records, plain)).toEqual([
      'QUEUE        MESSAGES  CONSUMERS',
      'celery             12          2',
      'nosuch  no such queue          -',
      'weird     not a queue          -',
    ]);
  });
});

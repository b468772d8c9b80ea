import { describe, expect, it } from 'vitest';
import { eventsStatus } from '../../../src/engine/state/events-status.js';
import type { DiagnoseFacts, QueueFacts, WorkerFacts } from '../../../src/engine/diagnose/facts.js';
import { diagnose } from '../../../src/engine/diagnose/findings.js';
import { nextMessage } from '../../../src/engine/diagnose/next-message.js';

const NOW = 10_000;

function worker(hostname: string, over: Partial<WorkerFacts> = {}): WorkerFacts {
  return {
    hostname, queues: ['celery'], concurrency: 4, prefetchCount: 16, active: [], reserved: 0, scheduled: 0,
    lastHeartbeatAt: NOW - 1, heartbeats: 2, taskEvents: 3, processedFirst: 10, processedLast: 12,
    answersPidbox: true, freq: 2, observedSeconds: 5, ...over,
  };
}

function queue(name: string, over: Partial<QueueFacts> = {}): QueueFacts {
  return { name, exists: true, messages: 0, consumers: null, next: { ok: true, message: null }, waitedAtLeast: null, ...over };
}

function facts(queues: QueueFacts[], workers: WorkerFacts[], over: Partial<DiagnoseFacts> = {}): DiagnoseFacts {
  return { broker: 'redis://h:6379/0', transport: 'redis', queues, workers, listenedSeconds: 5, tasksFirstSent: 1, tasksFirstReceived: 0, taskSentHeard: 1, now: NOW, ...over };
}

const brief = (f: DiagnoseFacts) => diagnose(f).findings.map((x) => `${x.status} ${x.kind} ${x.subject ?? '-'}`);

describe('diagnose: findings, most serious first', () => {
  it('all clear is OK, exit 0', () => {
    const d = diagnose(facts([queue('celery')], [worker('w1@h')]));
    expect([d.status, d.exitCode]).toEqual(['OK', 0]);
    expect(d.findings.map((f) => f.kind)).toEqual(['all-clear']);
  });

  it('a queue nobody consumes: CRITICAL with messages waiting, WARNING when empty; the fix names it', () => {
    const d = diagnose(facts([queue('celery'), queue('bulk', { messages: 12 }), queue('idle')], [worker('w1@h')]));
    expect([d.status, d.exitCode]).toEqual(['CRITICAL', 2]);
    expect(d.findings.map((f) => `${f.status} ${f.message}`)).toEqual([
      'CRITICAL no worker consumes queue `bulk` (12 messages waiting)',
      'WARNING no worker consumes queue `idle`',
    ]);
    expect(d.findings[0]?.fix).toMatch(/-Q bulk.*add_consumer bulk/);
  });

  it("RabbitMQ's own consumer count decides; on Redis a worker that did not answer active_queues leaves it open", () => {
    expect(brief(facts([queue('bulk', { messages: 3, consumers: 1 })], [worker('w1@h')], { transport: 'amqp' }))).toEqual(['OK all-clear -']);
    expect(brief(facts([queue('bulk', { messages: 3 })], [worker('w1@h'), worker('w2@h', { queues: null })]))).toEqual([
      'UNKNOWN unanswered w2@h',
    ]);
  });

  it('a saturated worker: all its slots busy since the latest start, with what; its queue waiting is CRITICAL', () => {
    const active = [0, 1, 2, 3].map((i) => ({ id: `t${i}`, name: i < 3 ? 'reports.build' : 'email.send', startedAt: NOW - 900 + i * 60 }));
    const f = facts([queue('celery', { messages: 5 })], [worker('w1@h', { active, reserved: 2 })]);
    const d = diagnose(f);
    expect(d.findings.map((x) => `${x.status} ${x.message}`)).toEqual([
      'CRITICAL 5 messages wait in `celery` and every worker consuming it is busy (w1@h)',
      'WARNING all 4 slots of w1@h busy for 12m 00s with `reports.build`, `email.send`, 2 more tasks prefetched waiting for a slot',
    ]);
  });

  it('a worker with task events off, one with no events at all, and publishers without task-sent', () => {
    const f = facts(
      [queue('celery')],
      [
        worker('off@h', { taskEvents: 0, processedFirst: 10, processedLast: 15 }),
        worker('mute@h', { taskEvents: 0, heartbeats: 0, processedFirst: 3, processedLast: null, lastHeartbeatAt: null }),
        worker('idle@h', { taskEvents: 0, processedFirst: 7, processedLast: 7 }),
      ],
      { tasksFirstSent: 0, tasksFirstReceived: 4, taskSentHeard: 0 },
    );
    const d = diagnose(f);
    expect(d.findings.map((x) => `${x.status} ${x.kind} ${x.subject ?? '-'}`)).toEqual([
      'WARNING no-task-sent -',
      'WARNING task-events-off off@h',
      'WARNING no-heartbeats mute@h',
    ]);
    expect(d.findings[1]?.message).toBe('off@h has task events disabled: it finished 5 tasks (its heartbeats say) and sent no task event');
    expect(d.findings[1]?.fix).toMatch(/-E .*worker_send_task_events.*clearly enable-events/);
    expect(d.findings[0]?.fix).toMatch(/task_send_sent_event = True/);
    expect(d.exitCode).toBe(1);
  });

  it("tasks first seen at a worker's task-received while the publishers' task-sent came late: publishers do send it", () => {
    const d = diagnose(facts([queue('celery')], [worker('w1@h')], { tasksFirstSent: 0, tasksFirstReceived: 2, taskSentHeard: 2 }));
    expect([d.status, d.findings.map((x) => x.kind)]).toEqual(['OK', ['all-clear']]);
  });

  it('no worker at all is CRITICAL; a queue that does not exist is a WARNING', () => {
    expect(brief(facts([queue('typo', { exists: false, messages: null })], []))).toEqual(['CRITICAL no-worker -', 'WARNING queue-missing typo']);
  });
});

describe('events status', () => {
  const seen = { heartbeats: 1, taskEvents: 0, processedFirst: 1, processedLast: 1, answersPidbox: true, freq: 2, observedSeconds: 10 };
  it('on / off / no heartbeats / unknown', () => {
    expect(eventsStatus({ ...seen, taskEvents: 1 }).status).toBe('on');
    expect(eventsStatus({ ...seen, processedLast: 2 }).status).toBe('task-events-off');
    expect(eventsStatus({ ...seen, heartbeats: 0 }).status).toBe('no-heartbeats');
    // Not observed past two heartbeat intervals: too early to say.
    expect(eventsStatus({ ...seen, heartbeats: 0, observedSeconds: 3 }).status).toBe('unknown');
    expect(eventsStatus(seen).status).toBe('unknown');
  });
});

describe('next message', () => {
  it('reads protocol 2 headers from a kombu envelope, the delivery tag, and survives junk', () => {
    const env = { body: 'W1td', 'content-type': 'application/json', headers: { id: 'abc', task: 'tasks.add', eta: '2030-01-01T00:00:00+00:00' }, properties: { delivery_tag: 'tag-1', body_encoding: 'base64' } };
    expect(nextMessage(JSON.stringify(env))).toEqual({ id: 'abc', task: 'tasks.add', eta: '2030-01-01T00:00:00+00:00', tag: 'tag-1' });
    const v1 = { ...env, headers: {}, body: Buffer.from(JSON.stringify({ id: 'v1', task: 'tasks.old', eta: null })).toString('base64') };
    expect(nextMessage(JSON.stringify(v1))).toEqual({ id: 'v1', task: 'tasks.old', eta: null, tag: 'tag-1' });
    expect(nextMessage('not json')).toEqual({ id: null, task: null, eta: null, tag: null });
  });
});

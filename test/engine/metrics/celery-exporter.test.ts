/**
 * celery-exporter's behaviour, fed by the one reducer's changes: counters per subject with the
 * labels exporter.py computes, the zero-initialised set (not task_sent), runtime on success, queue
 * wait from the later of sent and ETA, worker_up 0 then purged, the exposition's text.
 */
import { describe, expect, it } from 'vitest';
import type { TaskEvent, TaskSubject, WorkerEvent, WorkerSubject } from '../../../src/engine/events/types.js';
import { CeleryExporterMetrics, type CeleryExporterOptions } from '../../../src/engine/metrics/celery-exporter.js';
import type { Family } from '../../../src/engine/metrics/families.js';
import { exposition, samples } from '../../../src/engine/metrics/prom-registry.js';
import { State } from '../../../src/engine/state/state.js';

let n = 0;
function tev(subject: TaskSubject, uuid: string, timestamp: number, over: Partial<TaskEvent> = {}): TaskEvent {
  return {
    kind: 'task', type: `task-${subject}`, subject, uuid,
    hostname: subject === 'sent' ? 'gen77@web-1' : 'w1@host-a', timestamp, clock: ++n, pid: 1, utcoffset: 0,
    ...over,
  };
}
function wev(subject: WorkerSubject, timestamp: number, over: Partial<WorkerEvent> = {}): WorkerEvent {
  return { kind: 'worker', type: `worker-${subject}`, subject, hostname: 'w1@host-a', timestamp, clock: ++n, pid: 9, utcoffset: 0, freq: 2, ...over };
}

function rig(o: CeleryExporterOptions = {}) {
  const state = new State({ maxTasks: 1000, maxWorkers: 10 });
  const m = new CeleryExporterMetrics(o);
  const feed = (ev: TaskEvent | WorkerEvent, now = ev.timestamp): void => {
    for (const c of state.apply(ev, now)) m.onChange(c, now);
  };
  const expire = (now: number): void => {
    for (const c of state.expire(now)) m.onChange(c, now);
  };
  return { m, feed, expire };
}

/** `{labels} value` lines of one family, label order as exposed, sorted. */
function lines(f: Family): string[] {
  return samples(f)
    .map((s) => `${s.metricName ?? f.spec.name}{${Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(',')}} ${s.value}`)
    .sort();
}

const lifecycle = (feed: (e: TaskEvent) => void, uuid: string, name: string, t0: number, end: 'succeeded' | 'failed', over: Partial<TaskEvent> = {}) => {
  feed(tev('sent', uuid, t0, { name, queue: 'emails', ...over }));
  feed(tev('received', uuid, t0 + 0.5, { name }));
  feed(tev('started', uuid, t0 + 2));
  feed(end === 'succeeded' ? tev('succeeded', uuid, t0 + 2.3, { runtime: 0.3 }) : tev('failed', uuid, t0 + 2.3, { exception: "BounceError('mailbox 12 gone')" }));
};

describe('celery-exporter metrics from the reducer', () => {
  it('counts each event under its subject with name, host after @, and the queue; zero-initialises all but task_sent', () => {
    const { m, feed } = rig();
    lifecycle(feed, 'u1', 'shop.email.send', 100, 'succeeded');
    lifecycle(feed, 'u2', 'shop.email.send', 110, 'failed');
    const [sent, received, started, succeeded, failed, rejected] = m.counters;
    expect(lines(sent!)).toEqual(['celery_task_sent_total{name=shop.email.send,hostname=web-1,queue_name=emails} 2']);
    expect(lines(received!)).toEqual([
      'celery_task_received_total{name=shop.email.send,hostname=host-a,queue_name=emails} 2',
      // created at zero by task-sent's labels (the publisher's host), as exporter.py does
      'celery_task_received_total{name=shop.email.send,hostname=web-1,queue_name=emails} 0',
    ]);
    expect(lines(started!)).toContain('celery_task_started_total{name=shop.email.send,hostname=host-a,queue_name=emails} 2');
    expect(lines(succeeded!)).toContain('celery_task_succeeded_total{name=shop.email.send,hostname=host-a,queue_name=emails} 1');
    expect(lines(failed!)).toEqual([
      'celery_task_failed_total{name=shop.email.send,hostname=host-a,exception=,queue_name=emails} 0',
      'celery_task_failed_total{name=shop.email.send,hostname=host-a,exception=BounceError,queue_name=emails} 1',
      'celery_task_failed_total{name=shop.email.send,hostname=web-1,exception=,queue_name=emails} 0',
    ]);
    expect(lines(rejected!)).toEqual([
      'celery_task_rejected_total{name=shop.email.send,hostname=host-a,queue_name=emails} 0',
      'celery_task_rejected_total{name=shop.email.send,hostname=web-1,queue_name=emails} 0',
    ]);
  });

  it('observes runtime on success only, in Python prometheus_client default buckets', () => {
    const { m, feed } = rig();
    lifecycle(feed, 'u1', 'a', 100, 'succeeded');
    lifecycle(feed, 'u2', 'a', 110, 'failed');
    const rt = lines(m.runtime).filter((l) => l.includes('host-a'));
    expect(rt).toContain('celery_task_runtime_count{name=a,hostname=host-a,queue_name=emails} 1');
    expect(rt).toContain('celery_task_runtime_bucket{name=a,hostname=host-a,queue_name=emails,le=0.25} 0');
    expect(rt).toContain('celery_task_runtime_bucket{name=a,hostname=host-a,queue_name=emails,le=0.5} 1');
    expect(rt).toContain('celery_task_runtime_bucket{name=a,hostname=host-a,queue_name=emails,le=0.075} 0');
    expect(rt).toContain('celery_task_runtime_bucket{name=a,hostname=host-a,queue_name=emails,le=+Inf} 1');
    expect(m.runtime.buckets).toEqual([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, Infinity]);
  });

  it('observes queue wait at task-started: started minus the later of sent and ETA, never negative', () => {
    const { m, feed } = rig();
    lifecycle(feed, 'u1', 'a', 100, 'succeeded'); // wait 2 s
    // ETA 5 s after sent, started 1 s after the ETA: wait 1 s, not 6.
    feed(tev('sent', 'u2', 200, { name: 'a', queue: 'emails', eta: new Date(205_000).toISOString() }));
    feed(tev('started', 'u2', 206));
    // Started "before" sent (clock skew): 0.
    feed(tev('sent', 'u3', 300, { name: 'a', queue: 'emails' }));
    feed(tev('started', 'u3', 299));
    // Never seen sent: not observed.
    feed(tev('started', 'u4', 400, { name: 'a' }));
    const qw = m.queueWait.all().next().value!;
    expect(qw.count).toBe(3);
    expect(qw.sum).toBeCloseTo(3, 6);
    expect(m.queueWait.buckets).toEqual([0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, Infinity]);
  });

  it("queue wait with an ETA does not depend on the monitor's time zone: workers two hours off this machine's", () => {
    // exporter.py shifts sent, started (Celery's localised timestamps) and the ETA alike; on the
    // events' own epoch seconds that is started - max(sent, ETA) whatever the offsets. (exporter.py
    // itself, fed these four events through Celery's adjust_timestamp: count 2, sum 4.0.)
    const here = Math.floor(new Date().getTimezoneOffset() / 60);
    const { m, feed } = rig();
    const utcoffset = here + 2;
    feed(tev('sent', 'u1', 1000, { name: 'a', queue: 'emails', utcoffset, eta: new Date(1005_000).toISOString() }));
    feed(tev('started', 'u1', 1006, { utcoffset }));
    // The same with the ETA written in another zone's clock time.
    feed(tev('sent', 'u2', 2000, { name: 'a', queue: 'emails', utcoffset, eta: '1970-01-01T02:33:30+02:00' })); // 2010
    feed(tev('started', 'u2', 2013, { utcoffset }));
    const qw = m.queueWait.all().next().value!;
    expect(qw.count).toBe(2);
    expect(qw.sum).toBeCloseTo(1 + 3, 6);
  });

  it('worker_up follows the reducer: 1 online, 0 (kept) when it says offline, purged after the window', () => {
    const { m, feed, expire } = rig({ purgeOfflineAfterSeconds: 600 });
    feed(wev('online', 10));
    feed(wev('heartbeat', 12, { active: 3 }));
    expect(lines(m.workerUp)).toEqual(['celery_worker_up{hostname=host-a} 1']);
    expect(lines(m.workerTasksActive)).toEqual(['celery_worker_tasks_active{hostname=host-a} 3']);
    lifecycle(feed, 'u1', 'a', 13, 'succeeded');
    expire(60); // no heartbeat for 48 s: the reducer says OFFLINE
    expect(lines(m.workerUp)).toEqual(['celery_worker_up{hostname=host-a} 0']);
    expect(lines(m.workerTasksActive)).toEqual(['celery_worker_tasks_active{hostname=host-a} 0']);
    // exporter.py purges by `worker_last_seen` (the last heartbeat, 12 here), not by when the
    // worker was declared offline (60): 612 s is inside the window, 613 s past it.
    expect(m.purge(612)).toEqual([]);
    expect(lines(m.workerUp)).toEqual(['celery_worker_up{hostname=host-a} 0']);
    expect(m.purge(613)).toEqual(['host-a']);
    expect(m.workerUp.size).toBe(0);
    expect(lines(m.counters[1]!).every((l) => !l.includes('host-a'))).toBe(true);
    // The publisher's host is not a worker: its series stay.
    expect(lines(m.counters[0]!)).toHaveLength(1);
    // The same host back: counted afresh.
    lifecycle(feed, 'u2', 'a', 700, 'succeeded');
    expect(lines(m.counters[1]!)).toContain('celery_task_received_total{name=a,hostname=host-a,queue_name=emails} 1');
  });

  it('after a purge every series is found afresh, even one another host shares a label value with (a queue named as the host)', () => {
    const { m, feed } = rig({ purgeOfflineAfterSeconds: 600 });
    feed(wev('online', 10));
    feed(tev('started', 'u1', 11, { hostname: 'w2@host-b', name: 'a', queue: 'host-a' }));
    expect(m.purge(700)).toEqual(['host-a']);
    expect(m.counters[2]!.size).toBe(0); // host-b's series went too: its queue label is host-a
    feed(tev('started', 'u2', 702, { hostname: 'w2@host-b', name: 'a', queue: 'host-a' }));
    expect(lines(m.counters[2]!)).toEqual(['celery_task_started_total{name=a,hostname=host-b,queue_name=host-a} 1']);
  });

  it('a live worker is never purged: each heartbeat is its last seen; purge 0 never purges', () => {
    const { m, feed } = rig({ purgeOfflineAfterSeconds: 600 });
    feed(wev('online', 10));
    for (let t = 12; t < 2000; t += 2) feed(wev('heartbeat', t, { active: 0 }));
    expect(m.purge(2000)).toEqual([]);
    expect(m.purge(2599)).toEqual(['host-a']); // silent since 1998 and never said offline: purged all the same, as exporter.py
    const never = rig({ purgeOfflineAfterSeconds: 0 });
    never.feed(wev('online', 10));
    never.feed(wev('offline', 11));
    expect(never.m.purge(100_000)).toEqual([]);
    expect(lines(never.m.workerUp)).toEqual(['celery_worker_up{hostname=host-a} 0']);
  });

  it('a worker-offline from a worker never seen online sets nothing (exporter.py forget_worker)', () => {
    const { m, feed } = rig();
    feed(wev('offline', 10, { hostname: 'ghost@nowhere' }));
    expect(m.workerUp.size).toBe(0);
  });

  it('prefix, static labels, generic hostnames, default queue, unknown exception class', () => {
    const { m, feed } = rig({ prefix: 'acme_', staticLabels: [['env', 'prod']], genericHostnameSent: true, defaultQueue: 'default' });
    feed(tev('sent', 'u1', 1, { name: 'a' }));
    feed(tev('failed', 'u1', 2, { exception: 'weird' }));
    expect(lines(m.counters[0]!)).toEqual(['acme_task_sent_total{name=a,hostname=generic,queue_name=default,env=prod} 1']);
    expect(lines(m.counters[4]!)).toContain('acme_task_failed_total{name=a,hostname=host-a,exception=UnknownException,queue_name=default,env=prod} 1');
  });

  it("a task-received Celery deems late is labelled with the host Celery's task.hostname kept (merge_rules), as exporter.py", () => {
    const { m, feed } = rig();
    // (exporter.py itself, fed these events: received by host-a 1, web-1 1, host-b 1.)
    // Another attempt's worker started it; this attempt's task-received (host-b) arrives after.
    feed(tev('sent', 'u1', 1, { name: 'a', queue: 'emails' }));
    feed(tev('started', 'u1', 3, { hostname: 'w1@host-a' }));
    feed(tev('received', 'u1', 2, { hostname: 'w2@host-b', name: 'a' }));
    // The publisher's task-sent merges all its fields (hostname too) even late: a late
    // task-received after it keeps the publisher's host.
    feed(tev('started', 'u2', 3, { hostname: 'w1@host-a' }));
    feed(tev('sent', 'u2', 1, { name: 'a', queue: 'emails' }));
    feed(tev('received', 'u2', 2, { hostname: 'w2@host-b', name: 'a' }));
    const received = lines(m.counters[1]!).filter((l) => !l.endsWith(' 0'));
    expect(received).toEqual([
      'celery_task_received_total{name=a,hostname=host-a,queue_name=emails} 1',
      'celery_task_received_total{name=a,hostname=web-1,queue_name=emails} 1',
    ]);
    // A task-received in order is its own host's.
    feed(tev('sent', 'u3', 1, { name: 'a', queue: 'emails' }));
    feed(tev('received', 'u3', 2, { hostname: 'w2@host-b', name: 'a' }));
    expect(lines(m.counters[1]!)).toContain('celery_task_received_total{name=a,hostname=host-b,queue_name=emails} 1');
  });

  it('custom buckets (--metrics-buckets, --metrics-queue-wait-buckets) get +Inf appended, as prometheus_client does', async () => {
    const { m, feed } = rig({ runtimeBuckets: [0.1, 1], queueWaitBuckets: [5, 60, Infinity] });
    lifecycle(feed, 'u1', 'a', 100, 'succeeded'); // runtime 0.3 s, queue wait 2 s
    const text = await exposition(() => [m.runtime, m.queueWait]).text();
    const le = (f: string) => text.split('\n').filter((l) => l.startsWith(`${f}_bucket{`) && l.includes('host-a')).map((l) => `${/le="([^"]+)"/.exec(l)![1]} ${l.split(' ').pop()}`);
    expect(le('celery_task_runtime')).toEqual(['0.1 0', '1.0 1', '+Inf 1']);
    expect(le('celery_task_queue_wait_time')).toEqual(['5.0 1', '60.0 1', '+Inf 1']);
  });

  it('a custom task event counts nowhere; a task with no name is labelled None, as Python prints it', () => {
    const { m, feed } = rig();
    feed({ ...tev('started', 'u1', 1), type: 'task-progress', subject: 'other' });
    expect(m.seriesCount).toBe(0);
    feed(tev('started', 'u1', 2));
    expect(lines(m.counters[2]!)).toEqual(['celery_task_started_total{name=None,hostname=host-a,queue_name=celery} 1']);
  });

  it('writes the text exposition through prom-client: HELP and TYPE for every family, le as Python spells it', async () => {
    const { m, feed } = rig();
    lifecycle(feed, 'u1', 'a', 100, 'succeeded');
    const text = await exposition(() => m.families()).text();
    expect(text).toContain('# TYPE celery_task_sent_total counter');
    expect(text).toContain('# TYPE celery_task_runtime histogram');
    expect(text).toContain('# TYPE celery_queue_length gauge');
    expect(text).toContain('celery_task_runtime_bucket{name="a",hostname="host-a",queue_name="emails",le="1.0"} 1');
    expect(text).toContain('celery_task_queue_wait_time_bucket{name="a",hostname="host-a",queue_name="emails",le="1800.0"} 1');
    expect(text.match(/^# HELP /gm)).toHaveLength(16);
  });

  it('costs no allocation per task event once its series exist (cached by label values)', () => {
    const { m, feed } = rig();
    lifecycle(feed, 'warm', 'a', 1, 'succeeded');
    const before = m.seriesCount;
    for (let i = 0; i < 1000; i++) lifecycle(feed, `u${i}`, 'a', 10 + i, 'succeeded');
    expect(m.seriesCount).toBe(before);
    expect(lines(m.counters[3]!)).toContain('celery_task_succeeded_total{name=a,hostname=host-a,queue_name=emails} 1001');
  });
});

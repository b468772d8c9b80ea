/**
 * clearly's own latency-leg histograms (each leg observed once, on the event that completes it,
 * in whatever order the events arrive) and Flower's compat set (flower/events.py's behaviour).
 */
import { describe, expect, it } from 'vitest';
import type { TaskEvent, TaskSubject, WorkerEvent, WorkerSubject } from '../../../src/engine/events/types.js';
import type { Family } from '../../../src/engine/metrics/families.js';
import { samples } from '../../../src/engine/metrics/prom-registry.js';
import { ClearlyMetrics } from '../../../src/engine/metrics/clearly-metrics.js';
import { ServerMetrics } from '../../../src/engine/metrics/server-metrics.js';
import { State } from '../../../src/engine/state/state.js';

let n = 0;
const tev = (subject: TaskSubject, uuid: string, timestamp: number, over: Partial<TaskEvent> = {}): TaskEvent => ({
  kind: 'task', type: `task-${subject}`, subject, uuid, hostname: subject === 'sent' ? 'gen1@web' : 'w1@host-a', timestamp, clock: ++n, pid: 1, utcoffset: 0, ...over,
});
const wev = (subject: WorkerSubject, timestamp: number, over: Partial<WorkerEvent> = {}): WorkerEvent => ({
  kind: 'worker', type: `worker-${subject}`, subject, hostname: 'w1@host-a', timestamp, clock: ++n, pid: 9, utcoffset: 0, freq: 2, ...over,
});

function rig(compat: boolean) {
  const state = new State({ maxTasks: 100, maxWorkers: 10 });
  const m = new ServerMetrics(compat ? { compat: ['flower'] } : {});
  const feed = (ev: TaskEvent | WorkerEvent) => {
    for (const c of state.apply(ev, ev.timestamp)) m.onChange(c, ev.timestamp);
  };
  return { m, feed };
}
const one = (f: Family) => [...f.all()];
const value = (f: Family, labels: Record<string, string>) =>
  samples(f).find((s) => s.metricName === undefined && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('clearly_task_*_seconds', () => {
  it('observes queued, prefetched, runtime and total once each, in order', () => {
    const { m, feed } = rig(false);
    feed(tev('sent', 'u', 10, { name: 'a', queue: 'q' }));
    feed(tev('received', 'u', 11, { name: 'a' }));
    feed(tev('started', 'u', 13));
    feed(tev('succeeded', 'u', 16, { runtime: 2.9 }));
    const [q, p, r, t] = [m.clearly.queued, m.clearly.prefetched, m.clearly.runtime, m.clearly.total].map((f) => one(f)[0]!);
    expect([q!.count, q!.sum, p!.count, p!.sum, r!.count, r!.sum, t!.count, t!.sum]).toEqual([1, 1, 1, 2, 1, 2.9, 1, 6]);
    expect(q!.values).toEqual(['a', 'q']);
  });
  it("a retry's new task-sent (from the worker) starts a new attempt: the old legs are not observed again", () => {
    const { m, feed } = rig(false);
    feed(tev('sent', 'u', 10, { name: 'a', queue: 'q' }));
    feed(tev('received', 'u', 11, { name: 'a' }));
    feed(tev('started', 'u', 12));
    feed(tev('sent', 'u', 12.5, { name: 'a', queue: 'q', retries: 1, hostname: 'w1@host-a' }));
    feed(tev('retried', 'u', 12.6));
    feed(tev('received', 'u', 13, { name: 'a', retries: 1 }));
    const q = one(m.clearly.queued).find((s) => s.values[1] === 'q')!;
    expect([q.count, q.sum]).toEqual([2, 1.5]); // 11 - 10, then 13 - 12.5
  });
  it('a task-sent that arrives last still completes queued and total, once', () => {
    const { m, feed } = rig(false);
    feed(tev('received', 'u', 11, { name: 'a' }));
    feed(tev('started', 'u', 12));
    feed(tev('succeeded', 'u', 14, { runtime: 2 }));
    const counted = (f: Family) => one(f).reduce((a, s) => a + s.count, 0);
    expect([counted(m.clearly.queued), counted(m.clearly.total), counted(m.clearly.runtime)]).toEqual([0, 0, 1]);
    feed(tev('sent', 'u', 10, { name: 'a', queue: 'q' }));
    const total = one(m.clearly.total).reduce((a, s) => a + s.count, 0);
    const queued = one(m.clearly.queued).reduce((a, s) => a + s.count, 0);
    expect([queued, total]).toEqual([1, 1]);
    expect(one(m.clearly.total).find((s) => s.count === 1)!.sum).toBe(4);
  });
  it('the legs found through the celery-exporter combos are those ClearlyMetrics finds alone, across names, queues, hosts and a purge', () => {
    const state = new State({ maxTasks: 1000, maxWorkers: 10 });
    const server = new ServerMetrics({ genericHostnameSent: true, purgeOfflineAfterSeconds: 60 });
    const alone = new ClearlyMetrics();
    const feed = (ev: TaskEvent | WorkerEvent) => {
      for (const c of state.apply(ev, ev.timestamp)) {
        server.onChange(c, ev.timestamp);
        if (c.kind === 'task') alone.onTask(c);
      }
    };
    let t = 0;
    for (let i = 0; i < 60; i++) {
      const [name, queue, host] = [`n${i % 3}`, `q${i % 2}`, `w${i % 4}@host-${i % 2}`];
      if (i === 30) {
        feed(wev('online', t, { hostname: 'w0@host-0' }));
        expect(server.exporter.purge(t + 100)).toEqual(['host-0']);
        t += 100;
      }
      feed(tev('sent', `u${i}`, (t += 1), { name, queue }));
      feed(tev('received', `u${i}`, (t += 0.5), { name, hostname: host }));
      feed(tev('started', `u${i}`, (t += 0.25), { hostname: host }));
      feed(tev(i % 5 === 0 ? 'failed' : 'succeeded', `u${i}`, (t += i / 10), { hostname: host, runtime: i / 10 }));
    }
    const legs = (m: ClearlyMetrics) => [m.queued, m.prefetched, m.runtime, m.total].map((f) => samples(f).map((x) => `${x.metricName} ${JSON.stringify(x.labels)} ${x.value}`).sort());
    expect(legs(server.clearly)).toEqual(legs(alone));
    expect(server.clearly.total.size).toBe(6);
  });
  it('reads the collector at scrape time; a store-less server has no store series', () => {
    const { m } = rig(false);
    m.beforeScrape(0, {
      eventsProcessed: 7, decodeErrors: 1, messages: 5, consumerLagSeconds: 0.2, brokerConnected: false, clients: 2, recordsDropped: 3,
      tasksInMemory: 4, workersInMemory: 1, tasksEvicted: 0, storeBacklog: null, storeDropped: null, storeWritten: null,
    });
    const by = new Map(m.clearly.families().map((f) => [f.spec.name, f]));
    expect(value(by.get('clearly_events_processed_total')!, {})).toBe(7);
    expect(value(by.get('clearly_broker_connected')!, {})).toBe(0);
    expect(by.get('clearly_store_backlog')!.size).toBe(0);
  });
});

describe('--metrics-compat flower', () => {
  it("counts every task event by the full node name, type and task name, as flower's EventsState", () => {
    const { m, feed } = rig(true);
    const f = m.flower!;
    feed(wev('online', 1));
    feed(tev('sent', 'u', 10, { name: 'a' }));
    feed(tev('received', 'u', 11, { name: 'a' }));
    expect(value(f.prefetchedTasks, { worker: 'w1@host-a', task: 'a' })).toBe(1);
    feed(tev('started', 'u', 13));
    expect(value(f.prefetchedTasks, { worker: 'w1@host-a', task: 'a' })).toBe(0);
    expect(value(f.prefetchTime, { worker: 'w1@host-a', task: 'a' })).toBe(2);
    feed(tev('succeeded', 'u', 16, { runtime: 2.9 }));
    expect(value(f.prefetchTime, { worker: 'w1@host-a', task: 'a' })).toBe(0);
    expect(value(f.events, { worker: 'gen1@web', type: 'task-sent', task: 'a' })).toBe(1);
    // later events carry no name: flower takes the task's
    expect(value(f.events, { worker: 'w1@host-a', type: 'task-succeeded', task: 'a' })).toBe(1);
    expect(one(f.runtime)).toHaveLength(1);
    expect(one(f.runtime)[0]!.sum).toBe(2.9);
    expect(f.prefetchTime.spec.type).toBe('gauge');
    feed(wev('heartbeat', 17, { active: 2 }));
    expect(value(f.executing, { worker: 'w1@host-a' })).toBe(2);
    feed(wev('offline', 18));
    expect(value(f.workerOnline, { worker: 'w1@host-a' })).toBe(0);
  });
  it('a task with an ETA is not counted as prefetched; without --metrics-compat there is no flower set', () => {
    const { m, feed } = rig(true);
    feed(tev('received', 'e', 11, { name: 'a', eta: '2026-12-03T12:00:00+00:00' }));
    expect(m.flower!.prefetchedTasks.size).toBe(0);
    expect(rig(false).m.flower).toBeNull();
    expect(rig(false).m.families().some((f) => f.spec.name.startsWith('flower_'))).toBe(false);
  });
});

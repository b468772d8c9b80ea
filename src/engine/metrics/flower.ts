/**
 * Flower's metric set (`--metrics-compat flower`), as mher/flower's flower/events.py keeps it, for
 * Flower's Grafana dashboard and Datadog's Celery check: `flower_events_total` per task event by
 * worker (the full node name), event type and task name; `flower_task_runtime_seconds` from the
 * events' runtime; `flower_task_prefetch_time_seconds` a **gauge** (the last task's received ->
 * started, back to 0 when it finishes); `flower_worker_prefetched_tasks` up on task-received, down
 * on task-started (tasks without an ETA); `flower_worker_online`; and the heartbeat's active count.
 */
import type { Change, TaskChange, WorkerChange } from '../model.js';
import { RUNTIME_BUCKETS } from './celery-exporter-spec.js';
import { Family, observe, type Series } from './families.js';

interface TaskSeries {
  runtime: Series | null;
  prefetchTime: Series | null;
  prefetched: Series | null;
}

export class FlowerMetrics {
  readonly events = new Family({ name: 'flower_events_total', help: 'Number of events', type: 'counter', labelNames: ['worker', 'type', 'task'] });
  readonly runtime = new Family({
    name: 'flower_task_runtime_seconds',
    help: 'Task runtime',
    type: 'histogram',
    labelNames: ['worker', 'task'],
    buckets: RUNTIME_BUCKETS,
  });
  readonly prefetchTime = new Family({
    name: 'flower_task_prefetch_time_seconds',
    help: 'The time the task spent waiting at the celery worker to be executed.',
    type: 'gauge',
    labelNames: ['worker', 'task'],
  });
  readonly prefetchedTasks = new Family({
    name: 'flower_worker_prefetched_tasks',
    help: 'Number of tasks of given type prefetched at a worker',
    type: 'gauge',
    labelNames: ['worker', 'task'],
  });
  readonly workerOnline = new Family({ name: 'flower_worker_online', help: 'Worker online status', type: 'gauge', labelNames: ['worker'] });
  readonly executing = new Family({
    name: 'flower_worker_number_of_currently_executing_tasks',
    help: 'Number of tasks currently executing at a worker',
    type: 'gauge',
    labelNames: ['worker'],
  });

  private readonly eventSeries = new Map<string, Map<string, Map<string, Series>>>();
  private readonly taskSeries = new Map<string, Map<string, TaskSeries>>();

  families(): Family[] {
    return [this.events, this.runtime, this.prefetchTime, this.prefetchedTasks, this.workerOnline, this.executing];
  }

  onChange(change: Change): void {
    if (change.kind === 'task') this.onTask(change);
    else this.onWorker(change);
  }

  private onTask(ch: TaskChange): void {
    const ev = ch.event;
    // A task marked lost by the reducer (state/lost.ts) is no event Flower would count.
    if (ev === null) return;
    const t = ch.task;
    const worker = ev.hostname;
    const name = ev.name ?? t.name ?? '';
    this.eventCounter(worker, ev.type, name).value += 1;
    const ts = this.forTask(worker, name);
    if (ev.runtime !== undefined && ev.runtime !== 0) observe(this.runtime, (ts.runtime ??= this.runtime.series([worker, name])), ev.runtime);
    const noEta = t.eta === null || t.eta === '';
    if (!noEta) return;
    // Celery's task.received/started are timestamps; flower tests their truth (0 would be false).
    switch (ev.subject) {
      case 'received':
        if (t.received) (ts.prefetched ??= this.prefetchedTasks.series([worker, name])).value += 1;
        return;
      case 'started':
        if (t.started && t.received) {
          (ts.prefetchTime ??= this.prefetchTime.series([worker, name])).value = t.started - t.received;
          (ts.prefetched ??= this.prefetchedTasks.series([worker, name])).value -= 1;
        }
        return;
      case 'succeeded':
      case 'failed':
        if (t.started && t.received) (ts.prefetchTime ??= this.prefetchTime.series([worker, name])).value = 0;
        return;
      default:
        return;
    }
  }

  private onWorker(ch: WorkerChange): void {
    const ev = ch.event;
    if (ev === null) return; // flower sets these from worker events only
    const worker = ev.hostname;
    switch (ev.subject) {
      case 'online':
        this.workerOnline.series([worker]).value = 1;
        return;
      case 'heartbeat':
        this.workerOnline.series([worker]).value = 1;
        if (ev.active !== undefined) this.executing.series([worker]).value = ev.active;
        return;
      case 'offline':
        this.workerOnline.series([worker]).value = 0;
        return;
    }
  }

  clear(): void {
    for (const f of this.families()) f.clear();
    this.eventSeries.clear();
    this.taskSeries.clear();
  }

  private eventCounter(worker: string, type: string, task: string): Series {
    let byType = this.eventSeries.get(worker);
    if (byType === undefined) this.eventSeries.set(worker, (byType = new Map()));
    let byTask = byType.get(type);
    if (byTask === undefined) byType.set(type, (byTask = new Map()));
    let s = byTask.get(task);
    if (s === undefined) byTask.set(task, (s = this.events.series([worker, type, task])));
    return s;
  }

  private forTask(worker: string, task: string): TaskSeries {
    let byTask = this.taskSeries.get(worker);
    if (byTask === undefined) this.taskSeries.set(worker, (byTask = new Map()));
    let s = byTask.get(task);
    if (s === undefined) byTask.set(task, (s = { runtime: null, prefetchTime: null, prefetched: null }));
    return s;
  }
}

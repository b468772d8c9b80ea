/**
 * The engine's state: a deterministic reducer (no I/O, time passed in) from decoded events to
 * the inferred current state of tasks and workers, as Celery's `celery.events.state.State`
 * reaches it, plus the changes a watcher should see (never backwards, see `display.ts`).
 *
 * Memory is bounded: `maxTasks` tasks (finished ones evicted first) and `maxWorkers` workers
 * (offline ones evicted first).
 */
import { again, statesThrough } from './display.js';
import type { CeleryEvent, TaskEvent, WorkerEvent } from '../events/types.js';
import type { Change, Task, TaskChange, Worker, WorkerChange, WorkerStatus } from '../model.js';
import { applyTaskEventAs, celeryHostname, isLate, stateOf } from './task-state.js';
import { filledIn, knownFields } from './task-refresh.js';
import { clearLost, leftBehind, markLost } from './lost.js';
import { TaskTable } from '../table/task-table.js';
import { WorkerTable, isExpired, mergeWorkerEvent, touch } from './workers.js';

export interface StateOptions {
  maxTasks: number;
  maxWorkers: number;
}

export class State {
  private readonly taskTable: TaskTable;
  private readonly workerTable: WorkerTable;
  /** Task entries dropped by `clear`, evicted ones included (for `tasksCreated`). */
  private clearedTasks = 0;
  /** Task entries put back from the durable store (not created by events). */
  private restoredTasks = 0;
  /** Tasks first heard of by the publisher's task-sent, and by a worker's task-received. */
  firstSent = 0;
  firstReceived = 0;
  /** task-sent events applied (a late one included), and the tap's copies among them (`applyTapped`). */
  sentEvents = 0;
  tappedApplied = 0;

  constructor(opts: StateOptions) {
    this.taskTable = new TaskTable(opts.maxTasks);
    this.workerTable = new WorkerTable(opts.maxWorkers);
  }

  /**
   * Apply one event received at local time `now` (epoch seconds). Returns the changes to
   * dispatch, in order: a task event from a worker we consider offline first yields that
   * worker's ONLINE, then its TaskChange (always one; `states` is empty for an event that moves
   * nothing and fills in nothing, and is the shown state again for one that fills in fields).
   * A worker we still consider alive whose window already ran out (no `expire` tick since) is
   * reported OFFLINE before it comes back, so the output does not depend on tick timing.
   */
  /**
   * The publishers' own task-sent events heard: whether they send it at all. A worker's
   * task-received often overtakes the publisher's task-sent (published after the message), so
   * "first seen at RECEIVED" alone does not say it is off.
   */
  get publishersSent(): number {
    return this.sentEvents - this.tappedApplied;
  }

  /** A task message from the tap, merged as a task-sent that is not the publisher's (tap/decode.ts). */
  applyTapped(event: TaskEvent, now: number): Change[] {
    this.tappedApplied++;
    return this.apply(event, now);
  }

  apply(event: CeleryEvent, now: number): Change[] {
    switch (event.kind) {
      case 'task':
        return this.applyTask(event, now);
      case 'worker':
        return this.applyWorker(event, now);
      case 'other':
        // Not modelled: the caller may still pass it on, but there is no state to change.
        return [];
    }
  }

  /**
   * Workers not heard from (heartbeat or task event) for 2×freq become OFFLINE: one change
   * each, once (until heard from again), followed by a change for each task it left behind,
   * now `lost` (lost.ts).
   */
  expire(now: number): Change[] {
    const out: Change[] = [];
    for (const w of this.workerTable.values()) {
      if (w.alive && isExpired(w, now)) {
        w.alive = false;
        out.push(workerChange(w, 'OFFLINE', null));
        this.loseTasksOf(w.hostname, now, out);
      }
    }
    return out;
  }

  getTask(uuid: string): Task | undefined {
    return this.taskTable.get(uuid);
  }

  /** Most recently updated first. */
  tasks(): IterableIterator<Task> {
    return this.taskTable.values();
  }

  /** The stored tasks, for indexed queries (task-scan.ts): read, never change. */
  get table(): TaskTable {
    return this.taskTable;
  }

  /** First seen first. */
  workers(): IterableIterator<Worker> {
    return this.workerTable.values();
  }

  getWorker(hostname: string): Worker | undefined {
    return this.workerTable.get(hostname);
  }

  get taskCount(): number {
    return this.taskTable.size;
  }
  get workerCount(): number {
    return this.workerTable.size;
  }
  get evictedTasks(): number {
    return this.taskTable.evicted;
  }
  get evictedWorkers(): number {
    return this.workerTable.evicted;
  }

  /**
   * Task entries created since this State was made, `clear` or not: the server's
   * `tasks_processed`. Not distinct tasks: one evicted (or cleared) and then heard of again gets
   * a new entry and counts again. Telling them apart would mean remembering every uuid ever seen.
   * Every entry is still stored, was evicted, or was cleared: no counter on the event path.
   */
  get tasksCreated(): number {
    return this.clearedTasks + this.taskTable.size + this.taskTable.evicted - this.restoredTasks;
  }

  /**
   * Puts a task the durable store kept back in memory, as the reducer left it (no change is
   * reported): later events then follow the state rule from where it was. Loaded oldest first, so
   * the table's order of last change is the store's.
   */
  restoreTask(task: Task): void {
    if (this.taskTable.get(task.uuid) !== undefined) return;
    const entry = this.taskTable.upsert(task.uuid);
    Object.assign(entry.task, task);
    this.taskTable.settle(entry);
    this.restoredTasks++;
  }

  /**
   * Puts a worker the store kept back; alive only if its heartbeat window has not run out at
   * `now`. One that was alive when the store last heard of it and whose window ran out since (it
   * died while the server was down) goes OFFLINE as `expire` would make it: the tasks it left
   * RECEIVED or STARTED (restored first) become `lost`; their changes are returned. One still in
   * its window stays alive and `expire` decides later, as for any worker.
   */
  restoreWorker(worker: Worker, now: number): Change[] {
    const w = this.workerTable.get(worker.hostname) ?? this.workerTable.create(worker.hostname);
    Object.assign(w, worker);
    const out: Change[] = [];
    if (w.alive && isExpired(w, now)) {
      w.alive = false;
      out.push(workerChange(w, 'OFFLINE', null));
      this.loseTasksOf(w.hostname, now, out);
    }
    return out;
  }

  /** Forget every task and worker, and reset the eviction counters (`tasksCreated` keeps counting). */
  clear(): void {
    this.clearedTasks += this.taskTable.size + this.taskTable.evicted;
    this.taskTable.clear();
    this.workerTable.clear();
  }

  private applyTask(ev: TaskEvent, now: number): Change[] {
    // Usually no worker change: then the result is a one-element array, not an empty one grown by
    // push (V8 gives that room for 17), once per event.
    let changes: Change[] | undefined;
    // task-sent's hostname is the client (publisher), not a worker: it touches no worker.
    if (ev.subject !== 'sent') {
      const w = this.workerTable.get(ev.hostname) ?? this.workerTable.create(ev.hostname);
      const lapsed = this.lapse(w, now);
      if (lapsed !== null) {
        changes = [lapsed];
        this.loseTasksOf(w.hostname, now, changes);
      }
      touch(w, now, ev.timestamp);
      w.taskEvents++;
      if (!w.alive) {
        w.alive = true;
        (changes ??= []).push(workerChange(w, 'ONLINE', null));
      }
    }
    const entry = this.taskTable.upsert(ev.uuid);
    const task = entry.task;
    if (ev.subject === 'sent') this.sentEvents++;
    if (task.events === 0) {
      if (ev.subject === 'sent') this.firstSent++;
      else if (ev.subject === 'received') this.firstReceived++;
    }
    const incoming = stateOf(ev);
    const late = isLate(task, ev, incoming);
    let states = statesThrough(task.shown, late ? task.state : incoming);
    // When the display stays, the task is shown again only if the event filled in what it lacked,
    // or moved Celery's own state (what the shown record's celery_state says).
    const known = states.length === 0 && task.shown !== null ? knownFields(task) : -1;
    const celeryBefore = task.celeryState;
    const workerBefore = task.worker;
    applyTaskEventAs(task, ev, incoming, late);
    const found = clearLost(task, ev.subject);
    if (known !== -1 && (found || filledIn(known, task) || task.celeryState !== celeryBefore)) states = again(task.shown ?? incoming);
    this.taskTable.settle(entry);
    const last = states[states.length - 1];
    if (last !== undefined) task.shown = last;
    const change: Change = { kind: 'task', task, states, event: ev, hostname: celeryHostname(task, ev, workerBefore) };
    if (changes === undefined) return [change];
    changes.push(change);
    return changes;
  }

  private applyWorker(ev: WorkerEvent, now: number): Change[] {
    const changes: Change[] = [];
    const w = this.workerTable.get(ev.hostname) ?? this.workerTable.create(ev.hostname);
    // A lapsed worker that says goodbye is reported OFFLINE once, by its own event.
    if (ev.subject !== 'offline') {
      const lapsed = this.lapse(w, now);
      if (lapsed !== null) {
        changes.push(lapsed);
        this.loseTasksOf(w.hostname, now, changes);
      }
    }
    mergeWorkerEvent(w, ev);
    touch(w, now, ev.timestamp);
    switch (ev.subject) {
      case 'online':
        w.alive = true;
        changes.push(workerChange(w, 'ONLINE', ev));
        break;
      case 'heartbeat':
        if (!w.alive) {
          w.alive = true;
          changes.push(workerChange(w, 'ONLINE', ev));
        }
        changes.push(workerChange(w, 'HEARTBEAT', ev));
        break;
      case 'offline':
        // Celery clears the heartbeats: offline at once, not after the expiry window.
        w.alive = false;
        changes.push(workerChange(w, 'OFFLINE', ev));
        this.loseTasksOf(w.hostname, now, changes);
        break;
    }
    return changes;
  }

  /**
   * Marks `lost` every task RECEIVED or STARTED on `hostname`, which just went offline, and adds
   * a change for each (its shown state again, no event). Walks the unfinished tasks only: a
   * worker going offline is rare, the finished tasks are most of the table.
   */
  private loseTasksOf(hostname: string, now: number, out: Change[]): void {
    for (const task of this.taskTable.unfinishedTasks()) {
      if (!leftBehind(task, hostname)) continue;
      markLost(task, now);
      // It changed: the newest in update order, as after an event (queries, the store's seq).
      this.taskTable.settle(this.taskTable.upsert(task.uuid));
      const change: TaskChange = { kind: 'task', task, states: again(task.shown ?? task.state), event: null, hostname: null };
      out.push(change);
    }
  }

  /** A worker whose window ran out before this event goes OFFLINE (the missed tick): its change. */
  private lapse(w: Worker, now: number): WorkerChange | null {
    if (!w.alive || !isExpired(w, now)) return null;
    w.alive = false;
    return workerChange(w, 'OFFLINE', null);
  }
}

function workerChange(worker: Worker, status: WorkerStatus, event: WorkerEvent | null): WorkerChange {
  return { kind: 'worker', worker, status, event };
}

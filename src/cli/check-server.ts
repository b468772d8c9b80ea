/**
 * `clearly check` against a clearly server: its history answers what the broker cannot (failures
 * over a window, stuck tasks), its worker table gives live workers and their last heartbeat, and
 * its counters the time since the last event. Queue depths still come from the broker, when
 * `--broker` is given as well.
 */
import { ServerConnection, type ServerTarget } from './client.js';
import { unmeasured, type Measurements } from '../engine/health/health.js';
import {
  brokerLost,
  failuresFromTasks,
  heartbeatFromRecords,
  historyNote,
  lostFromTasks,
  idleHolders,
  silenceFromServer,
  stuckFromTasks,
  workersFromRecords,
} from '../engine/health/measure.js';
import { needs, type CheckPlan } from '../engine/health/thresholds.js';
import { taskRecordFromMessage, workerRecordFromMessage } from '../format/message-records.js';
import { ClearlyError } from '../errors.js';
import type { TaskRecord, WorkerRecord } from '../format/record.js';
import { statsRecord, type StatsRecord } from '../format/stats-text.js';
import { queueMeasurements } from './check-queues.js';

export interface ServerCheckOptions {
  readonly server: ServerTarget | string;
  /** For queue depths only. */
  readonly broker?: string | undefined;
}

export interface ServerCheck {
  readonly measurements: Measurements;
  /** Set when the server could not be asked at all (then only queue depths may be known). */
  readonly unreachable: string | null;
}

const now = (): number => Date.now() / 1000;

async function collect<T, M>(read: (onItem: (m: M) => void) => Promise<void>, convert: (m: M) => T): Promise<T[]> {
  const out: T[] = [];
  await read((m) => out.push(convert(m)));
  return out;
}

/** The states a worker leaves a task in when it is done with it (its pool slot is free again). */
const DONE_STATES = ['SUCCESS', 'FAILURE', 'RETRY', 'REVOKED', 'REJECTED'];
/** Idle workers holding tasks are few; past this many, the rest are dated from the receipt alone. */
const MAX_IDLE_ASKED = 20;

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * When each of these workers (idle, holding RECEIVED tasks) last finished a task: since then it
 * has had a slot free. One small query each (the newest finished task on that worker).
 */
async function lastFinished(conn: ServerConnection, workers: readonly string[]): Promise<Map<string, number>> {
  const freed = new Map<string, number>();
  await Promise.all(
    workers.slice(0, MAX_IDLE_ASKED).map((w) =>
      conn.filterTasks(
        { filter: { states: DONE_STATES, worker: `^${escapeRe(w)}$` }, limit: 1 },
        { onItem: (m) => freed.set(w, taskRecordFromMessage(m).timestamp) },
      ).done,
    ),
  );
  return freed;
}

export async function measureFromServer(plan: CheckPlan, o: ServerCheckOptions): Promise<ServerCheck> {
  const wantWorkers = needs(plan, 'min-workers') || needs(plan, 'max-heartbeat-age') || needs(plan, 'max-events-off');
  const wantFailures = needs(plan, 'max-failure-rate') || needs(plan, 'max-failures');
  const wantStuck = needs(plan, 'max-stuck');
  const wantLost = needs(plan, 'max-lost');
  const conn = new ServerConnection(o.server);
  const queues = queueMeasurements(plan, o.broker);
  try {
    let stats: StatsRecord;
    try {
      stats = statsRecord(await conn.stats());
    } catch (e) {
      if (!(e instanceof ClearlyError)) throw e;
      const q = await queues;
      return { measurements: q === null ? {} : { queues: q }, unreachable: e.message };
    }
    const states = [...(wantFailures ? ['SUCCESS', 'FAILURE'] : []), ...(wantStuck ? ['STARTED', 'RECEIVED'] : [])];
    const [workers, tasks, lostTasks] = await Promise.all([
      wantWorkers
        ? collect<WorkerRecord, Parameters<typeof workerRecordFromMessage>[0]>(
            (onItem) => conn.filterWorkers({ pattern: '', alive_only: false }, { onItem }).done,
            workerRecordFromMessage,
          )
        : null,
      states.length > 0
        ? collect<TaskRecord, Parameters<typeof taskRecordFromMessage>[0]>(
            (onItem) => conn.filterTasks({ filter: { states }, limit: 0 }, { onItem }).done,
            taskRecordFromMessage,
          )
        : null,
      wantLost
        ? collect<TaskRecord, Parameters<typeof taskRecordFromMessage>[0]>(
            (onItem) => conn.filterTasks({ filter: {}, limit: 0, lost: true }, { onItem }).done,
            taskRecordFromMessage,
          )
        : null,
    ]);
    const t = now();
    const lost = brokerLost(stats);
    const m: { -readonly [K in keyof Measurements]: Measurements[K] } = {};
    const q = await queues;
    if (q !== null) m.queues = q;
    if (workers !== null) {
      if (needs(plan, 'min-workers')) m.workers = lost ?? { ok: true, ...workersFromRecords(workers, plan.workersPattern) };
      if (needs(plan, 'max-events-off')) {
        const off = workers.filter((w) => w.events === 'task-events-off' || w.events === 'no-heartbeats');
        m.eventsOff = lost ?? { ok: true, workers: off.map((w) => `${w.hostname} (${w.events})`), judged: workers.length, note: null };
      }
      if (needs(plan, 'max-heartbeat-age')) {
        m.heartbeat = lost ?? { ok: true, ...heartbeatFromRecords(workers, plan.workersPattern, t) };
      }
    }
    if (tasks !== null) {
      // History stays valid while the broker is away, but nothing newer is in it.
      const staleness = lost === null ? null : lost.reason;
      if (wantFailures) {
        const note = [historyNote(stats.uptime_seconds, plan.windowSeconds, stats.tasks_evicted, stats.max_tasks), staleness]
          .filter((n) => n !== null)
          .join('; ');
        m.failures = { ok: true, ...failuresFromTasks(tasks, t, plan.windowSeconds, note === '' ? null : note) };
      }
      if (wantStuck) {
        const inFlight = tasks.filter((x) => x.state === 'STARTED' || x.state === 'RECEIVED');
        const freed = await lastFinished(conn, idleHolders(inFlight));
        m.stuck = { ok: true, ...stuckFromTasks(inFlight, t, staleness, freed) };
      }
    }
    if (needs(plan, 'max-silence')) m.silence = silenceFromServer(stats);
    if (lostTasks !== null) m.lost = { ok: true, ...lostFromTasks(lostTasks, t, lost === null ? null : lost.reason) };
    return { measurements: m, unreachable: null };
  } catch (e) {
    // The stats answered but a stream failed (the server went away meanwhile).
    if (!(e instanceof ClearlyError)) throw e;
    const u = unmeasured(e.message);
    const q = await queues;
    return {
      measurements: { workers: u, heartbeat: u, failures: u, stuck: u, silence: u, lost: u, eventsOff: u, ...(q === null ? {} : { queues: q }) },
      unreachable: null,
    };
  } finally {
    conn.close();
  }
}

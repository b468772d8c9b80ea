/**
 * Replays the golden captures (raw bytes → decodeMessage → State) and compares every task and
 * worker with the state Celery's own `celery.events.state.State` reached on the same capture.
 * Where clearly deliberately differs (state/task-state.ts: a rejection without requeue is final),
 * the expected state is derived here from the capture's own events, not from the reducer.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../src/engine/events/decode.js';
import type { Task, TaskState } from '../../../src/engine/model.js';
import { TERMINAL_STATES } from '../../../src/engine/model.js';
import { State } from '../../../src/engine/state/state.js';
import { FIXTURES, loadCapture } from '../../helpers/fixtures.js';

interface OracleWorker {
  active: number;
  alive_at_end: boolean;
  clock: number;
  freq: number;
  pid: number;
  processed: number;
  sw_ver: string;
}
interface Oracle {
  tasks: Record<string, Record<string, unknown>>;
  workers: Record<string, OracleWorker>;
}

/** The Task fields Celery's State exposes, named as in the oracle. */
const FIELDS = [
  'state', 'timestamp', 'name', 'args', 'kwargs', 'result', 'exception', 'retries', 'worker', 'client',
  'routing_key', 'exchange', 'runtime', 'root_id', 'parent_id', 'eta', 'expires', 'clock',
  'sent', 'received', 'started', 'succeeded', 'failed', 'retried', 'revoked', 'rejected',
] as const satisfies readonly (keyof Task)[];

function pick(t: Task | Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) out[f] = (t as Record<string, unknown>)[f];
  return out;
}

describe.each(['amqp', 'redis'] as const)('%s capture replayed through State', (transport) => {
  const oracle = JSON.parse(readFileSync(`${FIXTURES}${transport}-state.json`, 'utf8')) as Oracle;
  const state = new State({ maxTasks: 10_000, maxWorkers: 100 });
  /** Every state shown per task, in order (the display path). */
  const shown = new Map<string, TaskState[]>();
  /** Tasks shown again in the state they showed (a late event filled in fields): `subject state name`. */
  const refreshes: string[] = [];
  let events = 0;
  for (const m of loadCapture(transport)) {
    const { events: evs, errors } = decodeMessage(m.raw);
    expect(errors).toEqual([]);
    for (const ev of evs) {
      events++;
      for (const c of state.apply(ev, m.t)) {
        if (c.kind !== 'task') continue;
        const seq = shown.get(c.task.uuid) ?? [];
        if (c.states.length === 1 && c.states[0] === seq.at(-1)) {
          refreshes.push(`${c.event?.subject ?? 'lost'} ${c.states[0]} ${c.task.name}`);
          continue;
        }
        seq.push(...c.states);
        shown.set(c.task.uuid, seq);
      }
    }
  }

  it('sees the same events and tasks as Celery', () => {
    expect(events).toBe(119);
    expect(state.taskCount).toBe(Object.keys(oracle.tasks).length);
    expect(state.evictedTasks).toBe(0);
  });

  /** Tasks the capture shows rejected without requeue: clearly ends them REJECTED (correction a). */
  const rejectedForGood = new Set<string>();
  for (const m of loadCapture(transport)) {
    for (const e of decodeMessage(m.raw).events) {
      if (e.kind === 'task' && e.subject === 'rejected' && e.requeue !== true) rejectedForGood.add(e.uuid);
    }
  }
  /** The state clearly must end in: Celery's, but for the corrections. */
  const expectedState = (uuid: string): unknown => (rejectedForGood.has(uuid) ? 'REJECTED' : oracle.tasks[uuid]?.['state']);

  it('has a rejected task in each capture (the correction is exercised)', () => {
    expect(rejectedForGood.size).toBe(1);
  });

  it.each(Object.keys(oracle.tasks))('task %s matches Celery field by field', (uuid) => {
    const task = state.getTask(uuid);
    expect(task).toBeDefined();
    const celery = pick(oracle.tasks[uuid] as Record<string, unknown>);
    // celeryState follows Celery's rule exactly; state differs only where a correction applies.
    expect({ ...pick(task as Task), state: task?.celeryState }).toEqual(celery);
    expect(task?.state).toBe(expectedState(uuid));
  });

  it('has the same workers (clients of task-sent are not workers)', () => {
    const got = [...state.workers()].map((w) => ({
      hostname: w.hostname,
      active: w.active,
      alive_at_end: w.alive,
      clock: w.clock,
      freq: w.freq,
      pid: w.pid,
      processed: w.processed,
      sw_ver: w.sw_ver,
    }));
    const want = Object.entries(oracle.workers).map(([hostname, w]) => ({
      hostname,
      active: w.active,
      alive_at_end: w.alive_at_end,
      clock: w.clock,
      freq: w.freq,
      pid: w.pid,
      processed: w.processed,
      sw_ver: w.sw_ver,
    }));
    expect(got).toEqual(want);
  });

  it('shows every task walking forward only, ending where clearly\'s state is', () => {
    for (const [uuid, seq] of shown) {
      const expected = expectedState(uuid);
      // Never a state twice in a row, nothing after a terminal state.
      for (let i = 1; i < seq.length; i++) {
        expect(seq[i]).not.toBe(seq[i - 1]);
        expect(TERMINAL_STATES.has(seq[i - 1] as string)).toBe(false);
      }
      expect(seq[seq.length - 1]).toBe(expected);
      expect(state.getTask(uuid)?.shown).toBe(expected);
    }
  });

  it('shows the retried task as Celery saw it: every attempt, no state invented', () => {
    const flaky = Object.keys(oracle.tasks).find((u) => oracle.tasks[u]?.['name'] === 'tasks.flaky');
    expect(shown.get(flaky as string)).toEqual([
      'PENDING', 'RECEIVED', 'STARTED', 'RETRY', 'RECEIVED', 'STARTED', 'RETRY', 'RECEIVED', 'STARTED', 'SUCCESS',
    ]);
  });

  it('shows no task again but the one its worker left behind: every late event brings only routing, retries or times', () => {
    // The captures have late task-sent events (after the worker's), but each task-received had
    // already brought the name, args and kwargs: reprinting those tasks would only be noise.
    // The worker shut down while a tasks.echo was STARTED (Celery's State keeps it STARTED
    // forever): that one is shown again, lost (state/lost.ts).
    expect(refreshes).toEqual(['lost STARTED tasks.echo']);
    const lost = [...state.tasks()].filter((t) => t.lost);
    expect(lost.map((t) => [t.name, t.state, t.worker])).toEqual([['tasks.echo', 'STARTED', 'w1@harness']]);
    expect(oracle.tasks[lost[0]!.uuid]?.['state']).toBe('STARTED');
  });

  it('shows the expired task as revoked before it was received', () => {
    const expired = Object.keys(oracle.tasks).filter(
      (u) => oracle.tasks[u]?.['revoked'] !== null && oracle.tasks[u]?.['received'] === null,
    );
    expect(expired).toHaveLength(1);
    expect(shown.get(expired[0] as string)).toEqual(['PENDING', 'REVOKED']);
  });
});

import { describe, expect, it } from 'vitest';
import { type Change, newTask } from '../../../src/engine/model.js';
import { Pipeline } from '../../../src/engine/pipeline.js';
import { decodeCaptureItem, encodeCaptureItem, clearlyService } from '../../../src/engine/grpc/proto.js';
import type { TaskMessage } from '../../../src/engine/grpc/messages.js';
import { State } from '../../../src/engine/state/state.js';
import { taskMessage, workerMessage } from '../../../src/engine/grpc/wire.js';
import { taskRecordFromMessage, workerRecordFromMessage } from '../../../src/format/message-records.js';
import { changeRecords } from '../../../src/format/changes.js';
import { recordJsonBytes } from '../../../src/format/record-json.js';
import { taskRecord, workerRecord, type OutputRecord } from '../../../src/format/record.js';
import { loadCapture } from '../../helpers/fixtures.js';

/** Server side -> bytes -> client side, as a Capture item travels. */
function overTheWire(change: Change): OutputRecord[] {
  if (change.kind === 'worker') {
    const item = decodeCaptureItem(encodeCaptureItem({ worker: workerMessage(change.worker, change.status) }));
    if (item.item !== 'worker') throw new Error(`expected a worker item, got ${item.item}`);
    return [workerRecordFromMessage(item.worker)];
  }
  return change.states.map((state, i) => {
    const msg = taskMessage(change.task, state, i < change.states.length - 1, change.event?.timestamp ?? change.task.timestamp);
    const item = decodeCaptureItem(encodeCaptureItem({ task: msg }));
    if (item.item !== 'task') throw new Error(`expected a task item, got ${item.item}`);
    return taskRecordFromMessage(item.task);
  });
}

describe.each(['amqp', 'redis'] as const)('%s capture through the wire', (transport) => {
  it('gives clients exactly the records watch --broker prints', () => {
    const state = new State({ maxTasks: 1000, maxWorkers: 10 });
    const direct: OutputRecord[] = [];
    const remote: OutputRecord[] = [];
    const pipeline = new Pipeline(
      state,
      (ch) => {
        // Both now: the task object moves on with the next event.
        direct.push(...changeRecords(ch));
        remote.push(...overTheWire(ch));
      },
      () => {},
    );
    for (const m of loadCapture(transport)) pipeline.handle(m.raw, m.t);
    expect(direct.length).toBeGreaterThan(100);
    expect(remote).toEqual(direct);
    // The capture has generated states, cut results and failures: the comparison covered them.
    const tasks = direct.filter((r) => r.kind === 'task');
    expect(tasks.some((r) => r.generated)).toBe(true);
    expect(tasks.some((r) => r.result_source === 'truncated')).toBe(true);
    expect(tasks.some((r) => r.state === 'FAILURE' && r.traceback !== null)).toBe(true);

    // History: each stored task in its current state.
    for (const task of state.tasks()) {
      const decoded = clearlyService()['GetTask']!.responseDeserialize(
        clearlyService()['GetTask']!.responseSerialize(taskMessage(task, task.state, false, task.timestamp)),
      ) as Partial<TaskMessage>;
      expect(taskRecordFromMessage(decoded)).toEqual(taskRecord(task, task.state, false, task.timestamp));
    }
  });
});

describe('task messages', () => {
  it('carry a whole backend result, parsed for the record with its NaN/Infinity as the README says', () => {
    const task = { ...newTask('u1'), name: 'tasks.echo', state: 'SUCCESS', timestamp: 1000, succeeded: 1000, result: "[inf, 'LLL...', ...]" };
    const json = '[Infinity,"' + 'L'.repeat(2000) + '",NaN,{"deep":[-Infinity,1.5]}]';
    const msg = taskMessage(task, 'SUCCESS', false, 999, { status: 'SUCCESS', json });
    expect(msg.result_source).toBe('backend');
    const item = decodeCaptureItem(encodeCaptureItem({ task: msg }));
    const record = taskRecordFromMessage((item as { task: Partial<TaskMessage> }).task);
    expect(record.result_source).toBe('backend');
    expect(record.result_repr).toBe("[inf, 'LLL...', ...]");
    // The strings repr-json.ts gives a repr's inf/nan, so --json does not print them as null.
    expect(record.result).toEqual(['Infinity', 'L'.repeat(2000), 'NaN', { deep: ['-Infinity', 1.5] }]);
    const line = `"result":["Infinity","${'L'.repeat(2000)}","NaN",{"deep":["-Infinity",1.5]}]`;
    expect(JSON.stringify(record)).toContain(line);
    expect(recordJsonBytes(record)).toContain(line); // the fast NDJSON builder too
  });

  it('carry celery_state where Celery\'s State would differ, to the client\'s record', () => {
    const task = { ...newTask('u4'), name: 't', state: 'REJECTED', celeryState: 'STARTED', timestamp: 3, rejected: 3 };
    const msg = taskMessage(task, 'REJECTED', false, 3);
    expect(msg.celery_state).toBe('STARTED');
    const item = decodeCaptureItem(encodeCaptureItem({ task: msg }));
    const record = taskRecordFromMessage((item as { task: Partial<TaskMessage> }).task);
    expect(record).toMatchObject({ state: 'REJECTED', celery_state: 'STARTED' });
    expect(taskMessage(task, 'STARTED', true, 2).celery_state).toBeUndefined();
    const same = decodeCaptureItem(encodeCaptureItem({ task: taskMessage({ ...task, celeryState: 'REJECTED' }, 'REJECTED', false, 3) }));
    expect(taskRecordFromMessage((same as { task: Partial<TaskMessage> }).task)).not.toHaveProperty('celery_state');
  });

  it('say where a result comes from', () => {
    const base = { ...newTask('u2'), state: 'SUCCESS', timestamp: 5 };
    expect(taskMessage({ ...base, result: '42' }, 'SUCCESS', false, 5).result_source).toBe('event');
    expect(taskMessage({ ...base, result: "{'a': 1, ...}" }, 'SUCCESS', false, 5).result_source).toBe('truncated');
    expect(taskMessage({ ...base, result: null }, 'SUCCESS', false, 5).result_source).toBeUndefined();
  });

  it('place each state at its own time, or the fallback for a generated one', () => {
    const task = { ...newTask('u3'), state: 'SUCCESS', timestamp: 30, received: 10, succeeded: 30 };
    expect(taskMessage(task, 'RECEIVED', true, 99).timestamp).toBe(10);
    expect(taskMessage(task, 'STARTED', true, 99).timestamp).toBe(99);
    expect(taskMessage(task, 'SUCCESS', false, 99).timestamp).toBe(30);
    expect(taskMessage({ ...task, state: 'CUSTOM', timestamp: 40 }, 'CUSTOM', false, 99).timestamp).toBe(40);
  });
});

describe('Capture items', () => {
  it('decode with the member named (oneof), Missed included', () => {
    expect(decodeCaptureItem(encodeCaptureItem({ missed: { count: 12345 } }))).toEqual({ item: 'missed', missed: { count: 12345 } });
  });

  it('worker records survive the trip', () => {
    const w = {
      hostname: 'w1@h',
      pid: 42,
      freq: 2,
      active: 0,
      processed: 7,
      loadavg: [0.5, 0.25, 0],
      sw_ident: 'py-celery',
      sw_ver: '5.2.6',
      sw_sys: 'Linux',
      clock: 3,
      timestamp: 100.5,
      lastSeen: 101.25,
      alive: true,
      // Ran 2 tasks since its first heartbeat and sent no task event: task events off.
      firstSeen: 90,
      heartbeats: 3,
      taskEvents: 0,
      processedFirst: 5,
      solicited: true,
    };
    const item = decodeCaptureItem(encodeCaptureItem({ worker: workerMessage(w, 'HEARTBEAT') }));
    expect(workerRecordFromMessage((item as { worker: object }).worker)).toEqual(workerRecord(w, 'HEARTBEAT'));
    expect(workerRecord(w, 'HEARTBEAT').events).toBe('task-events-off');
  });
});

describe('a tapped task sent in a group', () => {
  it('keeps its group through the wire (group_id on it, group in the record); an untapped task has none', () => {
    const task = { ...newTask('tg-1'), name: 'tasks.add', tapped: { argsJson: '[1,2]', kwargsJson: '{}', body: null, group: 'grp-wire' } };
    const msg = taskMessage(task, 'PENDING', false, 1);
    expect(msg.group_id).toBe('grp-wire');
    const item = decodeCaptureItem(encodeCaptureItem({ task: msg }));
    if (item.item !== 'task') throw new Error(`expected a task item, got ${item.item}`);
    const record = taskRecordFromMessage(item.task);
    expect(record.group).toBe('grp-wire');
    expect(record).toEqual(taskRecord(task, 'PENDING', false, 1));
    expect(taskMessage(newTask('tg-2'), 'PENDING', false, 1).group_id).toBeUndefined();
  });
});

/**
 * `clearly import`'s record -> row: a record printed from a task comes back as the same record
 * (whatever the generator's mix holds), a record of a finished task stays final under the upsert's
 * rule, and anything else is refused with its reason, never thrown.
 */
import { describe, expect, it } from 'vitest';
import { rowFromRecord } from '../../../src/engine/store/import-record.js';
import { taskFromRow, taskRow } from '../../../src/engine/store/rows.js';
import { taskRecord } from '../../../src/format/record.js';
import { taskRecordFromRow } from '../../../src/format/message-records.js';
import { filledState } from './helpers.js';

const state = filledState(6_000, 5);
const tasks = [...state.tasks()];

describe('a record printed from a task comes back as that record', () => {
  it.each(['redis://h/0', ''])('for every task of the mix (broker %j)', (broker) => {
    expect(tasks.length).toBeGreaterThan(500);
    for (const t of tasks) {
      const printed = taskRecordFromRow(taskRow(t, broker, undefined));
      const back = rowFromRecord(JSON.parse(JSON.stringify(printed)), 'import:x');
      expect(back.ok, t.uuid).toBe(true);
      if (!back.ok) continue;
      expect(taskRecordFromRow(back.row)).toEqual({ ...printed, broker: broker === '' ? 'import:x' : broker });
    }
  });

  it("keeps a tapped task's group, and refuses one that is not text", () => {
    const t = { ...tasks[0]!, tapped: { argsJson: null, kwargsJson: null, body: null, group: 'grp-imp' } };
    const printed = JSON.parse(JSON.stringify(taskRecordFromRow(taskRow(t, 'b', undefined)))) as Record<string, unknown>;
    expect(printed['group']).toBe('grp-imp');
    const back = rowFromRecord(printed, 'b');
    expect(back.ok && back.row.group_id).toBe('grp-imp');
    expect(back.ok && taskRecordFromRow(back.row).group).toBe('grp-imp');
    // A record from before the field: no group.
    const { group: _g, ...older } = printed;
    const old = rowFromRecord(older, 'b');
    expect(old.ok && old.row.group_id).toBeNull();
    const bad = rowFromRecord({ ...printed, group: 7 }, 'b');
    expect(bad.ok ? '' : bad.reason).toMatch(/group is not text/);
  });

  it('keeps what the reducer needs: finished stays finished, Celery\'s own state is kept', () => {
    const finished = tasks.filter((t) => ['SUCCESS', 'FAILURE', 'REVOKED'].includes(t.state));
    expect(finished.length).toBeGreaterThan(100);
    for (const t of finished) {
      const r = rowFromRecord(taskRecord(t, t.state, false, t.timestamp), 'b');
      if (!r.ok) throw new Error(r.reason);
      expect(r.row.finished_at).toBe(t.timestamp);
      expect(taskFromRow(r.row).celeryState).toBe(t.celeryState);
      expect(r.row.events).toBeGreaterThan(0);
    }
  });

  it('a whole backend result is kept as the JSON it was printed as', () => {
    const t = tasks.find((x) => x.state === 'SUCCESS')!;
    const printed = taskRecordFromRow({ ...taskRow(t, 'b', undefined), result_json: '{"rows": [1, 2, 3]}' });
    expect(printed.result_source).toBe('backend');
    const r = rowFromRecord(printed, 'b');
    if (!r.ok) throw new Error(r.reason);
    expect(JSON.parse(r.row.result_json!)).toEqual({ rows: [1, 2, 3] });
  });
});

describe('what is not a task record is refused with a reason', () => {
  it.each([
    [null, /not a JSON object/],
    [[1, 2], /not a JSON object/],
    ['text', /not a JSON object/],
    [{ kind: 'worker', hostname: 'w1@h' }, /not a task record \(kind "worker"\)/],
    [{ uuid: 'u' }, /not a task record \(kind null\)/],
    [{ kind: 'task', state: 'SUCCESS', timestamp: 1 }, /without a uuid/],
    [{ kind: 'task', uuid: 'u', timestamp: 1 }, /task u: no state/],
    [{ kind: 'task', uuid: 'u', state: 'SUCCESS' }, /task u: no timestamp/],
    [{ kind: 'task', uuid: 'u', state: 'SUCCESS', timestamp: 1, name: 7 }, /task u: name is not text/],
    [{ kind: 'task', uuid: 'u', state: 'SUCCESS', timestamp: 1, started: 'noon' }, /task u: started is not a time/],
  ])('%j', (value, reason) => {
    const r = rowFromRecord(value, 'b');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

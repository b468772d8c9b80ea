import { describe, expect, it } from 'vitest';
import { type Task, newTask } from '../../../src/engine/model.js';
import { CHUNK, UuidColumn } from '../../../src/engine/table/uuid-column.js';

function column(uuids: readonly string[]): { col: UuidColumn; tasks: Task[] } {
  const col = new UuidColumn();
  const tasks = uuids.map(newTask);
  tasks.forEach((_, slot) => col.touch(slot));
  return { col, tasks };
}

const marked = (marks: Uint8Array): number[] => [...marks.keys()].filter((i) => marks[i] === 1);

describe('UuidColumn.mark', () => {
  it('marks exactly the uuids a selective regex hits, across chunks', () => {
    const uuids = Array.from({ length: 2 * CHUNK + 5 }, (_, i) => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`);
    const { col, tasks } = column(uuids);
    const marks = new Uint8Array(tasks.length);
    expect(col.mark(/^0000ffff|^00001001/gm, tasks.length, tasks, marks, 100)).toBe(true);
    expect(marked(marks)).toEqual([0x1001]);
    const ends = new Uint8Array(tasks.length);
    expect(col.mark(/^00000fff.*$/gm, tasks.length, tasks, ends, 100)).toBe(true);
    expect(marked(ends)).toEqual([0xfff]);
  });

  it('maps matches to slots when uuids differ in length, and marks every slot a match spans', () => {
    const { col, tasks } = column(['a', '', 'bcd', 'e\nf', 'gh']);
    const marks = new Uint8Array(5);
    expect(col.mark(/^$|d[^]*f/gm, 5, tasks, marks, 100)).toBe(true);
    expect(marked(marks)).toEqual([1, 2, 3]);
  });

  it('gives up past its budget, and rebuilds a chunk whose slot got a new task', () => {
    const { col, tasks } = column(['aa', 'ab', 'ac']);
    expect(col.mark(/a/gm, 3, tasks, new Uint8Array(3), 2)).toBe(false);
    tasks[1] = newTask('zz');
    col.touch(1);
    const marks = new Uint8Array(3);
    expect(col.mark(/z/gm, 3, tasks, marks, 10)).toBe(true);
    expect(marked(marks)).toEqual([1]);
  });
});

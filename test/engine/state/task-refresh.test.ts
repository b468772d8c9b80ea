import { describe, expect, it } from 'vitest';
import { filledIn, knownFields } from '../../../src/engine/state/task-refresh.js';
import { newTask } from '../../../src/engine/model.js';

describe('task-refresh: what counts as filling a task in', () => {
  it('a name, args, kwargs or outcome that was unknown counts', () => {
    for (const field of ['name', 'args', 'kwargs', 'result', 'exception', 'traceback'] as const) {
      const task = newTask('u');
      const before = knownFields(task);
      task[field] = 'x';
      expect(filledIn(before, task), field).toBe(true);
    }
  });

  it('routing, client, worker, retries and timestamps do not', () => {
    const task = newTask('u');
    const before = knownFields(task);
    Object.assign(task, { routing_key: 'rk', queue: 'q', exchange: 'e', client: 'gen1@h', worker: 'w@h', retries: 3, sent: 1, received: 2 });
    expect(filledIn(before, task)).toBe(false);
  });

  it('a value overwritten, or set back to null, does not', () => {
    const task = newTask('u');
    task.name = 'tasks.add';
    task.args = '(1, 2)';
    const before = knownFields(task);
    task.name = 'tasks.other';
    task.args = null;
    expect(filledIn(before, task)).toBe(false);
    task.kwargs = '{}';
    expect(filledIn(before, task)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { compileFilter, parseStates, type FilterSubject } from '../../../src/engine/table/filter.js';
import { UsageError } from '../../../src/errors.js';

const task = (over: Partial<Extract<FilterSubject, { kind: 'task' }>> = {}): FilterSubject => ({
  kind: 'task',
  name: 'email.send',
  uuid: '3f0c2e1a-0000-4000-8000-000000000001',
  routing_key: 'mail',
  worker: 'w1@host',
  state: 'SUCCESS',
  ...over,
});
const worker = (state = 'ONLINE', hostname = 'w1@host'): FilterSubject => ({ kind: 'worker', hostname, state });

describe('compileFilter', () => {
  it('shows tasks only by default spec, workers only when asked', () => {
    const f = compileFilter({ tasks: true, workers: false });
    expect(f(task())).toBe(true);
    expect(f(worker())).toBe(false);
    const w = compileFilter({ tasks: false, workers: true });
    expect(w(task())).toBe(false);
    expect(w(worker())).toBe(true);
  });

  it('matches --pattern against name, uuid or routing key, and negates with !', () => {
    const f = compileFilter({ tasks: true, workers: false, pattern: '^email' });
    expect(f(task())).toBe(true);
    expect(f(task({ name: 'billing.charge' }))).toBe(false);
    expect(compileFilter({ tasks: true, workers: false, pattern: '^3f0c' })(task({ name: 'x' }))).toBe(true);
    expect(compileFilter({ tasks: true, workers: false, pattern: '^mail$' })(task({ name: 'x' }))).toBe(true);
    const not = compileFilter({ tasks: true, workers: false, pattern: '!^email' });
    expect(not(task())).toBe(false);
    expect(not(task({ name: 'billing.charge', routing_key: null }))).toBe(true);
  });

  it('a task with no name yet still matches on uuid and never crashes on nulls', () => {
    const f = compileFilter({ tasks: true, workers: false, pattern: 'email' });
    expect(f(task({ name: null, routing_key: null, uuid: 'abc' }))).toBe(false);
  });

  it('combines states (repeated, comma-separated, negated) with worker regex', () => {
    const f = compileFilter({ tasks: true, workers: true, states: ['failure,retry'], worker: '^w1@' });
    expect(f(task({ state: 'FAILURE' }))).toBe(true);
    expect(f(task({ state: 'RETRY' }))).toBe(true);
    expect(f(task({ state: 'SUCCESS' }))).toBe(false);
    expect(f(task({ state: 'FAILURE', worker: 'w2@host' }))).toBe(false);
    expect(f(worker('ONLINE', 'w1@x'))).toBe(true); // task states do not restrict workers
    expect(f(worker('ONLINE', 'w2@x'))).toBe(false);
    const notSuccess = compileFilter({ tasks: true, workers: true, states: ['!SUCCESS', '!HEARTBEAT'] });
    expect(notSuccess(task({ state: 'SUCCESS' }))).toBe(false);
    expect(notSuccess(task({ state: 'STARTED' }))).toBe(true);
    expect(notSuccess(worker('HEARTBEAT'))).toBe(false);
    expect(notSuccess(worker('OFFLINE'))).toBe(true);
  });

  it('negated worker regex keeps tasks not yet on a worker', () => {
    const f = compileFilter({ tasks: true, workers: false, worker: '!^w1@' });
    expect(f(task({ worker: null, state: 'PENDING' }))).toBe(true);
    expect(f(task())).toBe(false);
  });

  it('rejects an invalid regex or an unknown state with the flag named', () => {
    expect(() => compileFilter({ tasks: true, workers: false, pattern: '(' })).toThrow(UsageError);
    expect(() => compileFilter({ tasks: true, workers: false, pattern: '(' })).toThrow(/--pattern/);
    expect(() => parseStates(['SUCESS'])).toThrow(/unknown state "SUCESS"/);
  });
});

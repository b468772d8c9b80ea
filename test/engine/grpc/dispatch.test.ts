import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Dispatcher, type Encoders, type Sink } from '../../../src/engine/grpc/dispatch.js';
import type { TaskEvent, TaskSubject, WorkerEvent } from '../../../src/engine/events/types.js';
import { compileFilter, type FilterSpec } from '../../../src/engine/table/filter.js';
import type { Change } from '../../../src/engine/model.js';
import { State } from '../../../src/engine/state/state.js';

const T0 = 1_800_000_000;

function taskEvent(subject: TaskSubject, uuid: string, extra: Partial<TaskEvent> = {}): TaskEvent {
  return {
    kind: 'task',
    type: `task-${subject}`,
    subject,
    uuid,
    hostname: 'w1@host',
    timestamp: T0 + 1,
    clock: 1,
    pid: 10,
    utcoffset: 0,
    ...extra,
  };
}

function workerEvent(subject: 'online' | 'heartbeat' | 'offline', hostname: string): WorkerEvent {
  return { kind: 'worker', type: `worker-${subject}`, subject, hostname, timestamp: T0, clock: 1, pid: 1, utcoffset: 0, freq: 2 };
}

/** The changes a State reports for these events, in order. */
function changesOf(events: (TaskEvent | WorkerEvent)[]): Change[] {
  const state = new State({ maxTasks: 100, maxWorkers: 10 });
  return events.flatMap((e) => state.apply(e, T0 + 1));
}

/** Payloads are strings here; the encoders count their calls. */
function encoders(): Encoders<string> & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    task: (ch, i) => {
      const s = `task ${ch.task.uuid} ${ch.states[i]}${i < ch.states.length - 1 ? ' (generated)' : ''}`;
      calls.push(s);
      return s;
    },
    worker: (ch) => {
      const s = `worker ${ch.worker.hostname} ${ch.status}`;
      calls.push(s);
      return s;
    },
    missed: (n) => `missed ${n}`,
  };
}

/** A stream that accepts `room` writes, then reports full until `consume()` empties it and emits 'drain'. */
class FakeSink extends EventEmitter implements Sink<string> {
  readonly written: string[] = [];
  private pending = 0;
  ended = false;
  constructor(private room = Infinity) {
    super();
  }
  write(item: string): boolean {
    this.written.push(item);
    this.pending++;
    return this.pending < this.room;
  }
  end(): void {
    this.ended = true;
  }
  /** The reader catches up (optionally with a new room), and the stream says so. */
  consume(room = this.room): void {
    this.room = room;
    this.pending = 0;
    this.emit('drain');
  }
}

const filter = (spec: Partial<FilterSpec>) => compileFilter({ tasks: true, workers: false, ...spec });

describe('Dispatcher', () => {
  it('sends each client only what its own filter passes', () => {
    const enc = encoders();
    const d = new Dispatcher(enc);
    const failures = new FakeSink();
    const adds = new FakeSink();
    const workers = new FakeSink();
    d.add(failures, filter({ states: ['FAILURE'] }));
    d.add(adds, filter({ pattern: '^tasks\\.add$' }));
    d.add(workers, filter({ tasks: false, workers: true }));
    for (const ch of changesOf([
      taskEvent('received', 'a', { name: 'tasks.add' }),
      taskEvent('received', 'f', { name: 'tasks.fail' }),
      taskEvent('failed', 'f', { exception: 'Boom()' }),
      taskEvent('succeeded', 'a', { result: '5' }),
      workerEvent('offline', 'w1@host'),
    ])) {
      d.publish(ch);
    }
    expect(failures.written).toEqual(['task f FAILURE']);
    expect(adds.written).toEqual(['task a RECEIVED', 'task a STARTED (generated)', 'task a SUCCESS']);
    expect(workers.written).toEqual(['worker w1@host ONLINE', 'worker w1@host OFFLINE']);
    expect(d.size).toBe(3);
  });

  it('builds a payload once per record, shared by every client that wants it, and never for records nobody wants', () => {
    const enc = encoders();
    const d = new Dispatcher(enc);
    const one = new FakeSink();
    const two = new FakeSink();
    d.add(one, filter({ pattern: 'add' }));
    d.add(two, filter({ pattern: 'add' }));
    for (const ch of changesOf([taskEvent('sent', 'x', { name: 'tasks.mul' }), taskEvent('sent', 'y', { name: 'tasks.add' })])) {
      d.publish(ch);
    }
    expect(enc.calls).toEqual(['task y PENDING']);
    expect(one.written).toEqual(['task y PENDING']);
    expect(two.written[0]).toBe(one.written[0]);
  });

  it('a resuming client gets its catch-up first, then the live records held meanwhile, in order', () => {
    const d = new Dispatcher(encoders());
    const sink = new FakeSink();
    const client = d.add(sink, filter({}));
    client.hold();
    for (const ch of changesOf([taskEvent('received', 'a', { name: 'tasks.add' })])) d.publish(ch);
    expect(sink.written).toEqual([]);
    client.release(['caught-up x', 'caught-up y']);
    expect(sink.written).toEqual(['caught-up x', 'caught-up y', 'task a RECEIVED']);
    for (const ch of changesOf([taskEvent('succeeded', 'b', { name: 'tasks.add' })])) d.publish(ch);
    expect(sink.written.slice(3)).toEqual(['task b RECEIVED (generated)', 'task b STARTED (generated)', 'task b SUCCESS']);
  });

  it('builds nothing when no client is connected', () => {
    const enc = encoders();
    const d = new Dispatcher(enc);
    for (const ch of changesOf([taskEvent('succeeded', 'z', { name: 'tasks.add' })])) d.publish(ch);
    expect(enc.calls).toEqual([]);
  });

  it('queues while the stream is full and flushes in order on drain', () => {
    const d = new Dispatcher(encoders());
    const sink = new FakeSink(2);
    d.add(sink, filter({}));
    const names = ['a', 'b', 'c', 'd', 'e'];
    for (const ch of changesOf(names.map((u) => taskEvent('sent', u, { name: 't' })))) d.publish(ch);
    // write #2 reported "full": the rest wait for 'drain'.
    expect(sink.written).toEqual(['task a PENDING', 'task b PENDING']);
    sink.consume(Infinity);
    expect(sink.written).toEqual(names.map((u) => `task ${u} PENDING`));
    expect(d.dropped).toBe(0);
  });

  it('drops the oldest records of a slow client, counts them, and sends Missed before the next record', () => {
    const d = new Dispatcher(encoders(), { clientBuffer: 3 });
    const slow = new FakeSink(1);
    const fast = new FakeSink();
    const slowClient = d.add(slow, filter({}));
    d.add(fast, filter({}));
    const uuids = Array.from({ length: 10 }, (_, i) => `t${i}`);
    for (const ch of changesOf(uuids.map((u) => taskEvent('sent', u, { name: 't' })))) d.publish(ch);
    // t0 went out and filled the stream; t1..t9 queued in a ring of 3: t1..t6 dropped.
    expect(slow.written).toEqual(['task t0 PENDING']);
    expect(slowClient.queued).toBe(3);
    expect(slowClient.dropped).toBe(6);
    expect(d.dropped).toBe(6);
    expect(fast.written).toHaveLength(10);
    // The stream takes one item at a time: the Missed notice first, then the survivors in order.
    slow.consume(1);
    expect(slow.written.slice(1)).toEqual(['missed 6']);
    slow.consume(1);
    slow.consume(1);
    slow.consume(Infinity);
    expect(slow.written.slice(1)).toEqual(['missed 6', 'task t7 PENDING', 'task t8 PENDING', 'task t9 PENDING']);
    // Caught up: the next record goes straight out, no further notice.
    for (const ch of changesOf([taskEvent('sent', 'late', { name: 't' })])) d.publish(ch);
    expect(slow.written.at(-1)).toBe('task late PENDING');
    expect(slow.written.filter((w) => w.startsWith('missed'))).toHaveLength(1);
  });

  it('forgets a client that went away at once, queue included', () => {
    const d = new Dispatcher(encoders(), { clientBuffer: 5 });
    const sink = new FakeSink(1);
    const client = d.add(sink, filter({}));
    for (const ch of changesOf(['a', 'b', 'c'].map((u) => taskEvent('sent', u, { name: 't' })))) d.publish(ch);
    expect(client.queued).toBe(2);
    d.remove(client);
    expect(d.size).toBe(0);
    expect(client.queued).toBe(0);
    sink.consume(Infinity); // a late 'drain' writes nothing
    for (const ch of changesOf([taskEvent('sent', 'd', { name: 't' })])) d.publish(ch);
    expect(sink.written).toEqual(['task a PENDING']);
  });

  it('ends every stream on shutdown', () => {
    const d = new Dispatcher(encoders());
    const a = new FakeSink();
    const b = new FakeSink();
    d.add(a, filter({}));
    d.add(b, filter({}));
    d.endAll();
    expect([a.ended, b.ended, d.size]).toEqual([true, true, 0]);
  });

  it('refuses a buffer size that is not a positive integer', () => {
    expect(() => new Dispatcher(encoders(), { clientBuffer: 0 })).toThrow(RangeError);
    expect(() => new Dispatcher(encoders(), { clientBuffer: 1.5 })).toThrow(RangeError);
  });
});

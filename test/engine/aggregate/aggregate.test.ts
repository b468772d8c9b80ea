import { describe, expect, it } from 'vitest';
import { ByName } from '../../../src/engine/aggregate/by-name.js';
import { Failures } from '../../../src/engine/aggregate/failures.js';
import { failureCause, innermostFrame, normalizeMessage, splitException } from '../../../src/engine/aggregate/fingerprint.js';
import { rank, Reservoir } from '../../../src/engine/aggregate/percentiles.js';
import type { TaskSample } from '../../../src/engine/aggregate/sample.js';
import { taskNameRecord } from '../../../src/format/by-name-text.js';
import { failureGroupRecord } from '../../../src/format/failures-text.js';

const base: TaskSample = {
  uuid: 'u', name: 'shop.email.send', state: 'SUCCESS', worker: 'w1@a', retries: 0, exception: null, traceback: null,
  runtime: null, sent: null, received: null, started: null, succeeded: null, failed: null, retried: null, timestamp: 0,
};
const tb = (fn: string) => `Traceback (most recent call last):\n  File "/app/celery/app/trace.py", line 451, in trace_task\n    R = retval = fun(*args, **kwargs)\n  File "/app/shop/email.py", line 12, in ${fn}\n    raise BounceError(addr)\nBounceError: x`;

describe('percentiles', () => {
  it('nearest rank over the samples', () => {
    const s = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect([rank(s, 0.5), rank(s, 0.95), rank(s, 0.99)]).toEqual([5, 10, 10]);
    const r = new Reservoir();
    for (let i = 1; i <= 100; i++) r.add(i);
    expect(r.quantiles()).toEqual({ p50: 50, p95: 95, p99: 99 });
    expect(new Reservoir().quantiles()).toBeNull();
  });
  it('keeps at most its cap, uniformly: quantiles stay close on a large stream', () => {
    const r = new Reservoir(1000);
    for (let i = 1; i <= 100_000; i++) r.add(i);
    expect(r.count).toBe(100_000);
    const q = r.quantiles()!;
    expect(Math.abs(q.p50 - 50_000)).toBeLessThan(5000);
    expect(Math.abs(q.p95 - 95_000)).toBeLessThan(3000);
  });
});

describe('stats --by-name', () => {
  it('counts states, failure %, retries and the four legs per name; a leg without its ends is null', () => {
    const agg = new ByName();
    for (let i = 0; i < 3; i++) {
      const t0 = 100 * i;
      agg.add({ ...base, uuid: `ok${i}`, sent: t0, received: t0 + 0.01 * (i + 1), started: t0 + 0.1, succeeded: t0 + 0.6, runtime: 0.5 });
    }
    agg.add({ ...base, uuid: 'bad', state: 'FAILURE', retries: 2, sent: 1000, received: 1000.5, started: 1001, failed: 1003 });
    agg.add({ ...base, uuid: 'x', name: 'other', state: 'RECEIVED', received: 5 });
    const [email, other] = agg.rows().map(taskNameRecord);
    expect(email).toEqual({
      kind: 'task-name', name: 'shop.email.send', count: 4, states: { FAILURE: 1, SUCCESS: 3 }, failure_pct: 25, retries: 2,
      queued_ms: { p50: 20, p95: 500, p99: 500 },
      prefetched_ms: { p50: 80, p95: 500, p99: 500 },
      runtime_ms: { p50: 500, p95: 2000, p99: 2000 },
      total_ms: { p50: 600, p95: 3000, p99: 3000 },
    });
    expect(other).toMatchObject({ name: 'other', count: 1, failure_pct: 0, queued_ms: null, prefetched_ms: null, runtime_ms: null, total_ms: null });
  });
  it('a negative leg (clock skew) counts 0; rounds failure % to one decimal', () => {
    const agg = new ByName();
    agg.add({ ...base, sent: 10, received: 9 });
    agg.add({ ...base, uuid: 'f1', state: 'FAILURE' });
    agg.add({ ...base, uuid: 'f2', state: 'FAILURE' });
    const r = taskNameRecord(agg.rows()[0]!);
    expect(r.queued_ms).toEqual({ p50: 0, p95: 0, p99: 0 });
    expect(r.failure_pct).toBe(66.7);
  });
});

describe('failure fingerprints', () => {
  it('splits the repr into type and message, unquoting string arguments', () => {
    expect(splitException("BounceError('mailbox 12 gone')")).toEqual({ type: 'BounceError', message: 'mailbox 12 gone' });
    expect(splitException("HarnessError('disk 3 full', 42)")).toEqual({ type: 'HarnessError', message: 'disk 3 full, 42' });
    expect(splitException('KeyError: \'x\'')).toEqual({ type: 'KeyError', message: "'x'" });
    expect(splitException('exploded')).toEqual({ type: 'UnknownException', message: 'exploded' });
    expect(splitException(`ValueError("it's \\"odd\\"", [1, 2])`)).toEqual({ type: 'ValueError', message: 'it\'s "odd", [1, 2]' });
  });
  it('normalises numbers, uuids, hex ids and quoted values', () => {
    expect(normalizeMessage("mailbox 'bob@example.com' does not exist")).toBe('mailbox <str> does not exist');
    expect(normalizeMessage('order 0b5f2a44-1c3e-4f3a-9a7e-2f6b1d7c9e01 timed out after 30.5s (attempt 3)')).toBe('order <uuid> timed out after <num>s (attempt <num>)');
    expect(normalizeMessage('object at 0x7f3a2b1c not found in 5d41402abc4b2a76b9719d911017c592')).toBe('object at <hex> not found in <hex>');
    expect(normalizeMessage('connect to 10.0.0.5:6379 refused')).toBe('connect to <num>:<num> refused');
  });
  it('takes the innermost frame, without its line number', () => {
    expect(innermostFrame(tb('send'))).toBe('/app/shop/email.py in send');
    expect(innermostFrame(null)).toBeNull();
  });
  it('same cause, different numbers: one fingerprint; different frame or message: another', () => {
    const a = failureCause("BounceError('mailbox 17 is full')", tb('send'));
    const b = failureCause("BounceError('mailbox 23 is full')", tb('send'));
    const c = failureCause("BounceError('mailbox 23 is full')", tb('resend'));
    const d = failureCause("BounceError('quota exceeded for 23')", tb('send'));
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set([a.fingerprint, c.fingerprint, d.fingerprint]).size).toBe(3);
  });
});

describe('failures', () => {
  it('groups failed tasks by cause, biggest first, with names, workers, first/last seen and the latest example', () => {
    const f = new Failures();
    const fail = (uuid: string, exc: string, at: number, over: Partial<TaskSample> = {}) =>
      f.add({ ...base, uuid, state: 'FAILURE', exception: exc, traceback: tb('send'), failed: at, ...over });
    fail('a1', "BounceError('mailbox 1 is full')", 10);
    fail('a2', "BounceError('mailbox 2 is full')", 30, { worker: 'w2@b', name: 'shop.email.resend' });
    fail('a3', "BounceError('mailbox 3 is full')", 20);
    fail('b1', "TimeoutError('gave up after 30 s')", 15);
    expect(f.add({ ...base, uuid: 'ok' })).toBe(false);
    expect(f.add({ ...base, uuid: 'r', state: 'RETRY', exception: "ValueError('x')" })).toBe(false);
    const [first, second] = f.groupsBySize().map(failureGroupRecord);
    expect(first).toEqual({
      kind: 'failure-group', fingerprint: first!.fingerprint, exception: 'BounceError', message: 'mailbox <num> is full', frame: '/app/shop/email.py in send',
      count: 3, names: ['shop.email.resend', 'shop.email.send'], first_seen: 10, last_seen: 30, workers: ['w1@a', 'w2@b'],
      example: { uuid: 'a2', message: 'mailbox 2 is full' },
    });
    expect(second).toMatchObject({ exception: 'TimeoutError', message: 'gave up after <num> s', count: 1 });
  });
  it('--retries also groups tasks that retried: waiting, running again, or since succeeded; a final failure once', () => {
    const f = new Failures(true);
    expect(f.add({ ...base, uuid: 'r', state: 'RETRY', exception: "ValueError('flaky attempt 1')", retried: 5 })).toBe(true);
    // Retried twice then succeeded: the exception is the last retry's (a success does not clear it).
    expect(f.add({ ...base, uuid: 's', state: 'SUCCESS', exception: "ValueError('flaky attempt 2')", retried: 9, retries: 2, succeeded: 10 })).toBe(true);
    expect(f.add({ ...base, uuid: 't', state: 'STARTED', exception: "ValueError('flaky attempt 1')", retried: 7, retries: 1 })).toBe(true);
    expect(f.add({ ...base, uuid: 'x', state: 'FAILURE', exception: "KeyError('k')", retried: 3, failed: 4 })).toBe(true);
    expect(f.add({ ...base, uuid: 'ok', state: 'SUCCESS' })).toBe(false);
    const groups = f.groupsBySize();
    expect(groups.map((g) => [g.exception, g.message, g.count])).toEqual([['ValueError', 'flaky attempt <num>', 3], ['KeyError', 'k', 1]]);
    expect(groups[0]).toMatchObject({ firstSeen: 5, lastSeen: 9, example: { uuid: 's', message: 'flaky attempt 2' } });
    // Without --retries only the failure.
    const plain = new Failures();
    for (const u of ['s', 't']) expect(plain.add({ ...base, uuid: u, state: 'SUCCESS', exception: "ValueError('a 1')", retried: 9 })).toBe(false);
  });
});

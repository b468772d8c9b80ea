import { describe, expect, it } from 'vitest';
import { humanMs, renderByName, type TaskNameRecord } from '../../src/format/by-name-text.js';
import { renderFailures, type FailureGroupRecord } from '../../src/format/failures-text.js';

describe('stats --by-name text', () => {
  it('one aligned row per name; a leg without samples is -', () => {
    const rec = (name: string, count: number, over: Partial<TaskNameRecord> = {}): TaskNameRecord => ({
      kind: 'task-name', name, count, states: { SUCCESS: count }, failure_pct: 0, retries: 0,
      queued_ms: { p50: 0.4, p95: 12, p99: 1250 }, prefetched_ms: null, runtime_ms: { p50: 250, p95: 300, p99: 64_000 }, total_ms: null, ...over,
    });
    const lines = renderByName([rec('shop.email.send', 120, { states: { FAILURE: 3, SUCCESS: 117 }, failure_pct: 2.5, retries: 4 }), rec('a', 7)]);
    expect(lines).toEqual([
      'NAME             COUNT  STATES                 FAIL%  RETRIES  QUEUED p50/p95/p99  PREFETCHED p50/p95/p99  RUNTIME p50/p95/p99  TOTAL p50/p95/p99',
      'shop.email.send    120  FAILURE:3 SUCCESS:117    2.5        4  0.4ms/12ms/1.25s    -                       250ms/300ms/1m04s    -',
      'a                    7  SUCCESS:7                0.0        0  0.4ms/12ms/1.25s    -                       250ms/300ms/1m04s    -',
    ]);
    expect(renderByName([])).toEqual(['no tasks in that window']);
  });
  it('human milliseconds', () => {
    expect([humanMs(0.25), humanMs(999.4), humanMs(1000), humanMs(12_340), humanMs(61_000)]).toEqual(['0.3ms', '999ms', '1.00s', '12.3s', '1m01s']);
    // A leg with no wait at all (a worker idle when the task came) is 0ms, as 2ms is 2ms.
    expect([humanMs(0), humanMs(0.04), humanMs(0.05)]).toEqual(['0ms', '0ms', '0.1ms']);
  });
});

describe('failures text', () => {
  it('one block per group: count and cause, where, when, an example', () => {
    const g: FailureGroupRecord = {
      kind: 'failure-group', fingerprint: 'f', exception: 'BounceError', message: 'mailbox <str> does not exist', frame: '/app/mail.py in send',
      count: 12, names: ['shop.email.send'], first_seen: 1000, last_seen: 1540, workers: ['w1@a', 'w2@b'], example: { uuid: 'u-1', message: "mailbox 'bob' does not exist" },
    };
    expect(renderFailures([g, { ...g, count: 3, frame: null, workers: [] }], 1600)).toEqual([
      '12  BounceError: mailbox <str> does not exist',
      '    tasks shop.email.send; workers w1@a, w2@b',
      '    first 10m 00s ago, last 1m 00s ago; at /app/mail.py in send',
      "    e.g. u-1: mailbox 'bob' does not exist",
      '',
      ' 3  BounceError: mailbox <str> does not exist',
      '    tasks shop.email.send; workers -',
      '    first 10m 00s ago, last 1m 00s ago',
      "    e.g. u-1: mailbox 'bob' does not exist",
    ]);
    expect(renderFailures([], 0)).toEqual(['no failures in that window']);
  });
});

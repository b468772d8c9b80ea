import { describe, expect, it } from 'vitest';
import { makePalette } from '../../src/format/colors.js';
import type { WorkerRecord } from '../../src/format/record.js';
import { formatAgo, renderWorkerTable } from '../../src/format/workers-text.js';

const plain = makePalette(false);

function worker(over: Partial<WorkerRecord>): WorkerRecord {
  return {
    kind: 'worker',
    hostname: 'w1@host',
    state: 'HEARTBEAT',
    timestamp: 1000,
    alive: true,
    pid: 42,
    freq: 2,
    active: 1,
    processed: 17,
    loadavg: [0.5, 0.25, 0.125],
    sw_ident: 'py-celery',
    sw_ver: '5.2.6',
    sw_sys: 'Linux',
    last_seen: 1000,
    events: 'on',
    ...over,
  };
}

describe('formatAgo', () => {
  it.each([
    [0, '0s ago'],
    [4.9, '4s ago'],
    [59, '59s ago'],
    [60, '1m 00s ago'],
    [185, '3m 05s ago'],
    [3600, '1h 00m ago'],
    [7800, '2h 10m ago'],
    [86400 * 3 + 3600 * 4 + 5, '3d 4h ago'],
    [-12, '0s ago'],
  ])('%s seconds -> %s', (s, text) => {
    expect(formatAgo(s)).toBe(text);
  });
});

describe('renderWorkerTable', () => {
  it('prints nothing for no workers', () => {
    expect(renderWorkerTable([], plain, 0)).toEqual([]);
  });

  it('aligns a header and one row per worker, numbers right-aligned', () => {
    const lines = renderWorkerTable(
      [
        worker({}),
        worker({
          hostname: 'long-worker-name@host',
          alive: false,
          state: 'OFFLINE',
          last_seen: 880,
          active: null,
          processed: 1234,
          loadavg: null,
          sw_ident: null,
          sw_ver: null,
          sw_sys: null,
        }),
      ],
      plain,
      1003,
    );
    expect(lines).toEqual([
      'HOSTNAME               STATUS   LAST SEEN   ACTIVE  PROCESSED  LOAD            SOFTWARE',
      'w1@host                alive    3s ago           1         17  0.50 0.25 0.13  py-celery 5.2.6 Linux',
      'long-worker-name@host  offline  2m 03s ago       -       1234  -               -',
    ]);
  });

  it('colours cells after padding, so colour codes do not shift columns', () => {
    const colour = makePalette(true);
    const [, row] = renderWorkerTable([worker({})], colour, 1000);
    expect(row).toBeDefined();
    // eslint-disable-next-line no-control-regex
    const visible = row!.replace(/\x1b\[[0-9;]*m/g, '');
    expect(visible).toBe('w1@host   alive   0s ago          1         17  0.50 0.25 0.13  py-celery 5.2.6 Linux');
    expect(row).toContain(colour.state('ONLINE')('alive '));
  });
});

import { describe, expect, it } from 'vitest';
import { cpuPercent, parseStat, parseStatus } from '../../../bench/lib/proc.js';

// A real /proc/<pid>/stat line (of `cat`), and one of a process whose name has spaces and parentheses.
const CAT =
  '11109 (cat) R 11107 11107 19854 0 -1 4194304 98 0 0 0 7 3 0 0 20 0 1 0 383530 3133440 389 ' +
  '18446744073709551615 93950083375104 93950083394985 140730032248480 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n';
const ODD = '42 (node (worker) x) S 1 42 42 0 -1 4194560 5000 0 0 0 1234 567 0 0 20 0 11 0 100 1073741824 262144 0\n';

describe('parseStat', () => {
  it('reads pid, name, state, CPU ticks, threads and resident pages', () => {
    expect(parseStat(CAT)).toEqual({ pid: 11109, comm: 'cat', state: 'R', utime: 7, stime: 3, numThreads: 1, rssPages: 389 });
  });

  it('finds the fields after the LAST parenthesis of the name', () => {
    expect(parseStat(ODD)).toEqual({
      pid: 42,
      comm: 'node (worker) x',
      state: 'S',
      utime: 1234,
      stime: 567,
      numThreads: 11,
      rssPages: 262144,
    });
  });

  it('refuses text that is not a stat line', () => {
    expect(() => parseStat('hello')).toThrow(/not a \/proc stat line/);
    expect(() => parseStat('1 (x) S 1 2')).toThrow(/field 14/);
  });
});

describe('parseStatus', () => {
  const STATUS = 'Name:\tnode\nState:\tS (sleeping)\nVmPeak:\t 1200000 kB\nVmHWM:\t  210000 kB\nVmRSS:\t  200000 kB\nThreads:\t11\n';

  it('reads VmRSS and VmHWM in bytes', () => {
    expect(parseStatus(STATUS)).toEqual({ rssBytes: 200000 * 1024, hwmBytes: 210000 * 1024 });
  });

  it('says what is missing (a zombie has no Vm lines)', () => {
    expect(() => parseStatus('Name:\tnode\nState:\tZ (zombie)\n')).toThrow(/no VmRSS line/);
  });
});

describe('cpuPercent', () => {
  it('is CPU time over wall time, in % of one core', () => {
    // 150 ticks at 100/s = 1.5 s of CPU in 1 s: one core and a half.
    expect(cpuPercent({ t: 1000, cpuTicks: 50, rssBytes: 0 }, { t: 2000, cpuTicks: 200, rssBytes: 0 }, 100)).toBe(150);
    expect(cpuPercent({ t: 0, cpuTicks: 0, rssBytes: 0 }, { t: 500, cpuTicks: 25, rssBytes: 0 }, 100)).toBe(50);
  });

  it('is 0 over no time', () => {
    expect(cpuPercent({ t: 5, cpuTicks: 1, rssBytes: 0 }, { t: 5, cpuTicks: 9, rssBytes: 0 }, 100)).toBe(0);
  });
});

/**
 * CPU time and memory of a process, read from /proc (Linux): `/proc/<pid>/stat` for user+system
 * CPU ticks, `/proc/<pid>/status` for VmRSS/VmHWM. The parsers are pure (tested on captured
 * text); the sampler polls them while a measurement runs.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  /** CPU time in clock ticks (see clockTicks()), user and system, this process only. */
  readonly utime: number;
  readonly stime: number;
  readonly numThreads: number;
  /** Resident pages. */
  readonly rssPages: number;
}

/**
 * Parse `/proc/<pid>/stat`. The command name (field 2) is in parentheses and may itself contain
 * spaces and parentheses, so the fields after it are found from the LAST `)`.
 */
export function parseStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc stat line: ${JSON.stringify(text.slice(0, 60))}`);
  const rest = text.slice(close + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state): field n is rest[n - 3].
  const field = (n: number): number => {
    const v = Number(rest[n - 3]);
    if (!Number.isFinite(v)) throw new Error(`/proc stat: field ${n} missing or not a number`);
    return v;
  };
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    utime: field(14),
    stime: field(15),
    numThreads: field(20),
    rssPages: field(24),
  };
}

export interface ProcStatus {
  /** Resident set size now, bytes. */
  readonly rssBytes: number;
  /** Peak resident set size ("high water mark"), bytes. */
  readonly hwmBytes: number;
}

/** Parse `/proc/<pid>/status` (`VmRSS:   123456 kB` lines). */
export function parseStatus(text: string): ProcStatus {
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB$`, 'm').exec(text);
    if (m === null) throw new Error(`/proc status: no ${key} line (is the process a zombie?)`);
    return Number(m[1]) * 1024;
  };
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
}

let ticks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`; 100 on every Linux we know of). */
export function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

export async function readStat(pid: number): Promise<ProcStat> {
  return parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
}

export async function readStatus(pid: number): Promise<ProcStatus> {
  return parseStatus(await readFile(`/proc/${pid}/status`, 'utf8'));
}

export interface ProcSample {
  /** performance.now() of the read, ms. */
  readonly t: number;
  /** utime + stime, ticks. */
  readonly cpuTicks: number;
  readonly rssBytes: number;
}

/** CPU use between two samples, in % of one core (200 = two cores busy). */
export function cpuPercent(a: ProcSample, b: ProcSample, clkTck = clockTicks()): number {
  const seconds = (b.t - a.t) / 1000;
  return seconds > 0 ? ((b.cpuTicks - a.cpuTicks) / clkTck / seconds) * 100 : 0;
}

export async function sample(pid: number): Promise<ProcSample> {
  const [stat, status] = await Promise.all([readStat(pid), readStatus(pid)]);
  return { t: performance.now(), cpuTicks: stat.utime + stat.stime, rssBytes: status.rssBytes };
}

/**
 * Polls a process every `intervalMs` until stopped (or until it exits). Sampling costs the
 * measured process nothing: the reads are the kernel's work, in our process.
 */
export class ProcSampler {
  readonly samples: ProcSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    readonly pid: number,
    private readonly intervalMs = 100,
  ) {}

  async start(): Promise<void> {
    this.samples.push(await sample(this.pid));
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      this.samples.push(await sample(this.pid));
    } catch {
      this.stop(); // the process is gone
    } finally {
      this.busy = false;
    }
  }

  /** Take one last sample now (the window's end), and stop polling. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    try {
      this.samples.push(await sample(this.pid));
    } catch {
      // gone already: the earlier samples stand
    }
  }

  /** Mean CPU % of one core over samples taken within [fromMs, toMs]. */
  cpuBetween(fromMs: number, toMs: number): number {
    const inside = this.samples.filter((s) => s.t >= fromMs && s.t <= toMs);
    const first = inside[0];
    const last = inside[inside.length - 1];
    return first === undefined || last === undefined || first === last ? 0 : cpuPercent(first, last);
  }

  get peakRssBytes(): number {
    return this.samples.reduce((m, s) => Math.max(m, s.rssBytes), 0);
  }
}

/**
 * Wait until `pid` has been idle for `quietMs` (polling every `pollMs`); resolves with the time
 * (performance.now()) of the last poll at which it was still busy, i.e. when its work ended, to
 * within one poll. Busy means at least `minTicks` CPU ticks in one poll: an idle clearly still
 * wakes up for its 1 s timer, and that must not count as work. Gives up after `timeoutMs` (null).
 */
export async function waitIdle(
  pid: number,
  quietMs: number,
  pollMs = 50,
  minTicks = 2,
  timeoutMs = 120_000,
): Promise<number | null> {
  const start = performance.now();
  let last = await readStat(pid);
  let lastBusy = start;
  for (;;) {
    await new Promise((r) => setTimeout(r, pollMs));
    const now = performance.now();
    const cur = await readStat(pid);
    if (cur.utime + cur.stime - (last.utime + last.stime) >= minTicks) lastBusy = now;
    last = cur;
    if (now - lastBusy >= quietMs) return lastBusy;
    if (now - start > timeoutMs) return null;
  }
}

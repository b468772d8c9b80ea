/**
 * Real Celery for integration tests: start/stop/kill workers (test/celery/tasks.py) and publish
 * workloads (test/celery/workload.py). Celery is the system one, `/usr/bin/python3 -m celery`.
 *
 * Workers are spawned detached, so each leads its own process group with its pool children:
 * `kill()` signals the whole group, and an exit hook kills every group still alive, so no worker
 * outlives the test process. As a second line, tasks.py arms PR_SET_PDEATHSIG in the worker and its
 * pool children (CLEARLY_TEST_PARENT_PID), which covers a test process that is SIGKILLed itself.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** The system Python that has Celery (the `python3` on PATH may not). */
export const PYTHON = '/usr/bin/python3';
export const CELERY_DIR = fileURLToPath(new URL('../celery', import.meta.url));
const WORKLOAD = `${CELERY_DIR}/workload.py`;
const LOG_LIMIT = 4 * 1024 * 1024;

export interface WorkerOptions {
  broker: string;
  backend?: string;
  /** Node name before `@` (default unique per worker); a value with `@` is used as is. */
  hostname?: string;
  /** Prefork pool size (default 2). */
  concurrency?: number;
  /** `-Q`; the first one also becomes the default queue, so retries and chain steps stay in it. */
  queues?: readonly string[];
  extraArgs?: readonly string[];
  env?: Readonly<Record<string, string>>;
  /** The Celery app module in test/celery/ (default `tasks`; `cadasta` for the tap's topology). */
  app?: string;
  /** false: a worker with task events off (no -E, worker_send_task_events False), as many run. */
  taskEvents?: boolean;
  /** How long to wait for `ready.` (default 30 s). */
  readyTimeoutMs?: number;
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WorkerHandle {
  /** The node name the worker reports (`name@host`), as in its events' `hostname`. */
  readonly hostname: string;
  /** The worker main process; also its process group id. */
  readonly pid: number;
  /** Settles when the main process has exited. */
  readonly exited: Promise<WorkerExit>;
  /** Warm shutdown: SIGTERM to the main process, wait (SIGKILL the group after `timeoutMs`, default 20 s). */
  stop(opts?: { timeoutMs?: number }): Promise<void>;
  /** Signal the whole process group (pool children too) and wait until no member is left. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Everything the worker printed (stdout and stderr, interleaved). */
  log(): string;
  /** Resolve with the first match of `re` in the log (already there or still to come). */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Live (non-zombie) pids in the worker's process group: main + pool children. */
  groupPids(): number[];
}

const live = new Set<number>();
let counter = 0;

/** Spawn a worker and resolve once it logs `<nodename> ready.`; reject with the log tail if it exits or times out. */
export async function startWorker(opts: WorkerOptions): Promise<WorkerHandle> {
  installExitHook();
  const name = opts.hostname ?? `t${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 6)}`;
  const nodename = name.includes('@') ? name : `${name}@%h`;
  const events = opts.taskEvents === false ? [] : ['-E'];
  const args = ['-m', 'celery', '-A', opts.app ?? 'tasks', 'worker', ...events, '-l', 'info', '-P', 'prefork'];
  args.push('-c', String(opts.concurrency ?? 2), '-n', nodename);
  if (opts.queues && opts.queues.length > 0) args.push('-Q', opts.queues.join(','));
  args.push(...(opts.extraArgs ?? []));

  const child = spawn(PYTHON, args, {
    cwd: CELERY_DIR,
    detached: true, // own process group, so kill() reaches the pool children
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...celeryEnv(opts.broker, opts.backend, opts.queues?.[0]),
      ...(opts.taskEvents === false ? { CLEARLY_TEST_TASK_EVENTS: '0' } : {}),
      ...opts.env,
    },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${PYTHON} (is it installed?)`);
  live.add(pid);

  let log = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    log += chunk.toString('utf8');
    if (log.length > LOG_LIMIT) log = log.slice(log.length - LOG_LIMIT);
    for (const l of listeners) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<WorkerExit>((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(pid);
      resolve({ code, signal });
      for (const l of listeners) l();
    });
  });
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const waitForLog = (re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = log.match(re);
        if (m) return done(() => resolve(m));
        if (hasExited) done(() => reject(new Error(`worker ${pid} exited before logging ${re}\n${tail(log)}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`worker ${pid} did not log ${re} within ${timeoutMs} ms\n${tail(log)}`))),
        timeoutMs,
      );
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });

  const groupPids = (): number[] => liveGroupMembers(pid);
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    signalGroup(pid, signal);
    const gone = await waitFor(() => hasExited && groupPids().length === 0, 15_000);
    if (!gone && signal !== 'SIGKILL') return kill('SIGKILL');
    if (!gone) throw new Error(`worker ${pid}: process group still alive after SIGKILL: ${groupPids().join(', ')}`);
  };
  const stop = async ({ timeoutMs = 20_000 } = {}): Promise<void> => {
    if (!hasExited) signalPid(pid, 'SIGTERM'); // the main process only: Celery shuts its pool down itself
    const clean = await waitFor(() => hasExited && groupPids().length === 0, timeoutMs);
    if (!clean) await kill('SIGKILL');
  };

  try {
    // `[... INFO/MainProcess] t123-1-ab12@host ready.` carries the real node name (%h expanded).
    const ready = await waitForLog(/\s(\S+@\S+) ready\.$/m, opts.readyTimeoutMs ?? 30_000);
    const hostname = ready[1] ?? '';
    return { hostname, pid, exited, stop, kill, log: () => log, waitForLog, groupPids };
  } catch (err) {
    await kill('SIGKILL').catch(() => {});
    throw new Error(`celery worker did not start: ${(err as Error).message}`, { cause: err });
  }
}

export type Scenario =
  | 'basic' | 'fail' | 'flaky' | 'big' | 'echo' | 'reject' | 'slow' | 'chain' | 'eta' | 'revoke' | 'expired'
  | 'revoke_terminate' | 'group' | 'chord' | 'die' | 'unserializable';

/** workload.py's default set (every scenario but the opt-in group/chord/die/unserializable). */
export const DEFAULT_SCENARIOS: readonly Scenario[] = [
  'basic', 'fail', 'flaky', 'big', 'echo', 'reject', 'slow', 'chain', 'eta', 'revoke', 'expired', 'revoke_terminate',
];

export interface WorkloadOptions {
  broker: string;
  backend?: string;
  /** Default queue; must be the worker's `queues[0]` (default `celery`). */
  queue?: string;
  /** Default: DEFAULT_SCENARIOS, or none when `call` is given. */
  scenarios?: readonly Scenario[];
  /** Publish one task `count` times (scenario `call`), e.g. `{ task: 'tasks.slow', args: [60] }`. */
  call?: {
    task: string;
    args?: readonly unknown[];
    kwargs?: Readonly<Record<string, unknown>>;
    count?: number;
    countdown?: number;
    /** Expected final state (default SUCCESS). */
    expect?: string;
  };
  /** false: publish without task-sent events (task_send_sent_event False), as many apps do. */
  taskSent?: boolean;
  timeoutMs?: number;
}

/** One line of workload.py's output (see its docstring). */
export interface PublishedTask {
  id: string;
  task: string;
  scenario: Scenario | 'call';
  /** The state Celery's own `State` ends in (a rejected task ends STARTED). */
  expect: string;
  /** The last event the worker sends for it; null for a `call` with an unusual expect. */
  final_event: 'task-succeeded' | 'task-failed' | 'task-revoked' | 'task-rejected' | null;
  args_repr?: string;
  kwargs_repr?: string;
  result_repr?: string;
  exception?: string;
  retries?: number;
  step?: number;
  parent_id?: string;
  root_id?: string;
  group_id?: string;
  eta?: string;
  expires?: string;
}

/** Run workload.py and return what it published; throws with its stderr if it fails. */
export async function runWorkload(opts: WorkloadOptions): Promise<PublishedTask[]> {
  const args = [WORKLOAD, '--broker', opts.broker];
  if (opts.backend) args.push('--backend', opts.backend);
  if (opts.queue) args.push('--queue', opts.queue);
  for (const s of opts.scenarios ?? []) args.push('--scenario', s);
  const call = opts.call;
  if (call) {
    args.push('--call', call.task, '--args', JSON.stringify(call.args ?? []));
    args.push('--kwargs', JSON.stringify(call.kwargs ?? {}), '--count', String(call.count ?? 1));
    if (call.countdown !== undefined) args.push('--countdown', String(call.countdown));
    if (call.expect !== undefined) args.push('--expect', call.expect);
  }
  const r = await execa(PYTHON, args, {
    reject: false,
    stdin: 'ignore',
    timeout: opts.timeoutMs ?? 60_000,
    env: { CLEARLY_TEST_PARENT_PID: String(process.pid), PYTHONDONTWRITEBYTECODE: '1', ...(opts.taskSent === false ? { CLEARLY_TEST_TASK_SENT: '0' } : {}) },
  });
  if (r.exitCode !== 0) {
    const why = r.timedOut ? 'timed out' : `exited ${r.exitCode ?? r.signal}`;
    throw new Error(`workload.py ${why}: ${args.slice(1).join(' ')}\n${tail(r.stderr)}`);
  }
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const t = JSON.parse(l) as PublishedTask;
      if (typeof t.id !== 'string' || typeof t.expect !== 'string') throw new Error(`workload.py: bad line ${l}`);
      return t;
    });
}

/** Throws unless `/usr/bin/python3` can import celery and redis (never skip: the environment is broken). */
export async function assertCeleryAvailable(): Promise<string> {
  const r = await execa(PYTHON, ['-c', 'import celery, redis; print(celery.__version__)'], { reject: false });
  if (r.exitCode !== 0) {
    throw new Error(
      `${PYTHON} cannot import celery/redis: ${tail(r.stderr || String(r.message))}\n` +
        `Install python3-celery and python3-redis (apt-get) or run .ci/run.`,
    );
  }
  return r.stdout.trim();
}

function celeryEnv(broker: string, backend?: string, queue?: string): Record<string, string> {
  return {
    CLEARLY_TEST_BROKER: broker,
    CLEARLY_TEST_BACKEND: backend ?? '', // '' overrides an inherited value: tasks.py treats it as none
    CLEARLY_TEST_QUEUE: queue ?? '',
    CLEARLY_TEST_PARENT_PID: String(process.pid),
    PYTHONPATH: CELERY_DIR,
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
  };
}

const signalGroup = (pgid: number, signal: NodeJS.Signals): void => signalPid(-pgid, signal);

/** process.kill that ignores ESRCH (already gone): exits race with our bookkeeping. */
function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * Live (non-zombie) members of process group `pgid`, from /proc. Zombies are skipped: orphaned pool
 * children are reaped by init, which may take a moment, yet they no longer run anything.
 */
export function liveGroupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses, so split after the last `)`.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') pids.push(Number(entry));
  }
  return pids;
}

/** Poll `cond` every 50 ms; true once it holds, false after `timeoutMs`. */
async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (cond()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

let hooked = false;
function installExitHook(): void {
  if (hooked) return;
  hooked = true;
  const killAll = (): void => {
    for (const pid of live) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    live.clear();
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      // Re-raise for the default action unless someone else (e.g. the test runner) handles it.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

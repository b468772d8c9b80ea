/**
 * The processes a measurement drives: `clearly server`, `clearly watch`, the load generator, and
 * one-shot clearly commands, all from the built dist/ (what users run). Children get SIGINT at the
 * end, as a person's Ctrl-C, and are killed if they do not leave; nothing else is ever signalled.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLEARLY = fileURLToPath(new URL('../../cli/clearly.js', import.meta.url));
export const GENERATOR = fileURLToPath(new URL('../generator/cli.js', import.meta.url));

export interface Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Everything it wrote on stderr so far. */
  readonly stderr: () => string;
  /** SIGINT, wait for the exit (SIGKILL after `graceMs`); resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** Resolves with the exit code when the process ends by itself. */
  readonly exited: Promise<number | null>;
}

function track(proc: ChildProcess): Child {
  let err = '';
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  if (proc.pid === undefined) throw new Error(`could not start ${proc.spawnargs.join(' ')}`);
  return {
    proc,
    pid: proc.pid,
    stderr: () => err,
    exited,
    async stop(graceMs = 10_000): Promise<number | null> {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGINT');
      const kill = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(kill);
      return code;
    },
  };
}

/** Resolve when stderr shows a line matching `re` (its match), reject if the child exits first. */
function waitForLine(child: Child, re: RegExp, what: string, timeoutMs = 20_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const m = re.exec(child.stderr());
      if (m !== null) {
        cleanup();
        resolve(m);
        return true;
      }
      return false;
    };
    const onData = (): void => void check();
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`${what} exited (code ${code}) before it was ready:\n${child.stderr()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what} not ready after ${timeoutMs / 1000}s:\n${child.stderr()}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.proc.stderr?.off('data', onData);
      child.proc.off('exit', onExit);
    };
    child.proc.stderr?.on('data', onData);
    child.proc.once('exit', onExit);
    check();
  });
}

export interface ServerChild extends Child {
  /** `127.0.0.1:PORT`, for --server and ServerConnection. */
  readonly address: string;
}

/**
 * `clearly server` on a free port; resolves once it listens (its broker consumer is running).
 * In memory unless `args` name a `--store` (the store's own figures are measured with one).
 */
export async function startServer(broker: string, args: readonly string[] = []): Promise<ServerChild> {
  const store = args.includes('--store') ? [] : ['--store', 'memory'];
  const proc = spawn(process.execPath, [CLEARLY, 'server', '--broker', broker, '--port', '0', ...store, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const child = track(proc);
  const m = await waitForLine(child, /server listening on (\S+:\d+)/, 'clearly server');
  return { ...child, address: m[1] as string };
}

/**
 * `clearly watch ARGS`; resolves once it says it is watching (the broker queue is bound, or the
 * server stream is connected). `stdout`: 'ignore' is `> /dev/null`; 'pipe' to read the records.
 */
export async function startWatch(args: readonly string[], stdout: 'ignore' | 'pipe'): Promise<Child> {
  const stdio: StdioOptions = ['ignore', stdout, 'pipe'];
  const child = track(spawn(process.execPath, [CLEARLY, 'watch', ...args], { stdio }));
  await waitForLine(child, /clearly: watching /, 'clearly watch');
  return child;
}

export interface GeneratorSummary {
  readonly published: number;
  readonly messages: number;
  readonly tasks: number;
  readonly seconds: number;
  readonly rate: number;
  readonly processes: number;
  readonly seed: number;
}

export interface GeneratorRun {
  readonly summary: GeneratorSummary;
  /** performance.now() when it exited: every message has been handed to the broker by then. */
  readonly endedAt: number;
}

/** Parse the generator's one JSON summary line (the last line of its stdout). */
export function parseGeneratorSummary(stdout: string): GeneratorSummary {
  const last = stdout.trim().split('\n').pop() ?? '';
  const s = JSON.parse(last) as Partial<GeneratorSummary>;
  for (const k of ['published', 'messages', 'tasks', 'seconds', 'rate'] as const) {
    if (typeof s[k] !== 'number') throw new Error(`generator summary without ${k}: ${last}`);
  }
  return s as GeneratorSummary;
}

/** Run the load generator to its end (`--events` or `--duration` must be among `args`). */
export async function runGenerator(broker: string, args: readonly string[]): Promise<GeneratorRun> {
  const proc = spawn(process.execPath, [GENERATOR, '--broker', broker, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const child = track(proc);
  let out = '';
  proc.stdout?.setEncoding('utf8');
  proc.stdout?.on('data', (d: string) => (out += d));
  const code = await child.exited;
  const endedAt = performance.now();
  if (code !== 0) throw new Error(`generator ${args.join(' ')} exited ${code}:\n${child.stderr()}`);
  return { summary: parseGeneratorSummary(out), endedAt };
}

export interface CommandRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from spawn to exit, ms. */
  readonly ms: number;
}

/** Run `node [nodeArgs] dist/cli/clearly.js ARGS` to its end, timing the whole process. */
export function runClearly(args: readonly string[], nodeArgs: readonly string[] = []): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const proc = spawn(process.execPath, [...nodeArgs, CLEARLY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    proc.once('error', reject);
    proc.once('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - t0 }));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

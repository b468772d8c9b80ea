/**
 * Run the BUILT clearly CLI (`node dist/cli/clearly.js`, as users get it) in integration tests:
 * `runClearly` for commands that finish, `spawnClearly` for streams such as `clearly watch --json`.
 *
 * Children get NO_COLOR=1 and no COLUMNS unless a test's `env` says otherwise: picocolors turns colours on when
 * `CI` is set, and CI sets it, so without this the same test would see different bytes on CI.
 * execa's `cleanup` (on by default) kills the children if the test process exits.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLEARLY_BIN = fileURLToPath(new URL('../../dist/cli/clearly.js', import.meta.url));

export interface CliOptions {
  /** Merged over process.env; `undefined` removes a variable. */
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** runClearly: kill after this long (default 30 s). spawnClearly: none unless given. */
  timeoutMs?: number;
  /** Written to stdin (otherwise stdin is closed). */
  input?: string;
}

export interface CliResult {
  /** undefined when killed by a signal. */
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  /** Exactly as written (the final newline is kept). */
  stdout: string;
  stderr: string;
}

/** The NDJSON records of `clearly watch --json` (the lead's contract; fields may be null when unknown). */
export interface TaskRecord {
  kind: 'task';
  uuid: string;
  name: string | null;
  state: string;
  timestamp: number;
  worker: string | null;
  retries: number | null;
  args: unknown;
  kwargs: unknown;
  result: unknown;
  args_repr: string | null;
  kwargs_repr: string | null;
  result_repr: string | null;
  exception: string | null;
  traceback: string | null;
  runtime: number | null;
  routing_key: string | null;
  parent_id: string | null;
  root_id: string | null;
  sent?: number | null;
  received?: number | null;
  started?: number | null;
  succeeded?: number | null;
  failed?: number | null;
  /** Set where Celery's own State would differ (README, "Where clearly differs"). */
  celery_state?: string;
}
export interface WorkerRecord {
  kind: 'worker';
  hostname: string;
  state: 'ONLINE' | 'OFFLINE' | 'HEARTBEAT';
  pid: number | null;
  freq: number | null;
  active: number | null;
  processed: number | null;
  loadavg: number[] | null;
  sw_ident: string | null;
  sw_ver: string | null;
  sw_sys: string | null;
  timestamp: number;
}
export type ClearlyRecord = TaskRecord | WorkerRecord;

export interface ClearlyProcess {
  readonly pid: number | undefined;
  /** Complete stdout lines so far (a partial last line is held back until its newline). */
  lines(): string[];
  /** Those lines parsed as JSON; throws on a line that is not JSON (a CLI bug). */
  records(): ClearlyRecord[];
  stdout(): string;
  stderr(): string;
  /** Resolve with the first match of `re` in stderr; reject on timeout or exit (with the output). */
  waitForStderr(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolve with all records once `predicate(records)` holds; reject on timeout or exit. */
  waitForRecords(predicate: (records: ClearlyRecord[]) => boolean, timeoutMs?: number): Promise<ClearlyRecord[]>;
  /** Resolve with the first record matching `predicate`. */
  waitForRecord(predicate: (record: ClearlyRecord) => boolean, timeoutMs?: number): Promise<ClearlyRecord>;
  /** Send `signal` (default SIGINT, as Ctrl-C), SIGKILL after `timeoutMs` (default 10 s), resolve with the result. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<CliResult>;
  /** Settles (never rejects) when the process has exited. */
  readonly result: Promise<CliResult>;
}

/** Run `clearly <args>` to completion. Never rejects on a non-zero exit: check `exitCode`. */
export async function runClearly(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  return runNode([requireBuilt(), ...args], opts);
}

/** `runClearly` for any node arguments (e.g. `['-e', code]`): lets the harness test itself. */
export async function runNode(nodeArgs: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  const r = await execa('node', [...nodeArgs], {
    ...common(opts),
    timeout: opts.timeoutMs ?? 30_000,
  });
  return { exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, stdout: r.stdout, stderr: r.stderr };
}

/** Start `clearly <args>` (e.g. `watch --json`) and observe it while it runs. */
export function spawnClearly(args: readonly string[], opts: CliOptions = {}): ClearlyProcess {
  return spawnNode([requireBuilt(), ...args], opts);
}

/** `spawnClearly` for any node arguments (e.g. `['-e', code]`): lets the harness test itself. */
export function spawnNode(nodeArgs: readonly string[], opts: CliOptions = {}): ClearlyProcess {
  const sub = execa('node', [...nodeArgs], {
    ...common(opts),
    buffer: false,
    ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
  });
  let out = '';
  let err = '';
  const lines: string[] = [];
  const records: ClearlyRecord[] = [];
  let pending = ''; // stdout after the last newline
  let parseError: Error | undefined;
  let exited = false;
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const l of listeners) l();
  };

  sub.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const parts = (pending + chunk).split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (line.trim() === '' || parseError) continue;
      try {
        records.push(JSON.parse(line) as ClearlyRecord);
      } catch {
        parseError = new Error(`clearly printed a stdout line that is not JSON: ${JSON.stringify(line)}`);
      }
    }
    notify();
  });
  sub.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    notify();
  });
  const result: Promise<CliResult> = sub.then((r) => {
    exited = true;
    notify();
    return { exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, stdout: out, stderr: err };
  });

  const describeState = (): string =>
    `\n--- stderr ---\n${tailOf(err)}\n--- last stdout lines ---\n${lines.slice(-10).join('\n')}`;

  /** Resolve with check()'s first non-undefined value; re-checked on every output chunk and on exit. */
  const until = <T>(check: () => T | undefined, what: string, timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const settle = (fn: () => void): void => {
        clearTimeout(timer);
        listeners.delete(run);
        fn();
      };
      const run = (): void => {
        let value: T | undefined;
        try {
          value = check();
        } catch (e) {
          return settle(() => reject(e as Error));
        }
        if (value !== undefined) return settle(() => resolve(value));
        if (exited) settle(() => reject(new Error(`clearly exited before ${what}${describeState()}`)));
      };
      const timer = setTimeout(
        () => settle(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describeState()}`))),
        timeoutMs,
      );
      listeners.add(run);
      run();
    });

  const checkedRecords = (): ClearlyRecord[] => {
    if (parseError) throw parseError;
    return records;
  };

  return {
    pid: sub.pid,
    lines: () => [...lines],
    records: () => [...checkedRecords()],
    stdout: () => out,
    stderr: () => err,
    waitForStderr: (re, timeoutMs = 15_000) => until(() => err.match(re) ?? undefined, `stderr ${re}`, timeoutMs),
    waitForRecords: (predicate, timeoutMs = 15_000) =>
      until(() => (predicate(checkedRecords()) ? [...records] : undefined), 'records matching the predicate', timeoutMs),
    waitForRecord: (predicate, timeoutMs = 15_000) =>
      until(() => checkedRecords().find(predicate), 'a record matching the predicate', timeoutMs),
    async stop(signal: NodeJS.Signals = 'SIGINT', timeoutMs = 10_000) {
      if (!exited) sub.kill(signal);
      const timer = setTimeout(() => sub.kill('SIGKILL'), timeoutMs);
      try {
        return await result;
      } finally {
        clearTimeout(timer);
      }
    },
    result,
  };
}

/** Parse runClearly's stdout as NDJSON records (blank lines ignored). */
export function parseRecords(stdout: string): ClearlyRecord[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ClearlyRecord);
}

export function requireBuilt(): string {
  if (!existsSync(CLEARLY_BIN)) {
    throw new Error(`${CLEARLY_BIN} does not exist: build first (\`npm run build\`; \`npm test\` does it).`);
  }
  return CLEARLY_BIN;
}

/**
 * A state directory of its own for each process (unless the test gives XDG_STATE_HOME): a server's
 * default store is a file there, so tests never write to the real ~/.local/state/clearly, and a
 * server started by one test never finds another test's history.
 */
function freshStateHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clearly-test-state-'));
  if (stateHomes.length === 0) process.once('exit', () => stateHomes.forEach((d) => rmSync(d, { recursive: true, force: true })));
  stateHomes.push(dir);
  return dir;
}
const stateHomes: string[] = [];

function common(opts: CliOptions) {
  return {
    cwd: opts.cwd ?? REPO_ROOT,
    // COLUMNS: text fits it when set (the tests' stdout is a pipe); a developer's shell must not change the bytes.
    env: { NO_COLOR: '1', COLUMNS: undefined, XDG_STATE_HOME: freshStateHome(), ...opts.env },
    reject: false,
    stripFinalNewline: false,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
  } as const;
}

function tailOf(text: string, lines = 30): string {
  return text.split('\n').slice(-lines).join('\n');
}

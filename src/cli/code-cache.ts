/**
 * How `clearly` starts fast: the CLI is one CommonJS bundle, compiled through V8's code cache.
 * Node 20 has no compile cache of its own (module.enableCompileCache is Node 22), and compiling
 * the bundle (yargs, grpc-js, ...) was a large part of every short command's run time.
 *
 * The cache is V8's compiled code for what a run used, written once, after a run that found none
 * (or one V8 refused), into a per-user directory: `$XDG_CACHE_HOME/clearly` or `~/.cache/clearly`.
 * Each kind of run keeps its own (they compile different functions), and the file names carry the
 * bundle's content hash and Node's version, so a rebuilt bundle or another Node never reads a cache
 * made for something else (V8 itself only checks the source's length). Anything that goes wrong
 * with the cache only costs speed. NODE_DISABLE_COMPILE_CACHE (Node 22's switch) turns it off.
 */
import { isAscii } from 'node:buffer';
import { accessSync, constants, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';

export interface Bundle {
  /** Absolute path of the CommonJS bundle. */
  readonly path: string;
  /** A hash of its contents (names its caches). */
  readonly hash: string;
  /** The subcommand names: each has its own cache; anything else shares `main`'s. */
  readonly commands: readonly string[];
}

/** Caches of other builds untouched for this long are removed when a new one is written. */
const STALE_MS = 7 * 24 * 3600 * 1000;

/** The per-user cache directory, or undefined when caching is off or there is no home. */
export function cacheDir(env: NodeJS.ProcessEnv, home: () => string = homedir): string | undefined {
  if (env['NODE_DISABLE_COMPILE_CACHE'] !== undefined && env['NODE_DISABLE_COMPILE_CACHE'] !== '') return undefined;
  const xdg = env['XDG_CACHE_HOME'];
  // A relative XDG_CACHE_HOME is to be ignored (XDG Base Directory spec).
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'clearly');
  let h: string;
  try {
    h = home();
  } catch {
    return undefined;
  }
  return h === '' ? undefined : join(h, '.cache', 'clearly');
}

/**
 * The cache file for this bundle, Node and kind of run: a run compiles only what it uses, and a
 * cache is written once, so each command (the first word that is not a flag, as bin/clearly.ts
 * reads it) keeps its own, and so do its help and its --broker runs, which use other code.
 */
export function cacheFile(
  dir: string,
  bundle: Bundle,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  node = `${process.version}-${process.arch}`,
): string {
  const first = args.find((a) => !a.startsWith('-'));
  const command = first !== undefined && bundle.commands.includes(first) ? first : 'main';
  const help = args.some((a) => a === '--help' || a === '-h' || a === '--version');
  const broker = args.some((a) => a === '--broker' || a === '-b' || a.startsWith('--broker=')) || env['CLEARLY_BROKER'] !== undefined;
  return join(dir, `${bundle.hash}-${node}-${command}${help ? '-help' : broker ? '-broker' : ''}.v8cache`);
}

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Whether the cache directory exists (created if need be) and can be written. */
function writableDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Write atomically (a concurrent run reads the old file or the new one), then tidy up old builds'. */
export function saveCache(file: string, data: Buffer, hash: string, now = Date.now()): void {
  try {
    const dir = dirname(file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, file);
    for (const name of readdirSync(dir)) {
      if (name.startsWith(hash)) continue;
      const old = join(dir, name);
      if (now - statSync(old).mtimeMs > STALE_MS) unlinkSync(old);
    }
  } catch {
    // An unwritable cache only makes the next start slower.
  }
}

type CommonJsBody = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;

/** What happened to the cache: none used (off), none found, used, or refused by V8 (rewritten). */
export type CacheOutcome = 'off' | 'missing' | 'used' | 'rejected';

/**
 * Run the bundle as Node would run a CommonJS main module, with its compiled code cached.
 * `atExit` is when the cache is written (process exit: the run has compiled all it needed).
 */
export function runBundle(
  bundle: Bundle,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  atExit: (write: () => void) => void = (write) => process.once('exit', write),
): CacheOutcome {
  // scripts/bundle.mjs writes the bundle as ASCII, so it reads as a one-byte latin1 string (much
  // faster than decoding UTF-8, which any other file still gets), and as one function expression,
  // Node's CommonJS wrapper, so that no 2 MB string is concatenated here.
  const bytes = readFileSync(bundle.path);
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const dir = cacheDir(env);
  const file = dir === undefined ? undefined : cacheFile(dir, bundle, args, env);
  const cachedData = file === undefined ? undefined : readCache(file);
  const script = new Script(source, { filename: bundle.path, ...(cachedData === undefined ? {} : { cachedData }) });
  const outcome: CacheOutcome =
    file === undefined ? 'off' : cachedData === undefined ? 'missing' : script.cachedDataRejected === true ? 'rejected' : 'used';
  // Written at exit, the cache holds every function this run compiled, not only the top level.
  // (Not even serialised when it could not be written: a read-only home would pay it every run.)
  if (file !== undefined && outcome !== 'used' && writableDir(dirname(file))) {
    atExit(() => {
      try {
        saveCache(file, script.createCachedData(), bundle.hash);
      } catch {
        // Never let the cache change how the command ends.
      }
    });
  }
  const body = script.runInThisContext() as CommonJsBody;
  const module = { exports: {} };
  body.call(module.exports, module.exports, createRequire(bundle.path), module, bundle.path, dirname(bundle.path));
  return outcome;
}

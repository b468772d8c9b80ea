/**
 * The CLI edge, as a person meets it (issue 17): a usage error stops before anything runs or
 * prints on stdout; a missing positional says what is missing once; repeated flags keep every
 * value; an explicit --color wins over NO_COLOR. Runs the BUILT CLI; the repeated-flag and colour
 * tests fill queues of their own on the Redis broker.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBrokerReachable, BROKERS, deleteQueue, uniqueQueue, withRedis } from '../helpers/brokers.js';
import { execa } from 'execa';
import { CLEARLY_BIN, REPO_ROOT, runClearly } from '../helpers/cli.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

describe('a usage error stops before the command runs', () => {
  let address: string;
  beforeAll(async () => {
    await assertBrokerReachable(BROKERS.redis);
    address = `127.0.0.1:${await freePort()}`;
  });

  // Each of these would connect (or listen, or stream) if its handler ran.
  it.each([
    [['watch', '--broker', BROKERS.redis, '--jsn'], 'watch', '--json'],
    [['watch', '--server', '@', '--jsn'], 'watch', '--json'],
    [['tasks', '--bogus'], 'tasks', undefined],
    [['task', 'abc', '--wiat'], 'task', '--wait'],
    [['workers', '--alivee'], 'workers', '--alive'],
    [['stats', '--bogus'], 'stats', undefined],
    [['seen', '--bogus'], 'seen', undefined],
    [['reset', '--bogus'], 'reset', undefined],
    [['server', '--broker', BROKERS.redis, '--port', '0', '--prot', '0'], 'server', '--port'],
  ] as const)('%j: exit 2, nothing on stdout, only the usage lines on stderr', async (args, command, guess) => {
    const withServer = (args as readonly string[]).includes('--server') ? args.map((a) => (a === '@' ? address : a)) : [...args, ...(command === 'server' ? [] : ['--server', address])];
    const r = await runClearly(withServer, { timeoutMs: 10_000 });
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    const [first, second, ...rest] = lines(r.stderr);
    expect(first).toMatch(/^clearly: Unknown argument: \w+/);
    if (guess !== undefined) expect(first).toContain(`(did you mean ${guess}?)`);
    expect(second).toBe(`Run "clearly ${command} --help" for usage.`);
    expect(rest).toEqual([]);
  });

  it('`task` without its uuid: one line saying what is missing, exit 2', async () => {
    const r = await runClearly(['task', '--server', address]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual(['clearly: task: give <uuid> (usage: clearly task <uuid>)', 'Run "clearly task --help" for usage.']);
  });
});

describe('repeated flags keep every value', () => {
  const bulk = uniqueQueue('clearly-usage-bulk');
  const other = uniqueQueue('clearly-usage-other');
  beforeAll(async () => {
    await withRedis(BROKERS.redis, async (r) => {
      await r.rpush(bulk, 'm1', 'm2');
      await r.rpush(other, 'm1');
    });
  });
  afterAll(async () => {
    await deleteQueue(BROKERS.redis, bulk);
    await deleteQueue(BROKERS.redis, other);
  });

  it.each([
    [['--max-queue', `${bulk}=1`, '--max-queue', `${other}=1000`]],
    [['--max-queue', `${bulk}=1,${other}=1000`]],
  ])('check %j judges both queues: the full one makes it CRITICAL', async (flags) => {
    const r = await runClearly(['check', '--broker', BROKERS.redis, ...flags]);
    expect(r.stdout).toBe(
      `CLEARLY CRITICAL - queue ${bulk} 2 messages, queue ${other} 1 message | queue_${bulk}=2;;1;0 queue_${other}=1;;1000;0\n`,
    );
    expect(r.exitCode).toBe(2);
  });

  it('stats --queue a -q b measures both', async () => {
    const r = await runClearly(['stats', '--broker', BROKERS.redis, '--queue', bulk, '-q', other, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(lines(r.stdout).map((l) => (JSON.parse(l) as { queue: string; messages: number }))).toMatchObject([
      { queue: bulk, messages: 2 },
      { queue: other, messages: 1 },
    ]);
  });

  it('a single-value flag given twice: the last wins', async () => {
    const r = await runClearly(['tasks', '--limit', 'abc', '--limit', '-1', '--server', '127.0.0.1:1']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('got -1');
  });
});

describe('colour: an explicit flag wins over the environment', () => {
  const queue = uniqueQueue('clearly-usage-colour');
  beforeAll(async () => {
    await withRedis(BROKERS.redis, (r) => r.rpush(queue, 'm1'));
  });
  afterAll(async () => {
    await deleteQueue(BROKERS.redis, queue);
  });
  const ESC = '\x1b[';
  const stats = (flags: string[], env: Record<string, string | undefined>) =>
    runClearly(['stats', '--broker', BROKERS.redis, '--queue', queue, ...flags], { env });

  it('NO_COLOR=1 with --color: colour', async () => {
    const r = await stats(['--color'], { NO_COLOR: '1' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(ESC);
  });

  it('NO_COLOR=1 alone, or FORCE_COLOR=1 with --no-color: none', async () => {
    expect((await stats([], { NO_COLOR: '1' })).stdout).not.toContain(ESC);
    const r = await stats(['--no-color'], { NO_COLOR: undefined, FORCE_COLOR: '1' });
    expect(r.stdout).toContain(queue);
    expect(r.stdout).not.toContain(ESC);
  });
});

describe('--help fits the terminal and never breaks a word', () => {
  const commands = ['', 'watch', 'tasks', 'task', 'check', 'server'];
  // Phrases that were cut inside a word at the old fixed width.
  const whole = ['query history, check health.', 'traceback', 'UNKNOWN', 'unreachable'];

  it.each(commands)('not a terminal: `%s --help` is at most 80 columns', async (command) => {
    const r = await runClearly([...(command === '' ? [] : [command]), '--help']);
    expect(r.exitCode, r.stderr).toBe(0);
    const widths = r.stdout.split('\n').map((l) => [...l].length);
    expect(Math.max(...widths)).toBeLessThanOrEqual(80);
    expect(Math.max(...widths)).toBeGreaterThan(60);
  });

  it('every word of the top-level help is whole', async () => {
    const r = await runClearly(['--help']);
    const text = r.stdout.replace(/\s+/g, ' ');
    for (const phrase of whole) expect(text).toContain(phrase);
  });

  it('a terminal 130 columns wide: wrapped at 130, not 80 (through a pseudo-terminal)', async () => {
    // script(1) gives the CLI a tty of the size stty sets; it writes CRLF.
    const r = await execa('script', ['-qc', `stty cols 130 rows 40; node ${CLEARLY_BIN} check --help`, '/dev/null'], {
      cwd: REPO_ROOT,
      env: { NO_COLOR: '1' },
      reject: false,
      timeout: 20_000,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const widths = r.stdout.split(/\r?\n/).map((l) => [...l].length);
    expect(Math.max(...widths)).toBeLessThanOrEqual(130);
    expect(Math.max(...widths)).toBeGreaterThan(100);
  });
});

describe('--help wraps between words, built and from the sources (npm run dev: tsx)', () => {
  const COMMANDS = ['', 'watch', 'demo', 'tasks', 'task', 'workers', 'stats', 'failures', 'check', 'diagnose', 'enable-events', 'seen', 'export', 'import', 'reset', 'server'];
  const words = (text: string): string[] => text.split(/\s+/).filter((w) => w !== '');
  const widest = (text: string): number => Math.max(...text.split(/\r?\n/).map((l) => [...l].length));
  /**
   * The words of `narrow` that the unwrapped help does not have: a word cut in two ("redi" /
   * "s://"), or two glued ("server[string]"). Only a word longer than any column can be
   * (half the width, yargs' widest left column) may be cut, and then only into pieces of it.
   */
  const broken = (narrow: string, wide: string, width: number): string[] => {
    const whole = words(wide);
    const known = new Set(whole);
    const tooLong = whole.filter((w) => w.length > width / 2 - 4);
    return words(narrow).filter((w) => !known.has(w) && !tooLong.some((t) => t.includes(w)));
  };
  const dev = (args: string[], env: Record<string, string | undefined>) =>
    execa('npm', ['run', '--silent', 'dev', '--', ...args], { cwd: REPO_ROOT, env: { NO_COLOR: '1', ...env }, reject: false, timeout: 30_000 });
  const built = async (args: string[], env: Record<string, string | undefined>) => runClearly(args, { env });
  const help = (command: string): string[] => [...(command === '' ? [] : [command]), '--help'];

  it('built: at 60, 70, 80 and 100 columns (COLUMNS, not a terminal) every command\'s help keeps its words whole', async () => {
    const found: string[] = [];
    for (const command of COMMANDS) {
      const wide = (await built(help(command), { COLUMNS: '1000' })).stdout;
      for (const width of [60, 70, 80, 100]) {
        const r = await built(help(command), { COLUMNS: String(width) });
        expect(r.exitCode, r.stderr).toBe(0);
        expect(widest(r.stdout), `${command} at ${width}`).toBeLessThanOrEqual(width);
        for (const w of broken(r.stdout, wide, width)) found.push(`${command || '(top)'} at ${width}: ${w}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('npm run dev: COLUMNS=60 wraps at 60 as the built CLI does', async () => {
    for (const args of [['watch', '--help'], ['--help']]) {
      const narrow = await dev(args, { COLUMNS: '60' });
      expect(narrow.exitCode, narrow.stderr).toBe(0);
      expect(widest(narrow.stdout)).toBeLessThanOrEqual(60);
      expect(widest(narrow.stdout)).toBeGreaterThan(50);
      expect(narrow.stdout.trimEnd()).toBe((await built(args, { COLUMNS: '60' })).stdout.trimEnd());
    }
  });

  it.each([['built', built], ['npm run dev', dev]] as const)('%s: not a terminal, no COLUMNS: 80', async (_, run) => {
    const r = await run(['watch', '--help'], { COLUMNS: undefined });
    expect(widest(r.stdout)).toBeLessThanOrEqual(80);
    expect(widest(r.stdout)).toBeGreaterThan(70);
    expect(broken(r.stdout, (await built(['watch', '--help'], { COLUMNS: '1000' })).stdout, 80)).toEqual([]);
  });

  it('npm run dev in a terminal 70 columns wide: wrapped at 70, between words', async () => {
    const r = await execa('script', ['-qc', 'stty cols 70 rows 40; npm run --silent dev -- watch --help', '/dev/null'], {
      cwd: REPO_ROOT,
      env: { NO_COLOR: '1', COLUMNS: undefined },
      reject: false,
      timeout: 30_000,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(widest(r.stdout)).toBeLessThanOrEqual(70);
    expect(widest(r.stdout)).toBeGreaterThan(60);
    expect(broken(r.stdout, (await built(['watch', '--help'], { COLUMNS: '1000' })).stdout, 70)).toEqual([]);
  });
});

describe('--version, built and from the sources', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  it('the built CLI', async () => {
    const r = await runClearly(['--version']);
    expect([r.exitCode, r.stdout]).toEqual([0, `${pkg.version}\n`]);
  });

  it('`npm run dev -- --version` (tsx on bin/clearly.ts)', async () => {
    const r = await execa('npm', ['run', '--silent', 'dev', '--', '--version'], { cwd: REPO_ROOT, reject: false, timeout: 30_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
  it('`npx clearly --version` in the checkout runs this build as it is: no second build', async () => {
    // npm runs a package's own bin by linking the checkout into its npx cache, which runs
    // `prepare`; a cache of the test's own keeps ~/.npm untouched (and --offline, the registry).
    const cache = mkdtempSync(join(tmpdir(), 'clearly-npx-'));
    const built = statSync(CLEARLY_BIN).mtimeMs;
    try {
      const r = await execa('npm', ['exec', '--offline', '--', 'clearly', '--version'], {
        cwd: REPO_ROOT,
        env: { npm_config_cache: cache, npm_config_update_notifier: 'false' },
        reject: false,
        timeout: 60_000,
      });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(pkg.version);
      expect(statSync(CLEARLY_BIN).mtimeMs).toBe(built);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

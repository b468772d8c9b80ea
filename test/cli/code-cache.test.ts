import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheDir, cacheFile, runBundle, saveCache, type Bundle } from '../../src/cli/code-cache.js';

const NO_HOME = (): string => {
  throw new Error('no home');
};

describe('cacheDir', () => {
  it('is under XDG_CACHE_HOME when set, else ~/.cache', () => {
    expect(cacheDir({ XDG_CACHE_HOME: '/x/cache' }, () => '/home/u')).toBe('/x/cache/clearly');
    expect(cacheDir({}, () => '/home/u')).toBe('/home/u/.cache/clearly');
    // The XDG spec ignores a relative path.
    expect(cacheDir({ XDG_CACHE_HOME: 'rel' }, () => '/home/u')).toBe('/home/u/.cache/clearly');
  });

  it('is off with NODE_DISABLE_COMPILE_CACHE, or without a home', () => {
    expect(cacheDir({ NODE_DISABLE_COMPILE_CACHE: '1' }, () => '/home/u')).toBeUndefined();
    expect(cacheDir({}, NO_HOME)).toBeUndefined();
    expect(cacheDir({}, () => '')).toBeUndefined();
  });
});

describe('cacheFile', () => {
  const bundle: Bundle = { path: '/d/b.cjs', hash: 'h1', commands: ['stats', 'tasks'] };

  it('keeps one file per command, and one for everything else', () => {
    expect(cacheFile('/c', bundle, ['stats', '--json'], {}, 'v20-x64')).toBe('/c/h1-v20-x64-stats.v8cache');
    expect(cacheFile('/c', bundle, ['--json', 'tasks'], {}, 'v20-x64')).toBe('/c/h1-v20-x64-tasks.v8cache');
    expect(cacheFile('/c', bundle, [], {}, 'v20-x64')).toBe('/c/h1-v20-x64-main.v8cache');
    expect(cacheFile('/c', bundle, ['../../etc'], {}, 'v20-x64')).toBe('/c/h1-v20-x64-main.v8cache');
  });

  it('keeps help and --broker runs apart: they compile other code', () => {
    expect(cacheFile('/c', bundle, ['stats', '--help'], {}, 'v')).toBe('/c/h1-v-stats-help.v8cache');
    expect(cacheFile('/c', bundle, ['-h'], {}, 'v')).toBe('/c/h1-v-main-help.v8cache');
    expect(cacheFile('/c', bundle, ['--version'], {}, 'v')).toBe('/c/h1-v-main-help.v8cache');
    expect(cacheFile('/c', bundle, ['stats', '-b', 'redis://x'], {}, 'v')).toBe('/c/h1-v-stats-broker.v8cache');
    expect(cacheFile('/c', bundle, ['tasks', '--broker=amqp://x'], {}, 'v')).toBe('/c/h1-v-tasks-broker.v8cache');
    expect(cacheFile('/c', bundle, ['tasks'], { CLEARLY_BROKER: 'amqp://x' }, 'v')).toBe('/c/h1-v-tasks-broker.v8cache');
  });
});

describe('runBundle', () => {
  let dir: string;
  let bundle: Bundle;
  const g = globalThis as { codeCacheTest?: unknown[] };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'clearly-code-cache-'));
    const path = join(dir, 'bundle.cjs');
    // What it sees of CommonJS, and a non-ASCII string to check the decoding.
    // As the build writes it: Node's CommonJS wrapper around the code.
    writeFileSync(
      path,
      '(function (exports, require, module, __filename, __dirname) { function f(x) { return x * 2; }\n' +
        'globalThis.codeCacheTest.push([f(21), "d\\u00e9j\\u00e0 vu", "déjà", typeof require, module.exports === exports, __filename, __dirname]);\n})',
    );
    bundle = { path, hash: 'abc', commands: ['stats'] };
    g.codeCacheTest = [];
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    delete g.codeCacheTest;
  });

  it('runs the bundle as a CommonJS module', () => {
    runBundle(bundle, [], { NODE_DISABLE_COMPILE_CACHE: '1' }, () => {});
    expect(g.codeCacheTest).toEqual([[42, 'déjà vu', 'déjà', 'function', true, bundle.path, dir]]);
  });

  it('writes the cache at exit when there is none, then uses it', () => {
    const env = { XDG_CACHE_HOME: join(dir, 'cache') };
    const exits: (() => void)[] = [];
    expect(runBundle(bundle, ['stats'], env, (w) => exits.push(w))).toBe('missing');
    expect(exits).toHaveLength(1);
    exits[0]!();
    const files = readdirSync(join(dir, 'cache', 'clearly'));
    expect(files).toEqual([`abc-${process.version}-${process.arch}-stats.v8cache`]);

    expect(runBundle(bundle, ['stats'], env, (w) => exits.push(w))).toBe('used');
    expect(exits).toHaveLength(1); // nothing more to write
    expect(g.codeCacheTest).toHaveLength(2);
  });

  it('rewrites a cache V8 refuses, and still runs', () => {
    const env = { XDG_CACHE_HOME: join(dir, 'cache') };
    const file = cacheFile(join(dir, 'cache', 'clearly'), bundle, ['stats']);
    saveCache(file, Buffer.from('not a V8 code cache'), bundle.hash);
    const exits: (() => void)[] = [];
    expect(runBundle(bundle, ['stats'], env, (w) => exits.push(w))).toBe('rejected');
    expect(g.codeCacheTest).toHaveLength(1);
    exits[0]!();
    expect(readFileSync(file).toString()).not.toBe('not a V8 code cache');
    expect(runBundle(bundle, ['stats'], env, () => {})).toBe('used');
  });

  it('runs without a cache when the directory cannot be written', () => {
    const blocker = join(dir, 'file');
    writeFileSync(blocker, '');
    const env = { XDG_CACHE_HOME: blocker }; // a file: mkdir under it fails
    const exits: (() => void)[] = [];
    expect(runBundle(bundle, ['stats'], env, (w) => exits.push(w))).toBe('missing');
    expect(exits).toHaveLength(0); // not even serialised
    expect(g.codeCacheTest).toHaveLength(1);
  });
});

describe('saveCache', () => {
  it("removes other builds' caches only once they are a week old", () => {
    const dir = mkdtempSync(join(tmpdir(), 'clearly-code-cache-'));
    try {
      const now = Date.now();
      writeFileSync(join(dir, 'old-v20-x64-stats.v8cache'), 'x');
      writeFileSync(join(dir, 'recent-v20-x64-stats.v8cache'), 'x');
      writeFileSync(join(dir, 'cur-v20-x64-tasks.v8cache'), 'x');
      const weekAgo = (now - 8 * 24 * 3600 * 1000) / 1000;
      utimesSync(join(dir, 'old-v20-x64-stats.v8cache'), weekAgo, weekAgo);
      utimesSync(join(dir, 'cur-v20-x64-tasks.v8cache'), weekAgo, weekAgo);
      saveCache(join(dir, 'cur-v20-x64-stats.v8cache'), Buffer.from('data'), 'cur', now);
      expect(readdirSync(dir).sort()).toEqual(['cur-v20-x64-stats.v8cache', 'cur-v20-x64-tasks.v8cache', 'recent-v20-x64-stats.v8cache']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * `--store` as written: the default file named after the broker (so servers of different brokers
 * never mix) under $XDG_STATE_HOME/clearly (or ~/.local/state/clearly), paths and sqlite:PATH,
 * PostgreSQL URLs masked for people, memory, and what is refused.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBrokerUrl } from '../../../src/engine/broker/url.js';
import { describeStore, parseStoreUrl, stateDir, storeFileName } from '../../../src/engine/store/url.js';
import { UsageError } from '../../../src/errors.js';

const broker = (u: string) => parseBrokerUrl(u);

describe('the default file is named after the broker', () => {
  it.each([
    ['redis://127.0.0.1:6379/0', 'redis-127.0.0.1-6379-0.sqlite'],
    ['redis://localhost/3', 'redis-localhost-6379-3.sqlite'],
    ['redis://:pw@cache.internal:6380/1', 'redis-cache.internal-6380-1.sqlite'],
    ['amqp://guest:guest@rabbit:5672//', 'amqp-rabbit-5672-default.sqlite'],
    ['amqp://guest:guest@rabbit:5672/prod', 'amqp-rabbit-5672-prod.sqlite'],
    ['amqp://guest:guest@rabbit/team%2Fa', 'amqp-rabbit-5672-team_a.sqlite'],
    ['amqps://u:p@mq.example.com/', 'amqp-mq.example.com-5671-default.sqlite'],
  ])('%s -> %s', (url, file) => {
    expect(storeFileName(broker(url))).toBe(file);
  });

  it('different brokers, databases or vhosts never share a file; the password never names it', () => {
    const names = ['redis://h:6379/0', 'redis://h:6379/1', 'redis://h:6380/0', 'amqp://h//', 'amqp://h/v'].map((u) => storeFileName(broker(u)));
    expect(new Set(names).size).toBe(names.length);
    expect(storeFileName(broker('redis://:s3cret@h/0'))).not.toContain('s3cret');
  });
});

describe('where the default file lives', () => {
  it('$XDG_STATE_HOME/clearly when it is absolute, else ~/.local/state/clearly', () => {
    expect(stateDir({ XDG_STATE_HOME: '/var/state', HOME: '/home/a' })).toBe('/var/state/clearly');
    expect(stateDir({ XDG_STATE_HOME: 'relative', HOME: '/home/a' })).toBe('/home/a/.local/state/clearly');
    expect(stateDir({ HOME: '/home/a' })).toBe('/home/a/.local/state/clearly');
  });

  it('no --store: that file, marked as the default', () => {
    expect(parseStoreUrl(undefined, broker('redis://127.0.0.1:6379/0'), { XDG_STATE_HOME: '/s' })).toEqual({
      kind: 'sqlite',
      path: '/s/clearly/redis-127.0.0.1-6379-0.sqlite',
      isDefault: true,
    });
  });
});

describe('--store as written', () => {
  const b = broker('redis://h/0');
  it('a path or sqlite:PATH is the embedded store, resolved', () => {
    expect(parseStoreUrl('hist.sqlite', b)).toEqual({ kind: 'sqlite', path: resolve('hist.sqlite'), isDefault: false });
    expect(parseStoreUrl('sqlite:/var/lib/c.db', b)).toEqual({ kind: 'sqlite', path: '/var/lib/c.db', isDefault: false });
    expect(parseStoreUrl('sqlite:///var/lib/c.db', b)).toEqual({ kind: 'sqlite', path: '/var/lib/c.db', isDefault: false });
  });

  it('postgres:// and postgresql:// are PostgreSQL, the password masked for people', () => {
    const pg = parseStoreUrl('postgres://clearly:s3cret@db:5432/clearly', b);
    expect(pg).toEqual({ kind: 'postgres', url: 'postgres://clearly:s3cret@db:5432/clearly', masked: 'postgres://clearly:****@db:5432/clearly' });
    expect(describeStore(pg)).toBe('postgres://clearly:****@db:5432/clearly');
    expect(parseStoreUrl('postgresql://db/x', b).kind).toBe('postgres');
  });

  it('memory keeps nothing', () => {
    expect(parseStoreUrl('memory', b)).toEqual({ kind: 'memory' });
  });

  it('refuses another scheme, an empty sqlite:, and no store where there is no default (export, import)', () => {
    expect(() => parseStoreUrl('mysql://u:pw@db/x', b)).toThrow(UsageError);
    expect(() => parseStoreUrl('mysql://u:pw@db/x', b)).toThrow(/unsupported store mysql:\/\/u:\*\*\*\*@db\/x/);
    expect(() => parseStoreUrl('sqlite:', b)).toThrow(/needs a path/);
    expect(() => parseStoreUrl(undefined, null)).toThrow(/--store \/ CLEARLY_STORE is required/);
  });
});

/**
 * `--store` as a user writes it: `memory` (nothing kept across restarts), a file path or
 * `sqlite:PATH` (the embedded store), `postgres://…` / `postgresql://…` (a team's database). Without
 * one, an SQLite file under `$XDG_STATE_HOME/clearly/` (default `~/.local/state/clearly/`) named
 * after the broker, so servers for different brokers never mix. Pure: no file is touched here.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { maskUrl, UsageError } from '../../errors.js';
import type { BrokerUrl } from '../broker/url.js';

export type StoreUrl =
  | { readonly kind: 'memory' }
  | { readonly kind: 'sqlite'; readonly path: string; readonly isDefault: boolean }
  | { readonly kind: 'postgres'; readonly url: string; readonly masked: string };

const FLAG = '--store / CLEARLY_STORE';

/** A file name from the broker's address: `redis-127.0.0.1-6379-0.sqlite`, `amqp-rabbit-5672-default.sqlite`. */
export function storeFileName(broker: BrokerUrl): string {
  const u = new URL(broker.url);
  const host = u.hostname === '' ? 'localhost' : u.hostname.replace(/^\[|\]$/g, '');
  const port = u.port !== '' ? u.port : broker.transport === 'amqp' ? (u.protocol === 'amqps:' ? '5671' : '5672') : '6379';
  let where: string;
  if (broker.transport === 'redis') where = String(broker.db);
  else {
    const vhost = decodeURIComponent(u.pathname.replace(/^\//, ''));
    where = vhost === '' || vhost === '/' ? 'default' : vhost;
  }
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${broker.transport}-${safe(host)}-${safe(port)}-${safe(where)}.sqlite`;
}

/** `$XDG_STATE_HOME/clearly` (an absolute XDG_STATE_HOME only, as the spec says), else `~/.local/state/clearly`. */
export function stateDir(env: NodeJS.ProcessEnv): string {
  const xdg = env['XDG_STATE_HOME'];
  const base = xdg !== undefined && xdg !== '' && isAbsolute(xdg) ? xdg : join(env['HOME'] || homedir(), '.local', 'state');
  return join(base, 'clearly');
}

/**
 * `broker`: the one whose default file an empty `--store` means; null where there is no default
 * (`export`, `import`: the store must be named).
 */
export function parseStoreUrl(input: string | undefined, broker: BrokerUrl | null, env: NodeJS.ProcessEnv = process.env): StoreUrl {
  const value = (input ?? '').trim();
  if (value === '' && broker === null) {
    throw new UsageError(
      `${FLAG} is required: the store's file (the path \`clearly server\` names as it starts), sqlite:PATH or postgres://…`,
    );
  }
  if (value === '' && broker !== null) return { kind: 'sqlite', path: join(stateDir(env), storeFileName(broker)), isDefault: true };
  if (value === 'memory') return { kind: 'memory' };
  if (/^postgres(ql)?:\/\//i.test(value)) {
    try {
      new URL(value);
    } catch (e) {
      throw new UsageError(`${FLAG}: not a URL: ${maskUrl(value)} (expected postgres://user@host/db)`, { cause: e });
    }
    return { kind: 'postgres', url: value, masked: maskUrl(value) };
  }
  if (/^sqlite:/i.test(value)) {
    const path = value.replace(/^sqlite:(\/\/)?/i, '');
    if (path === '') throw new UsageError(`${FLAG}: sqlite: needs a path, e.g. sqlite:/var/lib/clearly/store.sqlite`);
    return { kind: 'sqlite', path: resolve(path), isDefault: false };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new UsageError(`${FLAG}: unsupported store ${maskUrl(value)}: use a file path, sqlite:PATH, postgres://… or memory`);
  }
  return { kind: 'sqlite', path: resolve(value), isDefault: false };
}

/** How a store is named to people (stderr, `stats`): the path, the masked URL, or `memory`. */
export function describeStore(s: StoreUrl): string {
  switch (s.kind) {
    case 'memory':
      return 'memory';
    case 'sqlite':
      return s.path;
    case 'postgres':
      return s.masked;
  }
}

/**
 * Which clearly server a client command talks to, and how: `--server` (a `grpcs://` or `https://`
 * scheme implies TLS), the token it sends (`CLEARLY_TOKEN`, or `--token-file`), and the TLS
 * material (`--tls`, `--tls-ca`, `--tls-cert`/`--tls-key`, `--tls-server-name`). Files are read
 * here, once, before any connection: a missing or unreadable one is a usage error naming its flag.
 */
import { readFileSync } from 'node:fs';
import type { Options } from 'yargs';
import { readClientToken } from '../engine/auth/token-file.js';
import { UsageError } from '../errors.js';

export const DEFAULT_SERVER = 'localhost:12223';

/** What a client needs to reach one server. */
export interface ServerTarget {
  /** `host:port`. */
  readonly address: string;
  /** null: none sent. */
  readonly token: string | null;
  /** Where the token came from, for error messages: `CLEARLY_TOKEN`, `--token-file FILE`. */
  readonly tokenSource: string | null;
  /** null: plaintext. */
  readonly tls: ClientTls | null;
}

export interface ClientTls {
  /** null: the system's roots (`system-roots.ts`). */
  readonly ca: Buffer | null;
  readonly cert: Buffer | null;
  readonly key: Buffer | null;
  /** The name to check the server's certificate against, when it is not the host of --server. */
  readonly serverName: string | null;
}

/** The options of every command that asks a server. */
export const serverOption = {
  server: {
    type: 'string',
    default: DEFAULT_SERVER,
    describe: 'The clearly server to ask (HOST:PORT; grpcs://HOST:PORT for TLS)',
  },
  ...securityOptions(),
} as const satisfies Record<string, Options>;

/** The token and TLS flags alone (for `check`, whose --server has no default). */
export function securityOptions() {
  return {
    token: {
      type: 'string',
      describe: 'Token to send (set CLEARLY_TOKEN instead: a flag shows in ps)',
    },
    'token-file': { type: 'string', describe: 'Read the token to send from this file (mode 600; its first line)' },
    tls: { type: 'boolean', describe: "TLS to the server, checked against the system's CAs (implied by grpcs:// and the --tls-* flags)" },
    'tls-ca': { type: 'string', describe: "TLS: check the server's certificate against this CA (PEM) instead of the system's" },
    'tls-cert': { type: 'string', describe: 'Mutual TLS: present this client certificate (PEM; with --tls-key)' },
    'tls-key': { type: 'string', describe: "Mutual TLS: the client certificate's private key (PEM)" },
    'tls-server-name': { type: 'string', describe: "TLS: the name the server's certificate must have, when not --server's host" },
  } as const satisfies Record<string, Options>;
}

export interface SecurityArgs {
  readonly token?: string | undefined;
  readonly tokenFile?: string | undefined;
  readonly tls?: boolean | undefined;
  readonly tlsCa?: string | undefined;
  readonly tlsCert?: string | undefined;
  readonly tlsKey?: string | undefined;
  readonly tlsServerName?: string | undefined;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/**
 * Validate `--server`: `host:port`, `[v6]:port`, optionally after `grpcs://`/`https://` (TLS) or
 * `grpc://` (plaintext); any other scheme is refused with a hint.
 */
export function parseServer(value: string): { address: string; tls: boolean | null } {
  const v = value.trim();
  const hint = `--server / CLEARLY_SERVER: expected HOST:PORT (e.g. ${DEFAULT_SERVER}, or grpcs://HOST:PORT for TLS), got ${JSON.stringify(value)}`;
  const scheme = SCHEME.exec(v)?.[1]?.toLowerCase();
  let tls: boolean | null = null;
  let rest = v;
  if (scheme !== undefined) {
    if (scheme === 'grpcs' || scheme === 'https') tls = true;
    else if (scheme === 'grpc') tls = false;
    else throw new UsageError(`${hint}; the scheme can be grpcs:// or https:// (TLS), or grpc://`);
    rest = v.slice(scheme.length + 3).replace(/\/$/, '');
  }
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):(\d{1,5})$/.exec(rest);
  const port = Number(m?.[2]);
  if (m === null || !(port >= 1 && port <= 65535)) throw new UsageError(hint);
  return { address: rest, tls };
}

function readFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`${flag} ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
}

/** The target from the flags (and their CLEARLY_* variables); throws UsageError. */
export function serverTarget(server: string, a: SecurityArgs): ServerTarget {
  const { address, tls: schemeTls } = parseServer(server);
  const envToken = a.token === undefined || a.token === '' ? undefined : a.token;
  if (envToken !== undefined && a.tokenFile !== undefined && a.tokenFile !== '') {
    throw new UsageError('give the token one way: CLEARLY_TOKEN (or --token) or --token-file, not both');
  }
  let token: string | null = null;
  let tokenSource: string | null = null;
  if (envToken !== undefined) {
    token = envToken;
    tokenSource = 'CLEARLY_TOKEN';
  } else if (a.tokenFile !== undefined && a.tokenFile !== '') {
    token = readClientToken(a.tokenFile);
    tokenSource = `--token-file ${a.tokenFile}`;
  }
  if ((a.tlsCert === undefined) !== (a.tlsKey === undefined)) {
    throw new UsageError('mutual TLS needs both --tls-cert and --tls-key');
  }
  const anyTlsFlag = a.tlsCa !== undefined || a.tlsCert !== undefined || a.tlsServerName !== undefined;
  if (schemeTls === false && (a.tls === true || anyTlsFlag)) {
    throw new UsageError(`--server ${server} says plaintext (grpc://) but TLS flags are given: use grpcs:// or leave the scheme out`);
  }
  const wantTls = schemeTls === true || a.tls === true || anyTlsFlag;
  const tls: ClientTls | null = !wantTls
    ? null
    : {
        ca: a.tlsCa === undefined ? null : readFile(a.tlsCa, '--tls-ca'),
        cert: a.tlsCert === undefined ? null : readFile(a.tlsCert, '--tls-cert'),
        key: a.tlsKey === undefined ? null : readFile(a.tlsKey, '--tls-key'),
        serverName: a.tlsServerName ?? null,
      };
  return { address, token, tokenSource, tls };
}

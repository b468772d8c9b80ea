/**
 * `clearly server`'s access flags -> what its two listeners (gRPC, /metrics) need: the TLS
 * material, the token table, the bind rule and the start-up lines that say who may connect.
 * One place for the rule "not loopback needs TLS and tokens, or --insecure", applied to both
 * addresses alike, so the gRPC port and the metrics port can never disagree about it.
 */
import { readTokenFile } from '../engine/auth/token-file.js';
import { TokenTable } from '../engine/auth/tokens.js';
import { LOOPBACK } from '../engine/server/listen.js';
import { readServerTls, type ServerTls } from '../engine/server/tls.js';
import { UsageError } from '../errors.js';

export interface AccessFlags {
  readonly host: string;
  readonly tlsCert?: string | undefined;
  readonly tlsKey?: string | undefined;
  readonly tlsClientCa?: string | undefined;
  readonly tokenFile?: string | undefined;
  readonly insecure: boolean;
}

export interface ServerAccess {
  readonly tls: ServerTls | null;
  readonly tokens: TokenTable | null;
  /** The token file (re-read on SIGHUP), when there is one. */
  readonly tokenFile: string | undefined;
  /** A port is reachable from other hosts without TLS or tokens (--insecure said so). */
  readonly insecure: boolean;
}

/**
 * Reads the certificates and the token file, and refuses (UsageError, exit 2) an address that is
 * not loopback without TLS and tokens unless --insecure. `metricsHost`: null when /metrics is off.
 */
export function serverAccess(flags: AccessFlags, metricsHost: string | null): ServerAccess {
  const tls = serverTls(flags);
  const tokenFile = flags.tokenFile === undefined || flags.tokenFile === '' ? undefined : flags.tokenFile;
  const tokens = tokenFile === undefined ? null : new TokenTable(readTokenFile(tokenFile));
  const open = tls === null || tokens === null;
  const exposed = [
    { host: flags.host, what: 'listen', risk: 'anyone who can reach the port could read task arguments and results' },
    ...(metricsHost === null ? [] : [{ host: metricsHost, what: 'serve metrics', risk: 'task names, queues and workers would be open to anyone who can reach it' }]),
  ].filter((a) => !LOOPBACK.test(a.host));
  if (open && !flags.insecure) {
    const first = exposed[0];
    if (first !== undefined) {
      const missing = [tls === null ? '--tls-cert/--tls-key' : null, tokens === null ? '--token-file' : null].filter((x) => x !== null);
      throw new UsageError(
        `refusing to ${first.what} on ${first.host} without ${missing.join(' and ')}: ${first.risk}` +
          ' (give --tls-cert FILE --tls-key FILE --token-file FILE, or --insecure to do it anyway)',
      );
    }
  }
  return { tls, tokens, tokenFile, insecure: open && exposed.length > 0 };
}

function serverTls(flags: AccessFlags): ServerTls | null {
  const { tlsCert: cert, tlsKey: key, tlsClientCa: clientCa } = flags;
  if (cert === undefined && key === undefined) {
    if (clientCa !== undefined) throw new UsageError('--tls-client-ca needs TLS: add --tls-cert FILE --tls-key FILE');
    return null;
  }
  if (cert === undefined || key === undefined) throw new UsageError('TLS needs both --tls-cert FILE and --tls-key FILE');
  return readServerTls({ cert, key, clientCa });
}

/** The start-up lines about who may connect and how (and, with --insecure, the warning). */
export function accessNotices(access: ServerAccess, host: string): string[] {
  const { tls, tokens, tokenFile } = access;
  const transport = tls === null ? 'plaintext gRPC' : `TLS (${tls.describe})${tls.clientCa === null ? '' : ', client certificates required'}`;
  const who = tokens === null ? 'no tokens asked for' : `every call needs a token from ${tokenFile} (${tokens.size} tokens; SIGHUP re-reads it)`;
  const lines = [`access: ${transport}; ${who}`];
  if (access.insecure) {
    lines.push(
      `INSECURE (--insecure): listening on ${host} ${tls === null ? 'in plaintext' : 'with TLS'}${tokens === null ? ' without tokens' : ''}: ` +
        'anyone who can reach this port can read task arguments and results',
    );
  }
  return lines;
}

/** Re-reads the token file on SIGHUP; a file that no longer reads keeps the tokens in use. */
export function reloadTokensOnSighup(access: ServerAccess, log: (line: string) => void): void {
  const { tokens, tokenFile } = access;
  if (tokens === null || tokenFile === undefined) return;
  process.on('SIGHUP', () => {
    try {
      const entries = readTokenFile(tokenFile);
      tokens.replace(entries);
      const admins = entries.filter((e) => e.role === 'admin').length;
      log(`SIGHUP: re-read ${tokenFile}: ${entries.length} tokens (${admins} admin, ${entries.length - admins} read)`);
    } catch (e) {
      log(`SIGHUP: kept the tokens in use: ${(e as Error).message}`);
    }
  });
}

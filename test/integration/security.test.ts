/**
 * `clearly server` for a team, as users run it (the BUILT CLI): TLS and mutual TLS with
 * certificates made now by `openssl`, tokens with roles (none, wrong, read on reset, admin on
 * reset, a SIGHUP reload), the bind rule and --insecure. Each failure must be its own clear line
 * on stderr with its exit code: 69 for a connection that cannot be made, 77 for who we are, 2 for
 * a server that refuses its own flags.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBrokerReachable, BROKERS } from '../helpers/brokers.js';
import { runClearly, spawnClearly, type ClearlyProcess } from '../helpers/cli.js';

const run = promisify(execFile);
const broker = BROKERS.redis;
const dir = mkdtempSync(join(tmpdir(), 'clearly-security-'));
const f = (name: string): string => join(dir, name);
const ADMIN = 'adm1n-0123456789abcdef';
const READ = 'read0-0123456789abcdef';
const NEW = 'newer-0123456789abcdef';

async function openssl(...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

/** A key and a certificate signed by ca.pem; `days` -1 makes one that has already expired. */
async function signed(name: string, cn: string, days: number, san?: string): Promise<void> {
  await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  const ext = san === undefined ? [] : ['-extfile', `${name}.ext`];
  if (san !== undefined) writeFileSync(f(`${name}.ext`), `subjectAltName=${san}\n`);
  await openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', String(days), ...ext);
}

function writeTokens(text: string, mode = 0o600): void {
  writeFileSync(f('tokens'), text);
  chmodSync(f('tokens'), mode);
}

async function startServer(args: string[], host = '127\\.0\\.0\\.1'): Promise<{ server: ClearlyProcess; port: number }> {
  const server = spawnClearly(['server', '--broker', broker, '--store', 'memory', '--port', '0', ...args], { timeoutMs: 300_000 });
  const m = await server.waitForStderr(new RegExp(`server listening on ${host}:(\\d+) `), 20_000);
  return { server, port: Number(m[1]) };
}

const noEnv = { CLEARLY_TOKEN: undefined, CLEARLY_SERVER: undefined, CLEARLY_TOKEN_FILE: undefined };
const client = (args: string[], token?: string) => runClearly(args, { env: { ...noEnv, ...(token === undefined ? {} : { CLEARLY_TOKEN: token }) } });

describe('clearly server for a team: TLS, tokens, the bind rule', () => {
  let tlsServer: ClearlyProcess; // TLS + tokens, --debug
  let mtlsServer: ClearlyProcess; // mutual TLS, no tokens
  let plainServer: ClearlyProcess; // plaintext, no tokens, loopback
  let tlsPort: number;
  let mtlsPort: number;
  let plainPort: number;
  const tlsArgs = () => ['--server', `localhost:${tlsPort}`, '--tls-ca', f('ca.pem')];

  beforeAll(async () => {
    await assertBrokerReachable(broker);
    await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=clearly test CA');
    await signed('server', 'localhost', 2, 'DNS:localhost,IP:127.0.0.1');
    await signed('expired-server', 'localhost', -1, 'DNS:localhost');
    await signed('client', 'alice', 2);
    await signed('expired-client', 'bob', -1);
    writeTokens(`# role name token\nadmin ops-team ${ADMIN}\nread dev-team ${READ}\n`);
    const started = await Promise.all([
      startServer(['--tls-cert', f('server.pem'), '--tls-key', f('server.key'), '--token-file', f('tokens'), '--debug']),
      startServer(['--tls-cert', f('server.pem'), '--tls-key', f('server.key'), '--tls-client-ca', f('ca.pem')]),
      startServer([]),
    ]);
    [{ server: tlsServer, port: tlsPort }, { server: mtlsServer, port: mtlsPort }, { server: plainServer, port: plainPort }] = started;
  }, 120_000);

  afterAll(async () => {
    await Promise.all([tlsServer, mtlsServer, plainServer].map((s) => s?.stop('SIGTERM')));
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  describe('TLS', () => {
    it('a client with the CA and a token gets answers; stats says TLS and tokens', async () => {
      const r = await client(['stats', '--json', ...tlsArgs()], READ);
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ tls: true, auth: 'tokens', insecure: false });
      await tlsServer.waitForStderr(/access: TLS \(CN=localhost, valid until .*\); every call needs a token from .*tokens \(2 tokens/);
    });

    it('a client without the CA: 69, its certificate is not signed by a CA we trust', async () => {
      const r = await client(['stats', '--server', `grpcs://localhost:${tlsPort}`], READ);
      expect(r.exitCode).toBe(69);
      expect(r.stderr).toMatch(/^clearly: cannot connect to the clearly server at localhost:\d+: the server's certificate is not signed by a CA we trust \(.*\): give its CA with --tls-ca FILE\n$/);
    });

    it('a plaintext client against a TLS server: 69, use grpcs:// or --tls-ca', async () => {
      const r = await client(['stats', '--server', `localhost:${tlsPort}`], READ);
      expect(r.exitCode).toBe(69);
      expect(r.stderr).toMatch(/if the server speaks TLS, use grpcs:\/\/HOST:PORT or --tls-ca FILE\n$/);
    });

    it('a TLS client against a plaintext server: 69, the server does not speak TLS', async () => {
      const r = await client(['stats', '--server', `grpcs://localhost:${plainPort}`, '--tls-ca', f('ca.pem')]);
      expect(r.exitCode).toBe(69);
      expect(r.stderr).toMatch(/the server does not speak TLS/);
    });

    it('a name the certificate does not have: 69, --tls-server-name', async () => {
      const r = await client(['stats', ...tlsArgs(), '--tls-server-name', 'elsewhere.example'], READ);
      expect(r.exitCode).toBe(69);
      expect(r.stderr).toMatch(/not for this name: .*--tls-server-name NAME/);
    });

    it('an expired server certificate: the server refuses to start (2), saying when it expired', async () => {
      const r = await runClearly(['server', '--broker', broker, '--store', 'memory', '--port', '0', '--tls-cert', f('expired-server.pem'), '--tls-key', f('expired-server.key')]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/^clearly: --tls-cert \S+expired-server\.pem: the certificate expired on .+ GMT\n$/);
    });
  });

  describe('mutual TLS', () => {
    const mtls = () => ['--server', `localhost:${mtlsPort}`, '--tls-ca', f('ca.pem')];

    it('a client certificate signed by the client CA: answers', async () => {
      const r = await client(['stats', '--json', ...mtls(), '--tls-cert', f('client.pem'), '--tls-key', f('client.key')]);
      expect(r.exitCode).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ tls: true, auth: 'none' });
    });

    it('no client certificate: 77, the server wants one', async () => {
      const r = await client(['stats', ...mtls()]);
      expect(r.exitCode).toBe(77);
      expect(r.stderr).toMatch(/the server wants a client certificate \(mutual TLS\): give --tls-cert FILE --tls-key FILE\n$/);
    });

    it('an expired client certificate: 77, the server refused it', async () => {
      const r = await client(['stats', ...mtls(), '--tls-cert', f('expired-client.pem'), '--tls-key', f('expired-client.key')]);
      expect(r.exitCode).toBe(77);
      expect(r.stderr).toMatch(/client certificate/);
    });
  });

  describe('tokens', () => {
    it('none: 77, one line naming CLEARLY_TOKEN and --token-file (also for a live stream)', async () => {
      for (const cmd of [['stats'], ['tasks'], ['watch', '--timeout', '5']]) {
        const r = await client([...cmd, ...tlsArgs()]);
        expect(r.exitCode, cmd.join(' ')).toBe(77);
        expect(r.stderr).toBe(`clearly: the clearly server at localhost:${tlsPort} needs a token: set CLEARLY_TOKEN or --token-file FILE\n`);
      }
    });

    it('a wrong one: 77, naming where it came from', async () => {
      const r = await client(['stats', ...tlsArgs()], 'wrong-0123456789abcdef');
      expect(r.exitCode).toBe(77);
      expect(r.stderr).toMatch(/does not accept the token from CLEARLY_TOKEN/);
    });

    it('read on reset: 77 (PERMISSION_DENIED); admin on reset: done', async () => {
      const denied = await client(['reset', ...tlsArgs()], READ);
      expect(denied.exitCode).toBe(77);
      expect(denied.stderr).toMatch(/refused: the token dev-team has the role read; Reset needs admin; set an admin token in CLEARLY_TOKEN\n$/);
      const tokenFile = f('admin-token');
      writeFileSync(tokenFile, `${ADMIN}\n`, { mode: 0o600 });
      const done = await client(['reset', ...tlsArgs(), '--token-file', tokenFile]);
      expect(done.stderr).toBe('');
      expect(done.exitCode).toBe(0);
      expect(done.stdout).toMatch(/^forgot \d+ tasks and \d+ workers/);
    });

    it('--debug logs each call with peer, token name and method, never a token', () => {
      const log = tlsServer.stderr();
      expect(log).toMatch(/call from 127\.0\.0\.1:\d+: dev-team \(read\) GetStats/);
      expect(log).toMatch(/call from 127\.0\.0\.1:\d+: dev-team Reset: refused, PERMISSION_DENIED/);
      expect(log).toMatch(/call from 127\.0\.0\.1:\d+: ops-team \(admin\) Reset/);
      expect(log).toMatch(/\(no token\) GetStats: refused, UNAUTHENTICATED/);
      for (const t of [ADMIN, READ]) expect(log).not.toContain(t);
    });

    it('SIGHUP re-reads the file; a bad file is refused and the tokens in use kept', async () => {
      writeTokens(`admin ops-team ${ADMIN}\nread new-team ${NEW}\n`);
      process.kill(tlsServer.pid!, 'SIGHUP');
      await tlsServer.waitForStderr(/SIGHUP: re-read \S+tokens: 2 tokens \(1 admin, 1 read\)/);
      expect((await client(['stats', ...tlsArgs()], NEW)).exitCode).toBe(0);
      expect((await client(['stats', ...tlsArgs()], READ)).exitCode).toBe(77);
      writeTokens(`admin ops-team ${ADMIN}\nread broken\n`);
      process.kill(tlsServer.pid!, 'SIGHUP');
      await tlsServer.waitForStderr(/SIGHUP: kept the tokens in use: --token-file \S+tokens line 2: expected ROLE NAME TOKEN/);
      expect((await client(['stats', ...tlsArgs()], NEW)).exitCode).toBe(0);
    });

    it('the server refuses a token file others can read, or with a malformed line (2)', async () => {
      const open = f('open-tokens');
      writeFileSync(open, `admin ops ${ADMIN}\n`, { mode: 0o644 });
      chmodSync(open, 0o644);
      const r = await runClearly(['server', '--broker', broker, '--store', 'memory', '--port', '0', '--token-file', open]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toBe(`clearly: --token-file ${open}: open to its group and others (mode 644); tokens must be private: chmod 600 ${open}\n`);
      const bad = f('bad-tokens');
      writeFileSync(bad, `admin ops ${ADMIN}\nowner x ${READ}\n`, { mode: 0o600 });
      const b = await runClearly(['server', '--broker', broker, '--store', 'memory', '--port', '0', '--token-file', bad]);
      expect(b.exitCode).toBe(2);
      expect(b.stderr).toMatch(/line 2: role must be read or admin, got "owner"/);
    });
  });

  describe('the bind rule', () => {
    it('0.0.0.0 without TLS and tokens: refused (2), naming both flags', async () => {
      const r = await runClearly(['server', '--broker', broker, '--store', 'memory', '--port', '0', '--host', '0.0.0.0']);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/^clearly: refusing to listen on 0\.0\.0\.0 without --tls-cert\/--tls-key and --token-file: .*--insecure/);
      const good = f('good-tokens');
      writeFileSync(good, `admin ops ${ADMIN}\n`, { mode: 0o600 });
      const half = await runClearly(['server', '--broker', broker, '--store', 'memory', '--port', '0', '--host', '0.0.0.0', '--token-file', good]);
      expect(half.exitCode).toBe(2);
      expect(half.stderr).toMatch(/without --tls-cert\/--tls-key: /);
    });

    it('with --insecure it listens, and says so on stderr and in stats', async () => {
      const { server, port } = await startServer(['--host', '0.0.0.0', '--insecure'], '0\\.0\\.0\\.0');
      try {
        await server.waitForStderr(/INSECURE \(--insecure\): listening on 0\.0\.0\.0 in plaintext without tokens/);
        const r = await client(['stats', '--json', '--server', `127.0.0.1:${port}`]);
        expect(r.exitCode).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ insecure: true, tls: false, auth: 'none' });
        const text = await client(['stats', '--no-color', '--server', `127.0.0.1:${port}`]);
        expect(text.stdout).toMatch(/security +INSECURE \(--insecure\): plaintext, no tokens/);
      } finally {
        await server.stop('SIGTERM');
      }
    });

    it('loopback needs neither, and stats says it is not insecure', async () => {
      const r = await client(['stats', '--json', '--server', `127.0.0.1:${plainPort}`]);
      expect(JSON.parse(r.stdout)).toMatchObject({ insecure: false, tls: false, auth: 'none' });
    });
  });
});

/**
 * `clearly server` for a team, as users run it (the BUILT CLI): TLS and mutual TLS with
 * certificates made now by `openssl`, tokens with roles (none, wrong, read on reset, admin on
 * reset, a SIGHUP reload), the bind rule and --insecure. Each failure must be its own clear line
 * on stderr with its exit code: 69 for a connection that cannot be made, 77 for who we are, 2 for
 * a server that refuses its own flags.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
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

async function startServer(args: string[], host = '127\\.0\\.0\\.1', env: Record<string, string> = {}): Promise<{ server: ClearlyProcess; port: number }> {
  const server = spawnClearly(['server', '--broker', broker, '--store', 'memory', '--port', '0', ...args], { timeoutMs: 300_000, env });
  const m = await server.waitForStderr(new RegExp(`server listening on ${host}:(\\d+) `), 20_000);
  return { server, port: Number(m[1]) };
}

const noEnv = { CLEARLY_TOKEN: undefined, CLEARLY_SERVER: undefined, CLEARLY_TOKEN_FILE: undefined, SSL_CERT_FILE: undefined, NODE_EXTRA_CA_CERTS: undefined };
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
      // Its TLS flags and its redaction pattern as environment variables.
      startServer([], undefined, { CLEARLY_TLS_CERT: f('server.pem'), CLEARLY_TLS_KEY: f('server.key'), CLEARLY_TLS_CLIENT_CA: f('ca.pem'), CLEARLY_REDACT: 'hunter|iban' }),
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

  describe('every command that asks a server', () => {
    const UUID = '3f0c6a2e-6f4b-4c1e-9d1a-1b2c3d4e5f60';
    // Each with the exit code it ends with when it got through: `task` on a uuid the server never saw is 4.
    const COMMANDS: readonly { args: string[]; ok: number }[] = [
      { args: ['watch', '--timeout', '2'], ok: 0 },
      { args: ['tasks'], ok: 0 },
      { args: ['task', UUID], ok: 4 },
      { args: ['workers'], ok: 0 },
      { args: ['stats'], ok: 0 },
      { args: ['stats', '--by-name'], ok: 0 },
      { args: ['seen'], ok: 0 },
      { args: ['export'], ok: 0 },
      { args: ['failures'], ok: 0 },
      { args: ['check', '--min-workers', '0'], ok: 0 },
    ];
    const got = (r: { stderr: string; stdout: string }) => `${r.stdout}${r.stderr}`;
    const through = /needs a token|does not accept|cannot connect|refused|client certificate/;

    it('without a token: 77 and the one line (check: UNKNOWN, 3, with the same reason)', async () => {
      for (const { args } of [...COMMANDS, { args: ['reset', '--yes'] }]) {
        const r = await client([...args, ...tlsArgs()]);
        const line = `the clearly server at localhost:${tlsPort} needs a token: set CLEARLY_TOKEN or --token-file FILE`;
        if (args[0] === 'check') {
          expect(r.exitCode, args.join(' ')).toBe(3);
          expect(r.stdout).toContain(`CLEARLY UNKNOWN - workers unknown (${line})`);
        } else {
          expect(r.exitCode, args.join(' ')).toBe(77);
          expect(r.stderr, args.join(' ')).toBe(`clearly: ${line}\n`);
        }
      }
    });

    it('https:// in CLEARLY_SERVER, CLEARLY_TLS_CA and CLEARLY_TOKEN_FILE: every command gets through', async () => {
      const tokenFile = f('read-token');
      writeFileSync(tokenFile, `# dev-team\n${READ}\n`, { mode: 0o600 });
      const env = { ...noEnv, CLEARLY_SERVER: `https://localhost:${tlsPort}`, CLEARLY_TLS_CA: f('ca.pem'), CLEARLY_TOKEN_FILE: tokenFile };
      for (const { args, ok } of COMMANDS) {
        const r = await runClearly(args, { env });
        expect(r.exitCode, `${args.join(' ')}: ${got(r)}`).toBe(ok);
        expect(got(r), args.join(' ')).not.toMatch(through);
      }
      await tlsServer.waitForStderr(/call from 127\.0\.0\.1:\d+: dev-team \(read\) SeenTasks/);
    });

    it('mutual TLS with --tls-cert/--tls-key: every command gets through; without them, 77', async () => {
      const mtls = ['--server', `grpcs://localhost:${mtlsPort}`, '--tls-ca', f('ca.pem')];
      for (const { args, ok } of [...COMMANDS, { args: ['reset', '--yes'], ok: 0 }]) {
        const r = await client([...args, ...mtls, '--tls-cert', f('client.pem'), '--tls-key', f('client.key')]);
        expect(r.exitCode, `${args.join(' ')}: ${got(r)}`).toBe(ok);
        expect(got(r), args.join(' ')).not.toMatch(through);
        const refused = await client([...args, ...mtls]);
        expect(refused.exitCode, args.join(' ')).toBe(args[0] === 'check' ? 3 : 77);
        expect(got(refused), args.join(' ')).toMatch(/the server wants a client certificate \(mutual TLS\): give --tls-cert FILE --tls-key FILE/);
      }
    });

    it("--tls checks the server against the system's CAs (here the system bundle, SSL_CERT_FILE, or NODE_EXTRA_CA_CERTS holds ours)", async () => {
      const args = ['stats', '--json', '--server', `localhost:${tlsPort}`, '--tls'];
      for (const roots of ['SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS']) {
        const trusted = await runClearly(args, { env: { ...noEnv, CLEARLY_TOKEN: READ, [roots]: f('ca.pem') } });
        expect(trusted.exitCode, `${roots}: ${trusted.stderr}`).toBe(0);
        expect(JSON.parse(trusted.stdout)).toMatchObject({ tls: true });
      }
      const untrusted = await client(args, READ);
      expect(untrusted.exitCode).toBe(69);
      expect(untrusted.stderr).toMatch(/not signed by a CA we trust .*--tls-ca FILE\n$/);
    });

    it('--tls-server-name: the name to check when --server names another', async () => {
      await signed('internal', 'clearly.internal', 2, 'DNS:clearly.internal');
      const { server, port } = await startServer(['--tls-cert', f('internal.pem'), '--tls-key', f('internal.key')]);
      try {
        const base = ['stats', '--json', '--server', `127.0.0.1:${port}`, '--tls-ca', f('ca.pem')];
        const wrong = await client(base);
        expect(wrong.exitCode).toBe(69);
        expect(wrong.stderr).toMatch(/not for this name: .*--tls-server-name NAME/);
        const named = await client([...base, '--tls-server-name', 'clearly.internal']);
        expect(named.exitCode, named.stderr).toBe(0);
        expect(JSON.parse(named.stdout)).toMatchObject({ tls: true });
      } finally {
        await server.stop('SIGTERM');
      }
    });

    it("a server presenting an expired certificate: 69, it has expired", async () => {
      // clearly's own server refuses to start on one, so the expired one is served by plain TLS here.
      const tls: TlsServer = createTlsServer({ cert: readFileSync(f('expired-server.pem')), key: readFileSync(f('expired-server.key')), ALPNProtocols: ['h2'] }, (s) => s.end());
      await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
      try {
        const port = (tls.address() as { port: number }).port;
        const r = await client(['stats', '--server', `localhost:${port}`, '--tls-ca', f('ca.pem')], READ);
        expect(r.exitCode).toBe(69);
        expect(r.stderr).toBe(`clearly: cannot connect to the clearly server at localhost:${port}: the server's certificate has expired: it must renew it (--tls-cert on the server)\n`);
      } finally {
        await new Promise((resolve) => tls.close(resolve));
      }
    });
  });

  describe('mutual TLS', () => {
    const mtls = () => ['--server', `localhost:${mtlsPort}`, '--tls-ca', f('ca.pem')];

    it('a client certificate signed by the client CA: answers', async () => {
      const r = await client(['stats', '--json', ...mtls(), '--tls-cert', f('client.pem'), '--tls-key', f('client.key')]);
      expect(r.exitCode).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ tls: true, auth: 'none', redact: 'hunter|iban' });
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
      expect(r.stderr).not.toContain('wrong-0123456789abcdef');
      expect(tlsServer.stderr()).not.toContain('wrong-0123456789abcdef');
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
      // Every IPv6 address, and a name that only looks like loopback: the same rule.
      for (const host of ['::', '127.example.com']) {
        const r6 = await runClearly(['server', '--broker', broker, '--store', 'memory', '--port', '0', '--host', host]);
        expect(r6.exitCode, host).toBe(2);
        expect(r6.stderr.startsWith(`clearly: refusing to listen on ${host} without --tls-cert/--tls-key and --token-file: `), r6.stderr).toBe(true);
      }
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

    it('metrics on 0.0.0.0 without TLS and tokens: refused (2), naming both flags', async () => {
      const r = await runClearly(['server', '--broker', broker, '--store', 'memory', '--port', '0', '--metrics', '0.0.0.0:0']);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/refusing to serve metrics on 0\.0\.0\.0 without --tls-cert\/--tls-key and --token-file/);
    });
  });

  describe('the metrics endpoint', () => {
    /** GET over HTTPS trusting the test CA; resolves with the status and body (or the error's code). */
    const get = (url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        const req = httpsGet(url, { ca: readFileSync(f('ca.pem')), headers }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
      });

    it('takes the server certificate and its tokens: HTTPS, 401 without a token, the families with one', async () => {
      // A token file of its own: the tests above leave theirs malformed on purpose.
      writeFileSync(f('metrics-tokens'), `read prometheus ${READ}\n`);
      chmodSync(f('metrics-tokens'), 0o600);
      const { server } = await startServer(['--tls-cert', f('server.pem'), '--tls-key', f('server.key'), '--token-file', f('metrics-tokens'), '--metrics', '127.0.0.1:0']);
      try {
        const [, port] = await server.waitForStderr(/metrics on https:\/\/127\.0\.0\.1:(\d+)\/metrics \(Prometheus, a token needed\)/, 10_000);
        const none = await get(`https://localhost:${port}/metrics`);
        expect(none.status).toBe(401);
        expect(none.body).toMatch(/needs a token/);
        const wrong = await get(`https://localhost:${port}/metrics`, { authorization: 'Bearer nope-0123456789abcdef' });
        expect(wrong.status).toBe(401);
        const ok = await get(`https://localhost:${port}/metrics`, { authorization: `Bearer ${READ}` });
        expect(ok.status).toBe(200);
        expect(ok.body).toMatch(/^# HELP celery_task_sent_total/m);
        expect((await get(`https://localhost:${port}/health`)).status).toBeGreaterThanOrEqual(200);
        // Plain HTTP to the TLS port gets nowhere.
        const plain = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.status, () => 'refused');
        expect(plain).not.toBe(200);
      } finally {
        await server.stop('SIGTERM');
      }
    });

    it('with --tls-client-ca, the scrape must present a client certificate signed by it', async () => {
      const { server } = await startServer(['--tls-cert', f('server.pem'), '--tls-key', f('server.key'), '--tls-client-ca', f('ca.pem'), '--metrics', '127.0.0.1:0']);
      try {
        const [, port] = await server.waitForStderr(/metrics on https:\/\/127\.0\.0\.1:(\d+)\/metrics/, 10_000);
        const withCert = await new Promise<number>((resolve, reject) => {
          const opts = { ca: readFileSync(f('ca.pem')), cert: readFileSync(f('client.pem')), key: readFileSync(f('client.key')) };
          httpsGet(`https://localhost:${port}/metrics`, opts, (res) => resolve(res.resume().statusCode ?? 0)).on('error', reject);
        });
        expect(withCert).toBe(200);
        const without = await get(`https://localhost:${port}/metrics`).then((r) => r.status, (e: Error) => e.message);
        expect(without).not.toBe(200);
        expect(String(without)).toMatch(/certificate|socket hang up|ECONNRESET/i);
      } finally {
        await server.stop('SIGTERM');
      }
    });
  });
});

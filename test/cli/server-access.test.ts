import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accessNotices, serverAccess } from '../../src/cli/server-access.js';
import { UsageError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'clearly-access-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tokenFile(): string {
  const path = join(dir, `tokens-${Math.random().toString(16).slice(2)}`);
  writeFileSync(path, '# team\nadmin ops 3f9c0d1e2a4b5c6d7e8f\nread dash 0a1b2c3d4e5f60718293\n');
  chmodSync(path, 0o600);
  return path;
}

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('serverAccess: the bind rule for both ports', () => {
  it('lets loopback listen in plaintext without tokens, and is not insecure', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1']) {
      const a = serverAccess({ host, insecure: false }, '127.0.0.1');
      expect(a).toMatchObject({ tls: null, tokens: null, insecure: false });
    }
  });

  it('refuses a non-loopback gRPC address, naming both missing flags and --insecure', () => {
    const why = refusal(() => serverAccess({ host: '0.0.0.0', insecure: false }, null));
    expect(why).toMatch(/^refusing to listen on 0\.0\.0\.0 without --tls-cert\/--tls-key and --token-file: /);
    expect(why).toContain('--insecure');
  });

  it('names only what is missing: tokens given, TLS not', () => {
    const why = refusal(() => serverAccess({ host: '10.0.0.5', tokenFile: tokenFile(), insecure: false }, null));
    expect(why).toMatch(/without --tls-cert\/--tls-key: /);
    expect(why).not.toContain('without --tls-cert/--tls-key and --token-file');
  });

  it('applies the same rule to the metrics address, with its own reason', () => {
    const why = refusal(() => serverAccess({ host: '127.0.0.1', insecure: false }, '0.0.0.0'));
    expect(why).toMatch(/^refusing to serve metrics on 0\.0\.0\.0 without --tls-cert\/--tls-key and --token-file: task names/);
  });

  it('with --insecure: allowed, marked insecure, and the start-up lines say so', () => {
    const a = serverAccess({ host: '0.0.0.0', insecure: true }, '127.0.0.1');
    expect(a.insecure).toBe(true);
    const lines = accessNotices(a, '0.0.0.0');
    expect(lines[0]).toBe('access: plaintext gRPC; no tokens asked for');
    expect(lines[1]).toMatch(/^INSECURE \(--insecure\): listening on 0\.0\.0\.0 in plaintext without tokens: /);
  });

  it('--insecure on loopback changes nothing: not marked insecure', () => {
    expect(serverAccess({ host: '127.0.0.1', insecure: true }, '127.0.0.1').insecure).toBe(false);
  });

  it('reads the token file, and says how many tokens (never a token)', () => {
    const file = tokenFile();
    const a = serverAccess({ host: '127.0.0.1', tokenFile: file, insecure: false }, null);
    expect(a.tokens?.size).toBe(2);
    const lines = accessNotices(a, '127.0.0.1').join('\n');
    expect(lines).toContain(`every call needs a token from ${file} (2 tokens; SIGHUP re-reads it)`);
    expect(lines).not.toContain('3f9c0d1e2a4b5c6d7e8f');
  });

  it('TLS flags come in pairs; a client CA needs a certificate', () => {
    expect(refusal(() => serverAccess({ host: '127.0.0.1', tlsCert: 'a.pem', insecure: false }, null))).toBe(
      'TLS needs both --tls-cert FILE and --tls-key FILE',
    );
    expect(refusal(() => serverAccess({ host: '127.0.0.1', tlsClientCa: 'ca.pem', insecure: false }, null))).toMatch(/^--tls-client-ca needs TLS/);
  });
});

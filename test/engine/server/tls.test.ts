import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readServerTls } from '../../../src/engine/server/tls.js';
import { UsageError } from '../../../src/errors.js';

describe('readServerTls (certificates made now by openssl)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clearly-tls-'));
  const f = (n: string): string => join(dir, n);
  const cert = (name: string, days: number): void => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.pem`), '-days', String(days), '-subj', '/CN=localhost'], { stdio: 'ignore' });
  };
  beforeAll(() => {
    cert('a', 2);
    cert('b', 2);
    writeFileSync(f('junk.pem'), 'not a certificate\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a matching pair and says whose certificate it is and until when', () => {
    const t = readServerTls({ cert: f('a.pem'), key: f('a.key') });
    expect(t.clientCa).toBeNull();
    expect(t.describe).toMatch(/^CN=localhost, valid until .+ GMT$/);
    expect(readServerTls({ cert: f('a.pem'), key: f('a.key'), clientCa: f('b.pem') }).clientCa).not.toBeNull();
  });

  it('refuses a key that is not the certificate\'s, a file that is not PEM or not there, naming the flag', () => {
    expect(() => readServerTls({ cert: f('a.pem'), key: f('b.key') })).toThrow(`--tls-key ${f('b.key')}: not the private key of --tls-cert ${f('a.pem')}`);
    expect(() => readServerTls({ cert: f('junk.pem'), key: f('a.key') })).toThrow(/^--tls-cert .*junk\.pem: not a PEM file/);
    expect(() => readServerTls({ cert: f('a.pem'), key: f('a.key'), clientCa: f('none.pem') })).toThrow(/^--tls-client-ca .*none\.pem: cannot read it \(ENOENT\)/);
    expect(() => readServerTls({ cert: f('a.pem'), key: f('a.key') }, Date.now() + 5 * 86_400_000)).toThrow(UsageError);
    expect(() => readServerTls({ cert: f('a.pem'), key: f('a.key') }, Date.now() + 5 * 86_400_000)).toThrow(/the certificate expired on/);
  });
});

import { describe, expect, it } from 'vitest';
import { describeTlsFailure } from '../../src/cli/tls-errors.js';
import { serverTarget } from '../../src/cli/server-target.js';
import { UsageError } from '../../src/errors.js';

const plain = { tls: false, clientCert: false };
const tls = { tls: true, clientCert: false };
const mtls = { tls: true, clientCert: true };
const last = (s: string): string => `No connection established. Last error: ${s}. Resolution note: `;

describe('describeTlsFailure (details as grpc-js 1.14 / OpenSSL 3 give them)', () => {
  it.each([
    ['Error: self-signed certificate in certificate chain', tls, /not signed by a CA we trust.*--tls-ca FILE/, false],
    ['Error: unable to verify the first certificate', tls, /--tls-ca FILE/, false],
    ['Error: certificate has expired', tls, /certificate has expired/, false],
    ["Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames", tls, /--tls-server-name NAME/, false],
    ['Error: 80:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:ssl3_record.c:350:', tls, /does not speak TLS/, false],
    ['80:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:rec_layer_s3.c:1601:SSL alert number 116', tls, /wants a client certificate/, true],
    ['Failed to connect (2026-12-03T12:42:41.031Z)', plain, /if the server speaks TLS, use grpcs:/, false],
    ['Failed to connect (2026-12-03T12:42:41.031Z)', mtls, /may refuse our client certificate/, true],
  ])('%s', (details, side, message, noPermission) => {
    const f = describeTlsFailure(last(details), side);
    expect(f?.message).toMatch(message);
    expect(f?.noPermission).toBe(noPermission);
  });

  it('says nothing of TLS for a refused connection', () => {
    expect(describeTlsFailure(last('Error: connect ECONNREFUSED 127.0.0.1:1'), plain)).toBeNull();
    expect(describeTlsFailure(last('Error: connect ECONNREFUSED 127.0.0.1:1'), tls)).toBeNull();
  });
});

describe('serverTarget', () => {
  it('grpcs:// and https:// imply TLS with the system roots; a bare address is plaintext', () => {
    expect(serverTarget('grpcs://clearly.example.com:443', {}).tls).toEqual({ ca: null, cert: null, key: null, serverName: null });
    expect(serverTarget('https://clearly.example.com:443', {}).address).toBe('clearly.example.com:443');
    expect(serverTarget('localhost:12223', {}).tls).toBeNull();
    expect(serverTarget('localhost:12223', { tls: true }).tls).not.toBeNull();
    expect(serverTarget('localhost:12223', { tlsServerName: 'clearly' }).tls?.serverName).toBe('clearly');
  });

  it('CLEARLY_TOKEN is sent and named in errors', () => {
    const t = serverTarget('localhost:12223', { token: 't'.repeat(20) });
    expect([t.token, t.tokenSource]).toEqual(['t'.repeat(20), 'CLEARLY_TOKEN']);
    expect(serverTarget('localhost:12223', { token: '' }).token).toBeNull();
  });

  it('refuses contradictions and unreadable files, naming the flag', () => {
    expect(() => serverTarget('localhost:1', { token: 'x'.repeat(20), tokenFile: '/x' })).toThrow(/not both/);
    expect(() => serverTarget('localhost:1', { tlsCert: '/x' })).toThrow(/both --tls-cert and --tls-key/);
    expect(() => serverTarget('grpc://localhost:1', { tls: true })).toThrow(UsageError);
    expect(() => serverTarget('localhost:1', { tlsCa: '/nonexistent/ca.pem' })).toThrow('--tls-ca /nonexistent/ca.pem: cannot read it (ENOENT)');
  });
});

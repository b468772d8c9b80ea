import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { SYSTEM_BUNDLES, systemRootsPem } from '../../src/cli/system-roots.js';

const files = (m: Record<string, string>) => (path: string): string | null => m[path] ?? null;

describe("--tls: the system's CAs", () => {
  it("Node's bundled roots, then the first system bundle that exists, then NODE_EXTRA_CA_CERTS", () => {
    const pem = systemRootsPem({ NODE_EXTRA_CA_CERTS: '/x/extra.pem' }, files({ [SYSTEM_BUNDLES[1]]: 'RHEL-BUNDLE', [SYSTEM_BUNDLES[3]]: 'LATER', '/x/extra.pem': 'EXTRA' }));
    expect(pem.startsWith(rootCertificates[0]!)).toBe(true);
    expect(pem).toContain('RHEL-BUNDLE');
    expect(pem).not.toContain('LATER');
    expect(pem.endsWith('EXTRA')).toBe(true);
  });

  it('SSL_CERT_FILE replaces the usual files, as for OpenSSL', () => {
    const pem = systemRootsPem({ SSL_CERT_FILE: '/etc/mine.pem' }, files({ '/etc/mine.pem': 'MINE', [SYSTEM_BUNDLES[0]]: 'DEBIAN' }));
    expect(pem).toContain('MINE');
    expect(pem).not.toContain('DEBIAN');
  });

  it('files that cannot be read are left out: the bundled roots remain', () => {
    expect(systemRootsPem({ SSL_CERT_FILE: '/nope', NODE_EXTRA_CA_CERTS: '/nope2' }, files({}))).toBe(rootCertificates.join('\n'));
  });
});

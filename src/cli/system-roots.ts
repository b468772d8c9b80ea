/**
 * The CAs `--tls` (and `grpcs://` without `--tls-ca`) checks a server against: the system's. grpc-js
 * alone would use only the roots bundled with Node, so a company CA installed on the machine
 * (update-ca-certificates) would not be trusted, nor one in NODE_EXTRA_CA_CERTS. Here: Node's
 * bundled roots, the system's bundle (`SSL_CERT_FILE`, as OpenSSL reads it, else the first of the
 * distributions' usual files that exists) and `NODE_EXTRA_CA_CERTS`. Read once per process; a
 * file that cannot be read is left out (the server's certificate then fails to verify, and that
 * error says to give `--tls-ca`).
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

/** Debian/Ubuntu, Fedora/RHEL, openSUSE, Alpine/macOS-style. */
export const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'] as const;

const readOrNull = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/** The PEM text of every root; `read` is passed in for tests. */
export function systemRootsPem(env: NodeJS.ProcessEnv, read: (path: string) => string | null = readOrNull): string {
  const pems: string[] = [...rootCertificates];
  const sslCertFile = env['SSL_CERT_FILE'];
  const candidates = sslCertFile !== undefined && sslCertFile !== '' ? [sslCertFile] : SYSTEM_BUNDLES;
  for (const path of candidates) {
    const text = read(path);
    if (text !== null) {
      pems.push(text);
      break;
    }
  }
  const extra = env['NODE_EXTRA_CA_CERTS'];
  if (extra !== undefined && extra !== '') {
    const text = read(extra);
    if (text !== null) pems.push(text);
  }
  return pems.join('\n');
}

let cached: Buffer | null = null;

export function systemRoots(): Buffer {
  cached ??= Buffer.from(systemRootsPem(process.env), 'utf8');
  return cached;
}

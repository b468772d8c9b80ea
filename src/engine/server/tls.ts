/**
 * The server's TLS material, read once at start: certificate chain, private key and, for mutual
 * TLS, the CA that signs the clients' certificates. Each problem is a UsageError (exit 2) naming
 * its flag: a file that cannot be read, one that is not PEM, a certificate already expired or not
 * yet valid, a key that is not the certificate's.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';

export interface ServerTlsFiles {
  readonly cert: string;
  readonly key: string;
  /** Clients must present a certificate signed by this CA (mutual TLS). */
  readonly clientCa?: string | undefined;
}

export interface ServerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clientCa: Buffer | null;
  /** For the start-up line: the certificate's subject and when it expires. */
  readonly describe: string;
}

function readPem(path: string, flag: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (e) {
    throw new UsageError(`${flag} ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  if (!data.includes('-----BEGIN ')) throw new UsageError(`${flag} ${path}: not a PEM file (expected -----BEGIN …-----)`);
  return data;
}

/** `now`: epoch milliseconds (passed in for tests). */
export function readServerTls(f: ServerTlsFiles, now = Date.now()): ServerTls {
  const cert = readPem(f.cert, '--tls-cert');
  const key = readPem(f.key, '--tls-key');
  const clientCa = f.clientCa === undefined ? null : readPem(f.clientCa, '--tls-client-ca');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (e) {
    throw new UsageError(`--tls-cert ${f.cert}: not a certificate (${(e as Error).message})`, { cause: e });
  }
  if (Date.parse(x509.validTo) < now) throw new UsageError(`--tls-cert ${f.cert}: the certificate expired on ${x509.validTo}`);
  if (Date.parse(x509.validFrom) > now) throw new UsageError(`--tls-cert ${f.cert}: the certificate is not valid before ${x509.validFrom}`);
  let matches: boolean;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(key));
  } catch (e) {
    throw new UsageError(`--tls-key ${f.key}: not a private key (${(e as Error).message})`, { cause: e });
  }
  if (!matches) throw new UsageError(`--tls-key ${f.key}: not the private key of --tls-cert ${f.cert}`);
  const subject = x509.subject.replace(/\n/g, ', ');
  return { cert, key, clientCa, describe: `${subject}, valid until ${x509.validTo}` };
}

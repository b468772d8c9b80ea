/**
 * A failed connection in one line that says what to do, from grpc-js's UNAVAILABLE details
 * (OpenSSL's words, buried in a paragraph), for the failures that TLS causes or a TLS mismatch
 * explains. Null when there is nothing TLS-specific to say.
 *
 * `noPermission`: the server refused who we are (no client certificate where mutual TLS wants
 * one): exit 77 like a missing token, not 69.
 */

export interface TlsSide {
  /** The client speaks TLS. */
  readonly tls: boolean;
  /** It presents a client certificate. */
  readonly clientCert: boolean;
}

export interface TlsFailure {
  readonly message: string;
  readonly noPermission: boolean;
}

const RULES: readonly { re: RegExp; say: (m: RegExpExecArray) => string; noPermission?: boolean }[] = [
  {
    re: /alert certificate required|peer did not return a certificate/i,
    say: () => 'the server wants a client certificate (mutual TLS): give --tls-cert FILE --tls-key FILE',
    noPermission: true,
  },
  {
    re: /alert (bad certificate|unknown ca|certificate expired|certificate revoked|certificate unknown|decrypt error)/i,
    say: (m) => `the server refused our client certificate (${m[1]}): give one signed by its --tls-client-ca, and not expired (--tls-cert, --tls-key)`,
    noPermission: true,
  },
  { re: /certificate has expired|CERT_HAS_EXPIRED/i, say: () => "the server's certificate has expired: it must renew it (--tls-cert on the server)" },
  { re: /certificate is not yet valid|CERT_NOT_YET_VALID/i, say: () => "the server's certificate is not valid yet (check both clocks)" },
  {
    re: /(self[- ]signed certificate(?: in certificate chain)?|unable to verify the first certificate|unable to get local issuer certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/i,
    say: (m) => `the server's certificate is not signed by a CA we trust (${m[1]}): give its CA with --tls-ca FILE`,
  },
  {
    re: /ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate|Hostname\/IP does not match/i,
    say: () => "the server's certificate is not for this name: connect by a name it has, or give it with --tls-server-name NAME",
  },
  {
    re: /wrong version number|packet length too long|unknown protocol|http request/i,
    say: () => 'the server does not speak TLS: leave out --tls, --tls-* and grpcs:// (or start the server with --tls-cert and --tls-key)',
  },
];

const ERRNO = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b/;

export function describeTlsFailure(details: string, side: TlsSide): TlsFailure | null {
  for (const rule of RULES) {
    const m = rule.re.exec(details);
    if (m !== null) return { message: rule.say(m), noPermission: rule.noPermission === true };
  }
  // The connection was made and then dropped before HTTP/2 got going: a TLS mismatch explains it.
  if (/Failed to connect|Connection dropped|socket hang up|ECONNRESET|closed before/i.test(details) && !ERRNO.test(details)) {
    if (!side.tls) {
      return { message: 'the connection was dropped at once: if the server speaks TLS, use grpcs://HOST:PORT or --tls-ca FILE', noPermission: false };
    }
    return {
      message: side.clientCert
        ? 'the server dropped the TLS connection: it may refuse our client certificate (expired, or not signed by its --tls-client-ca)'
        : 'the server dropped the TLS connection: it may want a client certificate (--tls-cert FILE --tls-key FILE)',
      noPermission: side.clientCert,
    };
  }
  return null;
}

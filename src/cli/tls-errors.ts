/**
 * A failed TLS connection in one line that says what to do, from grpc-js's UNAVAILABLE details
 * (OpenSSL's words, buried in a paragraph). Null when the failure is not about TLS.
 */
export function describeTlsFailure(details: string, usingTls: boolean): string | null {
  void usingTls;
  void details;
  return null;
}

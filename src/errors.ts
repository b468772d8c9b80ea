/**
 * The few error classes clearly raises. Each carries a stable `code`, a short human message and
 * the `cause`; `bin/clearly.ts` is the one place that turns them into exit codes.
 */

/** Exit codes (documented in the README). sysexits-style where one fits. */
export const EXIT = {
  OK: 0,
  /** Generic failure; `task --wait` on FAILURE/REVOKED/REJECTED. */
  FAILURE: 1,
  /** Bad flags or arguments. */
  USAGE: 2,
  /** Not found (e.g. `task <uuid>` unknown to the server). */
  NOT_FOUND: 4,
  /** Bad input data: a file that is not a clearly store, or one from a newer clearly (EX_DATAERR). */
  DATA: 65,
  /** Broker or server unreachable (EX_UNAVAILABLE). */
  UNAVAILABLE: 69,
  /** A bug in clearly (EX_SOFTWARE). */
  INTERNAL: 70,
  /** A file or directory that cannot be created or written (EX_CANTCREAT): the store's path. */
  CANT_CREATE: 73,
  /** Try again later (EX_TEMPFAIL): an address asked for explicitly is taken (`server --metrics`). */
  TEMPFAIL: 75,
  /** No token, a wrong one, or one whose role may not do this (EX_NOPERM). */
  NOPERM: 77,
  /** `--timeout` ran out while waiting (as coreutils `timeout`). */
  TIMEOUT: 124,
  /** Interrupted before anything finished (not used for Ctrl-C on streams, which exit 0). */
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type ErrorCode =
  | 'USAGE'
  | 'UNAVAILABLE'
  | 'NOT_FOUND'
  | 'TIMEOUT'
  | 'PROTOCOL'
  | 'INTERNAL'
  | 'DATA'
  | 'CANT_CREATE'
  | 'NOPERM'
  | 'TEMPFAIL';

const EXIT_FOR: Record<ErrorCode, ExitCode> = {
  USAGE: EXIT.USAGE,
  UNAVAILABLE: EXIT.UNAVAILABLE,
  NOT_FOUND: EXIT.NOT_FOUND,
  TIMEOUT: EXIT.TIMEOUT,
  PROTOCOL: EXIT.FAILURE,
  INTERNAL: EXIT.INTERNAL,
  DATA: EXIT.DATA,
  CANT_CREATE: EXIT.CANT_CREATE,
  TEMPFAIL: EXIT.TEMPFAIL,
  NOPERM: EXIT.NOPERM,
};

export class ClearlyError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClearlyError';
    this.code = code;
  }
  /** A number, not only an `ExitCode`: `check` speaks the Nagios plugin codes (0-3) instead. */
  get exitCode(): number {
    return EXIT_FOR[this.code];
  }
}

/** A flag or argument is wrong; the message names the flag and, where there is one, its env var. */
export class UsageError extends ClearlyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('USAGE', message, options);
    this.name = 'UsageError';
  }
}

/** The broker, result backend or clearly server cannot be reached. */
export class UnavailableError extends ClearlyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
    this.name = 'UnavailableError';
  }
}

export class NotFoundError extends ClearlyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', message, options);
    this.name = 'NotFoundError';
  }
}

/**
 * The durable store refused: `CANT_CREATE` (its file or directory cannot be created or written,
 * exit 73) or `DATA` (the file is not a clearly store, is corrupt, or comes from a newer clearly;
 * exit 65). The message names the path and the fix (`--store`).
 */
export class StoreError extends ClearlyError {
  constructor(code: 'CANT_CREATE' | 'DATA', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'StoreError';
  }
}

/** The server wants a (better) token: none, an unknown one, or a `read` one for an admin call. */
export class NoPermissionError extends ClearlyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOPERM', message, options);
    this.name = 'NoPermissionError';
  }
}

export class TimeoutError extends ClearlyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TIMEOUT', message, options);
    this.name = 'TimeoutError';
  }
}

/** Hide the password in a broker/backend URL before it is printed anywhere. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1****@');
  }
}

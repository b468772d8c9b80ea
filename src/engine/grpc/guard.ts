/**
 * Every call through one gate: with tokens, a call without `authorization: Bearer <token>`, or
 * with a token the server does not know, is answered UNAUTHENTICATED; a known token whose role
 * may not call the method (a `read` token on Reset), PERMISSION_DENIED. Nothing of the call runs
 * before that. With `--debug`, one line per call: peer address, token name, method; never the
 * token.
 */
import * as grpc from '@grpc/grpc-js';
import { REQUIRED_ROLE, roleAllows, type MethodName } from '../auth/roles.js';
import type { Principal, TokenTable } from '../auth/tokens.js';

export interface GuardOptions {
  /** null: no tokens (every call is let through, as `anonymous`). */
  readonly tokens: TokenTable | null;
  readonly debug: (message: string) => void;
}

type Handler = (call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>, callback?: grpc.sendUnaryData<unknown>) => void;

const BEARER = /^\s*bearer\s+(\S+)\s*$/i;

type Verdict = { readonly ok: true; readonly who: Principal | null } | { readonly ok: false; readonly code: grpc.status; readonly details: string; readonly who: string };

export function judge(tokens: TokenTable | null, metadata: grpc.Metadata, method: MethodName): Verdict {
  if (tokens === null) return { ok: true, who: null };
  const header = metadata.get('authorization')[0];
  const token = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
  if (token === undefined) {
    return { ok: false, code: grpc.status.UNAUTHENTICATED, details: 'this server needs a token and the call had none', who: '(no token)' };
  }
  const who = tokens.lookup(token);
  if (who === null) return { ok: false, code: grpc.status.UNAUTHENTICATED, details: 'this server does not know the token sent', who: '(unknown token)' };
  const needed = REQUIRED_ROLE[method];
  if (!roleAllows(who.role, needed)) {
    return {
      ok: false,
      code: grpc.status.PERMISSION_DENIED,
      details: `the token ${who.name} has the role ${who.role}; ${method} needs ${needed}`,
      who: who.name,
    };
  }
  return { ok: true, who };
}

/** `impl` with every method behind the gate. */
export function guard(impl: grpc.UntypedServiceImplementation, o: GuardOptions): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(REQUIRED_ROLE) as MethodName[]) {
    const inner = impl[method] as Handler | undefined;
    if (inner === undefined) continue;
    const wrapped: Handler = (call, callback) => {
      const v = judge(o.tokens, call.metadata, method);
      const peer = call.getPeer();
      if (!v.ok) {
        o.debug(`call from ${peer}: ${v.who} ${method}: refused, ${grpc.status[v.code]}`);
        const status = { code: v.code, details: v.details };
        if (callback !== undefined) callback(status);
        else call.emit('error', status);
        return;
      }
      o.debug(`call from ${peer}: ${v.who === null ? '(no tokens)' : `${v.who.name} (${v.who.role})`} ${method}`);
      inner(call, callback);
    };
    out[method] = wrapped as grpc.UntypedHandleCall;
  }
  return out;
}

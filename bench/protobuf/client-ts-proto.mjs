/** createClearlyClient over ts-proto's output (gen/ts-proto, snake_case, 64-bit as Number). */
import * as grpc from '@grpc/grpc-js';
import * as pb from './gen/ts-proto/clearly/v1/clearly.js';
import { clientWith } from './methods.mjs';

export function createClearlyClient(address, options, credentials) {
  return clientWith(grpc, (type) => {
    const T = pb[type];
    return { encode: (o) => Buffer.from(T.encode(T.fromPartial(o)).finish()), decode: (b) => T.decode(b) };
  }, address, options, credentials);
}

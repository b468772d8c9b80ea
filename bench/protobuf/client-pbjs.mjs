/** createClearlyClient over the protobufjs static module (gen/pbjs), converting as proto-loader does. */
import * as grpc from '@grpc/grpc-js';
import pb from './gen/pbjs/clearly.cjs';
import { clientWith } from './methods.mjs';

const TO_OBJECT = { longs: Number, enums: String, defaults: false, oneofs: true };
export function createClearlyClient(address, options, credentials) {
  return clientWith(grpc, (type) => {
    const T = pb.clearly.v1[type];
    return { encode: (o) => Buffer.from(T.encode(T.fromObject(o)).finish()), decode: (b) => T.toObject(T.decode(b), TO_OBJECT) };
  }, address, options, credentials);
}

/** createClearlyClient over @bufbuild/protobuf v2 (gen/es): proto field names and Numbers, as clearly's records use. */
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as pb from './gen/es/clearly/v1/clearly_pb.js';
import { clientWith } from './methods.mjs';

/** A decoded message as clearly reads one: proto names, 64-bit as Number, only what is set. */
function plain(schema, msg) {
  const out = {};
  for (const f of schema.fields) {
    let v = msg[f.localName];
    if (f.oneof !== undefined && f.oneof.fields.length > 1) {
      const o = msg[f.oneof.localName];
      if (o.case !== f.localName) continue;
      out[f.oneof.name] = f.name;
      v = o.value;
    }
    if (v === undefined || (f.fieldKind === 'message' && v === undefined)) continue;
    if (typeof v === 'bigint') v = Number(v);
    else if (f.fieldKind === 'message') v = plain(f.message, v);
    else if (Array.isArray(v)) v = v.map((x) => (typeof x === 'bigint' ? Number(x) : x));
    out[f.name] = v;
  }
  return out;
}
function init(schema, o) {
  const out = {};
  for (const f of schema.fields) {
    const v = o?.[f.name];
    if (v === undefined || v === null) continue;
    out[f.localName] = f.fieldKind === 'message' ? create(f.message, init(f.message, v)) : f.scalar === 4 || f.scalar === 3 ? BigInt(v) : v;
  }
  return out;
}
export function createClearlyClient(address, options, credentials) {
  return clientWith(grpc, (type) => {
    const S = pb[`${type}Schema`];
    return { encode: (o) => Buffer.from(toBinary(S, create(S, init(S, o)))), decode: (b) => plain(S, fromBinary(S, b)) };
  }, address, options, credentials);
}

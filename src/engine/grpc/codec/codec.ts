/**
 * Protocol Buffers encoding and decoding driven by a plain table of the messages (schema.ts,
 * generated from the .proto), for the CLI's gRPC client: loading protobufjs and building its
 * descriptors took a noticeable part of every one-shot command's start-up.
 *
 * It reproduces what @grpc/proto-loader does with the options in proto.ts (LOADER_OPTIONS:
 * keepCase, longs as Number, no defaults, oneofs) byte for byte and key for key, so the client and
 * a server that still uses proto-loader agree (test/engine/grpc/codec/codec.test.ts checks both ways):
 *  - encoding writes every field that is not null/undefined, in field-number order, even when it
 *    holds the proto3 default; repeated numbers are packed;
 *  - decoding builds a plain object with only the fields on the wire, in field-number order, each
 *    member of a oneof also naming itself in the oneof's key (`item: 'task'`, and `_name: 'name'`
 *    for a proto3 `optional` field), 64-bit integers as Numbers.
 * Only the types the .proto uses are implemented; the generator refuses any other.
 *
 * The parts: wire.ts (wire-level reader and writer), messages.ts (the table's types,
 * compiled), decoder.ts and encoder.ts; this module is what the rest imports.
 */

export type { FieldSpec, MethodSpec, Schema, WireScalar } from './messages.js';
export { ProtoDecodeError } from './wire.js';
export { decoder } from './decoder.js';
export { encoder } from './encoder.js';

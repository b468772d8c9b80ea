/**
 * The gRPC contract (proto/clearly/v1/clearly.proto) loaded at run time with proto-loader, for the
 * server: the service definition it registers, and the Capture item encoder it writes with. Its
 * messages' types are in messages.ts. The CLI's client does without proto-loader (codec/client.ts:
 * protobufjs' static code generated from the .proto, the same conversions, the same results).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { encodeCaptureItemFast } from './capture-encode.js';
import type { CaptureItem, DecodedCaptureItem } from './messages.js';

export const PROTO_FILE = 'clearly/v1/clearly.proto';
export const SERVICE_NAME = 'clearly.v1.Clearly';

// ---------------------------------------------------------------------------------------------
// Loading

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  defaults: false,
  oneofs: true,
};

/**
 * The proto directory sits at the repository (or package) root: two levels above `src/engine`
 * under tsx/vitest, three above `dist/src/engine` once compiled. Walk up instead of hard-coding
 * either depth.
 */
export function findProtoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, PROTO_FILE))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find proto/${PROTO_FILE} above ${from}`);
    dir = parent;
  }
}

let cached: grpc.ServiceDefinition | undefined;

/** The service definition (methods with their (de)serializers), loaded once per process. */
export function clearlyService(): grpc.ServiceDefinition {
  if (cached === undefined) {
    const root = findProtoRoot();
    const def = protoLoader.loadSync(PROTO_FILE, { ...LOADER_OPTIONS, includeDirs: [root] });
    cached = def[SERVICE_NAME] as grpc.ServiceDefinition;
  }
  return cached;
}

/**
 * Encode one Capture item (what grpc-js would do per write): done once per record, then shared.
 * Hand-written (capture-encode.ts), byte-identical to the loaded serializer: it is the server's
 * per-record cost.
 */
export function encodeCaptureItem(item: CaptureItem): Buffer {
  return encodeCaptureItemFast(item);
}

export function decodeCaptureItem(bytes: Buffer): DecodedCaptureItem {
  return clearlyService()['Capture']!.responseDeserialize(bytes) as DecodedCaptureItem;
}

/**
 * The definition the server registers: identical, except that Capture's response serializer
 * passes already-encoded Buffers through, so a record encoded once is written to every client.
 */
export function serverService(): grpc.ServiceDefinition {
  const base = clearlyService();
  const capture = base['Capture']!;
  const serialize = capture.responseSerialize;
  return {
    ...base,
    Capture: {
      ...capture,
      responseSerialize: (value: unknown) => (Buffer.isBuffer(value) ? value : serialize(value)),
    },
  };
}

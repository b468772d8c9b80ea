import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSchema, renderSchema, SCHEMA_FILE } from '../../../../scripts/gen-proto-schema.js';
import { serviceDefinition } from '../../../../src/engine/grpc/codec/client.js';
import { SCHEMA } from '../../../../src/engine/grpc/codec/schema.js';
import { clearlyService } from '../../../../src/engine/grpc/proto.js';

describe('src/engine/grpc/codec/schema.ts', () => {
  it('is what the generator makes of proto/clearly/v1/clearly.proto now (else: npm run proto)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(renderSchema());
    expect(SCHEMA).toEqual(readSchema());
  });

  it("gives grpc-js the same RPCs as proto-loader's definition", () => {
    const ours = serviceDefinition();
    const theirs = clearlyService();
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
    for (const [name, m] of Object.entries(theirs)) {
      const { path, requestStream, responseStream, originalName } = ours[name]!;
      expect({ path, requestStream, responseStream, originalName }).toEqual({
        path: m.path,
        requestStream: m.requestStream,
        responseStream: m.responseStream,
        originalName: m.originalName,
      });
    }
  });
});

describe('the generator', () => {
  function schemaOf(body: string): () => unknown {
    return () => {
      const dir = mkdtempSync(join(tmpdir(), 'clearly-proto-'));
      try {
        const file = join(dir, 'x.proto');
        writeFileSync(file, `syntax = "proto3";\npackage clearly.v1;\nservice Clearly { rpc Get(M) returns (M); }\n${body}\n`);
        return readSchema(file);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
  }

  it.each([
    ['an enum field', 'enum E { A = 0; } message M { E e = 1; }', /type E is not supported/],
    ['a map field', 'message M { map<string, string> m = 1; }', /map fields are not supported/],
    ['a bytes field', 'message M { bytes b = 1; }', /type bytes is not supported/],
    ['a float field', 'message M { float f = 1; }', /type float is not supported/],
    ['a nested message', 'message M { message N { string s = 1; } N n = 1; }', /nested types are not supported/],
  ])('refuses %s, which the codec does not implement', (_what, body, error) => {
    expect(schemaOf(body)).toThrow(error);
  });

  it('lists fields in number order, whatever the order in the .proto', () => {
    const schema = schemaOf('message M { string b = 2; optional uint64 a = 1; repeated double c = 3; }')() as { messages: Record<string, unknown> };
    expect(schema.messages['clearly.v1.M']).toEqual([
      { no: 1, name: 'a', type: 'uint64', oneof: '_a' },
      { no: 2, name: 'b', type: 'string' },
      { no: 3, name: 'c', type: 'double', repeated: true },
    ]);
  });
});

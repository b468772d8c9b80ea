import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generate, GENERATED_DTS, GENERATED_JS } from '../../../../scripts/gen-proto.js';

describe('src/engine/grpc/codec/clearly-pb.cjs and .d.cts', () => {
  it('are what protobufjs generates from proto/clearly/v1/clearly.proto now (else: npm run proto)', async () => {
    const { js, dts } = await generate();
    expect(readFileSync(GENERATED_JS, 'utf8')).toBe(js);
    expect(readFileSync(GENERATED_DTS, 'utf8')).toBe(dts);
    // Generated from the .proto as it is: every message of it is there.
    const proto = readFileSync(new URL('../../../../proto/clearly/v1/clearly.proto', import.meta.url), 'utf8');
    const messages = [...proto.matchAll(/^message (\w+)/gm)].map((m) => m[1]!);
    expect(messages.length).toBeGreaterThan(10);
    for (const m of messages) expect(js).toContain(`v1.${m} = (function() {`);
  }, 30_000);
});

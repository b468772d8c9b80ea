import { describe, expect, it } from 'vitest';
import { shouldColour } from '../../src/format/colors.js';

describe('shouldColour: an explicit flag wins over the environment', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  it.each([
    // [stream, env, flag, expected]
    [pipe, { NO_COLOR: '1' }, true, true],
    [tty, { NO_COLOR: '1' }, undefined, false],
    [tty, { FORCE_COLOR: '1' }, false, false],
    [pipe, { FORCE_COLOR: '1' }, undefined, true],
    [pipe, { FORCE_COLOR: '1', NO_COLOR: '1' }, undefined, false],
    [tty, {}, undefined, true],
    [pipe, {}, undefined, false],
    [pipe, { NO_COLOR: '' }, undefined, false],
    [tty, { NO_COLOR: '' }, undefined, true],
  ] as const)('%j %j --color=%s -> %s', (stream, env, flag, expected) => {
    expect(shouldColour(stream, env, flag)).toBe(expected);
  });
});

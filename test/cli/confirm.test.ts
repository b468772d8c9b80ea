import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { canAsk, confirm, type ConfirmIo } from '../../src/cli/confirm.js';

function io(tty: { input: boolean; output: boolean }): ConfirmIo & { said: () => string; type: (s: string) => void; end: () => void } {
  const input = Object.assign(new PassThrough(), { isTTY: tty.input });
  const output = Object.assign(new PassThrough(), { isTTY: tty.output });
  let said = '';
  output.on('data', (c: Buffer) => (said += c.toString()));
  return { input, output, said: () => said, type: (s) => input.write(s), end: () => input.end() };
}

describe('canAsk: only a person at a terminal is asked', () => {
  it.each([
    [{ input: true, output: true }, true],
    [{ input: false, output: true }, false],
    [{ input: true, output: false }, false],
    [{ input: false, output: false }, false],
  ])('%j -> %s', (tty, expected) => {
    expect(canAsk(io(tty))).toBe(expected);
  });
});

describe('confirm', () => {
  it.each([
    ['y\n', true],
    ['YES\n', true],
    [' y \n', true],
    ['n\n', false],
    ['\n', false],
    ['yep\n', false],
  ])('%j -> %s', async (answer, expected) => {
    const t = io({ input: false, output: false });
    const asked = confirm('forget everything?', t);
    t.type(answer);
    expect(await asked).toBe(expected);
    expect(t.said()).toContain('forget everything? [y/N] ');
  });

  it('end of input (Ctrl-D) is no', async () => {
    const t = io({ input: false, output: false });
    const asked = confirm('forget everything?', t);
    t.end();
    expect(await asked).toBe(false);
  });
});

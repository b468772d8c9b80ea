import { describe, expect, it } from 'vitest';
import { makePalette, shouldColour } from '../../src/format/colors.js';

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

// SGR codes: 1 bold, 37 white foreground, 39 default foreground.
const WHITE = '\x1b[37m';

describe('palette', () => {
  it('paints task names bold in the default foreground, never white (invisible on a light background)', () => {
    const p = makePalette(true);
    const name = p.name('tasks.add');
    expect(name).toContain('\x1b[1m');
    expect(name).toContain('tasks.add');
    expect(name).not.toContain(WHITE);
    // A state without a colour of its own is bold too, and not white either.
    expect(p.state('CUSTOM')('CUSTOM')).not.toContain(WHITE);
    expect(p.state('CUSTOM')('CUSTOM')).toContain('\x1b[1m');
  });

  it('paints nothing when colour is off', () => {
    expect(makePalette(false).name('tasks.add')).toBe('tasks.add');
  });
});

import { describe, expect, it } from 'vitest';
import { makePalette } from '../../src/format/colors.js';

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

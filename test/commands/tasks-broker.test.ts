import { describe, expect, it } from 'vitest';
import { holdings } from '../../src/commands/tasks.js';

const flags = { broker: undefined, active: false, reserved: false, scheduled: false };

describe('tasks --broker --active/--reserved/--scheduled', () => {
  it('what to ask, in a fixed order', () => {
    expect(holdings(flags)).toEqual([]);
    expect(holdings({ ...flags, broker: 'redis://x', active: true })).toEqual(['active']);
    expect(holdings({ ...flags, broker: 'redis://x', scheduled: true, active: true, reserved: true })).toEqual(['active', 'reserved', 'scheduled']);
  });

  it('the two go together', () => {
    expect(() => holdings({ ...flags, active: true, reserved: true })).toThrow(
      '--active/--reserved asks the workers directly: add --broker URL (a clearly server keeps history instead)',
    );
    expect(() => holdings({ ...flags, broker: 'redis://x' })).toThrow(
      'with --broker, say what to list: --active, --reserved or --scheduled (the broker keeps no history)',
    );
  });
});

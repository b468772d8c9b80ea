import { describe, expect, it } from 'vitest';
import { SeenNames } from '../../../src/engine/state/seen-names.js';

describe('SeenNames', () => {
  it('keeps distinct names, sorted, up to its bound', () => {
    const seen = new SeenNames(3);
    for (const n of ['tasks.mul', 'tasks.add', null, 'tasks.add', 'a.first', 'z.over-the-bound']) seen.add(n);
    expect(seen.sorted()).toEqual(['a.first', 'tasks.add', 'tasks.mul']);
    seen.clear();
    expect(seen.size).toBe(0);
  });
});

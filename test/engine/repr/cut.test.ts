import { describe, expect, it } from 'vitest';
import { reprIsCut } from '../../../src/engine/repr/cut.js';

describe('reprIsCut', () => {
  it('is true for a saferepr-cut or unparseable repr, false for a whole one', () => {
    expect(reprIsCut("{'n': 2000, 'items': [{'i': 0}, {'i...', ...]}")).toBe(true);
    expect(reprIsCut('<not (a repr')).toBe(true);
    expect(reprIsCut("{'n': 3, 'items': [1, 2, 3]}")).toBe(false);
    expect(reprIsCut('None')).toBe(false);
  });
});

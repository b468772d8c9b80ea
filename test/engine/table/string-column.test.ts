import { describe, expect, it } from 'vitest';
import { NULL_ID, OVERFLOW_ID, StringColumn } from '../../../src/engine/table/string-column.js';

describe('StringColumn', () => {
  it('gives equal values one id and null the null id', () => {
    const c = new StringColumn();
    c.grow(3);
    c.set(0, 'app.add');
    c.set(1, ['app', 'add'].join('.'));
    c.set(2, null);
    expect(c.ids[0]).toBe(c.ids[1]);
    expect(c.value(c.ids[0]!)).toBe('app.add');
    expect(c.ids[2]).toBe(NULL_ID);
    expect(c.distinct).toBe(1);
  });

  it('recycles an id once no slot holds its value', () => {
    const c = new StringColumn();
    c.grow(2);
    c.set(0, 'a');
    c.set(1, 'a');
    const a = c.ids[0]!;
    c.set(0, 'b');
    expect(c.distinct).toBe(2);
    c.set(1, 'c');
    expect(c.distinct).toBe(2);
    expect(c.value(a)).toBe('c'); // a's id went to 'c'
  });

  it('past 65 534 live values, new ones overflow until an id is free again', () => {
    const c = new StringColumn();
    c.grow(OVERFLOW_ID + 1);
    for (let i = 0; i < OVERFLOW_ID - 1; i++) c.set(i, `v${i}`);
    c.set(OVERFLOW_ID - 1, 'one too many');
    expect(c.ids[OVERFLOW_ID - 1]).toBe(OVERFLOW_ID);
    expect(c.value(OVERFLOW_ID)).toBeNull();
    c.set(0, null);
    c.set(OVERFLOW_ID - 1, 'one too many');
    expect(c.value(c.ids[OVERFLOW_ID - 1]!)).toBe('one too many');
  });
});

import { describe, expect, it } from 'vitest';
import { Backlog } from '../../../src/engine/broker/backlog.js';

const item = (n: number, size = 10) => ({ n, size });
const turn = () => new Promise<void>((r) => setImmediate(r));

describe('Backlog', () => {
  it('hands every message over in order, after the current turn', async () => {
    const seen: number[] = [];
    const b = new Backlog<{ n: number; size: number }>((m) => seen.push(m.n), { maxBytes: 1000 });
    for (let i = 0; i < 50; i++) b.push(item(i));
    expect(seen).toEqual([]); // not inside the socket's read callback
    expect(b.length).toBe(50);
    await turn();
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(b.length).toBe(0);
  });

  it('yields between slices so the socket can be read, and finishes later', async () => {
    let handled = 0;
    const slow = () => {
      const until = performance.now() + 0.05;
      while (performance.now() < until);
      handled++;
    };
    const b = new Backlog<{ n: number; size: number }>(slow, { maxBytes: 1e9, sliceMs: 2 });
    for (let i = 0; i < 2000; i++) b.push(item(i, 1));
    await turn();
    expect(handled).toBeGreaterThan(0);
    expect(handled).toBeLessThan(2000);
    for (let k = 0; k < 500 && b.length > 0; k++) await turn();
    expect(handled).toBe(2000);
  });

  it('drops and counts what does not fit, keeping memory bounded', async () => {
    const seen: number[] = [];
    const b = new Backlog<{ n: number; size: number }>((m) => seen.push(m.n), { maxBytes: 100 });
    for (let i = 0; i < 15; i++) b.push(item(i, 10));
    expect(b.peakBytes).toBe(100);
    expect(b.takeDropped()).toBe(5);
    expect(b.takeDropped()).toBe(0);
    await turn();
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    b.push(item(99, 10)); // room again once handled
    await turn();
    expect(seen.at(-1)).toBe(99);
  });

  it('clear() forgets what is queued', async () => {
    const seen: number[] = [];
    const b = new Backlog<{ n: number; size: number }>((m) => seen.push(m.n), { maxBytes: 1000 });
    b.push(item(1));
    b.clear();
    await turn();
    expect(seen).toEqual([]);
  });
});

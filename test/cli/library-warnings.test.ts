import { afterEach, describe, expect, it } from 'vitest';
import { tameLibraryWarnings } from '../../src/cli/library-warnings.js';

describe('tameLibraryWarnings', () => {
  const original = console.warn;
  afterEach(() => {
    console.warn = original;
  });

  it("ioredis' password warning, printed per connection, becomes one note of ours; other warnings pass", () => {
    const passed: string[] = [];
    console.warn = (...args: unknown[]) => passed.push(args.join(' '));
    const notes: string[] = [];
    tameLibraryWarnings((m) => notes.push(m));
    for (let i = 0; i < 3; i++) console.warn("[WARN] This Redis server's `default` user does not require a password, but a password was supplied");
    console.warn('[WARN] Redis server does not require a password, but a password was supplied.');
    console.warn('something else', 42);
    expect(notes).toEqual([
      'the Redis server needs no password but its URL gives one (ignored, it works): remove the password from the URL to silence this',
    ]);
    expect(passed).toEqual(['something else 42']);
  });
});

import { describe, expect, it } from 'vitest';
import { buildMessages } from '../../../bench/lib/messages.js';
import { decodeMessage } from '../../../src/engine/events/decode.js';

describe('buildMessages', () => {
  it('holds Redis envelopes as strings by default, as ioredis hands them over', () => {
    const built = buildMessages({ transport: 'redis', events: 50, seed: 5 });
    for (const m of built.messages) {
      if (m.transport !== 'redis') throw new Error('expected Redis messages');
      expect(typeof m.payload).toBe('string');
    }
  });

  it('holds them as bytes on request, decoding to every event without error, as their text would', () => {
    const built = buildMessages({ transport: 'redis', events: 500, seed: 5, redisBytes: true });
    let events = 0;
    let bytes = 0;
    for (const m of built.messages) {
      if (m.transport !== 'redis' || typeof m.payload === 'string') throw new Error('expected Redis envelopes as Buffers');
      bytes += m.payload.length;
      const fromBytes = decodeMessage(m);
      expect(fromBytes.errors).toEqual([]);
      expect(fromBytes).toEqual(decodeMessage({ ...m, payload: m.payload.toString('utf8') }));
      events += fromBytes.events.length;
    }
    expect(events).toBe(built.events);
    // kombu's envelopes are ASCII: as many bytes as characters
    expect(bytes).toBe(built.bytes);
  });
});

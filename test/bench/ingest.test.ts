import { describe, expect, it } from 'vitest';
import { countDisconnects, highestZeroLoss, lossPercent, watchEventsFromSummary } from '../../bench/ingest.js';

describe('lossPercent', () => {
  it('is the share of published events not processed', () => {
    expect(lossPercent(200, 150)).toBe(25);
    expect(lossPercent(1000, 1000)).toBe(0);
  });
  it('never goes negative (extra events are not ours) and is 0 for nothing published', () => {
    expect(lossPercent(100, 120)).toBe(0);
    expect(lossPercent(0, 0)).toBe(0);
  });
});

describe('highestZeroLoss', () => {
  it('is the fastest achieved rate among the steps that lost nothing', () => {
    const steps = [
      { published: 50_000, processed: 50_000, publishRate: 10_000 },
      { published: 200_000, processed: 200_000, publishRate: 40_000 },
      { published: 400_000, processed: 300_000, publishRate: 80_000 },
    ];
    expect(highestZeroLoss(steps)).toBe(40_000);
  });
  it('is null when every step lost events', () => {
    expect(highestZeroLoss([{ published: 10, processed: 9, publishRate: 5 }])).toBeNull();
  });
});

describe('watchEventsFromSummary', () => {
  it("reads the event count of watch's closing line", () => {
    const stderr =
      'clearly: watching redis://127.0.0.1:6379/9 (Ctrl-C to stop)\n' +
      'clearly: 124057 records (124057 task, 0 worker) from 124668 events in 5.4s, 2 undecodable messages\n';
    expect(watchEventsFromSummary(stderr)).toBe(124668);
  });
  it('is null without a summary', () => {
    expect(watchEventsFromSummary('clearly: watching amqp://…\n')).toBeNull();
  });
});

describe('countDisconnects', () => {
  it("counts the process's lost-connection notices", () => {
    const stderr =
      'clearly: watching redis://127.0.0.1:6379/9 (Ctrl-C to stop)\n' +
      'clearly: lost the connection to redis://127.0.0.1:6379/9 (connection closed); reconnecting…\n' +
      'clearly: reconnected to redis://127.0.0.1:6379/9 after 0.5s; events published meanwhile were missed\n' +
      'clearly: lost the connection to redis://127.0.0.1:6379/9 (connection closed); reconnecting…\n';
    expect(countDisconnects(stderr)).toBe(2);
    expect(countDisconnects('clearly: watching amqp://…\n')).toBe(0);
  });
});

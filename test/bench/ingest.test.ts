import { describe, expect, it } from 'vitest';
import { countDisconnects, highestZeroLoss, lossPercent, overheadAtCommonRate, pairedOverhead, watchEventsFromSummary } from '../../bench/ingest.js';

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

describe('overheadAtCommonRate', () => {
  const step = (requested: number | null, publishRate: number, cpuPercent: number, lost = 0) => ({
    requested,
    published: 1000,
    processed: 1000 - lost,
    publishRate,
    cpuPercent,
  });
  it('compares CPU per event at the highest fixed rate both ran without loss', () => {
    const on = [step(20_000, 20_000, 22), step(40_000, 40_000, 33), step(null, 65_000, 46)];
    const off = [step(20_000, 20_000, 20), step(40_000, 40_000, 30), step(null, 69_000, 44)];
    const r = overheadAtCommonRate(on, off);
    expect(r?.rate).toBe(40_000);
    expect(r?.overhead).toBeCloseTo(0.1, 10);
  });
  it('skips a rate where either side lost events, and divides by the achieved rate', () => {
    const on = [step(20_000, 20_000, 22), step(40_000, 38_000, 33)];
    const off = [step(20_000, 19_000, 19), step(40_000, 40_000, 30, 5)];
    const r = overheadAtCommonRate(on, off);
    expect(r?.rate).toBe(20_000);
    // 22% at 20k/s against 19% at 19k/s: 1.1 vs 1.0 (% of a core per 1k events/s).
    expect(r?.overhead).toBeCloseTo(0.1, 10);
  });
  it('is null with no common lossless fixed rate (the maximum never counts)', () => {
    expect(overheadAtCommonRate([step(null, 60_000, 40)], [step(null, 60_000, 40)])).toBeNull();
  });
});

describe('pairedOverhead', () => {
  const step = (publishRate: number, cpuPercent: number, lost = 0) => ({ requested: 40_000, published: 1000, processed: 1000 - lost, publishRate, cpuPercent });
  it('is the median of the pairs\' CPU-per-event overheads, each pair judged at its own achieved rates', () => {
    const got = pairedOverhead([
      [step(40_000, 44), step(40_000, 40)], // +10%
      [step(40_000, 42), step(40_000, 40)], // +5%
      [step(20_000, 30), step(40_000, 40)], // half the rate, 30% CPU: +50% per event
    ]);
    expect(got?.overheads.map((x) => Number(x.toFixed(3)))).toEqual([0.1, 0.05, 0.5]);
    expect(got?.overhead).toBeCloseTo(0.1, 10);
  });
  it('leaves out a pair that lost events on either side; null when none is left', () => {
    expect(pairedOverhead([[step(40_000, 80), step(40_000, 40, 1)], [step(40_000, 42), step(40_000, 40)]])?.overheads.map((x) => Number(x.toFixed(3)))).toEqual([0.05]);
    expect(pairedOverhead([[step(40_000, 44, 3), step(40_000, 40)]])).toBeNull();
    expect(pairedOverhead([])).toBeNull();
  });
});

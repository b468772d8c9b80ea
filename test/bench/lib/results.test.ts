import { describe, expect, it } from 'vitest';
import type { Machine } from '../../../bench/lib/machine.js';
import { fmt, mergeResults, renderMarkdown, targetRows, targetStatus, type MeasurementResult, type Results } from '../../../bench/lib/results.js';

const MACHINE: Machine = {
  cpuModel: 'AMD EPYC',
  cores: 2,
  memoryGiB: 23.5,
  os: 'Linux 6.1',
  node: 'v20.20.2',
  rabbitmq: 'RabbitMQ 3.10.8',
  redis: 'Redis 7.0.15',
  loadavg: [1.5, 1.25, 1],
};

function measurement(name: MeasurementResult['name'], met: boolean): MeasurementResult {
  return {
    name,
    title: `Title of ${name}`,
    finishedAt: '2025-01-01T00:00:00.000Z',
    quick: false,
    seconds: 12.4,
    figures: [{ label: 'speed', value: 250_000, unit: 'events/s' }],
    targets: [{ what: `${name} speed`, target: '≥ 200,000 events/s', actual: '250,000 events/s', met }],
    tables: [{ title: 'Runs', columns: ['a', 'b'], rows: [[1, 'x|y'], [null, 2.25]] }],
    notes: ['how it was measured'],
  };
}

describe('targetStatus', () => {
  const check = { what: 'speed', target: '≥ 1', actual: '0' };
  it('marks a missed issue target bold, and a missed stretch target as beyond the issue', () => {
    expect(targetStatus({ ...check, met: false })).toBe('**missed**');
    expect(targetStatus({ ...check, met: false, stretch: true })).toBe('missed (stretch target, beyond the issue)');
  });
  it('says met either way', () => {
    expect(targetStatus({ ...check, met: true })).toBe('met');
    expect(targetStatus({ ...check, met: true, stretch: true })).toBe('met');
  });
});

describe('fmt', () => {
  it('separates thousands and keeps at most the given decimals', () => {
    expect(fmt(1234567.891)).toBe('1,234,567.9');
    expect(fmt(0.125, 2)).toBe('0.13');
    expect(fmt(12)).toBe('12');
  });
  it('shows null as a dash and strings as they are', () => {
    expect(fmt(null)).toBe('–');
    expect(fmt('max')).toBe('max');
  });
});

describe('mergeResults', () => {
  it('replaces the measurements that ran and keeps the others', () => {
    const old: Results = {
      generatedAt: 'old',
      machine: { ...MACHINE, cores: 8 },
      measurements: { hotpath: measurement('hotpath', false), memory: measurement('memory', true) },
    };
    const next: Results = { generatedAt: 'new', machine: MACHINE, measurements: { hotpath: measurement('hotpath', true) } };
    const merged = mergeResults(old, next);
    expect(merged.generatedAt).toBe('new');
    expect(merged.machine.cores).toBe(2);
    expect(merged.measurements.hotpath?.targets[0]?.met).toBe(true);
    expect(merged.measurements.memory).toEqual(old.measurements.memory);
  });
  it('works without previous results', () => {
    const next: Results = { generatedAt: 'new', machine: MACHINE, measurements: {} };
    expect(mergeResults(null, next)).toEqual(next);
  });
});

describe('renderMarkdown', () => {
  const results: Results = {
    generatedAt: '2025-01-02T03:04:05.000Z',
    machine: MACHINE,
    measurements: { memory: measurement('memory', false), hotpath: measurement('hotpath', true) },
  };
  const md = renderMarkdown(results);

  it('lists every target in suite order, marking the missed ones', () => {
    expect(targetRows(results)).toEqual([
      ['hotpath', 'hotpath speed', '≥ 200,000 events/s', '250,000 events/s', 'met'],
      ['memory', 'memory speed', '≥ 200,000 events/s', '250,000 events/s', '**missed**'],
    ]);
    expect(md).toContain('| hotpath | hotpath speed | ≥ 200,000 events/s | 250,000 events/s | met |');
    expect(md).toContain('| memory | memory speed | ≥ 200,000 events/s | 250,000 events/s | **missed** |');
  });

  it('describes the machine', () => {
    expect(md).toContain('| CPU | AMD EPYC × 2 cores |');
    expect(md).toContain('| load average at start (1/5/15 min) | 1.50 / 1.25 / 1.00 |');
  });

  it('renders figures, tables (escaping |) and notes per measurement, hotpath first', () => {
    expect(md.indexOf('## Title of hotpath (`hotpath`)')).toBeGreaterThan(0);
    expect(md.indexOf('## Title of hotpath')).toBeLessThan(md.indexOf('## Title of memory'));
    expect(md).toContain('| speed | 250,000 | events/s |');
    expect(md).toContain('| 1 | x\\|y |');
    expect(md).toContain('| – | 2.3 |');
    expect(md).toContain('- how it was measured');
    expect(md).toContain('Ran 2025-01-01T00:00:00.000Z, took 12 s.');
  });
});

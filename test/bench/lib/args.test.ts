import { describe, expect, it } from 'vitest';
import { parseOnly } from '../../../bench/lib/args.js';

describe('parseOnly', () => {
  it('is every measurement when not given', () => {
    expect(parseOnly(undefined)).toEqual(['hotpath', 'ingest', 'latency', 'memory', 'queries', 'coldstart', 'store', 'scrape']);
    expect(parseOnly([])).toEqual(['hotpath', 'ingest', 'latency', 'memory', 'queries', 'coldstart', 'store', 'scrape']);
  });
  it('takes comma lists and repeats, in suite order, once each', () => {
    expect(parseOnly(['queries,hotpath', 'memory', ' hotpath '])).toEqual(['hotpath', 'memory', 'queries']);
  });
  it('refuses an unknown name, listing the known ones', () => {
    expect(() => parseOnly(['hotpath,speed'])).toThrow(/unknown measurement 'speed'[\s\S]*hotpath, ingest, latency/);
  });
});

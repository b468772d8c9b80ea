import { describe, expect, it } from 'vitest';
import { parseGeneratorSummary } from '../../../bench/lib/procs.js';

describe('parseGeneratorSummary', () => {
  it('reads the last stdout line', () => {
    const out =
      'something else\n' +
      '{"published":250535,"messages":157249,"tasks":61377,"seconds":5.309,"rate":47193,"broker":"amqp://guest:****@127.0.0.1:5672/clearly-bench","processes":1,"seed":7}\n';
    expect(parseGeneratorSummary(out)).toEqual({
      published: 250535,
      messages: 157249,
      tasks: 61377,
      seconds: 5.309,
      rate: 47193,
      broker: 'amqp://guest:****@127.0.0.1:5672/clearly-bench',
      processes: 1,
      seed: 7,
    });
  });
  it('refuses a line without the counts', () => {
    expect(() => parseGeneratorSummary('{"published":1}\n')).toThrow(/without messages/);
    expect(() => parseGeneratorSummary('generator: cannot connect\n')).toThrow(SyntaxError);
  });
});

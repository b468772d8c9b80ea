import { describe, expect, it } from 'vitest';
import { helpWidth, usageMessage } from '../../src/cli/usage.js';

const task = { name: 'task', command: 'task <uuid>' };
const watch = { name: 'watch', command: 'watch' };

describe('usageMessage: yargs says it, we say what to do', () => {
  it('a missing positional names it and the usage', () => {
    expect(usageMessage('Not enough non-option arguments: got 0, need at least 1', task)).toBe(
      'task: give <uuid> (usage: clearly task <uuid>)\nRun "clearly task --help" for usage.',
    );
  });

  it('an unknown flag names the one it is a typo of, if any', () => {
    expect(usageMessage('Unknown argument: jsn', watch, ['json', 'count', 'n'])).toBe(
      'Unknown argument: jsn (did you mean --json?)\nRun "clearly watch --help" for usage.',
    );
    expect(usageMessage('Unknown arguments: bogus, wrkers', watch, ['workers', 'json'])).toBe(
      'Unknown arguments: bogus, wrkers (did you mean --workers?)\nRun "clearly watch --help" for usage.',
    );
    expect(usageMessage('Unknown argument: zzzzzz', watch, ['json'])).toBe('Unknown argument: zzzzzz\nRun "clearly watch --help" for usage.');
  });

  it('a flag without its value', () => {
    expect(usageMessage('Not enough arguments following: limit', undefined)).toBe('--limit needs a value\nRun "clearly --help" for usage.');
    expect(usageMessage('Not enough arguments following: t', watch)).toBe('-t needs a value\nRun "clearly watch --help" for usage.');
  });
});

describe('helpWidth: where --help wraps', () => {
  it('a terminal: its width, whatever COLUMNS says', () => {
    expect(helpWidth({ isTTY: true, columns: 130 }, { COLUMNS: '60' })).toBe(130);
  });
  it('not a terminal: COLUMNS when set, else 80', () => {
    expect(helpWidth({ isTTY: false }, { COLUMNS: '60' })).toBe(60);
    expect(helpWidth({}, {})).toBe(80);
    expect(helpWidth({}, { COLUMNS: 'wide' })).toBe(80);
  });
});

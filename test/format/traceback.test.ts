import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makePalette } from '../../src/format/colors.js';
import { renderTraceback } from '../../src/format/traceback.js';

const PLAIN = makePalette(false);
const COLOUR = makePalette(true);
const ANSI = /\u001b\[[0-9;]*m/g;

/** The tracebacks of task-failed/task-retried events in the AMQP capture. */
function fixtureTracebacks(): string[] {
  const out: string[] = [];
  const text = readFileSync(new URL('../fixtures/amqp-events.ndjson', import.meta.url), 'utf8');
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const body: unknown = (JSON.parse(line) as { body?: unknown }).body;
    for (const ev of Array.isArray(body) ? body : [body]) {
      const tb = (ev as Record<string, unknown> | null)?.['traceback'];
      if (typeof tb === 'string') out.push(tb);
    }
  }
  return out;
}

const HARNESS_TB = [
  'Traceback (most recent call last):',
  '  File "/srv/app/tasks.py", line 103, in fail',
  '    raise HarnessError(msg)',
  '    ^^^^^^^^^^^^^^^^^^^^^^^',
  'tasks.HarnessError: (\'kaboom "quoted" \\\'single\\\'\', 42)',
].join('\n');

describe('renderTraceback', () => {
  it('is the text itself without colour', () => {
    expect(renderTraceback(HARNESS_TB, PLAIN)).toBe(HARNESS_TB);
  });

  it('makes control chars visible but keeps newlines and tabs', () => {
    expect(renderTraceback('ValueError: bad\u001b[2J\tx\ny\r\u0000', PLAIN)).toBe('ValueError: bad\\x1b[2J\tx\ny\\r\\x00');
    const coloured = renderTraceback('ValueError: bad\u001b[2J', COLOUR);
    expect(coloured.replace(ANSI, '')).toBe('ValueError: bad\\x1b[2J');
  });

  it('colours frames, source, carets and the exception, with the same text underneath', () => {
    const out = renderTraceback(HARNESS_TB, COLOUR);
    expect(out.replace(ANSI, '')).toBe(HARNESS_TB);
    const lines = out.split('\n');
    expect(lines[0]).toBe(COLOUR.bold('Traceback (most recent call last):'));
    expect(lines[1]).toBe(
      `  ${COLOUR.dim('File')} ${COLOUR.str('"/srv/app/tasks.py"')}${COLOUR.dim(', line')} ${COLOUR.num('103')}${COLOUR.dim(', in')} ${COLOUR.name('fail')}`,
    );
    expect(lines[2]).toContain(COLOUR.keyword('raise')); // highlighted as Python
    expect(lines[3]).toBe(COLOUR.error('    ^^^^^^^^^^^^^^^^^^^^^^^'));
    expect(lines[4]).toBe(`${COLOUR.bold(COLOUR.error('tasks.HarnessError'))}: ('kaboom "quoted" \\'single\\'', 42)`);
  });

  it('renders every captured traceback, losing no text', () => {
    const tbs = fixtureTracebacks();
    expect(tbs.length).toBeGreaterThan(2);
    for (const tb of tbs) {
      expect(renderTraceback(tb, PLAIN)).toBe(tb);
      expect(renderTraceback(tb, COLOUR).replace(ANSI, '')).toBe(tb);
    }
  });

  it('survives anything', () => {
    for (const tb of ['', '\n\n', '    """unterminated', '  File "x", line', '\ud800', 'x'.repeat(100_000)]) {
      expect(renderTraceback(tb, COLOUR).replace(ANSI, '')).toBe(tb.replace('\ud800', '\\ud800'));
    }
  });
});

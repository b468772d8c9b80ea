/**
 * Text output fits the terminal, --json never truncates: through the BUILT CLI on the demo's
 * simulated cluster (whose monthly report results are over Celery's 1024-character budget).
 * COLUMNS stands in for a terminal's width (stdout is a pipe here).
 */
import { describe, expect, it } from 'vitest';
import { parseRecords, runClearly, type TaskRecord } from '../helpers/cli.js';

const REPORTS = ['demo', '--count', '3', '--rate', '5000', '--seed', '3', '--state', 'SUCCESS', '--pattern', 'reports'];

describe('values in text fit the terminal', () => {
  it.each([80, 160])('a 1 KB result takes at most 3 lines of %i columns and a marker saying what is left out', async (columns) => {
    const r = await runClearly(REPORTS, { env: { COLUMNS: String(columns) } });
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const heads = lines.filter((l) => /^\d\d:\d\d/.test(l));
    expect(heads).toHaveLength(3);
    const markers = lines.filter((l) => l.includes('… +'));
    expect(markers).toHaveLength(3);
    // demo: no server holds these tasks, so the marker points at --json (watch says `clearly task <uuid>`, text.test.ts).
    for (const m of markers) expect(m).toMatch(/^ {6}… \+\d+ characters: whole in --json \(Celery cut the rest\)$/);
    // Head line, at most 3 value lines, the marker: nothing else.
    expect(lines.length).toBeLessThanOrEqual(3 * 5);
    for (const l of lines) if (!l.includes('… +') && !/^\d\d:\d\d/.test(l)) expect(l.length).toBeLessThanOrEqual(columns);
    // Never broken inside a token: every value line but the last of a value ends after a comma.
    for (let i = 0; i < lines.length - 1; i++) {
      const next = lines[i + 1]!;
      if (/^ {4,}\S/.test(lines[i]!) && /^ {6}(?!…)\S/.test(next)) expect(lines[i]).toMatch(/,$/);
    }
  });

  it('--json keeps every value whole and says Celery cut it', async () => {
    const r = await runClearly([...REPORTS, '--json'], { env: { COLUMNS: '80' } });
    expect(r.exitCode, r.stderr).toBe(0);
    const records = parseRecords(r.stdout) as Array<TaskRecord & { result_truncated: boolean; args_truncated: boolean }>;
    expect(records).toHaveLength(3);
    for (const t of records) {
      expect(t.result_repr!.length).toBeGreaterThan(1000);
      expect(t.result_truncated).toBe(true);
      expect(t.args_truncated).toBe(false);
      expect(Array.isArray(t.result)).toBe(true);
    }
  });

  it('without a width (a pipe, no COLUMNS) each value stays one whole line', async () => {
    const r = await runClearly(REPORTS, { env: { COLUMNS: undefined } });
    expect(r.exitCode, r.stderr).toBe(0);
    const results = r.stdout.split('\n').filter((l) => l.startsWith('    result '));
    expect(results).toHaveLength(3);
    for (const l of results) expect(l.length).toBeGreaterThan(1000);
  });
});

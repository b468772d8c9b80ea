/**
 * `--since` / `--until` as people write them: a duration meaning that long ago (`--since 1h` is the
 * last hour, `--until 1d` ends a day ago), or a time (`2026-12-03T09:00`, `2026-12-03 09:00:00Z`;
 * without a zone, local time, as `date` prints it). Turned into epoch seconds here, so the server
 * and the store only ever compare numbers.
 */
import { parseDuration } from '../engine/health/thresholds.js';
import { UsageError } from '../errors.js';

const LOOKS_LIKE_DURATION = /^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)?(\d+(\.\d+)?(ms|s|m|h|d))*\s*$/i;

/** Epoch seconds for `text`, `now` being epoch seconds; undefined when no value was given. */
export function parseTimeBound(text: string | undefined, flag: string, now: number = Date.now() / 1000): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  if (LOOKS_LIKE_DURATION.test(text)) return now - parseDuration(text, flag);
  const ms = Date.parse(text.trim().replace(' ', 'T'));
  if (Number.isNaN(ms)) {
    throw new UsageError(`${flag}: expected a duration ago (30m, 1h, 2d) or a time (2026-12-03T09:00, 2026-12-03 09:00:00Z), got ${JSON.stringify(text)}`);
  }
  return ms / 1000;
}

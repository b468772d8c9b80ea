/**
 * Whether a repr is the whole value: the server's question for every result it sends (is it worth
 * fetching whole from the result backend? what is its `result_source`?). Parsed once per text:
 * the same result is sent with each change and each query.
 */
import { RecentCache } from './recent-cache.js';
import { parseRepr } from './repr.js';

const cutCache = new RecentCache<boolean>(512);

/** True when saferepr cut `text` (its 1024-character budget) or it does not parse. */
export function reprIsCut(text: string): boolean {
  const hit = cutCache.get(text);
  if (hit !== undefined) return hit;
  const parsed = parseRepr(text);
  const cut = parsed.truncated || !parsed.ok;
  cutCache.set(text, cut);
  return cut;
}

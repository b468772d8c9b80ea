/**
 * Counts messages that could not be decoded, so they can be reported without flooding stderr:
 * the caller drains a summary at most once a second.
 */
import type { DecodeError, DecodeErrorReason } from './types.js';

export class DecodeErrorLog {
  private pending = new Map<DecodeErrorReason, number>();
  private samples: DecodeError[] = [];
  total = 0;

  constructor(private readonly keepSamples: number) {}

  add(error: DecodeError): void {
    this.total++;
    this.pending.set(error.reason, (this.pending.get(error.reason) ?? 0) + 1);
    if (this.samples.length < this.keepSamples) this.samples.push(error);
  }

  /** A one-line summary of what arrived since the last call (and samples for --debug), or null. */
  drain(): { summary: string; samples: DecodeError[] } | null {
    if (this.pending.size === 0) return null;
    let n = 0;
    const parts: string[] = [];
    for (const [reason, count] of this.pending) {
      n += count;
      parts.push(`${reason} ${count}`);
    }
    const samples = this.samples;
    this.pending = new Map();
    this.samples = [];
    return {
      summary: `skipped ${n} undecodable message${n === 1 ? '' : 's'} (${parts.join(', ')}; ${this.total} in all)`,
      samples,
    };
  }
}

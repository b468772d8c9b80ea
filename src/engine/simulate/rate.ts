/**
 * Token bucket for `--rate`: tokens are events, refilled from the elapsed monotonic time (so timer
 * jitter does not change the average rate), capped at a small burst so a stall is not followed by
 * a flood. The runner publishes whole batches per tick instead of arming one timer per message.
 */
export class TokenBucket {
  private tokens = 0;
  private last: number;
  readonly burst: number;

  /**
   * @param rate events per second
   * @param minBurst the largest single cost that must fit (a task.multi batch holds up to 6 events)
   */
  constructor(
    readonly rate: number,
    nowMs: number,
    minBurst = 8,
  ) {
    if (!(rate > 0)) throw new RangeError(`rate must be > 0, got ${rate}`);
    this.last = nowMs;
    // 20 ms of traffic: enough to ride out timer jitter, small enough to look smooth.
    this.burst = Math.max(minBurst, rate * 0.02);
  }

  private refill(nowMs: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) * this.rate) / 1000);
    this.last = nowMs;
  }

  /** Take `cost` tokens if there are enough. */
  tryTake(cost: number, nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }

  /** Milliseconds until `cost` tokens are available (0 if they are). */
  waitMs(cost: number, nowMs: number): number {
    this.refill(nowMs);
    const missing = Math.min(cost, this.burst) - this.tokens;
    return missing <= 0 ? 0 : (missing * 1000) / this.rate;
  }
}

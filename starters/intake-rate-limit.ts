/**
 * Per-source request budget for the HTTP intake: a token bucket that holds at most `burst` tokens
 * and refills at `perSecond`. One bucket per configured source, so a misbehaving sender never uses
 * up another sender's budget. Kept in memory: a restart refills every bucket, which only ever
 * errs on the side of accepting (the person workflows de-duplicate resent events).
 */

export interface RateLimit {
  /** Sustained requests per second (fractions allowed: 0.2 is one request every 5 s). */
  perSecond: number;
  /** Requests that may arrive at once after a quiet period. */
  burst: number;
}

/** For servers started without one; the config section defaults to the same (directory/config.ts, intake.rateLimit). */
export const DEFAULT_INTAKE_RATE_LIMIT: RateLimit = { perSecond: 10, burst: 50 };

export type RateVerdict = { ok: true } | { ok: false; retryAfterSeconds: number };

export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1)) throw new Error('a rate limit needs perSecond > 0 and burst >= 1');
    this.tokens = limit.burst;
    this.refilledAt = now();
  }

  /** Takes one token if there is one; otherwise says how many whole seconds until there will be. */
  take(): RateVerdict {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    // Whole seconds, rounded up: a sender that waits exactly Retry-After always finds a token.
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / this.limit.perSecond)) };
  }

  private refill(): void {
    const at = this.now();
    const elapsedSeconds = Math.max(0, at - this.refilledAt) / 1000;
    this.tokens = Math.min(this.limit.burst, this.tokens + elapsedSeconds * this.limit.perSecond);
    this.refilledAt = at;
  }
}

/**
 * HubSpot's private-app limits: a rolling window (not fixed buckets: a burst at 9.9 s still counts
 * at 10.1 s) plus a daily quota. Only admitted requests occupy the window, so a client that keeps
 * hammering after a 429 is not punished beyond the limit itself.
 */
export type RateLimitPolicy = 'TEN_SECONDLY_ROLLING' | 'DAILY';

export interface RateLimitDecision {
  allowed: boolean;
  policy?: RateLimitPolicy;
  headers: Record<string, string>;
}

export class RollingWindowLimiter {
  /** Admission times inside the current window, oldest first (a queue with a moving head). */
  private admitted: number[] = [];
  private head = 0;
  private dailyCount = 0;
  private dailyResetAt: number;

  constructor(
    readonly max: number,
    readonly intervalMs: number,
    readonly dailyMax: number,
    private readonly now: () => number = Date.now,
  ) {
    this.dailyResetAt = nextUtcMidnight(this.now());
  }

  /** Remaining requests in the rolling window right now. */
  remaining(): number {
    this.expire(this.now());
    return Math.max(0, this.max - this.inWindow());
  }

  admit(): RateLimitDecision {
    const now = this.now();
    this.expire(now);
    if (now >= this.dailyResetAt) {
      this.dailyCount = 0;
      this.dailyResetAt = nextUtcMidnight(now);
    }
    if (this.dailyCount >= this.dailyMax) return { allowed: false, policy: 'DAILY', headers: this.headers() };
    if (this.inWindow() >= this.max) return { allowed: false, policy: 'TEN_SECONDLY_ROLLING', headers: this.headers() };
    this.admitted.push(now);
    this.dailyCount += 1;
    return { allowed: true, headers: this.headers() };
  }

  private inWindow(): number {
    return this.admitted.length - this.head;
  }

  private expire(now: number): void {
    while (this.head < this.admitted.length && this.admitted[this.head] <= now - this.intervalMs) this.head += 1;
    if (this.head > 4096) {
      this.admitted = this.admitted.slice(this.head);
      this.head = 0;
    }
  }

  private headers(): Record<string, string> {
    return {
      'X-HubSpot-RateLimit-Max': String(this.max),
      'X-HubSpot-RateLimit-Remaining': String(Math.max(0, this.max - this.inWindow())),
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(this.intervalMs),
      'X-HubSpot-RateLimit-Daily': String(this.dailyMax),
      'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, this.dailyMax - this.dailyCount)),
    };
  }
}

function nextUtcMidnight(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

export const RATE_LIMIT_MESSAGES = {
  TEN_SECONDLY_ROLLING: 'You have reached your ten_secondly_rolling limit.',
  DAILY: 'You have reached your daily limit.',
  SECONDLY: 'You have reached your secondly limit.',
} as const;

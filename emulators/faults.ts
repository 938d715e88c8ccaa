/**
 * Runtime fault injection shared by every emulator. Each emulator decides what a fault looks like
 * on its wire (Salesforce 503 / 403 REQUEST_LIMIT_EXCEEDED, HubSpot 429 TEN_SECONDLY_ROLLING, SCIM 429 +
 * Retry-After); this module only decides *whether* the next request gets one, deterministically
 * when a seed is given so reliability tests are repeatable.
 */
export interface FaultSettings {
  /** Added delay before every response, in ms. */
  latencyMs: number;
  /** Share (0..1) of requests answered with a 5xx. */
  serverErrorRate: number;
  /** Share (0..1) of requests answered with the target's rate-limit signal. */
  rateLimitRate: number;
  /** Share (0..1) of requests whose connection is destroyed without an answer. */
  dropRate: number;
  /** Share (0..1) of write requests that are applied and then have their connection dropped (crash after write). */
  dropAfterWriteRate: number;
  /** Exactly the next N requests fail with this fault, before the rates apply. */
  queue: FaultKind[];
}

export type FaultKind = 'serverError' | 'rateLimit' | 'drop' | 'dropAfterWrite';

export const NO_FAULTS: FaultSettings = { latencyMs: 0, serverErrorRate: 0, rateLimitRate: 0, dropRate: 0, dropAfterWriteRate: 0, queue: [] };

export class FaultController {
  private settings: FaultSettings = { ...NO_FAULTS, queue: [] };
  private state: number;
  /** Counters so tests and benchmarks can read what was injected. */
  readonly injected: Record<FaultKind, number> = { serverError: 0, rateLimit: 0, drop: 0, dropAfterWrite: 0 };

  constructor(seed = 0x9e3779b9) {
    this.state = seed >>> 0 || 1;
  }

  set(partial: Partial<FaultSettings>): void {
    this.settings = { ...this.settings, ...partial, queue: [...(partial.queue ?? this.settings.queue)] };
  }

  reset(): void {
    this.settings = { ...NO_FAULTS, queue: [] };
  }

  get current(): Readonly<FaultSettings> {
    return this.settings;
  }

  /** xorshift32: deterministic for a given seed, no shared global randomness. */
  private random(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 0x100000000;
  }

  /** Decides the fault (if any) for the next request. `isWrite` enables dropAfterWrite. */
  next(isWrite: boolean): FaultKind | null {
    // A queued dropAfterWrite waits for the next write instead of being consumed by a read.
    const queued = this.settings.queue[0];
    if (queued && (queued !== 'dropAfterWrite' || isWrite)) {
      this.settings.queue.shift();
      return this.count(queued);
    }
    const s = this.settings;
    if (s.dropRate && this.random() < s.dropRate) return this.count('drop');
    if (s.serverErrorRate && this.random() < s.serverErrorRate) return this.count('serverError');
    if (s.rateLimitRate && this.random() < s.rateLimitRate) return this.count('rateLimit');
    if (isWrite && s.dropAfterWriteRate && this.random() < s.dropAfterWriteRate) return this.count('dropAfterWrite');
    return null;
  }

  async delay(): Promise<void> {
    if (this.settings.latencyMs > 0) await new Promise((r) => setTimeout(r, this.settings.latencyMs));
  }

  private count(kind: FaultKind): FaultKind {
    this.injected[kind] += 1;
    return kind;
  }
}

/**
 * Every emulator also serves `GET/PUT /__emulator/faults` and `GET /__emulator/state` (no auth,
 * loopback only) so the demo and out-of-process tests can inspect state and steer faults at runtime.
 */
export const EMULATOR_ADMIN_PREFIX = '/__emulator';

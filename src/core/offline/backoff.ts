// Exponential backoff for failed syncs: base · factor^(attempt-1), capped, with an optional jitter drawn from
// an injected random source (so a test gets the same delays every run, and many windows retrying against one
// network drive do not all retry in the same second).

/** How long to wait before retry number `attempt` (1 = the first retry). */
export interface BackoffPolicy {
  /** Delay before the first retry, in ms. */
  readonly baseMs: number;
  /** Each further failure multiplies the delay by this. */
  readonly factor: number;
  /** The delay never exceeds this, in ms. */
  readonly capMs: number;
  /** Fraction of the delay taken off at random (0 = none, 0.2 = up to 20 % earlier). Never later than the capped delay. */
  readonly jitter: number;
  /** Source of the jitter, in [0, 1); default none (the jitter is then 0). */
  readonly random?: () => number;
}

/** 5 s, 10 s, 20 s … up to 15 min, no jitter unless a random source is given. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5_000, factor: 2, capMs: 15 * 60_000, jitter: 0.2 };

/** The delay in ms before retry `attempt` (≥ 1) under `policy`. */
export function retryDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const n = Math.max(1, Math.floor(attempt));
  // factor^(n-1) overflows to Infinity long after the cap: Math.min keeps it finite.
  const raw = Math.min(policy.capMs, policy.baseMs * Math.pow(policy.factor, n - 1));
  const r = policy.random ? Math.min(Math.max(policy.random(), 0), 1) : 0;
  return Math.round(raw * (1 - policy.jitter * r));
}

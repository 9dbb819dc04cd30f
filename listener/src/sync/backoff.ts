// Retry delays of the sync: exponential, capped, with jitter so many retries do not fire together. One formula for
// the engine's Salesforce backoff (outages, concurrency limits) and for per-record retries.

/** The cap of every outage and concurrency backoff: syncing resumes within a minute of Salesforce recovering. */
export const BACKOFF_CAP_MS = 60_000;

export interface BackoffOptions {
    /** Delay of the first retry before jitter. Default 500 ms. */
    baseMs?: number;
    /** No delay exceeds this. Default BACKOFF_CAP_MS (60 s). */
    capMs?: number;
    /** A number in [0, 1); Math.random when omitted (tests pass a fixed one). */
    random?: () => number;
}

/**
 * "Equal jitter" exponential backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"): half of
 * min(cap, base × 2^(attempt−1)) plus a random share of the other half, so the delay is never above the cap and never
 * below half of it.
 * @param attempt 1 for the first retry
 * @returns milliseconds to wait
 * @example backoffDelayMs(3, { baseMs: 500, capMs: 60_000 }) // between 1,000 and 2,000
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions = {}): number {
    const baseMs = options.baseMs ?? 500;
    const capMs = options.capMs ?? BACKOFF_CAP_MS;
    const random = options.random ?? Math.random;
    const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
    const ceiling = Math.min(capMs, baseMs * 2 ** exponent);
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

// When a session's next sync pass starts: the adaptive batch window. A pass costs about the same API calls for 1 person
// as for 1,000 (one lookup, one or two writes), so a burst of deliveries is worth waiting for, and a trickle is not:
//
// - the first changes are gathered for a short window (min(batchWindowMs, 100 ms));
// - then, if they arrive slower than BURST_PEOPLE_PER_WINDOW per batchWindowMs (48 a second with the default 250 ms),
//   the pass starts at once: waiting would add latency and save little (changes that arrive during a pass are
//   gathered by the next one anyway);
// - while they arrive faster (a registration wave, a session end), the pass waits until the deliveries have been quiet
//   for batchWindowMs, or a whole pass of people has gathered, or maxBatchWaitMs after the first change;
// - a burst still arriving at maxBatchWaitMs fast enough to fill a whole pass before 2 × maxBatchWaitMs is one wave
//   that outlasts the bound: it is gathered on into that one pass (started once full or quiet, at the latest
//   2 × maxBatchWaitMs after its first change). Cutting it at the bound would cost a second pass — a second lookup
//   and write calls for the rest — and write its last people later, not earlier.

/** Changes folded for one session since its last pass started. Times in ms since epoch. */
export interface PendingBurst {
    /** When the first change not yet taken by a pass was folded. */
    first: number;
    /** When the latest change was folded. */
    last: number;
    /** People whose state changed (a person changed twice counts twice). */
    people: number;
}

export interface BatchWindowSettings {
    /** During a burst: quiet time that ends it (ms). */
    batchWindowMs: number;
    /** Upper bound of the wait after the first change (ms). */
    maxBatchWaitMs: number;
}

/** The short window that gathers the first changes of a quiet session (or batchWindowMs when that is shorter). */
export const SHORT_WINDOW_MS = 100;
/** From this many people changed per batchWindowMs on, a session's changes are a burst worth gathering into one pass. */
export const BURST_PEOPLE_PER_WINDOW = 12;

/**
 * Records changes folded at `now` into the session's pending burst (a new burst when there is none). A burst that so
 * far holds only a change of the session itself (started, ended) says nothing of how fast people arrive: its window
 * starts again with the first person, so the attendance that follows a session end is judged as the wave it is, not
 * as a trickle of one person that arrived early.
 */
export function addToBurst(burst: PendingBurst | undefined, people: number, now: number): PendingBurst {
    if (!burst || (burst.people === 0 && people > 0)) return { first: now, last: now, people };
    return { first: burst.first, last: now, people: burst.people + people };
}

/**
 * Milliseconds until the session's pass may start (0 = now).
 * @param burst the changes gathered since the last pass started; undefined = nothing new (retries, a restart): now
 * @param passSize people one pass takes; once that many changed, waiting gains nothing
 */
export function batchDelay(
    burst: PendingBurst | undefined,
    now: number,
    settings: BatchWindowSettings,
    passSize: number
): number {
    if (!burst || burst.people >= passSize) return 0;
    const shortWindow = Math.min(settings.batchWindowMs, SHORT_WINDOW_MS);
    const deadline = burst.first + Math.max(settings.maxBatchWaitMs, shortWindow);
    const gathered = now - burst.first;
    if (gathered < shortWindow) return Math.max(0, Math.min(burst.first + shortWindow, deadline) - now);
    const perWindow = (burst.people * settings.batchWindowMs) / Math.max(gathered, 1);
    if (perWindow < BURST_PEOPLE_PER_WINDOW) return 0;
    const quietAt = burst.last + settings.batchWindowMs;
    if (now < deadline) return Math.max(0, Math.min(quietAt, deadline) - now);
    // The bound is reached while the burst is still arriving: gather it on if, at its rate so far, a whole pass is
    // full before twice the bound (then the pass starts as soon as it is full, or quiet).
    const extended = burst.first + 2 * Math.max(settings.maxBatchWaitMs, shortWindow);
    const spanMs = burst.last - burst.first;
    if (now >= quietAt || now >= extended || spanMs <= 0) return 0;
    const fullAt = burst.last + ((passSize - burst.people) * spanMs) / burst.people;
    if (fullAt > extended) return 0;
    return Math.max(0, Math.min(quietAt, extended) - now);
}

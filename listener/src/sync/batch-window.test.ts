import { describe, expect, it } from 'vitest';
import { addToBurst, batchDelay } from './batch-window.ts';
import type { PendingBurst } from './batch-window.ts';

const settings = { batchWindowMs: 250, maxBatchWaitMs: 3000 };
const PASS = 1000;

/** Arrivals at `perSecond` from t=0 for `seconds`, folded one by one. */
function arrivals(perSecond: number, seconds: number): PendingBurst {
    let burst: PendingBurst | undefined;
    const count = Math.round(perSecond * seconds);
    for (let index = 0; index < count; index += 1) burst = addToBurst(burst, 1, (index * 1000) / perSecond);
    return burst!;
}

describe('the adaptive batch window', () => {
    it('starts at once when nothing new was folded (a retry, a restart)', () => {
        expect(batchDelay(undefined, 5000, settings, PASS)).toBe(0);
    });

    it('gathers the first changes of a quiet session for a short window only', () => {
        const burst = addToBurst(undefined, 1, 1000);
        expect(batchDelay(burst, 1000, settings, PASS)).toBe(100);
        expect(batchDelay(burst, 1060, settings, PASS)).toBe(40);
        expect(batchDelay(burst, 1100, settings, PASS)).toBe(0);
    });

    it('does not hold a trickle (20 registrations a second) waiting for quiet', () => {
        const burst = arrivals(20, 0.2);
        expect(batchDelay(burst, 200, settings, PASS)).toBe(0);
    });

    it('keeps gathering a wave (500 a second) while it lasts and writes it once quiet', () => {
        const burst = arrivals(500, 1);
        // The last arrival was at 998 ms: the pass waits for 250 ms of quiet.
        expect(batchDelay(burst, 1000, settings, PASS)).toBe(248);
        expect(batchDelay(burst, 1248, settings, PASS)).toBe(0);
    });

    it('starts as soon as a whole pass of people has gathered', () => {
        const burst = arrivals(500, 2);
        expect(burst.people).toBe(1000);
        expect(batchDelay(burst, 2000, settings, PASS)).toBe(0);
    });

    it('never waits longer than maxBatchWaitMs after the first change', () => {
        const burst = arrivals(100, 5);
        expect(batchDelay(burst, 2990, { batchWindowMs: 250, maxBatchWaitMs: 3000 }, PASS)).toBe(10);
        expect(batchDelay(burst, 3000, { batchWindowMs: 250, maxBatchWaitMs: 3000 }, PASS)).toBe(0);
    });

    it('follows a shorter batchWindowMs for the first window', () => {
        const burst = addToBurst(undefined, 1, 0);
        expect(batchDelay(burst, 0, { batchWindowMs: 30, maxBatchWaitMs: 3000 }, PASS)).toBe(30);
    });

    it('a session change without people (the session ended) is not a burst', () => {
        const burst = addToBurst(undefined, 0, 0);
        expect(batchDelay(burst, 100, settings, PASS)).toBe(0);
    });
});

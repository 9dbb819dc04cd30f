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

    it('gathers a wave that outlasts maxBatchWaitMs into one pass when it fills the pass before twice the bound', () => {
        // 1,000 registrations arriving over 4.3 s (≈ 233 a second): 700 have arrived at the 3 s bound.
        const spacing = 4300 / 1000;
        let burst: PendingBurst | undefined;
        for (let index = 0; index < 700; index += 1) burst = addToBurst(burst, 1, index * spacing);
        expect(batchDelay(burst, 3000, settings, PASS)).toBeGreaterThan(0);
        for (let index = 700; index < 999; index += 1) burst = addToBurst(burst, 1, index * spacing);
        expect(batchDelay(burst!, 4300, settings, PASS)).toBeGreaterThan(0);
        // Full: the pass starts at once, with every registration of the wave.
        burst = addToBurst(burst, 1, 4300);
        expect(burst.people).toBe(1000);
        expect(batchDelay(burst, 4300, settings, PASS)).toBe(0);
    });

    it('writes a wave that outlasts the bound once it pauses, even short of a whole pass', () => {
        let burst: PendingBurst | undefined;
        for (let index = 0; index < 900; index += 1) burst = addToBurst(burst, 1, index * 4);
        // Last arrival at 3,596 ms: quiet for batchWindowMs at 3,846 ms.
        expect(batchDelay(burst, 3600, settings, PASS)).toBe(246);
        expect(batchDelay(burst, 3846, settings, PASS)).toBe(0);
    });

    it('starts at the bound a burst too slow to fill a pass before twice the bound', () => {
        // 100 a second: 300 people at 3 s, 1,000 only at 10 s.
        const burst = arrivals(100, 3);
        expect(batchDelay(burst, 3000, settings, PASS)).toBe(0);
    });

    it('never waits longer than twice maxBatchWaitMs after the first change', () => {
        let burst: PendingBurst | undefined;
        for (let index = 0; index < 999; index += 1) burst = addToBurst(burst, 1, index * 5.9);
        // On course to fill the pass at ~5.9 s, still arriving: held until 6 s at the latest.
        expect(batchDelay(burst, 5890, settings, PASS)).toBe(110);
        expect(batchDelay(burst, 6000, settings, PASS)).toBe(0);
    });

    it('follows a shorter batchWindowMs for the first window', () => {
        const burst = addToBurst(undefined, 1, 0);
        expect(batchDelay(burst, 0, { batchWindowMs: 30, maxBatchWaitMs: 3000 }, PASS)).toBe(30);
    });

    it('judges the people after a session change from the first of them, not from the session change', () => {
        // session.ended folded at 0; the first attendance at 90 ms, then a wave from 150 ms on.
        let burst = addToBurst(undefined, 0, 0);
        burst = addToBurst(burst, 1, 90);
        expect(batchDelay(burst, 120, settings, PASS)).toBe(70);
        for (let at = 150; at < 190; at += 2) burst = addToBurst(burst, 1, at);
        // 21 people within 100 ms of the first: a burst, held until quiet.
        expect(batchDelay(burst, 190, settings, PASS)).toBe(248);
    });

    it('a session change without people (the session ended) is not a burst', () => {
        const burst = addToBurst(undefined, 0, 0);
        expect(batchDelay(burst, 100, settings, PASS)).toBe(0);
    });
});

import { describe, expect, it } from 'vitest';
import { BACKOFF_CAP_MS, backoffDelayMs } from './backoff.ts';

describe('backoffDelayMs', () => {
    it('doubles from the base, between half and all of the ceiling', () => {
        expect(backoffDelayMs(1, { baseMs: 500, random: () => 0 })).toBe(250);
        expect(backoffDelayMs(1, { baseMs: 500, random: () => 0.999999 })).toBe(500);
        expect(backoffDelayMs(4, { baseMs: 500, random: () => 0 })).toBe(2000);
        expect(backoffDelayMs(4, { baseMs: 500, random: () => 0.5 })).toBe(3000);
    });

    it('never exceeds the cap, however many attempts (60 s by default)', () => {
        for (const attempt of [10, 20, 100, 10_000]) {
            expect(backoffDelayMs(attempt, { random: () => 0.999999 })).toBeLessThanOrEqual(BACKOFF_CAP_MS);
            expect(backoffDelayMs(attempt, { random: () => 0 })).toBe(BACKOFF_CAP_MS / 2);
        }
        expect(backoffDelayMs(50, { capMs: 200, random: () => 0.999999 })).toBe(200);
    });

    it('spreads retries of the same attempt (jitter)', () => {
        const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(12)));
        expect(delays.size).toBeGreaterThan(10);
    });
});

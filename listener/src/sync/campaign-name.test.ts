import { describe, expect, it } from 'vitest';
import { campaignName, localDate, truncate } from './campaign-name.ts';

describe('campaignName', () => {
    it('uses the session date in the session timezone', () => {
        // 2026-01-21T02:00:00Z is still the 20th in New York.
        const start = Date.UTC(2026, 0, 21, 2, 0, 0) / 1000;
        expect(localDate(start, 'America/New_York')).toBe('2026-01-20');
        expect(localDate(start, 'Europe/Paris')).toBe('2026-01-21');
        expect(
            campaignName({
                template: '{event title} - {YYYY-MM-DD}',
                eventTitle: 'Product demo',
                sessionName: null,
                startUnixSeconds: start,
                timezone: 'America/New_York'
            })
        ).toBe('Product demo - 2026-01-20');
    });

    it('falls back to UTC for an unknown timezone', () => {
        expect(localDate(Date.UTC(2026, 5, 1, 23, 30) / 1000, 'Mars/Olympus')).toBe('2026-06-01');
    });

    it('truncates to 80 characters without splitting a character', () => {
        const title = 'É'.repeat(100);
        const name = campaignName({
            template: '{event title} - {YYYY-MM-DD}',
            eventTitle: title,
            sessionName: null,
            startUnixSeconds: 0,
            timezone: null
        });
        expect(name).toHaveLength(80);
    });

    it('counts UTF-16 code units as Salesforce does and never splits a surrogate pair', () => {
        expect(truncate('ab😀cd', 3)).toBe('ab');
        expect(truncate('ab😀cd', 4)).toBe('ab😀');
        expect(truncate('😀'.repeat(50), 80)).toBe('😀'.repeat(40));
        expect(truncate('😀'.repeat(50), 79)).toBe('😀'.repeat(39));
    });
});

import { describe, expect, it } from 'vitest';
import { placeholderSession } from '../fold/fold-session.ts';
import type { SessionState } from '../store/state.ts';
import { sessionOverAt, setAsideReason } from './past-sessions.ts';

const START = Date.UTC(2026, 10, 29, 12, 0) / 1000;
const session = (changes: Partial<SessionState>): SessionState => ({
    ...placeholderSession('s1', 'e1'),
    createdAt: START - 7 * 86_400,
    ...changes
});

describe('the past-session rule', () => {
    it('judges the end, not the creation: created before the first start but ended after it is synced', () => {
        const ended = session({ status: 'past', startedAt: START + 60, endedAt: START + 3600 });
        expect(setAsideReason(ended, START * 1000, false)).toBeNull();
        const before = session({ status: 'past', startedAt: START - 7200, endedAt: START - 3600 });
        expect(setAsideReason(before, START * 1000, false)).toMatch(
            /^This session ended on 2026-11-29 11:00 UTC, before the listener was first started \(2026-11-29 12:00 UTC\).*backfill/
        );
    });

    it('a session still upcoming or live, or over at an unknown time, is synced', () => {
        expect(setAsideReason(session({ status: 'upcoming' }), START * 1000, false)).toBeNull();
        expect(
            setAsideReason(session({ status: 'live', startedAt: START - 60 }), START * 1000, false)
        ).toBeNull();
        expect(setAsideReason(session({ status: 'past' }), START * 1000, false)).toBeNull();
    });

    it('never started and canceled sessions are over at their schedule and their cancellation', () => {
        const notStarted = session({ status: 'past_not_started', estimatedStartedAt: START - 60 });
        expect(sessionOverAt(notStarted)).toBe(START - 60);
        expect(setAsideReason(notStarted, START * 1000, false)).not.toBeNull();
        const canceled = session({
            status: 'canceled',
            canceledAt: START - 60,
            estimatedStartedAt: START + 60
        });
        expect(setAsideReason(canceled, START * 1000, false)).toMatch(/was canceled/);
    });

    it('for an event enabled later, the enabling is the line', () => {
        const ended = session({ status: 'past', endedAt: START + 60 });
        expect(setAsideReason(ended, (START + 3600) * 1000, true)).toMatch(/before its event was enabled/);
    });
});

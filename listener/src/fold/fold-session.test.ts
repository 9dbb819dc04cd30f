import { describe, expect, it } from 'vitest';
import { sessionAttributesSchema } from '../livestorm/webhook-schema.ts';
import { foldSession, isPlaceholderSession, placeholderSession } from './fold-session.ts';
import { livestormPayload } from '../../test/livestorm-payloads.ts';

const load = (file: string) =>
    sessionAttributesSchema.parse(JSON.parse(livestormPayload(file)).data.attributes);

describe('foldSession', () => {
    it('moves forward through created, started, ended', () => {
        let state = foldSession(undefined, 'session.created', 's1', load('session.created.INFERRED.json'));
        expect(state.status).toBe('upcoming');
        state = foldSession(state, 'session.started', 's1', load('session.started.INFERRED.json'));
        expect(state.status).toBe('live');
        expect(state.startedAt).toBe(1768953720);
        state = foldSession(state, 'session.ended', 's1', load('session.ended.INFERRED.json'));
        expect(state.status).toBe('past');
        expect(state.endedAt).toBe(1768957320);
    });

    it('a late session.created does not move an ended session back', () => {
        const ended = foldSession(undefined, 'session.ended', 's1', load('session.ended.INFERRED.json'));
        const after = foldSession(ended, 'session.created', 's1', load('session.created.INFERRED.json'));
        expect(after.status).toBe('past');
        expect(after.endedAt).toBe(1768957320);
    });

    it('an API refresh reports a reschedule and a cancellation', () => {
        const created = foldSession(
            undefined,
            'session.created',
            's1',
            load('session.created.INFERRED.json')
        );
        const rescheduled = foldSession(created, 'api', 's1', {
            ...load('session.created.INFERRED.json'),
            estimated_started_at: 1769000000,
            updated_at: 1738600000
        });
        expect(rescheduled.estimatedStartedAt).toBe(1769000000);
        const canceled = foldSession(rescheduled, 'api', 's1', {
            ...load('session.created.INFERRED.json'),
            canceled_at: 1738700000,
            status: 'canceled'
        });
        expect(canceled.status).toBe('canceled');
    });

    it('a session known only from a registration is a placeholder until its details arrive', () => {
        const placeholder = placeholderSession('s1', 'e1');
        expect(isPlaceholderSession(placeholder)).toBe(true);
        expect(
            isPlaceholderSession(
                foldSession(placeholder, 'session.created', 's1', load('session.created.INFERRED.json'))
            )
        ).toBe(false);
    });
});

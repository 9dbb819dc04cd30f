// The simulator's webhook bodies must carry the same keys, at every level, as the reference payloads (copied
// into reference-payloads/ with their provenance: where each shape was read, and what is inferred).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LivestormState } from './state.ts';
import { webhookBody } from './webhooks.ts';
import type { JsonApiResource, LivestormWebhookEvent } from './types.ts';

const PAYLOADS = join(import.meta.dirname, 'reference-payloads');

function reference(name: string): unknown {
    const document = JSON.parse(readFileSync(join(PAYLOADS, name), 'utf8')) as Record<string, unknown>;
    delete document._provenance;
    return document;
}

/**
 * Every key path of a JSON value. Arrays contribute the paths of their elements under `[]`; registration form
 * answers are compared on their common keys only (`custom` appears on custom fields alone).
 */
function keyPaths(value: unknown, prefix = ''): string[] {
    if (Array.isArray(value)) return [...new Set(value.flatMap((item) => keyPaths(item, `${prefix}[]`)))];
    if (value === null || typeof value !== 'object') return [];
    return Object.entries(value).flatMap(([key, child]) => {
        const path = prefix ? `${prefix}.${key}` : key;
        return [path, ...keyPaths(child, path)];
    });
}

function sorted(paths: string[]): string[] {
    return [...new Set(paths)].filter((path) => !path.endsWith('fields[].custom')).sort();
}

function world() {
    const state = new LivestormState({ organizationId: '7dd9eceb-0c1c-4372-82f5-d2c76eccf8e1' });
    const event = state.createEvent({ title: 'Product demo', fields: [{ id: 'company', required: true }] });
    const session = state.createSession(event.id, { startsAt: 1_768_953_600 });
    const person = state.register(session.id, {
        email: 'jane.adams@example.com',
        firstName: 'Jane',
        lastName: 'Adams',
        fields: [{ id: 'company', value: 'Acme' }],
        utm: { source: 'linkedin', medium: 'social', campaign: 'q3-webinar' }
    });
    return { state, event, session, person };
}

function body(event: LivestormWebhookEvent, resource: JsonApiResource<object>): unknown {
    return JSON.parse(webhookBody(event, resource, '7dd9eceb-0c1c-4372-82f5-d2c76eccf8e1'));
}

describe('webhook payload shapes', () => {
    it('event.created and event.published carry the reference event keys', () => {
        const { state, event } = world();
        expect(sorted(keyPaths(body('event.created', event)))).toEqual(
            sorted(keyPaths(reference('event.created.INFERRED.json')))
        );
        const published = state.publishEvent(event.id);
        expect(published.attributes.status).toBe('published');
        expect(published.attributes.scheduling_status).toBe('upcoming');
        expect(sorted(keyPaths(body('event.published', published)))).toEqual(
            sorted(keyPaths(reference('event.published.INFERRED.json')))
        );
    });

    it('session.created, session.started and session.ended carry the reference session keys', () => {
        const { state, session, person } = world();
        expect(sorted(keyPaths(body('session.created', session)))).toEqual(
            sorted(keyPaths(reference('session.created.INFERRED.json')))
        );
        const started = state.startSession(session.id, 1_768_953_720);
        expect(started.attributes).toMatchObject({ status: 'live', started_at: 1_768_953_720, ended_at: 0 });
        expect(sorted(keyPaths(body('session.started', started)))).toEqual(
            sorted(keyPaths(reference('session.started.INFERRED.json')))
        );
        const ended = state.endSession(session.id, {
            attendance: { [person.id]: { attended: true, durationSec: 1800 } },
            endedAt: 1_768_957_320
        });
        expect(ended.attributes).toMatchObject({ status: 'past', duration: 3600, attendees_count: 1 });
        expect(sorted(keyPaths(body('session.ended', ended)))).toEqual(
            sorted(keyPaths(reference('session.ended.INFERRED.json')))
        );
    });

    it('people.* carry the reference person keys with the documented values', () => {
        const { state, session, person } = world();
        expect(sorted(keyPaths(body('people.registered', person)))).toEqual(
            sorted(keyPaths(reference('people.registered.INFERRED.json')))
        );
        state.startSession(session.id, 1_768_953_720);
        state.endSession(session.id, {
            attendance: {
                [person.id]: { attended: true, durationSec: 2712, messages: 3, questions: 1, votes: 2 }
            },
            endedAt: 1_768_957_320
        });
        const attended = state.getPerson(person.id, session.id);
        expect(attended.attributes).toMatchObject({ messages_count: 3, questions_count: 1, votes_count: 2 });
        expect(attended.attributes.registrant_detail).toMatchObject({
            attended: true,
            attendance_duration: 2712,
            attendance_rate: 75.33
        });
        expect(sorted(keyPaths(body('people.attended', attended)))).toEqual(
            sorted(keyPaths(reference('people.attended.INFERRED.json')))
        );

        const replay = state.watchReplay(session.id, person.id, 1_768_960_000);
        expect(replay.attributes.replay_view_detail).toEqual({ watched_at: 1_768_960_000 });
        expect(replay.attributes.registrant_detail.has_viewed_replay).toBe(true);
        expect(sorted(keyPaths(body('people.watched_replay', replay)))).toEqual(
            sorted(keyPaths(reference('people.watched_replay.INFERRED.json')))
        );
    });

    it('a no-show has no rate, zero duration and the reference not_attended keys', () => {
        const { state, session, person } = world();
        state.startSession(session.id);
        state.endSession(session.id, { attendance: {} });
        const noShow = state.getPerson(person.id, session.id);
        expect(noShow.attributes.registrant_detail).toMatchObject({
            attended: false,
            attendance_rate: null,
            attendance_duration: 0
        });
        expect(sorted(keyPaths(body('people.not_attended', noShow)))).toEqual(
            sorted(keyPaths(reference('people.not_attended.INFERRED.json')))
        );
    });

    it('a placeholder registrant looks like the sourced API response: generated address, real one in custom_email', () => {
        const { state, session } = world();
        const person = state.register(session.id, {
            email: 'Jane.Adams@Example.com',
            firstName: 'Jane',
            lastName: 'Adams',
            placeholderEmail: true
        });
        expect(person.attributes.email).toMatch(/^\d+\+[0-9a-f-]{36}@unknown\.livestorm\.co$/);
        expect(person.attributes.registrant_detail.fields).toEqual([
            { id: 'first_name', type: 'text', value: 'Jane', required: true },
            { id: 'last_name', type: 'text', value: 'Adams', required: true },
            {
                id: 'custom_email',
                type: 'text',
                value: 'jane.adams@example.com',
                required: true,
                custom: true
            }
        ]);
        const sourced = reference('api_POST_sessions_id_people_response.SOURCED.json') as {
            data: { attributes: Record<string, unknown> };
        };
        // The sourced response predates `session_role`; every key it has, we have.
        const ours = new Set(keyPaths(person.attributes));
        for (const path of keyPaths(sourced.data.attributes)) expect(ours, path).toContain(path);
        expect(person.attributes.registrant_detail.connection_link).toBe(
            `https://app.livestorm.co/p/${person.attributes.registrant_detail.event_id}/live?email=` +
                `${encodeURIComponent(person.attributes.email)}&key=${person.attributes.registrant_detail.password_key}` +
                `&s=${session.id}`
        );
    });

    it('the same person registered to two sessions keeps one id and one registration per session', () => {
        const { state, event, session, person } = world();
        const second = state.createSession(event.id, { startsAt: 1_769_000_000 });
        const again = state.register(second.id, { email: 'JANE.ADAMS@example.com', firstName: 'Jane' });
        expect(again.id).toBe(person.id);
        expect(again.attributes.registrant_detail.session_id).toBe(second.id);
        expect(state.getPerson(person.id, session.id).attributes.registrant_detail.session_id).toBe(
            session.id
        );
        expect(state.register(second.id, { email: 'jane.adams@example.com' }).id).toBe(person.id);
        expect(state.getSession(second.id).attributes.registrants_count).toBe(1);
    });
});

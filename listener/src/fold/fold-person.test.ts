import { describe, expect, it } from 'vitest';
import { personAttributesSchema } from '../livestorm/webhook-schema.ts';
import type { PersonAttributes } from '../livestorm/webhook-schema.ts';
import { foldPerson } from './fold-person.ts';
import type { PersonEventName } from './fold-person.ts';
import type { PersonState } from '../store/state.ts';
import { livestormPayload } from '../../test/livestorm-payloads.ts';

function attributes(file: string, patch: (raw: Record<string, any>) => void = () => {}): PersonAttributes {
    const raw = JSON.parse(livestormPayload(file)).data.attributes;
    patch(raw);
    return personAttributesSchema.parse(raw);
}
const registered = () => attributes('people.registered.INFERRED.json');
const attended = () => attributes('people.attended.INFERRED.json');
const notAttended = () => attributes('people.not_attended.INFERRED.json');
const replay = () => attributes('people.watched_replay.INFERRED.json');

function foldAll(events: [PersonEventName, PersonAttributes][]): PersonState {
    let state: PersonState | undefined;
    for (const [event, attrs] of events) state = foldPerson(state, event, 'person-1', attrs);
    return state!;
}

describe('foldPerson', () => {
    it('a registration gives the registered state with the registration fields', () => {
        const state = foldAll([['people.registered', registered()]]);
        expect(state.attendance).toBe('registered');
        expect(state.sessionId).toBe('0abbcb51-4a95-46d7-9879-fd141986a3a8');
        expect(state.email).toBe('jane.adams@example.com');
        expect(state.replayWatched).toBe(false);
    });

    const placeholder = '1720628126+528d3ec6-b983-4353-bcbf-eddb1566d013@unknown.livestorm.co';
    it('takes the address from the first email field when the email is a Livestorm placeholder', () => {
        const attrs = attributes('people.registered.INFERRED.json', (raw) => {
            raw.email = placeholder;
            raw.registrant_detail.fields[0].value = placeholder;
            raw.registrant_detail.fields.push({
                id: 'custom_email',
                type: 'email',
                value: 'Real.Person@Example.com',
                required: true,
                custom: true
            });
        });
        const state = foldPerson(undefined, 'people.registered', 'p', attrs);
        expect(state.email).toBe('Real.Person@Example.com');
        expect(state.emailProblem).toBeNull();
    });

    it('records a visible problem when no usable email exists', () => {
        const attrs = attributes('people.registered.INFERRED.json', (raw) => {
            raw.email = placeholder;
            raw.registrant_detail.fields[0].value = placeholder;
        });
        const state = foldPerson(undefined, 'people.registered', 'p', attrs);
        expect(state.email).toBeNull();
        expect(state.emailProblem).toMatch(/placeholder/);
    });

    it('attended survives a late registration and a late not_attended (status never goes backwards)', () => {
        const orders: [PersonEventName, PersonAttributes][][] = [
            [
                ['people.registered', registered()],
                ['people.attended', attended()]
            ],
            [
                ['people.attended', attended()],
                ['people.registered', registered()]
            ],
            [
                ['people.attended', attended()],
                ['people.not_attended', notAttended()],
                ['people.registered', registered()]
            ],
            [
                ['people.registered', registered()],
                ['people.attended', attended()],
                ['people.attended', attended()],
                ['people.registered', registered()]
            ]
        ];
        for (const order of orders) {
            const state = foldAll(order);
            expect(state.attendance).toBe('attended');
            expect(state.engagement).toMatchObject({
                durationSeconds: 2712,
                ratePercent: 87,
                messages: 3,
                questions: 1,
                votes: 2
            });
        }
    });

    it('converges to the same state whatever the order of the same deliveries', () => {
        const deliveries: [PersonEventName, PersonAttributes][] = [
            ['people.registered', registered()],
            ['people.attended', attended()],
            ['people.watched_replay', replay()]
        ];
        const reference = JSON.stringify(foldAll(deliveries));
        const permutations = [
            [2, 1, 0],
            [1, 0, 2],
            [0, 2, 1],
            [2, 0, 1, 0, 2]
        ];
        for (const order of permutations)
            expect(JSON.stringify(foldAll(order.map((index) => deliveries[index]!)))).toBe(reference);
    });

    it('a replay sets the replay flag without changing attendance', () => {
        const state = foldAll([
            ['people.registered', registered()],
            ['people.watched_replay', replay()]
        ]);
        expect(state.attendance).toBe('registered');
        expect(state.replayWatched).toBe(true);
        expect(state.replayWatchedAt).toBe(1720700000);
    });

    it('keeps UTM values and join link', () => {
        const state = foldAll([['people.attended', attended()]]);
        expect(state.utm).toMatchObject({ source: 'linkedin', medium: 'social', campaign: 'q3-webinar' });
        expect(state.joinLink).toContain('https://app.livestorm.co/p/');
        expect(state.fields.company).toBe('Acme');
    });
});

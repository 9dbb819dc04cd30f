// Every delivery three times, in shuffled order, with a restart of the listener in the middle: exactly one Lead per
// registrant, one member of the one Campaign, and the status the attendance says.
import { afterAll, describe, expect, it } from 'vitest';
import { webhookBody } from '../emulators/livestorm/webhooks.ts';
import { exactlyOnce, hoursFromNow, report, scaled, startRig } from './harness.ts';
import type { Rig } from './harness.ts';

const PEOPLE = scaled(30, 120);

let rig: Rig | undefined;
afterAll(async () => {
    await rig?.close();
}, 60_000);

/** Fisher–Yates with a seeded generator (mulberry32). */
function shuffle<T>(items: T[], seed: number): T[] {
    let state = seed >>> 0;
    const random = () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const out = [...items];
    for (let index = out.length - 1; index > 0; index--) {
        const other = Math.floor(random() * (index + 1));
        [out[index], out[other]] = [out[other]!, out[index]!];
    }
    return out;
}

describe('every delivery three times, shuffled, across a restart', () => {
    it('one Lead, one member and the right status per registrant', async () => {
        rig = await startRig();
        const current = rig;
        await current.start();
        const { simulator } = current;
        const event = simulator.state.createEvent({ title: 'Three times' });
        const session = simulator.state.createSession(event.id, { startsAt: hoursFromNow(1) });
        const bodies: string[] = [
            webhookBody('event.created', event),
            webhookBody('session.created', session)
        ];
        const people = Array.from({ length: PEOPLE }, (_, index) =>
            simulator.state.register(session.id, {
                firstName: 'Three',
                lastName: `${index}`,
                email: `three.${index}@example.com`
            })
        );
        for (const person of people) bodies.push(webhookBody('people.registered', person));
        simulator.state.startSession(session.id);
        bodies.push(webhookBody('session.started', simulator.state.getSession(session.id)));
        const attendance = Object.fromEntries(
            people.map((person, index) => [person.id, { attended: index % 4 !== 0 }])
        );
        const ended = simulator.state.endSession(session.id, { attendance });
        bodies.push(webhookBody('session.ended', ended));
        for (const person of people) {
            const updated = simulator.state.getPerson(person.id, session.id);
            bodies.push(
                webhookBody(
                    attendance[person.id]!.attended ? 'people.attended' : 'people.not_attended',
                    updated
                )
            );
        }
        const deliveries = shuffle([...bodies, ...bodies, ...bodies], 3);
        const post = async (body: string) => {
            const response = await fetch(current.webhookUrl(), {
                method: 'POST',
                headers: { 'Content-Type': 'application/json' },
                body
            });
            await response.text();
            expect(response.status).toBe(202);
        };
        const half = Math.floor(deliveries.length / 2);
        for (const body of deliveries.slice(0, half)) await post(body);
        await current.start(); // a graceful restart in the middle
        for (const body of deliveries.slice(half)) await post(body);

        const emails = people.map((person) => person.attributes.email);
        const status = (email: string) => {
            const index = emails.indexOf(email);
            return index % 4 !== 0 ? 'Attended' : 'Did not attend';
        };
        await expect
            .poll(() => exactlyOnce(current.emulator, session.id, emails, status), {
                timeout: 120_000,
                interval: 250
            })
            .toEqual({ lost: 0, duplicates: 0, wrongStatus: 0, campaigns: 1 });
        report('three times, shuffled, across a restart', {
            deliveries: deliveries.length,
            distinct: bodies.length,
            registrants: PEOPLE,
            restarts: 1,
            lost: 0,
            duplicates: 0,
            'wrong statuses': 0
        });
    });
});

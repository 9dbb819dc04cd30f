import { afterEach, describe, expect, it } from 'vitest';
import { startLivestormSimulator, type LivestormSimulator } from './index.ts';
import { startWebhookReceiver, type WebhookReceiver } from './receiver.ts';
import { createWebhookSender } from './webhooks.ts';
import { playWebinar, type WebinarPhase } from './scenarios.ts';
import type { PersonAttributes } from './types.ts';

let simulator: LivestormSimulator | undefined;
let receiver: WebhookReceiver | undefined;

afterEach(async () => {
    await simulator?.close();
    await receiver?.close();
    simulator = undefined;
    receiver = undefined;
});

interface Delivered {
    event: string;
    id: string;
    type: string;
    attributes: Record<string, unknown>;
}

function delivered(target: WebhookReceiver): Delivered[] {
    return target.received.map((delivery) => {
        const { data } = JSON.parse(delivery.body);
        return { event: data.meta.webhook.event, id: data.id, type: data.type, attributes: data.attributes };
    });
}

describe('playWebinar', () => {
    it('delivers a whole live webinar consistent with its summary and with the REST API', async () => {
        simulator = await startLivestormSimulator();
        receiver = await startWebhookReceiver();
        const sender = createWebhookSender({
            url: receiver.url,
            seed: 3,
            duplicateRate: 0.1,
            reorderWindow: 6
        });
        const phases: Array<{ phase: WebinarPhase; deliveries: number }> = [];
        const summary = await playWebinar({
            simulator,
            sender,
            registrants: 60,
            existingEmails: ['known.contact@example.com', 'known.lead@example.com'],
            attendRate: 0.5,
            replayRate: 0.5,
            unicodeNames: true,
            missingFields: true,
            placeholderRate: 0.1,
            teamMembers: 2,
            seed: 5,
            onPhase: async (phase) => void phases.push({ phase, deliveries: receiver?.received.length ?? 0 })
        });

        expect(phases.map((entry) => entry.phase)).toEqual([
            'event',
            'published',
            'registered',
            'started',
            'ended',
            'replay'
        ]);
        // Each phase is fully delivered before onPhase runs.
        expect(phases.at(-1)?.deliveries).toBe(receiver.received.length);

        const all = delivered(receiver);
        const unique = new Map(all.map((delivery) => [`${delivery.event}:${delivery.id}`, delivery]));
        const idsOf = (event: string) =>
            new Set(
                [...unique.values()]
                    .filter((delivery) => delivery.event === event)
                    .map((delivery) => delivery.id)
            );

        expect(all.length).toBe(unique.size + sender.stats().duplicates);
        expect(sender.stats().duplicates).toBeGreaterThan(0);
        expect(Object.values(summary.deliveries).reduce((sum, count) => sum + count, 0)).toBe(all.length);

        expect(idsOf('event.created')).toEqual(new Set([summary.eventId]));
        expect(idsOf('event.published')).toEqual(new Set([summary.eventId]));
        expect(idsOf('session.created')).toEqual(new Set([summary.sessionId]));
        expect(idsOf('session.started')).toEqual(new Set([summary.sessionId]));
        expect(idsOf('session.ended')).toEqual(new Set([summary.sessionId]));

        expect(summary.people).toHaveLength(62);
        expect(summary.people.filter((person) => person.role === 'team_member')).toHaveLength(2);
        expect(idsOf('people.registered')).toEqual(new Set(summary.people.map((person) => person.id)));
        const attended = summary.people.filter((person) => person.attended);
        expect(idsOf('people.attended')).toEqual(new Set(attended.map((person) => person.id)));
        expect(idsOf('people.not_attended')).toEqual(
            new Set(summary.people.filter((person) => !person.attended).map((person) => person.id))
        );
        expect(idsOf('people.watched_replay')).toEqual(
            new Set(summary.people.filter((person) => person.replay).map((person) => person.id))
        );
        expect(attended.length).toBeGreaterThan(15);
        expect(summary.people.some((person) => person.replay)).toBe(true);

        expect(summary.people.slice(0, 2).map((person) => person.email)).toEqual([
            'known.contact@example.com',
            'known.lead@example.com'
        ]);

        // Variety the listener must cope with.
        const registered = [...unique.values()]
            .filter((delivery) => delivery.event === 'people.registered')
            .map((delivery) => delivery.attributes as unknown as PersonAttributes);
        const placeholders = registered.filter((person) => person.email.endsWith('@unknown.livestorm.co'));
        expect(placeholders.length).toBeGreaterThan(0);
        for (const person of placeholders) {
            const customEmail = person.registrant_detail.fields.find((field) => field.id === 'custom_email');
            const played = summary.people.find((candidate) => candidate.livestormEmail === person.email);
            expect(customEmail?.value).toBe(played?.email);
        }
        expect(registered.some((person) => person.last_name === null)).toBe(true);
        expect(
            registered.some(
                (person) => !person.registrant_detail.fields.some((field) => field.id === 'company')
            )
        ).toBe(true);
        expect(
            registered.some((person) => /[^\p{ASCII}]/u.test(`${person.first_name}${person.last_name}`))
        ).toBe(true);
        expect(registered.some((person) => person.registrant_detail.utm_source !== null)).toBe(true);
        expect(registered.filter((person) => person.role === 'team_member')).toHaveLength(2);

        // Engagement figures in people.attended match what the API serves after the session.
        const response = await fetch(
            `${simulator.apiUrl}/sessions/${summary.sessionId}/people?page[size]=100`,
            {
                headers: { Authorization: simulator.token }
            }
        );
        const served = (await response.json()) as {
            data: Array<{ id: string; attributes: PersonAttributes }>;
        };
        for (const delivery of [...unique.values()].filter(
            (candidate) => candidate.event === 'people.attended'
        )) {
            const person = served.data.find((candidate) => candidate.id === delivery.id);
            const sent = delivery.attributes as unknown as PersonAttributes;
            expect(sent.registrant_detail.attended).toBe(true);
            expect(sent.registrant_detail.attendance_duration).toBeGreaterThan(0);
            expect(person?.attributes.registrant_detail.attendance_duration).toBe(
                sent.registrant_detail.attendance_duration
            );
            expect(person?.attributes.messages_count).toBe(sent.messages_count);
        }
        const sessionDoc = await fetch(`${simulator.apiUrl}/sessions/${summary.sessionId}`, {
            headers: { Authorization: simulator.token }
        });
        const sessionBody = (await sessionDoc.json()) as { data: { attributes: Record<string, unknown> } };
        expect(sessionBody.data.attributes).toMatchObject({
            status: 'past',
            registrants_count: 62,
            attendees_count: attended.length
        });
    });

    it('plays the same webinar for the same seed', async () => {
        const run = async () => {
            const sim = await startLivestormSimulator();
            const target = await startWebhookReceiver();
            try {
                const summary = await playWebinar({
                    simulator: sim,
                    sender: createWebhookSender({ url: target.url, seed: 9, reorderWindow: 4 }),
                    registrants: 20,
                    seed: 9
                });
                return summary.people.map(({ email, attended, replay }) => ({ email, attended, replay }));
            } finally {
                await sim.close();
                await target.close();
            }
        };
        expect(await run()).toEqual(await run());
    });

    it('an on-demand webinar has no live session: registrations, then replays', async () => {
        simulator = await startLivestormSimulator();
        receiver = await startWebhookReceiver();
        const summary = await playWebinar({
            simulator,
            sender: createWebhookSender({ url: receiver.url }),
            registrants: 10,
            replayRate: 1,
            onDemand: true,
            title: 'Recorded masterclass'
        });
        const events = delivered(receiver).map((delivery) => delivery.event);
        expect(events).not.toContain('session.started');
        expect(events).not.toContain('people.attended');
        expect(events.filter((event) => event === 'people.watched_replay')).toHaveLength(10);
        const published = delivered(receiver).find((delivery) => delivery.event === 'event.published');
        expect(published?.attributes).toMatchObject({
            title: 'Recorded masterclass',
            scheduling_status: 'on_demand'
        });
        expect(simulator.state.getSession(summary.sessionId).attributes.status).toBe('on_demand');
    });
});

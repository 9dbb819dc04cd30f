// The seed's own 8-step test protocol ("Protocole de test – Inscription depuis Livestorm"), end to end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../support/stack.ts';
import { checkAndClose } from '../support/invariant.ts';
import type { Stack } from '../support/stack.ts';
import { campaignOf, hoursFromNow, leadsByEmail, memberByEmail, statusesOf } from '../support/org.ts';
import { localDate } from '../../listener/src/sync/campaign-name.ts';

describe('the seed test protocol', () => {
    let stack: Stack;
    beforeAll(async () => {
        stack = await startStack();
    });
    afterAll(async () => {
        // The protocol ends with the invariant: no person silently stuck.
        await checkAndClose(stack);
    });

    it('test protocol: registration from Livestorm → Campaign, Lead, member Registered → Attended / Did not attend with mapped fields', async () => {
        const { simulator, sender, engine } = stack;
        // 1. The integration is enabled (the listener runs). 2. A new event with a new session, required form fields.
        const startsAt = hoursFromNow(48);
        const event = simulator.state.createEvent({
            title: 'Test Salesforce',
            fields: [{ id: 'company', required: true }]
        });
        await sender.deliver('event.created', event);
        const session = simulator.state.createSession(event.id, { startsAt, timezone: 'Europe/Paris' });
        await sender.deliver('session.created', session);
        await engine.whenIdle();

        // 3. A Campaign named after the event appears, linked to the session.
        const campaign = campaignOf(stack, session.id);
        expect(campaign.Name).toBe(`Test Salesforce - ${localDate(startsAt, 'Europe/Paris')}`);
        expect(campaign.StartDate).toBe(localDate(startsAt, 'Europe/Paris'));
        expect(campaign.Livestorm_Event_Id__c).toBe(event.id);
        expect(
            statusesOf(stack, String(campaign.Id)).map((row) => [row.Label, row.IsDefault, row.HasResponded])
        ).toEqual([
            ['Registered', true, false],
            ['Attended', false, true],
            ['Did not attend', false, false]
        ]);

        // 4. Registration with a test e-mail nobody uses. 5. A new Lead is created and added as member.
        const person = simulator.state.register(session.id, {
            firstName: 'Test',
            lastName: 'Person',
            email: 'protocol.test@example.org',
            fields: [{ id: 'company', value: 'Protocol Inc', custom: true }]
        });
        const noShow = simulator.state.register(session.id, {
            firstName: 'No',
            lastName: 'Show',
            email: 'no.show@example.org',
            fields: [{ id: 'company', value: 'Absent Ltd', custom: true }]
        });
        await sender.deliver('people.registered', person);
        await sender.deliver('people.registered', noShow);
        await engine.whenIdle();
        const [lead] = leadsByEmail(stack, 'protocol.test@example.org');
        expect(lead).toMatchObject({ FirstName: 'Test', LastName: 'Person', Company: 'Protocol Inc' });

        // 6. Its Status is "Registered". The session runs; one attends, one does not.
        expect(memberByEmail(stack, String(campaign.Id), 'protocol.test@example.org')?.Status).toBe(
            'Registered'
        );
        await sender.deliver('session.started', simulator.state.startSession(session.id));
        simulator.state.endSession(session.id, {
            attendance: {
                [person.id]: {
                    attended: true,
                    durationSec: 1800,
                    rate: 50,
                    messages: 4,
                    questions: 2,
                    votes: 1
                },
                [noShow.id]: { attended: false }
            }
        });
        await sender.deliver('session.ended', simulator.state.getSession(session.id));
        await sender.deliver('people.attended', simulator.state.getPerson(person.id, session.id));
        await sender.deliver('people.not_attended', simulator.state.getPerson(noShow.id, session.id));
        await engine.whenIdle();

        // 7. "Attended" / "Did not attend". 8. The mapped engagement fields are set.
        const attended = memberByEmail(stack, String(campaign.Id), 'protocol.test@example.org');
        expect(attended).toMatchObject({
            Status: 'Attended',
            Livestorm_Attendance_Duration__c: 1800,
            Livestorm_Attendance_Rate__c: 50,
            Livestorm_Messages_Count__c: 4,
            Livestorm_Questions_Count__c: 2,
            Livestorm_Votes_Count__c: 1
        });
        expect(memberByEmail(stack, String(campaign.Id), 'no.show@example.org')?.Status).toBe(
            'Did not attend'
        );
        const updated = campaignOf(stack, session.id);
        expect(updated).toMatchObject({
            Livestorm_Registrants__c: 2,
            Livestorm_Attendees__c: 1,
            Livestorm_No_Shows__c: 1
        });
    });
});

// Records that die or move under the listener — a Lead deleted, merged by an admin, converted — and one person
// registered twice under e-mails that differ only in letter case: the member always ends on the right record with the
// status it should have, with no duplicate Lead or member and no Campaign recreated by mistake.
import { afterEach, describe, expect, it } from 'vitest';
import type { PersonResource } from '../emulators/livestorm/types.ts';
import { startStack } from '../support/stack.ts';
import { checkAndClose } from '../support/invariant.ts';
import type { Stack } from '../support/stack.ts';
import {
    campaignOf,
    campaignsOf,
    contactsByEmail,
    hoursFromNow,
    leadsByEmail,
    membersOf
} from '../support/org.ts';

let stack: Stack | undefined;
afterEach(async () => {
    // Every scenario ends with the invariant: no person silently stuck.
    await checkAndClose(stack);
    stack = undefined;
});

/** A session with its Campaign and one registrant synced as a new Lead. */
async function registeredAsNewLead(current: Stack, email: string) {
    const event = current.simulator.state.createEvent({ title: 'Moving records' });
    const session = current.simulator.state.createSession(event.id, { startsAt: hoursFromNow(2) });
    await current.sender.deliver('session.created', session);
    const person = current.simulator.state.register(session.id, {
        firstName: 'Robin',
        lastName: 'Mover',
        email
    });
    await current.sender.deliver('people.registered', person);
    await current.engine.whenIdle();
    const campaign = campaignOf(current, session.id);
    const [lead] = leadsByEmail(current, email);
    expect(lead).toBeDefined();
    expect(membersOf(current, String(campaign.Id))).toHaveLength(1);
    return { event, session, person, campaignId: String(campaign.Id), leadId: String(lead!.Id) };
}

/** The session ends with this person attending; their `people.attended` webhook arrives. */
async function attends(current: Stack, sessionId: string, personId: string) {
    current.simulator.state.startSession(sessionId);
    current.simulator.state.endSession(sessionId, {
        attendance: { [personId]: { attended: true, durationSec: 1200 } }
    });
    await current.sender.deliver('people.attended', current.simulator.state.getPerson(personId, sessionId));
    await current.engine.whenIdle();
}

async function noFailureLeft(current: Stack) {
    expect(await current.store.listFailures(10)).toEqual([]);
    expect(await current.store.dirtySessionIds(Number.MAX_SAFE_INTEGER)).toEqual([]);
}

describe('records that die or move under us', () => {
    it('(a) the Lead is deleted and a Contact has the address: the member goes on the Contact, the Campaign stays', async () => {
        stack = await startStack();
        const { session, person, campaignId, leadId } = await registeredAsNewLead(stack, 'robin@example.com');
        const accountId = stack.emulator.inspect.insert('Account', { Name: 'Contact Co' });
        const contactId = stack.emulator.inspect.insert('Contact', {
            LastName: 'Mover',
            Email: 'Robin@Example.com',
            AccountId: accountId
        });
        // Deleting the Lead deletes its CampaignMember with it.
        stack.emulator.inspect.delete('Lead', leadId);
        expect(membersOf(stack, campaignId)).toHaveLength(0);

        await attends(stack, session.id, person.id);
        expect(campaignsOf(stack, session.id).map((row) => row.Id)).toEqual([campaignId]);
        const members = membersOf(stack, campaignId);
        expect(members).toHaveLength(1);
        expect(members[0]).toMatchObject({ ContactId: contactId, Status: 'Attended' });
        expect(leadsByEmail(stack, 'robin@example.com')).toHaveLength(0);
        const [row] = await stack.store.getPeople(session.id, [person.id]);
        expect(row).toMatchObject({ sfObject: 'Contact', sfId: contactId, failure: null });
        await noFailureLeft(stack);
        const log = await stack.store.listSyncLog(50);
        expect(log.some((entry) => entry.kind === 'campaign-recreated')).toBe(false);
    });

    it('(a′) the Lead is deleted and purged from the recycle bin, no other record: a new Lead, one member', async () => {
        stack = await startStack();
        const { session, person, campaignId, leadId } = await registeredAsNewLead(stack, 'gone@example.com');
        stack.emulator.inspect.delete('Lead', leadId);
        stack.emulator.inspect.purge('Lead', leadId);
        await attends(stack, session.id, person.id);
        const [lead] = leadsByEmail(stack, 'gone@example.com');
        expect(lead!.Id).not.toBe(leadId);
        expect(membersOf(stack, campaignId)).toEqual([
            expect.objectContaining({ LeadId: lead!.Id, Status: 'Attended' })
        ]);
        expect(campaignOf(stack, session.id).Id).toBe(campaignId);
        await noFailureLeft(stack);
    });

    it('(b) an admin merges the new Lead into an older one with another address: the master’s member says Attended', async () => {
        stack = await startStack();
        const masterId = stack.emulator.inspect.insert('Lead', {
            LastName: 'Mover',
            Company: 'Older Co',
            Email: 'robin.old@example.com'
        });
        const { event, session, person, campaignId, leadId } = await registeredAsNewLead(
            stack,
            'robin.new@example.com'
        );
        stack.emulator.inspect.merge('Lead', masterId, [leadId]);
        await attends(stack, session.id, person.id);
        expect(membersOf(stack, campaignId)).toEqual([
            expect.objectContaining({ LeadId: masterId, Status: 'Attended' })
        ]);
        expect(stack.emulator.inspect.records('Lead').map((row) => row.Id)).toEqual([masterId]);
        await noFailureLeft(stack);

        // The same person registers to another session of the event: still the master, no new Lead.
        const next = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(48) });
        await stack.sender.deliver('session.created', next);
        await stack.sender.deliver(
            'people.registered',
            stack.simulator.state.register(next.id, {
                firstName: 'Robin',
                lastName: 'Mover',
                email: 'robin.new@example.com'
            })
        );
        await stack.engine.whenIdle();
        expect(membersOf(stack, String(campaignOf(stack, next.id).Id))).toEqual([
            expect.objectContaining({ LeadId: masterId, Status: 'Registered' })
        ]);
        expect(stack.emulator.inspect.records('Lead')).toHaveLength(1);
        await noFailureLeft(stack);
    });

    it('(b′) merged into a master that is already a member: its member is updated, no second member', async () => {
        stack = await startStack();
        const masterId = stack.emulator.inspect.insert('Lead', {
            LastName: 'Mover',
            Company: 'Older Co',
            Email: 'robin.old@example.com'
        });
        const { session, person, campaignId, leadId } = await registeredAsNewLead(
            stack,
            'robin.two@example.com'
        );
        // A marketer had added the older Lead to the Campaign by hand; the merge drops the loser's membership.
        stack.emulator.inspect.insert('CampaignMember', { CampaignId: campaignId, LeadId: masterId });
        stack.emulator.inspect.merge('Lead', masterId, [leadId]);
        expect(membersOf(stack, campaignId)).toHaveLength(1);
        await attends(stack, session.id, person.id);
        expect(membersOf(stack, campaignId)).toEqual([
            expect.objectContaining({ LeadId: masterId, Status: 'Attended' })
        ]);
        await noFailureLeft(stack);
    });

    it('(c) the Lead is converted: the Contact’s member says Attended', async () => {
        stack = await startStack();
        const { session, person, campaignId, leadId } = await registeredAsNewLead(
            stack,
            'convert@example.com'
        );
        const { contactId } = stack.emulator.inspect.convertLead(leadId);
        await attends(stack, session.id, person.id);
        expect(membersOf(stack, campaignId)).toEqual([
            expect.objectContaining({ ContactId: contactId, Status: 'Attended' })
        ]);
        expect(contactsByEmail(stack, 'convert@example.com')).toHaveLength(1);
        expect(leadsByEmail(stack, 'convert@example.com')).toHaveLength(1);
        await noFailureLeft(stack);
    });

    it('(d) the Campaign really is deleted: it is recreated and the member restored with its status', async () => {
        stack = await startStack();
        const { session, person, campaignId } = await registeredAsNewLead(stack, 'campaign.gone@example.com');
        stack.emulator.inspect.delete('Campaign', campaignId);
        await attends(stack, session.id, person.id);
        const recreated = campaignOf(stack, session.id);
        expect(recreated.Id).not.toBe(campaignId);
        expect(membersOf(stack, String(recreated.Id))).toEqual([
            expect.objectContaining({ Status: 'Attended' })
        ]);
        expect(leadsByEmail(stack, 'campaign.gone@example.com')).toHaveLength(1);
        await noFailureLeft(stack);
    });
});

/** The same registration as another Livestorm registrant whose address differs only in letter case. */
function sameAddressOtherCase(resource: PersonResource, id: string, email: string): PersonResource {
    const copy = structuredClone(resource);
    copy.id = id;
    copy.attributes.email = email;
    for (const field of copy.attributes.registrant_detail.fields)
        if (field.id === 'email') field.value = email;
    return copy;
}

describe('one e-mail twice', () => {
    it('two registrants whose e-mails differ in letter case: one Lead, one member, the higher attendance wins', async () => {
        stack = await startStack();
        const event = stack.simulator.state.createEvent({ title: 'Twice' });
        const session = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(3) });
        await stack.sender.deliver('session.created', session);
        const lower = stack.simulator.state.register(session.id, {
            firstName: 'Sam',
            lastName: 'Twice',
            email: 'sam.twice@example.com'
        });
        const upper = sameAddressOtherCase(lower, 'person-sam-upper', ' Sam.Twice@Example.com ');
        // Both in one batch.
        await Promise.all([
            stack.sender.deliver('people.registered', upper),
            stack.sender.deliver('people.registered', lower)
        ]);
        await stack.engine.whenIdle();
        const campaignId = String(campaignOf(stack, session.id).Id);
        expect(leadsByEmail(stack, 'sam.twice@example.com')).toHaveLength(1);
        expect(membersOf(stack, campaignId)).toHaveLength(1);

        // The upper-case registrant attends; the lower-case one is a no-show, reported later on its own.
        stack.simulator.state.startSession(session.id);
        stack.simulator.state.endSession(session.id, { attendance: {} });
        const attended = sameAddressOtherCase(lower, upper.id, 'Sam.Twice@Example.com');
        attended.attributes.registrant_detail.attended = true;
        attended.attributes.registrant_detail.attendance_duration = 900;
        await stack.sender.deliver('people.attended', attended);
        await stack.engine.whenIdle();
        expect(membersOf(stack, campaignId)).toEqual([expect.objectContaining({ Status: 'Attended' })]);
        await stack.sender.deliver(
            'people.not_attended',
            stack.simulator.state.getPerson(lower.id, session.id)
        );
        await stack.engine.whenIdle();
        expect(membersOf(stack, campaignId)).toEqual([expect.objectContaining({ Status: 'Attended' })]);
        expect(leadsByEmail(stack, 'sam.twice@example.com')).toHaveLength(1);

        // Across sessions: the other case in another session finds the same Lead.
        const other = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(30) });
        await stack.sender.deliver('session.created', other);
        await stack.sender.deliver(
            'people.registered',
            sameAddressOtherCase(
                stack.simulator.state.register(other.id, {
                    firstName: 'Sam',
                    lastName: 'Twice',
                    email: 'sam.twice@example.com'
                }),
                'person-sam-upper',
                'SAM.TWICE@example.com'
            )
        );
        await stack.engine.whenIdle();
        expect(leadsByEmail(stack, 'sam.twice@example.com')).toHaveLength(1);
        expect(membersOf(stack, String(campaignOf(stack, other.id).Id))).toHaveLength(1);
        await noFailureLeft(stack);
    });
});

// Person resolution and CampaignMember state, end to end: Contacts before Leads, converted Leads, enrichment,
// fallbacks, odd addresses and names, team members, replays, and a status that never goes backwards.
import { afterEach, describe, expect, it } from 'vitest';
import { startStack } from '../support/stack.ts';
import { checkAndClose } from '../support/invariant.ts';
import type { Stack } from '../support/stack.ts';
import {
    campaignOf,
    contactsByEmail,
    hoursFromNow,
    leadsByEmail,
    memberByEmail,
    membersOf
} from '../support/org.ts';

let stack: Stack | undefined;
afterEach(async () => {
    // Every scenario ends with the invariant: no person silently stuck.
    await checkAndClose(stack);
    stack = undefined;
});

async function sessionWithCampaign(current: Stack, title = 'People webinar', onDemand = false) {
    const event = current.simulator.state.createEvent({
        title,
        onDemand,
        fields: [{ id: 'company' }, { id: 'job_title' }]
    });
    await current.sender.deliver('event.created', event);
    const session = current.simulator.state.createSession(event.id, {
        startsAt: hoursFromNow(24),
        status: onDemand ? 'on_demand' : undefined
    });
    await current.sender.deliver('session.created', session);
    await current.engine.whenIdle();
    return { event, session, campaignId: String(campaignOf(current, session.id).Id) };
}

describe('person resolution', () => {
    it('uses an existing Contact, else an unconverted Lead, else the Contact of a converted Lead, else creates a Lead', async () => {
        stack = await startStack();
        const { inspect } = stack.emulator;
        const accountId = inspect.insert('Account', { Name: 'Existing Co' });
        const contactId = inspect.insert('Contact', {
            LastName: 'Contact',
            Email: 'contact@example.com',
            AccountId: accountId
        });
        inspect.insert('Lead', { LastName: 'Shadow', Company: 'Shadow', Email: 'CONTACT@example.com' });
        const leadId = inspect.insert('Lead', {
            LastName: 'Lead',
            Company: 'Lead Co',
            Email: 'lead@example.com'
        });
        const convertedId = inspect.insert('Lead', {
            LastName: 'Converted',
            Company: 'Conv Co',
            Email: 'converted@example.com'
        });
        const converted = inspect.convertLead(convertedId);
        const { session, campaignId } = await sessionWithCampaign(stack);
        for (const email of [
            'Contact@Example.com',
            'lead@example.com',
            'converted@example.com',
            'new.person@example.com'
        ]) {
            await stack.sender.deliver(
                'people.registered',
                stack.simulator.state.register(session.id, {
                    firstName: 'Pat',
                    lastName: 'Doe',
                    email,
                    fields: [{ id: 'company', value: 'Given Co', custom: true }]
                })
            );
        }
        await stack.engine.whenIdle();
        const members = membersOf(stack, campaignId);
        expect(members).toHaveLength(4);
        expect(members.find((member) => member.ContactId === contactId)?.Status).toBe('Registered');
        expect(members.find((member) => member.LeadId === leadId)?.Status).toBe('Registered');
        expect(members.some((member) => member.ContactId === converted.contactId)).toBe(true);
        expect(leadsByEmail(stack, 'new.person@example.com')).toHaveLength(1);
        expect(leadsByEmail(stack, 'contact@example.com')).toHaveLength(1);
        expect(leadsByEmail(stack, 'converted@example.com')).toHaveLength(1);
    });

    it('enriches existing records only where fields are empty (fill), and never touches a converted Lead', async () => {
        stack = await startStack();
        const leadId = stack.emulator.inspect.insert('Lead', {
            LastName: 'Known',
            Company: 'Kept Company',
            Email: 'known@example.com'
        });
        const { session } = await sessionWithCampaign(stack);
        await stack.sender.deliver(
            'people.registered',
            stack.simulator.state.register(session.id, {
                firstName: 'Kim',
                lastName: 'Known',
                email: 'known@example.com',
                fields: [
                    { id: 'company', value: 'Other Company', custom: true },
                    { id: 'job_title', value: 'CTO', custom: true }
                ]
            })
        );
        await stack.engine.whenIdle();
        const lead = stack.emulator.inspect
            .records('Lead')
            .find((row: Record<string, unknown>) => row.Id === leadId)!;
        expect(lead).toMatchObject({ FirstName: 'Kim', Title: 'CTO', Company: 'Kept Company' });
    });

    it('overwrites when the mapping says so', async () => {
        stack = await startStack({
            settings: {
                mapping: {
                    lead: [
                        { from: 'company', to: 'Company', mode: 'overwrite' },
                        { from: 'last_name', to: 'LastName' }
                    ]
                }
            }
        });
        const leadId = stack.emulator.inspect.insert('Lead', {
            LastName: 'Known',
            Company: 'Old Company',
            Email: 'over@example.com'
        });
        const { session } = await sessionWithCampaign(stack);
        await stack.sender.deliver(
            'people.registered',
            stack.simulator.state.register(session.id, {
                firstName: 'O',
                lastName: 'Ver',
                email: 'over@example.com',
                fields: [{ id: 'company', value: 'New Company', custom: true }]
            })
        );
        await stack.engine.whenIdle();
        expect(
            stack.emulator.inspect.records('Lead').find((row: Record<string, unknown>) => row.Id === leadId)
        ).toMatchObject({ Company: 'New Company', LastName: 'Known' });
    });

    it('creates Contacts under a company Account when the option is on', async () => {
        stack = await startStack({ settings: { createContacts: true } });
        const { session, campaignId } = await sessionWithCampaign(stack);
        await stack.sender.deliver(
            'people.registered',
            stack.simulator.state.register(session.id, {
                firstName: 'Cy',
                lastName: 'Contact',
                email: 'cy@example.com',
                fields: [{ id: 'company', value: 'Fresh Corp', custom: true }]
            })
        );
        await stack.sender.deliver(
            'people.registered',
            stack.simulator.state.register(session.id, {
                firstName: 'Di',
                lastName: 'Contact',
                email: 'di@example.com',
                fields: [{ id: 'company', value: 'Fresh Corp', custom: true }]
            })
        );
        await stack.engine.whenIdle();
        const [cy] = contactsByEmail(stack, 'cy@example.com');
        const [di] = contactsByEmail(stack, 'di@example.com');
        const accounts = stack.emulator.inspect
            .records('Account')
            .filter((row: Record<string, unknown>) => row.Name === 'Fresh Corp');
        expect(accounts).toHaveLength(1);
        expect(cy?.AccountId).toBe(accounts[0]!.Id);
        expect(di?.AccountId).toBe(accounts[0]!.Id);
        expect(leadsByEmail(stack, 'cy@example.com')).toHaveLength(0);
        expect(membersOf(stack, campaignId)).toHaveLength(2);
    });

    it('handles an apostrophe e-mail, a unicode name, missing last name and company (fallbacks)', async () => {
        stack = await startStack();
        const { session, campaignId } = await sessionWithCampaign(stack);
        await stack.sender.deliver(
            'people.registered',
            stack.simulator.state.register(session.id, {
                firstName: 'Seán',
                lastName: "O'Brien",
                email: "o'brien@example.com"
            })
        );
        await stack.sender.deliver(
            'people.registered',
            stack.simulator.state.register(session.id, {
                firstName: '李',
                lastName: '小龍 😀',
                email: 'unicode@example.com'
            })
        );
        await stack.sender.deliver(
            'people.registered',
            stack.simulator.state.register(session.id, {
                firstName: 'Only',
                lastName: null,
                email: 'only.first@example.com'
            })
        );
        await stack.engine.whenIdle();
        expect(leadsByEmail(stack, "o'brien@example.com")[0]).toMatchObject({
            LastName: "O'Brien",
            FirstName: 'Seán'
        });
        expect(leadsByEmail(stack, 'unicode@example.com')[0]).toMatchObject({
            FirstName: '李',
            LastName: '小龍 😀'
        });
        expect(leadsByEmail(stack, 'only.first@example.com')[0]).toMatchObject({
            LastName: '[not provided]',
            Company: '[not provided]'
        });
        expect(membersOf(stack, campaignId)).toHaveLength(3);
        // A second registration of the apostrophe address finds the Lead again (escaped SOQL), no duplicate.
        const second = await sessionWithCampaign(stack, 'Second webinar');
        await stack.sender.deliver(
            'people.registered',
            stack.simulator.state.register(second.session.id, {
                firstName: 'Seán',
                lastName: "O'Brien",
                email: "O'Brien@Example.com"
            })
        );
        await stack.engine.whenIdle();
        expect(leadsByEmail(stack, "o'brien@example.com")).toHaveLength(1);
        expect(memberByEmail(stack, second.campaignId, "o'brien@example.com")?.Status).toBe('Registered');
    });

    it('a Livestorm placeholder address is replaced by the e-mail registration field; a fixed Account takes new Contacts', async () => {
        let accountId = '';
        stack = await startStack({
            settings: (org) => {
                accountId = org.inspect.insert('Account', { Name: 'Inbound registrations' });
                return { createContacts: true, contactAccount: { strategy: 'fixed', accountId } };
            }
        });
        const { session, campaignId } = await sessionWithCampaign(stack);
        await stack.sender.deliver(
            'people.registered',
            stack.simulator.state.register(session.id, {
                firstName: 'Hidden',
                lastName: 'Address',
                email: 'real.address@example.com',
                placeholderEmail: true
            })
        );
        await stack.engine.whenIdle();
        const [contact] = contactsByEmail(stack, 'real.address@example.com');
        expect(contact?.AccountId).toBe(accountId);
        expect(memberByEmail(stack, campaignId, 'real.address@example.com')?.Status).toBe('Registered');
    });

    it('keeps a registrant with no usable e-mail as a visible failure, and does not sync team members', async () => {
        stack = await startStack();
        const { session, campaignId } = await sessionWithCampaign(stack);
        const registration = stack.simulator.state.register(session.id, {
            firstName: 'No',
            lastName: 'Mail',
            email: 'x@unknown.livestorm.co'
        });
        await stack.sender.deliver('people.registered', registration);
        await stack.sender.deliver(
            'people.registered',
            stack.simulator.state.register(session.id, {
                firstName: 'Host',
                lastName: 'Team',
                email: 'host@example.com',
                role: 'team_member'
            })
        );
        await stack.engine.whenIdle();
        expect(membersOf(stack, campaignId)).toHaveLength(0);
        const failures = await stack.store.listFailures(10);
        expect(failures).toHaveLength(1);
        expect(failures[0]!.failure?.code).toBe('NO_USABLE_EMAIL');
        expect(leadsByEmail(stack, 'host@example.com')).toHaveLength(0);
    });

    it('replays set the replay status without changing Status: live vs on-demand values', async () => {
        stack = await startStack();
        const live = await sessionWithCampaign(stack, 'Live one');
        const person = stack.simulator.state.register(live.session.id, {
            firstName: 'Re',
            lastName: 'Play',
            email: 'replay@example.com'
        });
        await stack.sender.deliver('people.registered', person);
        await stack.sender.deliver(
            'people.watched_replay',
            stack.simulator.state.watchReplay(live.session.id, person.id)
        );
        const onDemand = await sessionWithCampaign(stack, 'On demand one', true);
        const viewer = stack.simulator.state.register(onDemand.session.id, {
            firstName: 'On',
            lastName: 'Demand',
            email: 'ondemand@example.com'
        });
        await stack.sender.deliver(
            'people.watched_replay',
            stack.simulator.state.watchReplay(onDemand.session.id, viewer.id)
        );
        await stack.engine.whenIdle();
        expect(memberByEmail(stack, live.campaignId, 'replay@example.com')).toMatchObject({
            Status: 'Registered',
            Livestorm_Replay_Status__c: 'Has watched replay'
        });
        expect(memberByEmail(stack, onDemand.campaignId, 'ondemand@example.com')).toMatchObject({
            Status: 'Registered',
            Livestorm_Replay_Status__c: 'Has watched on-demand'
        });
        expect(campaignOf(stack, onDemand.session.id).Livestorm_Event_Type__c).toBe('On-demand');
    });

    it('an attended delivery before its registration, duplicates ×3 and shuffled order give the right member', async () => {
        stack = await startStack();
        const { session, campaignId } = await sessionWithCampaign(stack);
        const people = Array.from({ length: 12 }, (_, index) =>
            stack!.simulator.state.register(session.id, {
                firstName: `P${index}`,
                lastName: 'Order',
                email: `order${index}@example.com`
            })
        );
        const registered = people.map((person) => stack!.simulator.state.getPerson(person.id, session.id));
        stack.simulator.state.startSession(session.id);
        stack.simulator.state.endSession(session.id, {
            attendance: Object.fromEntries(
                people.map((person, index) => [
                    person.id,
                    { attended: index % 2 === 0, durationSec: 600 + index }
                ])
            )
        });
        const deliveries: [string, unknown][] = [];
        people.forEach((person, index) => {
            const final = stack!.simulator.state.getPerson(person.id, session.id);
            for (let copy = 0; copy < 3; copy += 1) {
                deliveries.push(['people.registered', registered[index]]);
                deliveries.push([index % 2 === 0 ? 'people.attended' : 'people.not_attended', final]);
            }
        });
        // Deterministic shuffle: attended before registered for many, duplicates interleaved.
        deliveries.sort(
            (a, b) => ((JSON.stringify(a).length * 7919) % 13) - ((JSON.stringify(b).length * 7919) % 13)
        );
        deliveries.reverse();
        await Promise.all(
            deliveries.map(([name, resource]) => stack!.sender.deliver(name as never, resource as never))
        );
        await stack.engine.whenIdle();
        const members = membersOf(stack, campaignId);
        expect(members).toHaveLength(12);
        people.forEach((_, index) => {
            expect(leadsByEmail(stack!, `order${index}@example.com`)).toHaveLength(1);
            expect(memberByEmail(stack!, campaignId, `order${index}@example.com`)).toMatchObject({
                Status: index % 2 === 0 ? 'Attended' : 'Did not attend',
                Livestorm_Attendance_Duration__c: index % 2 === 0 ? 600 + index : expect.anything()
            });
        });
        // A late registration after the end changes nothing.
        await stack.sender.deliver('people.registered', registered[0]!);
        await stack.engine.whenIdle();
        expect(memberByEmail(stack, campaignId, 'order0@example.com')?.Status).toBe('Attended');
    });
});

// State and Country/Territory Picklists (on in most production orgs): Livestorm's free-text country reaches the org's
// country codes, states are matched against the org's own list, and a value the org does not list is left out with a
// warning on the person — the record is always created and the person always reaches the Campaign.
import { afterEach, describe, expect, it } from 'vitest';
import { startStack } from '../support/stack.ts';
import { checkAndClose } from '../support/invariant.ts';
import type { Stack } from '../support/stack.ts';
import { campaignOf, contactsByEmail, hoursFromNow, leadsByEmail, memberByEmail } from '../support/org.ts';

let stack: Stack | undefined;
afterEach(async () => {
    // Every scenario ends with the invariant: no person silently stuck.
    await checkAndClose(stack);
    stack = undefined;
});

const DEFAULT_LEAD_MAPPING = [
    { from: 'first_name', to: 'FirstName' },
    { from: 'last_name', to: 'LastName' },
    { from: 'email', to: 'Email' },
    { from: 'company', to: 'Company' },
    { from: 'job_title', to: 'Title' },
    { from: 'country', to: 'Country' }
];

async function webinar(current: Stack) {
    const event = current.simulator.state.createEvent({
        title: 'Worldwide webinar',
        fields: [{ id: 'country' }, { id: 'state' }, { id: 'industry' }]
    });
    await current.sender.deliver('event.created', event);
    const session = current.simulator.state.createSession(event.id, { startsAt: hoursFromNow(24) });
    await current.sender.deliver('session.created', session);
    await current.engine.whenIdle();
    return { session, campaignId: String(campaignOf(current, session.id).Id) };
}

async function register(
    current: Stack,
    sessionId: string,
    email: string,
    fields: Record<string, string>
): Promise<string> {
    const person = current.simulator.state.register(sessionId, {
        firstName: 'Geo',
        lastName: email.split('@')[0],
        email,
        fields: Object.entries(fields).map(([id, value]) => ({ id, value, custom: true }))
    });
    await current.sender.deliver('people.registered', person);
    return person.id;
}

async function warningsOf(current: Stack, sessionId: string, personId: string): Promise<string[]> {
    const [row] = await current.store.getPeople(sessionId, [personId]);
    return row?.warnings ?? [];
}

describe('State and Country/Territory Picklists', () => {
    it('USA, Deutschland, France and FR all reach the Campaign with the right CountryCode; Atlantis is left out with a warning', async () => {
        stack = await startStack({ salesforce: { addressPicklists: true } });
        const { session, campaignId } = await webinar(stack);
        const countries: [string, string, string | null][] = [
            ['usa@example.com', 'USA', 'US'],
            ['deutschland@example.com', 'Deutschland', 'DE'],
            ['france@example.com', 'France', 'FR'],
            ['fr@example.com', 'FR', 'FR'],
            ['allemagne@example.com', 'Allemagne', 'DE'],
            ['atlantis@example.com', 'Atlantis', null]
        ];
        const ids = new Map<string, string>();
        for (const [email, country] of countries)
            ids.set(email, await register(stack, session.id, email, { country }));
        await stack.engine.whenIdle();
        for (const [email, , code] of countries) {
            const [lead] = leadsByEmail(stack, email);
            expect(lead?.CountryCode ?? null, email).toBe(code);
            expect(memberByEmail(stack, campaignId, email)?.Status, email).toBe('Registered');
        }
        expect(leadsByEmail(stack, 'usa@example.com')[0]?.Country).toBe('United States');
        expect(await warningsOf(stack, session.id, ids.get('usa@example.com')!)).toEqual([]);
        const warnings = await warningsOf(stack, session.id, ids.get('atlantis@example.com')!);
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(/Country: "Atlantis" was left out because the org's country picklist/);
    });

    it('fills an existing Contact’s empty mailing country with its code; states only from the org’s list for that country', async () => {
        stack = await startStack({
            salesforce: { addressPicklists: true },
            settings: {
                mapping: {
                    lead: [...DEFAULT_LEAD_MAPPING, { from: 'field:state', to: 'State' }],
                    contact: [
                        { from: 'email', to: 'Email' },
                        { from: 'country', to: 'MailingCountry' },
                        { from: 'field:state', to: 'MailingState' }
                    ]
                }
            }
        });
        const contactId = stack.emulator.inspect.insert('Contact', {
            LastName: 'Known',
            Email: 'known@example.com'
        });
        const { session, campaignId } = await webinar(stack);
        await register(stack, session.id, 'known@example.com', { country: 'Canada', state: 'quebec' });
        const ca = await register(stack, session.id, 'california@example.com', {
            country: 'United States of America',
            state: 'California'
        });
        const bavaria = await register(stack, session.id, 'bavaria@example.com', {
            country: 'USA',
            state: 'Bavaria'
        });
        await stack.engine.whenIdle();
        const [contact] = contactsByEmail(stack, 'known@example.com');
        expect(contact?.Id).toBe(contactId);
        expect([contact?.MailingCountryCode, contact?.MailingStateCode]).toEqual(['CA', 'QC']);
        expect(leadsByEmail(stack, 'california@example.com')[0]?.StateCode).toBe('CA');
        const [lead] = leadsByEmail(stack, 'bavaria@example.com');
        expect([lead?.CountryCode, lead?.StateCode ?? null]).toEqual(['US', null]);
        expect(memberByEmail(stack, campaignId, 'bavaria@example.com')).toBeDefined();
        expect(await warningsOf(stack, session.id, ca)).toEqual([]);
        expect(await warningsOf(stack, session.id, bavaria)).toEqual([
            'Lead State/Province: "Bavaria" was left out because the org lists no such state for US.'
        ]);
    });

    it('a value a restricted picklist does not list is left out with a warning, never blocking the record', async () => {
        stack = await startStack({
            salesforce: {
                extraFields: {
                    Lead: [
                        {
                            name: 'Segment__c',
                            type: 'picklist',
                            picklistValues: ['Enterprise', 'Mid-market'],
                            restricted: true
                        }
                    ]
                }
            },
            settings: {
                mapping: { lead: [...DEFAULT_LEAD_MAPPING, { from: 'field:industry', to: 'Segment__c' }] }
            }
        });
        const { session, campaignId } = await webinar(stack);
        await register(stack, session.id, 'listed@example.com', { industry: 'enterprise' });
        const unlisted = await register(stack, session.id, 'unlisted@example.com', { industry: 'Aerospace' });
        await stack.engine.whenIdle();
        expect(leadsByEmail(stack, 'listed@example.com')[0]?.Segment__c).toBe('Enterprise');
        expect(leadsByEmail(stack, 'unlisted@example.com')[0]?.Segment__c).toBeNull();
        expect(memberByEmail(stack, campaignId, 'unlisted@example.com')?.Status).toBe('Registered');
        expect(await warningsOf(stack, session.id, unlisted)).toEqual([
            'Lead Segment: "Aerospace" was left out because it is not one of the values the org allows for this picklist.'
        ]);
    });
});

// Lead assignment rules (Sforce-Auto-Assign) and State and Country/Territory Picklists, as org options.
import { Buffer } from 'node:buffer';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestOrg } from './test-helpers.ts';
import { closeTestOrgs, seedCampaign, seedLead, startTestOrg, V } from './test-helpers.ts';
import { validForBits } from './address-picklists.ts';

afterEach(closeTestOrgs);

const rules = [
    { name: 'Route to inside sales', active: true, queue: 'Inside Sales' },
    { name: 'Route to partners', active: false, queue: 'Partner Desk' }
];

function queueId(org: TestOrg, name: string): string {
    return String(org.inspect.records('Group').find((group) => group.Name === name)?.Id);
}

function ownerOf(org: TestOrg, leadId: string): unknown {
    return org.inspect.records('Lead').find((lead) => lead.Id === leadId)?.OwnerId;
}

async function createLead(org: TestOrg, headers: Record<string, string> = {}): Promise<string> {
    const answer = await org.call(
        'POST',
        `${V}/sobjects/Lead`,
        { LastName: 'Hopper', Company: 'Navy' },
        headers
    );
    expect(answer.status).toBe(201);
    return String(answer.body.id);
}

describe('Lead assignment rules', () => {
    it('lists the rules as AssignmentRule records and refuses two active rules', async () => {
        const org = await startTestOrg({ assignmentRules: rules });
        const answer = await org.query(
            "SELECT Id, Name, SobjectType, Active FROM AssignmentRule WHERE SobjectType = 'Lead' ORDER BY Name"
        );
        expect(
            answer.body.records.map((rule: { Name: string; Active: boolean }) => [rule.Name, rule.Active])
        ).toEqual([
            ['Route to inside sales', true],
            ['Route to partners', false]
        ]);
        expect(answer.body.records[0].Id).toMatch(/^01Q/);
        const create = await org.call('POST', `${V}/sobjects/AssignmentRule`, { Name: 'x' });
        expect(create.body[0].errorCode).toBe('INVALID_TYPE_FOR_OPERATION');
        await expect(
            startTestOrg({ assignmentRules: rules.map((rule) => ({ ...rule, active: true })) })
        ).rejects.toThrow(/only one/);
    });

    it('applies the active rule on create and on update unless the request says FALSE', async () => {
        const org = await startTestOrg({ assignmentRules: rules });
        const insideSales = queueId(org, 'Inside Sales');
        expect(ownerOf(org, await createLead(org))).toBe(insideSales);
        expect(ownerOf(org, await createLead(org, { 'Sforce-Auto-Assign': 'TRUE' }))).toBe(insideSales);
        const kept = await createLead(org, { 'Sforce-Auto-Assign': 'false' });
        expect(String(ownerOf(org, kept))).toMatch(/^005/);

        const rep = org.inspect.insert('User', {
            Username: 'rep@example.com',
            Email: 'rep@example.com',
            LastName: 'Rep'
        });
        const owned = seedLead(org, { OwnerId: rep });
        await org.call(
            'PATCH',
            `${V}/sobjects/Lead/${owned}`,
            { Title: 'CTO' },
            { 'Sforce-Auto-Assign': 'FALSE' }
        );
        expect(ownerOf(org, owned)).toBe(rep);
        // No header: REST defaults to TRUE, and the active rule takes the Lead from its owner.
        await org.call('PATCH', `${V}/sobjects/Lead/${owned}`, { Title: 'CEO' });
        expect(ownerOf(org, owned)).toBe(insideSales);
    });

    it('applies a given rule (active or not) to created Leads only; a malformed or unknown Id fails the record', async () => {
        const org = await startTestOrg({ assignmentRules: rules });
        const partnerRule = String(org.inspect.records('AssignmentRule').find((rule) => !rule.Active)?.Id);
        const partnerDesk = queueId(org, 'Partner Desk');
        expect(ownerOf(org, await createLead(org, { 'Sforce-Auto-Assign': partnerRule.slice(0, 15) }))).toBe(
            partnerDesk
        );
        const existing = seedLead(org);
        const before = ownerOf(org, existing);
        await org.call(
            'PATCH',
            `${V}/sobjects/Lead/${existing}`,
            { Title: 'VP' },
            { 'Sforce-Auto-Assign': partnerRule }
        );
        expect(ownerOf(org, existing)).toBe(before);
        const malformed = await org.call(
            'POST',
            `${V}/sobjects/Lead`,
            { LastName: 'X', Company: 'Y' },
            { 'Sforce-Auto-Assign': 'sometimes' }
        );
        expect(malformed.body[0].errorCode).toBe('MALFORMED_ID');
        const unknown = await org.call(
            'POST',
            `${V}/sobjects/Lead`,
            { LastName: 'X', Company: 'Y' },
            { 'Sforce-Auto-Assign': '01Qxx0000000999' }
        );
        expect(unknown.body[0].errorCode).toBe('INVALID_CROSS_REFERENCE_KEY');
    });

    it('honours the header per composite subrequest and per sObject Collections request, not from the outer request', async () => {
        const org = await startTestOrg({ assignmentRules: rules });
        const insideSales = queueId(org, 'Inside Sales');
        const a = seedLead(org);
        const b = seedLead(org);
        const c = seedLead(org);
        const original = ownerOf(org, a);
        const answer = await org.call(
            'POST',
            `${V}/composite`,
            {
                compositeRequest: [
                    {
                        method: 'PATCH',
                        url: `${V}/composite/sobjects`,
                        referenceId: 'kept',
                        httpHeaders: { 'Sforce-Auto-Assign': 'FALSE' },
                        body: { records: [{ attributes: { type: 'Lead' }, Id: a, Title: 'A' }] }
                    },
                    {
                        method: 'PATCH',
                        url: `${V}/sobjects/Lead/${b}`,
                        referenceId: 'assigned',
                        body: { Title: 'B' }
                    },
                    {
                        method: 'POST',
                        url: `${V}/composite/sobjects`,
                        referenceId: 'created',
                        httpHeaders: { 'Sforce-Auto-Assign': 'FALSE' },
                        body: { records: [{ attributes: { type: 'Lead' }, LastName: 'N', Company: 'C' }] }
                    }
                ]
            },
            { 'Sforce-Auto-Assign': 'FALSE' }
        );
        const [kept, assigned, created] = answer.body.compositeResponse;
        expect([kept.httpStatusCode, assigned.httpStatusCode, created.httpStatusCode]).toEqual([
            200, 204, 200
        ]);
        expect(ownerOf(org, a)).toBe(original);
        expect(ownerOf(org, b)).toBe(insideSales);
        expect(String(ownerOf(org, created.body[0].id))).toMatch(/^005/);
        const direct = await org.call(
            'PATCH',
            `${V}/composite/sobjects`,
            { records: [{ attributes: { type: 'Lead' }, Id: c, Title: 'C' }] },
            { 'Sforce-Auto-Assign': 'FALSE' }
        );
        expect(direct.body[0].success).toBe(true);
        expect(ownerOf(org, c)).toBe(original);
    });

    it('reassigns a Lead updated by a flow that a Campaign Member write fires, unless the write says FALSE', async () => {
        const org = await startTestOrg({
            assignmentRules: rules,
            flows: { campaignMemberUpdatesLead: true }
        });
        const campaignId = seedCampaign(org);
        const kept = seedLead(org);
        const taken = seedLead(org);
        const original = ownerOf(org, kept);
        await org.call(
            'POST',
            `${V}/sobjects/CampaignMember`,
            { CampaignId: campaignId, LeadId: kept },
            { 'Sforce-Auto-Assign': 'FALSE' }
        );
        const member = await org.call(
            'POST',
            `${V}/sobjects/CampaignMember`,
            { CampaignId: campaignId, LeadId: taken },
            { 'Sforce-Auto-Assign': 'FALSE' }
        );
        expect(ownerOf(org, kept)).toBe(original);
        expect(ownerOf(org, taken)).toBe(original);
        // The same flow on update: a member write without the header takes the Lead from its owner.
        await org.call('PATCH', `${V}/sobjects/CampaignMember/${member.body.id}`, { Status: 'Responded' });
        expect(ownerOf(org, taken)).toBe(queueId(org, 'Inside Sales'));
    });

    it('leaves owners alone when the org has no assignment rule', async () => {
        const org = await startTestOrg();
        expect(String(ownerOf(org, await createLead(org)))).toMatch(/^005/);
    });
});

describe('State and Country/Territory Picklists', () => {
    const describeField = async (org: TestOrg, object: string, name: string) => {
        const answer = await org.call('GET', `${V}/sobjects/${object}/describe`);
        return answer.body.fields.find((field: { name: string }) => field.name === name);
    };

    it('describes the code fields as picklists of ISO codes, states depending on their country through validFor', async () => {
        const org = await startTestOrg({ addressPicklists: { stateCountries: ['US', 'AU', 'DE'] } });
        const country = await describeField(org, 'Lead', 'CountryCode');
        expect(country.type).toBe('picklist');
        const values = country.picklistValues as { value: string; label: string }[];
        expect(values.find((entry) => entry.value === 'DE')?.label).toBe('Germany');
        expect(values.find((entry) => entry.value === 'US')?.label).toBe('United States');
        const state = await describeField(org, 'Contact', 'MailingStateCode');
        expect(state.controllerName).toBe('MailingCountryCode');
        expect(state.dependentPicklist).toBe(true);
        // "WA" is a state of the United States and of Australia: one entry each, valid for its own country.
        const wa = (state.picklistValues as { value: string; label: string; validFor: string }[]).filter(
            (entry) => entry.value === 'WA'
        );
        expect(wa.map((entry) => entry.label).sort()).toEqual(['Washington', 'Western Australia']);
        const usIndex = values.findIndex((entry) => entry.value === 'US');
        const washington = wa.find((entry) => entry.label === 'Washington')!;
        const bits = Buffer.from(washington.validFor, 'base64');
        expect((bits[usIndex >> 3]! & (0x80 >> (usIndex & 7))) !== 0).toBe(true);
        expect(validForBits([0], 3)).toBe('gA==');
        expect(await describeField(org, 'Account', 'BillingCountryCode')).toBeDefined();
        const plain = await startTestOrg();
        expect(await describeField(plain, 'Lead', 'CountryCode')).toBeUndefined();
    });

    it('keeps codes and integration values in sync and refuses anything else with FIELD_INTEGRITY_EXCEPTION', async () => {
        const org = await startTestOrg({ addressPicklists: true });
        const create = (body: Record<string, unknown>) =>
            org.call('POST', `${V}/sobjects/Lead`, { LastName: 'L', Company: 'C', ...body });
        const read = async (id: string) =>
            (await org.call('GET', `${V}/sobjects/Lead/${id}?fields=Country,CountryCode,State,StateCode`))
                .body;

        const byCode = await create({ CountryCode: 'us', StateCode: 'CA' });
        expect(byCode.status).toBe(201);
        expect(await read(byCode.body.id)).toMatchObject({
            CountryCode: 'US',
            Country: 'United States',
            StateCode: 'CA',
            State: 'California'
        });
        const byName = await create({ Country: 'Germany' });
        expect(await read(byName.body.id)).toMatchObject({ CountryCode: 'DE' });

        for (const [body, field] of [
            [{ Country: 'USA' }, 'Country'],
            [{ CountryCode: 'XX' }, 'CountryCode'],
            [{ CountryCode: 'US', StateCode: 'NSW' }, 'StateCode'],
            [{ StateCode: 'CA' }, 'StateCode'],
            [{ CountryCode: 'US', State: 'Calif.' }, 'State']
        ] as const) {
            const answer = await create(body);
            expect(answer.status, JSON.stringify(body)).toBe(400);
            expect(answer.body[0]).toMatchObject({ errorCode: 'FIELD_INTEGRITY_EXCEPTION', fields: [field] });
        }
        // On create a code wins over a text that disagrees; on update the pair is refused.
        const mixed = await create({ CountryCode: 'FR', Country: 'Germany' });
        expect(await read(mixed.body.id)).toMatchObject({ CountryCode: 'FR', Country: 'France' });
        const mismatch = await org.call('PATCH', `${V}/sobjects/Lead/${mixed.body.id}`, {
            CountryCode: 'DE',
            Country: 'France'
        });
        expect(mismatch.body[0].errorCode).toBe('FIELD_INTEGRITY_EXCEPTION');
        // Moving a record to a country its state does not belong to is refused; clearing the country clears all.
        const moved = await org.call('PATCH', `${V}/sobjects/Lead/${byCode.body.id}`, { CountryCode: 'MX' });
        expect(moved.body[0].errorCode).toBe('FIELD_INTEGRITY_EXCEPTION');
        await org.call('PATCH', `${V}/sobjects/Lead/${byCode.body.id}`, { CountryCode: null });
        expect(await read(byCode.body.id)).toMatchObject({
            CountryCode: null,
            Country: null,
            StateCode: null,
            State: null
        });
        // A collection: the bad record fails alone.
        const batch = await org.call('POST', `${V}/composite/sobjects`, {
            records: [
                { attributes: { type: 'Contact' }, LastName: 'A', MailingCountry: 'USA' },
                { attributes: { type: 'Contact' }, LastName: 'B', MailingCountryCode: 'US' }
            ]
        });
        expect(batch.body.map((result: { success: boolean }) => result.success)).toEqual([false, true]);
        expect(batch.body[0].errors[0].statusCode).toBe('FIELD_INTEGRITY_EXCEPTION');
    });

    it('accepts edited integration values instead of the names', async () => {
        const org = await startTestOrg({ addressPicklists: { integrationValues: { US: 'USA' } } });
        const ok = await org.call('POST', `${V}/sobjects/Lead`, {
            LastName: 'L',
            Company: 'C',
            Country: 'USA'
        });
        expect(ok.status).toBe(201);
        const refused = await org.call('POST', `${V}/sobjects/Lead`, {
            LastName: 'L',
            Company: 'C',
            Country: 'United States'
        });
        expect(refused.body[0].errorCode).toBe('FIELD_INTEGRITY_EXCEPTION');
    });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { SalesforceEmulatorOptions } from './index.ts';
import type { TestOrg } from './test-helpers.ts';
import { closeTestOrgs, seedCampaign, seedLead, startTestOrg, V } from './test-helpers.ts';

let org: TestOrg;
afterEach(closeTestOrgs);

async function start(options: SalesforceEmulatorOptions = {}): Promise<TestOrg> {
    org = await startTestOrg(options);
    return org;
}

const lead = { LastName: 'Lovelace', Company: 'Analytical Engines', Email: 'ada@example.com' };

describe('sObject rows', () => {
    // REST "Create a Record" (reference rest/05): 201 { id, success, errors } and a Location header.
    it('creates, reads, updates and deletes a record', async () => {
        await start();
        const created = await org.call('POST', `${V}/sobjects/Lead`, lead);
        expect(created.status).toBe(201);
        expect(created.body).toEqual({ id: expect.stringMatching(/^00Q\w{15}$/), success: true, errors: [] });
        expect(created.headers.get('location')).toBe(`${V}/sobjects/Lead/${created.body.id}`);
        const read = await org.call('GET', `${V}/sobjects/Lead/${created.body.id}?fields=Email,Status`);
        expect(read.body).toEqual({
            attributes: { type: 'Lead', url: `${V}/sobjects/Lead/${created.body.id}` },
            Email: 'ada@example.com',
            Status: 'Open - Not Contacted',
            Id: created.body.id
        });
        expect(
            (await org.call('PATCH', `${V}/sobjects/Lead/${created.body.id}`, { title: 'Countess' })).status
        ).toBe(204);
        expect(org.inspect.records('Lead')[0]).toMatchObject({ Title: 'Countess' });
        expect((await org.call('DELETE', `${V}/sobjects/Lead/${created.body.id}`)).status).toBe(204);
        expect(org.inspect.records('Lead')).toHaveLength(0);
        expect(org.inspect.records('Lead', { includeDeleted: true })[0]).toMatchObject({ IsDeleted: true });
    });

    it('reads a record by its 15-character id and answers 404 for unknown ids', async () => {
        await start();
        const id = seedLead(org);
        expect((await org.call('GET', `${V}/sobjects/Lead/${id.slice(0, 15)}`)).body.Id).toBe(id);
        const missing = await org.call('GET', `${V}/sobjects/Lead/00Qxx0000000999EAA`);
        expect(missing.status).toBe(404);
        expect(missing.body).toEqual([
            { message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }
        ]);
    });

    // Reference rest/01: upsert by external id — 201 created:true, 200 created:false, 404 for a non-external field.
    it('upserts by external id', async () => {
        await start();
        const path = `${V}/sobjects/Campaign/Livestorm_Session_Id__c/ses_123`;
        const created = await org.call('PATCH', path, { Name: 'Demo' });
        expect(created.status).toBe(201);
        expect(created.body).toEqual({
            id: expect.stringMatching(/^701/),
            success: true,
            errors: [],
            created: true
        });
        // The external id is not case-sensitive (caseSensitive=false in the package).
        const updated = await org.call('PATCH', `${V}/sobjects/Campaign/Livestorm_Session_Id__c/SES_123`, {
            Name: 'Renamed'
        });
        expect(updated.status).toBe(200);
        expect(updated.body).toEqual({ id: created.body.id, success: true, errors: [], created: false });
        expect(org.inspect.records('Campaign')).toEqual([
            expect.objectContaining({ Name: 'Renamed', Livestorm_Session_Id__c: 'ses_123' })
        ]);
        const notExternal = await org.call('PATCH', `${V}/sobjects/Campaign/Livestorm_Event_Id__c/evt_1`, {
            Name: 'X'
        });
        expect(notExternal.status).toBe(404);
        expect(notExternal.body[0].errorCode).toBe('NOT_FOUND');
    });

    it('answers 204 to an upsert update before API 46.0', async () => {
        await start();
        await org.call('PATCH', '/services/data/v45.0/sobjects/Campaign/Livestorm_Session_Id__c/ses_1', {
            Name: 'A'
        });
        const updated = await org.call(
            'PATCH',
            '/services/data/v45.0/sobjects/Campaign/Livestorm_Session_Id__c/ses_1',
            { Name: 'B' }
        );
        expect(updated.status).toBe(204);
    });

    // Reference rest/01: "300 Multiple Choices: external id matched more than one record".
    it('answers 300 when a non-unique external id matches several records', async () => {
        await start({
            extraFields: { Lead: [{ name: 'Legacy_Key__c', type: 'string', length: 20, externalId: true }] }
        });
        seedLead(org, { Legacy_Key__c: 'k1' });
        seedLead(org, { Legacy_Key__c: 'K1' });
        const answer = await org.call('PATCH', `${V}/sobjects/Lead/Legacy_Key__c/k1`, { Title: 'x' });
        expect(answer.status).toBe(300);
        expect(answer.body).toHaveLength(2);
        expect(answer.body[0]).toMatch(new RegExp(`^${V}/sobjects/Lead/00Q`));
    });

    // Recycle bin records do not block a new external id value: an upsert after a delete creates a new
    // Campaign (the deleted one no longer matches).
    it('recreates a deleted record on upsert', async () => {
        await start();
        const path = `${V}/sobjects/Campaign/Livestorm_Session_Id__c/ses_9`;
        const first = await org.call('PATCH', path, { Name: 'Demo' });
        await org.call('DELETE', `${V}/sobjects/Campaign/${first.body.id}`);
        const again = await org.call('PATCH', path, { Name: 'Demo' });
        expect(again.status).toBe(201);
        expect(again.body.id).not.toBe(first.body.id);
    });
});

describe('field rules', () => {
    // Catalog REQUIRED_FIELD_MISSING: "Required fields are missing: [Name]".
    it('REQUIRED_FIELD_MISSING lists every missing required field, extra required fields included', async () => {
        await start({
            extraFields: { Campaign: [{ name: 'Region__c', type: 'string', length: 40, required: true }] }
        });
        const lead = await org.call('POST', `${V}/sobjects/Lead`, { Email: 'a@b.co' });
        expect(lead.status).toBe(400);
        expect(lead.body).toEqual([
            {
                message: 'Required fields are missing: [LastName, Company]',
                errorCode: 'REQUIRED_FIELD_MISSING',
                fields: ['LastName', 'Company']
            }
        ]);
        const campaign = await org.call('POST', `${V}/sobjects/Campaign`, { Name: 'Demo' });
        expect(campaign.body[0]).toMatchObject({
            errorCode: 'REQUIRED_FIELD_MISSING',
            fields: ['Region__c']
        });
        const describe = await org.call('GET', `${V}/sobjects/Campaign/describe`);
        const region = describe.body.fields.find((field: { name: string }) => field.name === 'Region__c');
        expect(region).toMatchObject({
            nillable: false,
            createable: true,
            defaultedOnCreate: false,
            custom: true
        });
        expect(
            (await org.call('POST', `${V}/sobjects/Campaign`, { Name: 'Demo', Region__c: 'EMEA' })).status
        ).toBe(201);
        const cleared = await org.call('PATCH', `${V}/sobjects/Lead/${seedLead(org)}`, { LastName: null });
        expect(cleared.body[0]).toMatchObject({ errorCode: 'REQUIRED_FIELD_MISSING', fields: ['LastName'] });
    });

    // Composite example composite/04: "Email: invalid email address: Not a real email address".
    it('INVALID_EMAIL_ADDRESS on email fields; apostrophes are valid', async () => {
        await start();
        const bad = await org.call('POST', `${V}/sobjects/Lead`, {
            ...lead,
            Email: 'Not a real email address'
        });
        expect(bad.body).toEqual([
            {
                message: 'Email: invalid email address: Not a real email address',
                errorCode: 'INVALID_EMAIL_ADDRESS',
                fields: ['Email']
            }
        ]);
        expect(
            (await org.call('POST', `${V}/sobjects/Lead`, { ...lead, Email: "o'brien@example.com" })).status
        ).toBe(201);
    });

    // Catalog STRING_TOO_LONG: "<Label>: data value too large: <value> (max length=N)"; lengths from describe.
    it('STRING_TOO_LONG from standard and package lengths', async () => {
        await start();
        const company = 'x'.repeat(256);
        const bad = await org.call('POST', `${V}/sobjects/Lead`, { ...lead, Company: company });
        expect(bad.body).toEqual([
            {
                message: `Company: data value too large: ${company} (max length=255)`,
                errorCode: 'STRING_TOO_LONG',
                fields: ['Company']
            }
        ]);
        const sessionId = await org.call('POST', `${V}/sobjects/Campaign`, {
            Name: 'A',
            Livestorm_Session_Id__c: 's'.repeat(65)
        });
        expect(sessionId.body[0]).toMatchObject({
            errorCode: 'STRING_TOO_LONG',
            fields: ['Livestorm_Session_Id__c']
        });
        expect(
            (await org.call('POST', `${V}/sobjects/Lead`, { ...lead, FirstName: 'f'.repeat(40) })).status
        ).toBe(201);
        expect(
            (await org.call('POST', `${V}/sobjects/Lead`, { ...lead, FirstName: 'f'.repeat(41) })).status
        ).toBe(400);
    });

    // A field missing from the package is missing from the org: "No such column" INVALID_FIELD.
    it('INVALID_FIELD for a field the org does not have', async () => {
        await start();
        const answer = await org.call('POST', `${V}/sobjects/Lead`, { ...lead, Livestorm_Nope__c: 'x' });
        expect(answer.status).toBe(400);
        expect(answer.body).toEqual([
            {
                message: "No such column 'Livestorm_Nope__c' on sobject of type Lead",
                errorCode: 'INVALID_FIELD'
            }
        ]);
    });

    // Catalog INVALID_FIELD_FOR_INSERT_UPDATE: read-only fields (HasResponded, roll-ups) and create-only fields.
    it('INVALID_FIELD_FOR_INSERT_UPDATE for non-createable and non-updateable fields', async () => {
        await start();
        const campaignId = seedCampaign(org);
        const readOnly = await org.call('POST', `${V}/sobjects/Campaign`, { Name: 'A', NumberOfLeads: 3 });
        expect(readOnly.body[0]).toMatchObject({
            errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
            fields: ['NumberOfLeads']
        });
        const member = org.inspect.insert('CampaignMember', {
            CampaignId: campaignId,
            LeadId: seedLead(org)
        });
        const moved = await org.call('PATCH', `${V}/sobjects/CampaignMember/${member}`, {
            LeadId: seedLead(org)
        });
        expect(moved.body[0]).toMatchObject({
            errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
            fields: ['LeadId'],
            message: expect.stringContaining('Unable to create/update fields: LeadId.')
        });
        const responded = await org.call('PATCH', `${V}/sobjects/CampaignMember/${member}`, {
            HasResponded: true
        });
        expect(responded.body[0].errorCode).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
    });

    // Catalog INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: "<Label>: bad value for restricted picklist field: <value>".
    it('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST on restricted picklists only', async () => {
        await start();
        const bad = await org.call('POST', `${V}/sobjects/Campaign`, {
            Name: 'A',
            Livestorm_Event_Type__c: 'Hybrid'
        });
        expect(bad.body).toEqual([
            {
                message: 'Livestorm Event Type: bad value for restricted picklist field: Hybrid',
                errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
                fields: ['Livestorm_Event_Type__c']
            }
        ]);
        expect(
            (
                await org.call('POST', `${V}/sobjects/Campaign`, {
                    Name: 'A',
                    Livestorm_Event_Type__c: 'On-demand'
                })
            ).status
        ).toBe(201);
        // LeadSource is a standard, unrestricted picklist.
        expect(
            (await org.call('POST', `${V}/sobjects/Lead`, { ...lead, LeadSource: 'Livestorm' })).status
        ).toBe(201);
    });

    // Catalog DUPLICATE_VALUE on a unique field: "duplicate value found: <field> duplicates value on record with id: <id>".
    it('DUPLICATE_VALUE on a unique external id, case-insensitively, but not against the recycle bin', async () => {
        await start();
        const first = seedCampaign(org, { Livestorm_Session_Id__c: 'ses_1' });
        const clash = await org.call('POST', `${V}/sobjects/Campaign`, {
            Name: 'B',
            Livestorm_Session_Id__c: 'SES_1'
        });
        expect(clash.body).toEqual([
            {
                message: `duplicate value found: Livestorm_Session_Id__c duplicates value on record with id: ${first}`,
                errorCode: 'DUPLICATE_VALUE',
                fields: ['Livestorm_Session_Id__c']
            }
        ]);
        org.inspect.delete('Campaign', first);
        expect(
            (
                await org.call('POST', `${V}/sobjects/Campaign`, {
                    Name: 'B',
                    Livestorm_Session_Id__c: 'ses_1'
                })
            ).status
        ).toBe(201);
    });

    it('validates numbers, dates and datetimes', async () => {
        await start();
        const campaignId = seedCampaign(org);
        const text = await org.call('PATCH', `${V}/sobjects/Campaign/${campaignId}`, {
            Livestorm_Registrants__c: '12'
        });
        expect(text.body[0].errorCode).toBe('JSON_PARSER_ERROR');
        const range = await org.call('PATCH', `${V}/sobjects/Campaign/${campaignId}`, {
            Livestorm_Registrants__c: 1_000_000_000
        });
        expect(range.body[0]).toMatchObject({
            errorCode: 'NUMBER_OUTSIDE_VALID_RANGE',
            fields: ['Livestorm_Registrants__c']
        });
        expect(
            (
                await org.call('PATCH', `${V}/sobjects/Campaign/${campaignId}`, {
                    Livestorm_Registrants__c: 999_999_999
                })
            ).status
        ).toBe(204);
        expect(
            (await org.call('PATCH', `${V}/sobjects/Campaign/${campaignId}`, { StartDate: '2026-02-30' }))
                .body[0].errorCode
        ).toBe('JSON_PARSER_ERROR');
        expect(
            (await org.call('PATCH', `${V}/sobjects/Campaign/${campaignId}`, { StartDate: '24/11/2026' }))
                .status
        ).toBe(400);
        expect(
            (
                await org.call('PATCH', `${V}/sobjects/Campaign/${campaignId}`, {
                    Livestorm_Session_Start__c: '2026-11-24'
                })
            ).status
        ).toBe(400);
        expect(
            (
                await org.call('PATCH', `${V}/sobjects/Campaign/${campaignId}`, {
                    StartDate: '2026-11-24',
                    Livestorm_Session_Start__c: '2026-11-24T18:00:00+01:00'
                })
            ).status
        ).toBe(204);
        expect(org.inspect.records('Campaign')[0]).toMatchObject({
            Livestorm_Session_Start__c: '2026-11-24T17:00:00.000+0000'
        });
    });

    // Catalog MALFORMED_ID ("id value of incorrect type") and INVALID_CROSS_REFERENCE_KEY.
    it('checks that references are well-formed, of the right type and exist', async () => {
        await start();
        const campaignId = seedCampaign(org);
        const leadId = seedLead(org);
        const wrongType = await org.call('POST', `${V}/sobjects/CampaignMember`, {
            CampaignId: leadId,
            LeadId: leadId
        });
        expect(wrongType.body[0]).toMatchObject({
            errorCode: 'MALFORMED_ID',
            fields: ['CampaignId'],
            message: `Campaign ID: id value of incorrect type: ${leadId}`
        });
        expect(
            (
                await org.call('POST', `${V}/sobjects/CampaignMember`, {
                    CampaignId: 'nonsense',
                    LeadId: leadId
                })
            ).body[0].errorCode
        ).toBe('MALFORMED_ID');
        const missing = await org.call('POST', `${V}/sobjects/CampaignMember`, {
            CampaignId: campaignId,
            LeadId: '00Qxx0000000999EAA'
        });
        expect(missing.body).toEqual([
            { message: 'invalid cross reference id', errorCode: 'INVALID_CROSS_REFERENCE_KEY', fields: [] }
        ]);
    });

    // Catalog FIELD_CUSTOM_VALIDATION_EXCEPTION.
    it('applies validation rules', async () => {
        await start({
            validationRules: [
                {
                    sobject: 'Lead',
                    when: (record) => record.Company === 'ACME',
                    message: "no 'ACME' leads",
                    fields: ['Company']
                }
            ]
        });
        const refused = await org.call('POST', `${V}/sobjects/Lead`, { ...lead, Company: 'ACME' });
        expect(refused.body).toEqual([
            {
                message: "no 'ACME' leads",
                errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
                fields: ['Company']
            }
        ]);
        expect((await org.call('POST', `${V}/sobjects/Lead`, lead)).status).toBe(201);
    });

    // REST "Duplicate Rule Header": allowSave=true saves despite an Alert rule, never despite a Block rule.
    it('applies duplicate rules and honours allowSave for alert rules only', async () => {
        await start({
            duplicateRules: [
                { sobject: 'Lead', fields: ['Email'], action: 'alert' },
                { sobject: 'Contact', fields: ['Email'], action: 'block' }
            ]
        });
        const existing = seedLead(org, { Email: 'ada@example.com' });
        const alert = await org.call('POST', `${V}/sobjects/Lead`, { ...lead, Email: 'ADA@example.com' });
        expect(alert.status).toBe(400);
        expect(alert.body[0]).toMatchObject({
            errorCode: 'DUPLICATES_DETECTED',
            message: 'Use one of these records?'
        });
        expect(alert.body[0].duplicateResult.matchResults[0].matchRecords[0].record.Id).toBe(existing);
        const allowed = await org.call(
            'POST',
            `${V}/sobjects/Lead`,
            { ...lead },
            { 'Sforce-Duplicate-Rule-Header': 'allowSave=true' }
        );
        expect(allowed.status).toBe(201);
        org.inspect.insert('Contact', { LastName: 'A', Email: 'c@example.com' });
        const blocked = await org.call(
            'POST',
            `${V}/sobjects/Contact`,
            { LastName: 'B', Email: 'c@example.com' },
            { 'Sforce-Duplicate-Rule-Header': 'allowSave=true' }
        );
        expect(blocked.body[0].errorCode).toBe('DUPLICATES_DETECTED');
    });
});

describe('converted leads and deleted records', () => {
    // Catalog CANNOT_UPDATE_CONVERTED_LEAD "cannot reference converted lead".
    it('refuses to update a converted lead or add it to a campaign', async () => {
        await start();
        const campaignId = seedCampaign(org);
        const leadId = seedLead(org, { Email: 'ada@example.com' });
        const { contactId, accountId } = org.inspect.convertLead(leadId);
        expect(org.inspect.records('Lead')[0]).toMatchObject({
            IsConverted: true,
            ConvertedContactId: contactId,
            ConvertedAccountId: accountId
        });
        expect(org.inspect.records('Contact')[0]).toMatchObject({
            Id: contactId,
            Email: 'ada@example.com',
            AccountId: accountId
        });
        const update = await org.call('PATCH', `${V}/sobjects/Lead/${leadId}`, { Title: 'x' });
        expect(update.body).toEqual([
            {
                message: 'cannot reference converted lead',
                errorCode: 'CANNOT_UPDATE_CONVERTED_LEAD',
                fields: []
            }
        ]);
        const member = await org.call('POST', `${V}/sobjects/CampaignMember`, {
            CampaignId: campaignId,
            LeadId: leadId
        });
        expect(member.body[0].errorCode).toBe('CANNOT_UPDATE_CONVERTED_LEAD');
    });

    // The member-per-person rule is checked against live members only: a write rolled back (allOrNone, REST "sObject
    // Collections") or a member deleted does not block adding that person again.
    it('lets a person rolled back or removed from a Campaign be added again, once', async () => {
        await start();
        const campaignId = seedCampaign(org);
        const leadId = seedLead(org);
        const rolledBack = await org.call('POST', `${V}/composite/sobjects`, {
            allOrNone: true,
            records: [
                { attributes: { type: 'CampaignMember' }, CampaignId: campaignId, LeadId: leadId },
                { attributes: { type: 'CampaignMember' }, CampaignId: campaignId }
            ]
        });
        expect(rolledBack.body.map((result: { success: boolean }) => result.success)).toEqual([false, false]);
        expect(org.inspect.records('CampaignMember')).toEqual([]);
        const added = await org.call('POST', `${V}/sobjects/CampaignMember`, {
            CampaignId: campaignId,
            LeadId: leadId
        });
        expect(added.status).toBe(201);
        const removed = await org.call('DELETE', `${V}/sobjects/CampaignMember/${String(added.body.id)}`);
        expect(removed.status).toBe(204);
        const again = await org.call('POST', `${V}/sobjects/CampaignMember`, {
            CampaignId: campaignId,
            LeadId: leadId
        });
        expect(again.status).toBe(201);
        const twice = await org.call('POST', `${V}/sobjects/CampaignMember`, {
            CampaignId: campaignId,
            LeadId: leadId
        });
        expect(twice.body[0]).toMatchObject({
            errorCode: 'DUPLICATE_VALUE',
            message: 'Already a campaign member.'
        });
    });

    // Conversion shows the lead's campaign history on the Contact; the row keeps its LeadId (salesforce.md §2.1).
    it('gives the converted lead’s members the contact id, so adding the contact again is a duplicate', async () => {
        await start();
        const campaignId = seedCampaign(org);
        const leadId = seedLead(org);
        org.inspect.insert('CampaignMember', { CampaignId: campaignId, LeadId: leadId });
        const { contactId } = org.inspect.convertLead(leadId);
        expect(org.inspect.records('CampaignMember')[0]).toMatchObject({
            LeadId: leadId,
            ContactId: contactId
        });
        const again = await org.call('POST', `${V}/sobjects/CampaignMember`, {
            CampaignId: campaignId,
            ContactId: contactId
        });
        expect(again.body[0]).toMatchObject({
            errorCode: 'DUPLICATE_VALUE',
            message: 'Already a campaign member.'
        });
    });

    // Catalog ENTITY_IS_DELETED "entity is deleted": reading, updating or referencing a deleted record.
    it('ENTITY_IS_DELETED for reads, updates and references of deleted records', async () => {
        await start();
        const campaignId = seedCampaign(org);
        const leadId = seedLead(org);
        org.inspect.delete('Lead', leadId);
        expect((await org.call('GET', `${V}/sobjects/Lead/${leadId}`)).body[0].errorCode).toBe(
            'ENTITY_IS_DELETED'
        );
        expect((await org.call('PATCH', `${V}/sobjects/Lead/${leadId}`, { Title: 'x' })).body).toEqual([
            { message: 'entity is deleted', errorCode: 'ENTITY_IS_DELETED', fields: [] }
        ]);
        expect((await org.call('DELETE', `${V}/sobjects/Lead/${leadId}`)).body[0].errorCode).toBe(
            'ENTITY_IS_DELETED'
        );
        const member = await org.call('POST', `${V}/sobjects/CampaignMember`, {
            CampaignId: campaignId,
            LeadId: leadId
        });
        expect(member.body[0].errorCode).toBe('ENTITY_IS_DELETED');
    });

    // SOAP merge(): losers deleted, related records re-parented, deleted losers visible through queryAll with
    // MasterRecordId (Apex "Triggers and Merge Statements").
    it('merges Leads: the loser is deleted with MasterRecordId, its members move to the master or are dropped', async () => {
        await start();
        const first = seedCampaign(org);
        const second = seedCampaign(org, { Name: 'Second' });
        const master = seedLead(org, { Email: 'old@example.com' });
        const loser = seedLead(org, { Email: 'new@example.com' });
        const moved = org.inspect.insert('CampaignMember', { CampaignId: first, LeadId: loser });
        org.inspect.insert('CampaignMember', { CampaignId: second, LeadId: master });
        const dropped = org.inspect.insert('CampaignMember', { CampaignId: second, LeadId: loser });
        org.inspect.merge('Lead', master, [loser]);

        expect(org.inspect.records('Lead').map((row) => row.Id)).toEqual([master]);
        const members = org.inspect.records('CampaignMember');
        expect(members).toHaveLength(2);
        expect(members.find((row) => row.Id === moved)).toMatchObject({ CampaignId: first, LeadId: master });
        expect(members.some((row) => row.Id === dropped)).toBe(false);

        const soql = `SELECT Id, IsDeleted, MasterRecordId FROM Lead WHERE Id = '${loser}'`;
        expect((await org.query(soql)).body.records).toEqual([]);
        const all = await org.call('GET', `${V}/queryAll?q=${encodeURIComponent(soql)}`);
        expect(all.body.records).toEqual([
            expect.objectContaining({ Id: loser, IsDeleted: true, MasterRecordId: master })
        ]);
        const viaComposite = await org.composite({
            compositeRequest: [
                { method: 'GET', url: `${V}/queryAll?q=${encodeURIComponent(soql)}`, referenceId: 'merged' }
            ]
        });
        expect(viaComposite.body.compositeResponse[0].body.records[0]).toMatchObject({
            MasterRecordId: master
        });

        const write = await org.call('PATCH', `${V}/sobjects/Lead/${loser}`, { Title: 'x' });
        expect(write.body[0].errorCode).toBe('ENTITY_IS_DELETED');
        const member = await org.call('POST', `${V}/sobjects/CampaignMember`, {
            CampaignId: first,
            LeadId: loser
        });
        expect(member.body[0].errorCode).toBe('ENTITY_IS_DELETED');
        // MasterRecordId is the system's to set.
        const forged = await org.call('PATCH', `${V}/sobjects/Lead/${master}`, { MasterRecordId: loser });
        expect(forged.body[0].errorCode).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
    });

    it('merges only within one type, never into a converted Lead; a purged record is an unknown reference', async () => {
        await start();
        const campaignId = seedCampaign(org);
        const leadId = seedLead(org);
        const accountId = org.inspect.insert('Account', { Name: 'Acme' });
        const contactId = org.inspect.insert('Contact', { LastName: 'C', AccountId: accountId });
        expect(() => org.inspect.merge('Lead', leadId, [contactId])).toThrow();
        const other = seedLead(org);
        org.inspect.convertLead(other);
        expect(() => org.inspect.merge('Lead', other, [leadId])).toThrow(/converted/);
        expect(() => org.inspect.merge('Campaign', campaignId, [seedCampaign(org)])).toThrow();

        org.inspect.delete('Lead', leadId);
        org.inspect.purge('Lead', leadId);
        expect(org.inspect.records('Lead', { includeDeleted: true }).some((row) => row.Id === leadId)).toBe(
            false
        );
        const member = await org.call('POST', `${V}/sobjects/CampaignMember`, {
            CampaignId: campaignId,
            LeadId: leadId
        });
        expect(member.body[0].errorCode).toBe('INVALID_CROSS_REFERENCE_KEY');
    });

    it('keeps custom metadata records read-only', async () => {
        await start();
        const answer = await org.call('POST', `${V}/sobjects/Livestorm_Member_Status__mdt`, {});
        expect(answer.status).toBe(400);
        expect(answer.body[0].errorCode).toBe('INVALID_TYPE_FOR_OPERATION');
    });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestOrg } from './test-helpers.ts';
import { closeTestOrgs, seedCampaign, seedLead, startTestOrg, V } from './test-helpers.ts';

let org: TestOrg;
beforeEach(async () => {
    org = await startTestOrg({ duplicateRules: [{ sobject: 'Lead', fields: ['Email'], action: 'alert' }] });
});
afterEach(closeTestOrgs);

const leadRecord = (email: string, extra: Record<string, unknown> = {}) => ({
    attributes: { type: 'Lead' },
    LastName: email.split('@')[0],
    Company: 'Example',
    Email: email,
    ...extra
});

describe('/composite', () => {
    // Example composite/01 and composite/03: @{ref.id} in a later body; 201 results with Location.
    it('runs subrequests in order with references into earlier results', async () => {
        const answer = await org.composite({
            allOrNone: false,
            compositeRequest: [
                {
                    method: 'PATCH',
                    url: `${V}/sobjects/Campaign/Livestorm_Session_Id__c/ses_1`,
                    referenceId: 'campaign',
                    body: { Name: 'Demo' }
                },
                {
                    method: 'GET',
                    url: `${V}/query?q=SELECT+Id,Label,SortOrder+FROM+CampaignMemberStatus+WHERE+CampaignId='@{campaign.id}'+ORDER+BY+SortOrder`,
                    referenceId: 'statuses'
                },
                {
                    method: 'POST',
                    url: `${V}/sobjects/Lead`,
                    referenceId: 'lead',
                    body: { LastName: 'Lovelace', Company: 'AE' }
                },
                {
                    method: 'POST',
                    url: `${V}/sobjects/CampaignMember`,
                    referenceId: 'member',
                    body: {
                        CampaignId: '@{campaign.id}',
                        LeadId: '@{lead.id}',
                        Status: '@{statuses.records[1].Label}'
                    }
                },
                {
                    method: 'GET',
                    url: `${V}/sobjects/CampaignMember/@{member.id}?fields=Status`,
                    referenceId: 'readBack'
                }
            ]
        });
        expect(answer.status).toBe(200);
        const [campaign, statuses, lead, member, readBack] = answer.body.compositeResponse;
        expect(campaign).toMatchObject({
            httpStatusCode: 201,
            referenceId: 'campaign',
            body: { created: true }
        });
        expect(statuses.body.records.map((record: { Label: string }) => record.Label)).toEqual([
            'Sent',
            'Responded'
        ]);
        expect(lead).toMatchObject({
            httpStatusCode: 201,
            httpHeaders: { Location: `${V}/sobjects/Lead/${lead.body.id}` }
        });
        expect(member.httpStatusCode).toBe(201);
        expect(readBack.body.Status).toBe('Responded');
    });

    // The documented "." and "[]" operators into an sObject Collections result array: @{newLeads[0].id}.
    it('references records of a collection result by index', async () => {
        const campaignId = seedCampaign(org);
        const answer = await org.composite({
            compositeRequest: [
                {
                    method: 'POST',
                    url: `${V}/composite/sobjects`,
                    referenceId: 'newLeads',
                    body: {
                        allOrNone: false,
                        records: [leadRecord('ada@example.com'), leadRecord('bob@example.org')]
                    }
                },
                {
                    method: 'POST',
                    url: `${V}/composite/sobjects`,
                    referenceId: 'newMembers',
                    body: {
                        records: [
                            {
                                attributes: { type: 'CampaignMember' },
                                CampaignId: campaignId,
                                LeadId: '@{newLeads[0].id}'
                            },
                            {
                                attributes: { type: 'CampaignMember' },
                                CampaignId: campaignId,
                                LeadId: '@{newLeads[1].id}'
                            }
                        ]
                    }
                }
            ]
        });
        const [leads, members] = answer.body.compositeResponse;
        expect(members.body).toEqual([
            { id: expect.any(String), success: true, errors: [] },
            { id: expect.any(String), success: true, errors: [] }
        ]);
        const memberLeads = org.inspect.records('CampaignMember').map((member) => member.LeadId);
        expect(memberLeads).toEqual([leads.body[0].id, leads.body[1].id]);
    });

    // Examples composite/06-07: a reference to a failed subrequest or to a missing value fails that subrequest
    // with PROCESSING_HALTED; with allOrNone false the others stand.
    it('fails a subrequest whose reference has no value, and only that one', async () => {
        const answer = await org.composite({
            compositeRequest: [
                {
                    method: 'POST',
                    url: `${V}/sobjects/Lead`,
                    referenceId: 'badLead',
                    body: { LastName: 'X' }
                },
                {
                    method: 'POST',
                    url: `${V}/sobjects/Contact`,
                    referenceId: 'refContact',
                    body: { LastName: 'Wong' }
                },
                {
                    method: 'GET',
                    url: `${V}/sobjects/Contact/@{refContact.id}?fields=FirstName`,
                    referenceId: 'read'
                },
                {
                    method: 'PATCH',
                    url: `${V}/sobjects/Lead/@{badLead.id}`,
                    referenceId: 'dependsOnFailure',
                    body: { Title: 'x' }
                },
                {
                    method: 'POST',
                    url: `${V}/sobjects/Lead`,
                    referenceId: 'nullValue',
                    body: { LastName: 'Y', Company: 'Z', FirstName: '@{read.FirstName}' }
                },
                { method: 'GET', url: `${V}/sobjects/Contact/@{refContact.Id}`, referenceId: 'wrongCase' }
            ]
        });
        const [badLead, contact, read, dependent, nullValue, wrongCase] = answer.body.compositeResponse;
        expect(badLead).toMatchObject({
            httpStatusCode: 400,
            body: [{ errorCode: 'REQUIRED_FIELD_MISSING' }]
        });
        expect(contact.httpStatusCode).toBe(201);
        expect(read.httpStatusCode).toBe(200);
        expect(dependent).toMatchObject({ httpStatusCode: 400, body: [{ errorCode: 'PROCESSING_HALTED' }] });
        expect(nullValue.body[0].message).toBe(
            "Invalid reference specified. No value for read.FirstName found in read. Provided referenceId ('read.FirstName') must start with a letter or a number, and it can contain only letters, numbers and underscores ('_')."
        );
        expect(wrongCase.body[0].errorCode).toBe('PROCESSING_HALTED');
        expect(org.inspect.records('Contact')).toHaveLength(1);
    });

    // REST "Composite" allOrNone: an error rolls the whole request back; the others answer PROCESSING_HALTED.
    it('rolls everything back under allOrNone on the first failure', async () => {
        const answer = await org.composite({
            allOrNone: true,
            compositeRequest: [
                {
                    method: 'POST',
                    url: `${V}/sobjects/Campaign`,
                    referenceId: 'campaign',
                    body: { Name: 'Demo' }
                },
                {
                    method: 'POST',
                    url: `${V}/sobjects/Contact`,
                    referenceId: 'badContact',
                    body: { LastName: 'X', Email: 'Not a real email address' }
                },
                {
                    method: 'POST',
                    url: `${V}/sobjects/Lead`,
                    referenceId: 'lead',
                    body: { LastName: 'Y', Company: 'Z' }
                }
            ]
        });
        expect(answer.status).toBe(200);
        const halted = [
            {
                errorCode: 'PROCESSING_HALTED',
                message:
                    'The transaction was rolled back since another operation in the same transaction failed.'
            }
        ];
        expect(answer.body.compositeResponse).toEqual([
            { body: halted, httpHeaders: {}, httpStatusCode: 400, referenceId: 'campaign' },
            {
                body: [
                    {
                        message: 'Email: invalid email address: Not a real email address',
                        errorCode: 'INVALID_EMAIL_ADDRESS',
                        fields: ['Email']
                    }
                ],
                httpHeaders: {},
                httpStatusCode: 400,
                referenceId: 'badContact'
            },
            { body: halted, httpHeaders: {}, httpStatusCode: 400, referenceId: 'lead' }
        ]);
        expect(org.inspect.records('Campaign')).toHaveLength(0);
        expect(org.inspect.records('CampaignMemberStatus')).toHaveLength(0);
    });

    // Example composite/06: a collection with a failed record under composite allOrNone rolls everything back.
    it('treats a collection with a failed record as a failure under allOrNone', async () => {
        seedLead(org, { Email: 'taken@example.com' });
        const answer = await org.composite({
            allOrNone: true,
            compositeRequest: [
                {
                    method: 'POST',
                    url: `${V}/composite/sobjects`,
                    referenceId: 'collection1',
                    body: {
                        allOrNone: false,
                        records: [leadRecord('new@example.com'), leadRecord('taken@example.com')]
                    }
                },
                {
                    method: 'POST',
                    url: `${V}/sobjects/Contact`,
                    referenceId: 'newContact',
                    body: { LastName: 'Smith' }
                }
            ]
        });
        const [collection, contact] = answer.body.compositeResponse;
        expect(collection.httpStatusCode).toBe(200);
        expect(collection.body[1]).toEqual({
            success: false,
            errors: [{ statusCode: 'DUPLICATES_DETECTED', message: 'Use one of these records?', fields: [] }]
        });
        expect(contact.body[0].errorCode).toBe('PROCESSING_HALTED');
        expect(org.inspect.records('Lead')).toHaveLength(1);
        expect(org.inspect.records('Contact')).toHaveLength(0);
    });

    // Duplicate rule header per subrequest (salesforce.md §5); a header on the outer request does not propagate.
    it('honours Sforce-Duplicate-Rule-Header in subrequest httpHeaders only', async () => {
        seedLead(org, { Email: 'taken@example.com' });
        const body = { LastName: 'Dup', Company: 'X', Email: 'taken@example.com' };
        const answer = await org.call(
            'POST',
            `${V}/composite`,
            {
                compositeRequest: [
                    { method: 'POST', url: `${V}/sobjects/Lead`, referenceId: 'plain', body },
                    {
                        method: 'POST',
                        url: `${V}/sobjects/Lead`,
                        referenceId: 'allowed',
                        body,
                        httpHeaders: { 'Sforce-Duplicate-Rule-Header': 'allowSave=true' }
                    },
                    {
                        method: 'POST',
                        url: `${V}/sobjects/Lead`,
                        referenceId: 'badHeader',
                        body,
                        httpHeaders: { 'Content-Type': 'text/plain' }
                    }
                ]
            },
            { 'Sforce-Duplicate-Rule-Header': 'allowSave=true' }
        );
        const [plain, allowed, badHeader] = answer.body.compositeResponse;
        expect(plain.body[0].errorCode).toBe('DUPLICATES_DETECTED');
        expect(allowed.httpStatusCode).toBe(201);
        expect(badHeader.httpStatusCode).toBe(400);
    });

    // "You can have up to 25 subrequests in a single call. Up to 5 of these subrequests can be sObject
    // Collections or query operations" — otherwise the whole request is refused with 400.
    it('allows 25 subrequests of which 5 queries or collections, and refuses more', async () => {
        const describeCall = (index: number) => ({
            method: 'GET',
            url: `${V}/sobjects/Lead/describe`,
            referenceId: `d${index}`
        });
        const query = (index: number) => ({
            method: 'GET',
            url: `${V}/query?q=SELECT+Id+FROM+Lead`,
            referenceId: `q${index}`
        });
        const collection = (index: number) => ({
            method: 'POST',
            url: `${V}/composite/sobjects`,
            referenceId: `c${index}`,
            body: { records: [] }
        });
        const twentyFive = Array.from({ length: 25 }, (_, index) => describeCall(index));
        expect((await org.composite({ compositeRequest: twentyFive })).body.compositeResponse).toHaveLength(
            25
        );
        const twentySix = await org.composite({ compositeRequest: [...twentyFive, describeCall(25)] });
        expect(twentySix.status).toBe(400);
        expect(twentySix.body[0].errorCode).toBeTypeOf('string');
        const five = [query(0), query(1), query(2), collection(3), collection(4)];
        expect((await org.composite({ compositeRequest: five })).status).toBe(200);
        const six = await org.composite({
            compositeRequest: [
                ...five,
                { method: 'GET', url: `${V}/queryAll?q=SELECT+Id+FROM+Lead`, referenceId: 'q5' }
            ]
        });
        expect(six.status).toBe(400);
        expect(org.inspect.records('Lead')).toHaveLength(0);
        expect(org.inspect.calls().byKind.composite).toBe(4);
    });
});

describe('/composite/sobjects', () => {
    // sObject Collections create (collections/01-03): per-record results in order with statusCode.
    it('creates records of several types with per-record results', async () => {
        seedLead(org, { Email: 'taken@example.com' });
        const answer = await org.call('POST', `${V}/composite/sobjects`, {
            allOrNone: false,
            records: [
                leadRecord('taken@example.com'),
                { attributes: { type: 'Contact' }, LastName: 'Johnson', FirstName: 'Erica' }
            ]
        });
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual([
            {
                success: false,
                errors: [
                    { statusCode: 'DUPLICATES_DETECTED', message: 'Use one of these records?', fields: [] }
                ]
            },
            { id: expect.stringMatching(/^003/), success: true, errors: [] }
        ]);
    });

    // collections/04: allOrNone true → successes become ALL_OR_NONE_OPERATION_ROLLED_BACK, nothing saved.
    it('rolls back the whole collection under allOrNone', async () => {
        seedLead(org, { Email: 'taken@example.com' });
        const answer = await org.call('POST', `${V}/composite/sobjects`, {
            allOrNone: true,
            records: [leadRecord('taken@example.com'), leadRecord('fresh@example.com')]
        });
        expect(answer.body[1]).toEqual({
            success: false,
            errors: [
                {
                    statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
                    message:
                        'Record rolled back because not all records were valid and the request was using AllOrNone header',
                    fields: []
                }
            ]
        });
        expect(org.inspect.records('Lead')).toHaveLength(1);
    });

    // collections/05-06: update needs an id of the record's type (MALFORMED_ID "Contact ID: id value of incorrect type").
    it('updates records by id and reports bad ids per record', async () => {
        const leadId = seedLead(org);
        const answer = await org.call('PATCH', `${V}/composite/sobjects`, {
            records: [
                { attributes: { type: 'Lead' }, id: leadId, Title: 'Engineer' },
                { attributes: { type: 'Contact' }, id: leadId, Title: 'Lead Engineer' },
                { attributes: { type: 'Lead' }, Title: 'No id' }
            ]
        });
        expect(answer.body[0]).toEqual({ id: leadId, success: true, errors: [] });
        expect(answer.body[1]).toEqual({
            success: false,
            errors: [
                {
                    statusCode: 'MALFORMED_ID',
                    message: `Contact ID: id value of incorrect type: ${leadId}`,
                    fields: ['Id']
                }
            ]
        });
        expect(answer.body[2].errors[0].statusCode).toBe('MISSING_ARGUMENT');
        expect(org.inspect.records('Lead')[0]).toMatchObject({ Title: 'Engineer' });
    });

    // collections/09: delete ?ids=…&allOrNone=false, per-record results.
    it('deletes by ids with per-record results', async () => {
        const leadId = seedLead(org);
        const answer = await org.call(
            'DELETE',
            `${V}/composite/sobjects?ids=${leadId},001RM000003oLrB000&allOrNone=false`
        );
        expect(answer.body[0]).toEqual({ id: leadId, success: true, errors: [] });
        expect(answer.body[1]).toEqual({
            success: false,
            errors: [{ statusCode: 'MALFORMED_ID', message: 'malformed id 001RM000003oLrB000', fields: [] }]
        });
    });

    // collections/07-08: upsert on an external id with `created` per record (API 46.0+).
    it('upserts on an external id', async () => {
        seedCampaign(org, { Livestorm_Session_Id__c: 'BBB' });
        const answer = await org.call('PATCH', `${V}/composite/sobjects/Campaign/Livestorm_Session_Id__c`, {
            allOrNone: false,
            records: [
                { attributes: { type: 'Campaign' }, Name: 'One', Livestorm_Session_Id__c: 'AAA' },
                { attributes: { type: 'Campaign' }, Name: 'Two', Livestorm_Session_Id__c: 'bbb' },
                { attributes: { type: 'Campaign' }, Name: 'Three' }
            ]
        });
        expect(answer.body[0]).toEqual({ id: expect.any(String), success: true, errors: [], created: true });
        expect(answer.body[1]).toEqual({ id: expect.any(String), success: true, errors: [], created: false });
        expect(answer.body[2].errors[0].statusCode).toBe('MISSING_ARGUMENT');
        expect(
            org.inspect
                .records('Campaign')
                .map((campaign) => campaign.Name)
                .sort()
        ).toEqual(['One', 'Two']);
        const notExternal = await org.call('PATCH', `${V}/composite/sobjects/Campaign/Name`, { records: [] });
        expect(notExternal.status).toBe(400);
    });

    // "The request can contain up to 200 records": 201 records refuse the whole call.
    it('refuses more than 200 records', async () => {
        const records = Array.from({ length: 201 }, (_, index) => leadRecord(`p${index}@example.com`));
        const answer = await org.call('POST', `${V}/composite/sobjects`, { records });
        expect(answer.status).toBe(400);
        expect(answer.body[0].errorCode).toBe('EXCEEDED_ID_LIMIT');
        expect(
            (await org.call('POST', `${V}/composite/sobjects`, { records: records.slice(0, 200) })).body
        ).toHaveLength(200);
        expect(org.inspect.records('Lead')).toHaveLength(200);
    });

    // A field the org lacks fails the whole collection (deserialization), not one record.
    it('refuses the whole request for an unknown field', async () => {
        const answer = await org.call('POST', `${V}/composite/sobjects`, {
            records: [leadRecord('a@b.co'), leadRecord('c@d.co', { Nope__c: 1 })]
        });
        expect(answer.status).toBe(400);
        expect(answer.body[0].errorCode).toBe('INVALID_FIELD');
        expect(org.inspect.records('Lead')).toHaveLength(0);
    });
});

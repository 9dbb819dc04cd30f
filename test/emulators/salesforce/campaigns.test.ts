import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestOrg } from './test-helpers.ts';
import { closeTestOrgs, seedCampaign, seedLead, startTestOrg, V } from './test-helpers.ts';

let org: TestOrg;
beforeEach(async () => {
    org = await startTestOrg();
});
afterEach(closeTestOrgs);

const statusesOf = (campaignId: string) =>
    org.inspect
        .records('CampaignMemberStatus')
        .filter((status) => status.CampaignId === campaignId)
        .sort((a, b) => Number(a.SortOrder) - Number(b.SortOrder))
        .map((status) => ({
            Label: status.Label,
            IsDefault: status.IsDefault,
            HasResponded: status.HasResponded,
            SortOrder: status.SortOrder
        }));

const newStatus = (campaignId: string, fields: Record<string, unknown>) =>
    org.call('POST', `${V}/sobjects/CampaignMemberStatus`, { CampaignId: campaignId, ...fields });

describe('CampaignMemberStatus', () => {
    // salesforce.md §1.2: new campaigns get "Sent" (default) and "Responded" (responded), SortOrder 1 and 2.
    it('gives a new Campaign the two default statuses, through the API and the inspector alike', async () => {
        const created = await org.call('POST', `${V}/sobjects/Campaign`, { Name: 'Demo' });
        const expected = [
            { Label: 'Sent', IsDefault: true, HasResponded: false, SortOrder: 1 },
            { Label: 'Responded', IsDefault: false, HasResponded: true, SortOrder: 2 }
        ];
        expect(statusesOf(created.body.id)).toEqual(expected);
        expect(statusesOf(seedCampaign(org))).toEqual(expected);
    });

    // Labels and SortOrder are unique per campaign (pegros doc wording of the DUPLICATE_VALUE; label clash inferred).
    it('refuses a duplicate label (case-insensitive) or SortOrder on the same campaign only', async () => {
        const campaignId = seedCampaign(org);
        const label = await newStatus(campaignId, { Label: 'SENT', SortOrder: 3 });
        expect(label.body).toEqual([
            {
                message: 'duplicate value found: <unknown> duplicates value on record with id: <unknown>',
                errorCode: 'DUPLICATE_VALUE',
                fields: ['Label']
            }
        ]);
        const sortOrder = await newStatus(campaignId, { Label: 'Registered', SortOrder: 2 });
        expect(sortOrder.body[0]).toMatchObject({ errorCode: 'DUPLICATE_VALUE', fields: ['SortOrder'] });
        expect((await newStatus(campaignId, { Label: 'Registered', SortOrder: 3 })).status).toBe(201);
        expect((await newStatus(seedCampaign(org), { Label: 'Registered', SortOrder: 3 })).status).toBe(201);
        expect((await newStatus(campaignId, { Label: 'No order' })).body[0]).toMatchObject({
            errorCode: 'REQUIRED_FIELD_MISSING',
            fields: ['SortOrder']
        });
    });

    // "there must be a default CampaignMemberStatus defined for every campaign" (API 39.0+): a new default
    // clears the old one, on insert and on update; clearing the only default is refused.
    it('keeps exactly one default status', async () => {
        const campaignId = seedCampaign(org);
        const registered = await newStatus(campaignId, {
            Label: 'Registered',
            SortOrder: 3,
            IsDefault: true
        });
        expect(statusesOf(campaignId).filter((status) => status.IsDefault)).toEqual([
            expect.objectContaining({ Label: 'Registered' })
        ]);
        const sent = org.inspect
            .records('CampaignMemberStatus')
            .find((status) => status.CampaignId === campaignId && status.Label === 'Sent');
        expect(
            (
                await org.call('PATCH', `${V}/sobjects/CampaignMemberStatus/${String(sent?.Id)}`, {
                    IsDefault: true
                })
            ).status
        ).toBe(204);
        expect(
            statusesOf(campaignId)
                .filter((status) => status.IsDefault)
                .map((status) => status.Label)
        ).toEqual(['Sent']);
        const cleared = await org.call('PATCH', `${V}/sobjects/CampaignMemberStatus/${String(sent?.Id)}`, {
            IsDefault: false
        });
        expect(cleared.body[0]).toMatchObject({ errorCode: 'DUPLICATE_VALUE', fields: ['IsDefault'] });
        expect(registered.status).toBe(201);
    });

    // "at least one CampaignMemberStatus on each campaign must have a hasResponded value of true" (API 39.0+).
    it('keeps at least one responded status', async () => {
        const campaignId = seedCampaign(org);
        const responded = org.inspect
            .records('CampaignMemberStatus')
            .find((status) => status.CampaignId === campaignId && status.HasResponded);
        const path = `${V}/sobjects/CampaignMemberStatus/${String(responded?.Id)}`;
        expect((await org.call('PATCH', path, { HasResponded: false })).body[0].errorCode).toBe(
            'DUPLICATE_VALUE'
        );
        expect((await org.call('DELETE', path)).body[0].errorCode).toBe('DELETE_FAILED');
        await newStatus(campaignId, { Label: 'Attended', SortOrder: 3, HasResponded: true });
        expect((await org.call('DELETE', path)).status).toBe(204);
    });

    // "You can't delete a CampaignMemberStatus if that status is designated as the default status or if the
    // status is currently used in a Campaign" (Object Reference, Special Access Rules) — DELETE_FAILED chosen.
    it('refuses to delete the default status or a status in use', async () => {
        const campaignId = seedCampaign(org);
        const ids = Object.fromEntries(
            org.inspect
                .records('CampaignMemberStatus')
                .filter((s) => s.CampaignId === campaignId)
                .map((s) => [s.Label, String(s.Id)])
        );
        expect(
            (await org.call('DELETE', `${V}/sobjects/CampaignMemberStatus/${ids.Sent}`)).body[0].errorCode
        ).toBe('DELETE_FAILED');
        await newStatus(campaignId, { Label: 'Attended', SortOrder: 3, HasResponded: true });
        org.inspect.insert('CampaignMember', {
            CampaignId: campaignId,
            LeadId: seedLead(org),
            Status: 'Responded'
        });
        expect(
            (await org.call('DELETE', `${V}/sobjects/CampaignMemberStatus/${ids.Responded}`)).body[0]
                .errorCode
        ).toBe('DELETE_FAILED');
    });
});

describe('CampaignMember', () => {
    // Object Reference: CampaignId and LeadId or ContactId; Status defaults to the campaign's default status.
    it('creates a member with the default status and derives HasResponded', async () => {
        const campaignId = seedCampaign(org);
        const created = await org.call('POST', `${V}/sobjects/CampaignMember`, {
            CampaignId: campaignId,
            LeadId: seedLead(org)
        });
        expect(created.status).toBe(201);
        expect(org.inspect.records('CampaignMember')[0]).toMatchObject({
            Status: 'Sent',
            HasResponded: false,
            FirstRespondedDate: null
        });
        expect(
            (
                await org.call('PATCH', `${V}/sobjects/CampaignMember/${created.body.id}`, {
                    Status: 'responded'
                })
            ).status
        ).toBe(204);
        expect(org.inspect.records('CampaignMember')[0]).toMatchObject({
            Status: 'Responded',
            HasResponded: true,
            FirstRespondedDate: expect.any(String)
        });
        expect(org.inspect.records('Campaign')[0]).toMatchObject({
            NumberOfLeads: 1,
            NumberOfContacts: 0,
            NumberOfResponses: 1
        });
    });

    it('needs a campaign and a lead or contact', async () => {
        const campaignId = seedCampaign(org);
        expect(
            (await org.call('POST', `${V}/sobjects/CampaignMember`, { LeadId: seedLead(org) })).body[0]
        ).toMatchObject({
            errorCode: 'REQUIRED_FIELD_MISSING',
            fields: ['CampaignId']
        });
        expect(
            (await org.call('POST', `${V}/sobjects/CampaignMember`, { CampaignId: campaignId })).body[0]
                .errorCode
        ).toBe('REQUIRED_FIELD_MISSING');
    });

    // "Any attempt to create a single record with both results in a successful insert but only the ContactId is inserted".
    it('keeps only the ContactId when both ids are given', async () => {
        const campaignId = seedCampaign(org);
        const contactId = org.inspect.insert('Contact', { LastName: 'Hopper' });
        await org.call('POST', `${V}/sobjects/CampaignMember`, {
            CampaignId: campaignId,
            LeadId: seedLead(org),
            ContactId: contactId
        });
        expect(org.inspect.records('CampaignMember')[0]).toMatchObject({
            ContactId: contactId,
            LeadId: null
        });
    });

    // The reference leaves an unknown Status unconfirmed (salesforce.md §1.3): the stricter behaviour refuses it.
    it('refuses a Status that is not a status of its campaign', async () => {
        const campaignId = seedCampaign(org);
        const other = seedCampaign(org, { Name: 'Other' });
        await newStatus(other, { Label: 'Attended', SortOrder: 3 });
        const answer = await org.call('POST', `${V}/sobjects/CampaignMember`, {
            CampaignId: campaignId,
            LeadId: seedLead(org),
            Status: 'Attended'
        });
        expect(answer.body).toEqual([
            {
                message: 'Status: bad value for restricted picklist field: Attended',
                errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
                fields: ['Status']
            }
        ]);
    });

    // Catalog DUPLICATE_VALUE "Already a campaign member." per (campaign, lead/contact).
    it('refuses a second member for the same lead on the same campaign', async () => {
        const campaignId = seedCampaign(org);
        const leadId = seedLead(org);
        expect(
            (
                await org.call('POST', `${V}/sobjects/CampaignMember`, {
                    CampaignId: campaignId,
                    LeadId: leadId
                })
            ).status
        ).toBe(201);
        const again = await org.call('POST', `${V}/sobjects/CampaignMember`, {
            CampaignId: campaignId,
            LeadId: leadId
        });
        expect(again.body).toEqual([
            { message: 'Already a campaign member.', errorCode: 'DUPLICATE_VALUE', fields: [] }
        ]);
        expect(
            (
                await org.call('POST', `${V}/sobjects/CampaignMember`, {
                    CampaignId: seedCampaign(org),
                    LeadId: leadId
                })
            ).status
        ).toBe(201);
    });

    // Members follow a status renamed on their campaign, so their Status keeps naming an existing status.
    it('follows a status rename and a change of its responded flag', async () => {
        const campaignId = seedCampaign(org);
        org.inspect.insert('CampaignMember', { CampaignId: campaignId, LeadId: seedLead(org) });
        const sent = org.inspect.records('CampaignMemberStatus').find((status) => status.Label === 'Sent');
        await org.call('PATCH', `${V}/sobjects/CampaignMemberStatus/${String(sent?.Id)}`, {
            Label: 'Registered',
            HasResponded: true
        });
        expect(org.inspect.records('CampaignMember')[0]).toMatchObject({
            Status: 'Registered',
            HasResponded: true
        });
    });

    // Deleting a Campaign sends its members and statuses to the recycle bin; writes to them are ENTITY_IS_DELETED.
    it('soft-deletes members and statuses with their Campaign', async () => {
        const campaignId = seedCampaign(org);
        const memberId = org.inspect.insert('CampaignMember', {
            CampaignId: campaignId,
            LeadId: seedLead(org)
        });
        expect((await org.call('DELETE', `${V}/sobjects/Campaign/${campaignId}`)).status).toBe(204);
        expect(org.inspect.records('CampaignMember')).toHaveLength(0);
        expect(org.inspect.records('CampaignMemberStatus')).toHaveLength(0);
        expect(org.inspect.records('CampaignMemberStatus', { includeDeleted: true })).toHaveLength(2);
        const update = await org.call('PATCH', `${V}/sobjects/CampaignMember/${memberId}`, {
            Status: 'Sent'
        });
        expect(update.body[0].errorCode).toBe('ENTITY_IS_DELETED');
        const insert = await org.call('POST', `${V}/sobjects/CampaignMember`, {
            CampaignId: campaignId,
            LeadId: seedLead(org)
        });
        expect(insert.body[0].errorCode).toBe('ENTITY_IS_DELETED');
    });
});

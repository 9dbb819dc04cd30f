import { afterEach, describe, expect, it } from 'vitest';
import type { TestOrg } from './test-helpers.ts';
import { closeTestOrgs, seedCampaign, seedLead, startTestOrg, V } from './test-helpers.ts';

let org: TestOrg;
afterEach(closeTestOrgs);

const memberRecords = (campaignId: string, leadIds: string[]) => ({
    allOrNone: false,
    records: leadIds.map((leadId) => ({
        attributes: { type: 'CampaignMember' },
        CampaignId: campaignId,
        LeadId: leadId
    }))
});

describe('row locks on a Campaign', () => {
    // KB 000229525 / Record Locking Cheatsheet (salesforce.md §2.2): member writes lock their Campaign; a
    // concurrent write to the same Campaign fails UNABLE_TO_LOCK_ROW once the lock wait is over.
    it('fails the records of a second concurrent call writing members of the same Campaign', async () => {
        org = await startTestOrg({ latencyMs: 300 });
        const campaignId = seedCampaign(org);
        const leads = Array.from({ length: 4 }, () => seedLead(org));
        const [first, second] = await Promise.all([
            org.call('POST', `${V}/composite/sobjects`, memberRecords(campaignId, leads.slice(0, 2))),
            org.call('POST', `${V}/composite/sobjects`, memberRecords(campaignId, leads.slice(2)))
        ]);
        const results = [first, second].map(
            (answer) =>
                answer.body as { success: boolean; errors: { statusCode: string; message: string }[] }[]
        );
        const locked = results.filter((records) => records.every((record) => !record.success));
        const saved = results.filter((records) => records.every((record) => record.success));
        expect(locked).toHaveLength(1);
        expect(saved).toHaveLength(1);
        expect(locked[0]?.[0]?.errors).toEqual([
            {
                statusCode: 'UNABLE_TO_LOCK_ROW',
                message: `unable to obtain exclusive access to this record or 1 records: ${campaignId}`,
                fields: []
            }
        ]);
        expect(org.inspect.records('CampaignMember')).toHaveLength(2);
    });

    it('lets calls on different Campaigns run side by side', async () => {
        org = await startTestOrg({ latencyMs: 200 });
        const [a, b] = [seedCampaign(org), seedCampaign(org, { Name: 'Other' })];
        const answers = await Promise.all([
            org.call('POST', `${V}/sobjects/CampaignMember`, { CampaignId: a, LeadId: seedLead(org) }),
            org.call('POST', `${V}/sobjects/CampaignMember`, { CampaignId: b, LeadId: seedLead(org) })
        ]);
        expect(answers.map((answer) => answer.status)).toEqual([201, 201]);
    });

    it('waits up to lockWaitMs for the lock before failing', async () => {
        org = await startTestOrg({ latencyMs: 200, lockWaitMs: 2000 });
        const campaignId = seedCampaign(org);
        const started = Date.now();
        const answers = await Promise.all([
            org.call('PATCH', `${V}/sobjects/Campaign/${campaignId}`, { Livestorm_Registrants__c: 1 }),
            org.call('POST', `${V}/sobjects/CampaignMember`, {
                CampaignId: campaignId,
                LeadId: seedLead(org)
            })
        ]);
        expect(answers.map((answer) => answer.status)).toEqual([204, 201]);
        expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    });

    // In a composite the subrequest whose record cannot be locked answers 400 UNABLE_TO_LOCK_ROW.
    it('fails the subrequest of a composite that cannot get the lock', async () => {
        org = await startTestOrg({ latencyMs: 300 });
        const campaignId = seedCampaign(org);
        const [, composite] = await Promise.all([
            org.call('PATCH', `${V}/sobjects/Campaign/${campaignId}`, { Livestorm_Attendees__c: 3 }),
            new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
                org.composite({
                    compositeRequest: [
                        {
                            method: 'POST',
                            url: `${V}/sobjects/Lead`,
                            referenceId: 'lead',
                            body: { LastName: 'A', Company: 'B' }
                        },
                        {
                            method: 'POST',
                            url: `${V}/sobjects/CampaignMember`,
                            referenceId: 'member',
                            body: { CampaignId: campaignId, LeadId: '@{lead.id}' }
                        }
                    ]
                })
            )
        ]);
        const [lead, member] = composite.body.compositeResponse;
        expect(lead.httpStatusCode).toBe(201);
        expect(member).toMatchObject({ httpStatusCode: 400, body: [{ errorCode: 'UNABLE_TO_LOCK_ROW' }] });
    });

    it('injects lock errors on the next record writes touching a Campaign', async () => {
        org = await startTestOrg();
        const campaignId = seedCampaign(org);
        org.inspect.setFaults({ injectLockErrors: 1 });
        const leadWrite = await org.call('POST', `${V}/sobjects/Lead`, { LastName: 'A', Company: 'B' });
        expect(leadWrite.status).toBe(201);
        const answer = await org.call(
            'POST',
            `${V}/composite/sobjects`,
            memberRecords(campaignId, [seedLead(org), seedLead(org)])
        );
        expect(answer.body.map((record: { success: boolean }) => record.success)).toEqual([false, true]);
        expect(answer.body[0].errors[0].statusCode).toBe('UNABLE_TO_LOCK_ROW');
    });
});

describe('injected faults and latency', () => {
    it('starts with the faults given at start-up (here an exhausted daily limit: 403 REQUEST_LIMIT_EXCEEDED)', async () => {
        org = await startTestOrg({ faults: { exhaustLimit: true } });
        const answer = await org.call('GET', `${V}/limits`);
        expect(answer.status).toBe(403);
        expect(answer.body).toEqual([
            { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }
        ]);
    });

    it('fails the records a recordErrors hook picks', async () => {
        org = await startTestOrg();
        org.inspect.setFaults({
            recordErrors: (sobject, record) =>
                sobject === 'Lead' && record.LastName === 'Broken'
                    ? { statusCode: 'UNKNOWN_EXCEPTION', message: 'boom', fields: [] }
                    : undefined
        });
        const answer = await org.call('POST', `${V}/composite/sobjects`, {
            records: [
                { attributes: { type: 'Lead' }, LastName: 'Broken', Company: 'X' },
                { attributes: { type: 'Lead' }, LastName: 'Fine', Company: 'X' }
            ]
        });
        expect(answer.body[0]).toEqual({
            success: false,
            errors: [{ statusCode: 'UNKNOWN_EXCEPTION', message: 'boom', fields: [] }]
        });
        expect(answer.body[1].success).toBe(true);
    });

    it('adds latency per call and per record', async () => {
        org = await startTestOrg();
        org.inspect.setLatency(100, 20);
        const records = Array.from({ length: 10 }, (_, index) => ({
            attributes: { type: 'Lead' },
            LastName: `L${index}`,
            Company: 'X'
        }));
        const started = Date.now();
        await org.call('POST', `${V}/composite/sobjects`, { records });
        expect(Date.now() - started).toBeGreaterThanOrEqual(300);
        expect(org.inspect.calls().log[0]?.records).toBe(10);
    });
});

// The assignment header the connection adds: FALSE on every write and every write subrequest, unless the caller set it.
import { describe, expect, it } from 'vitest';
import { leadCreationAssignment } from '../sync/session-sync.ts';
import { createSalesforceConnection } from './connection.ts';

function recordingConnection() {
    const sent: { method: string; url: string; headers: Record<string, string>; body: unknown }[] = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
        const body = init.body ? (JSON.parse(String(init.body)) as unknown) : undefined;
        sent.push({
            method: String(init.method),
            url,
            headers: init.headers as Record<string, string>,
            body
        });
        const answer = String(url).endsWith('/composite') ? { compositeResponse: [] } : {};
        return new Response(JSON.stringify(answer), { status: 200 });
    }) as unknown as typeof fetch;
    const connection = createSalesforceConnection(
        { mode: 'token', instanceUrl: 'https://example.my.salesforce.com', accessToken: 'token' },
        { apiVersion: '66.0', fetch: fakeFetch }
    );
    return { connection, sent };
}

describe('Sforce-Auto-Assign', () => {
    it('is FALSE on writes, absent on reads, and left as the caller set it', async () => {
        const { connection, sent } = recordingConnection();
        await connection.request('PATCH', 'sobjects/Lead/00Q000000000001', { Title: 'CTO' });
        await connection.request('GET', 'sobjects/Lead/describe');
        await connection.request(
            'POST',
            'sobjects/Lead',
            { LastName: 'X' },
            { 'sforce-auto-assign': 'TRUE' }
        );
        expect(sent.map((request) => request.headers['Sforce-Auto-Assign'])).toEqual([
            'FALSE',
            undefined,
            undefined
        ]);
        expect(sent[2]?.headers['sforce-auto-assign']).toBe('TRUE');
    });

    it('goes on each write subrequest of a composite, since subrequests do not inherit the outer headers', async () => {
        const { connection, sent } = recordingConnection();
        await connection.composite([
            { method: 'GET', url: 'query?q=SELECT+Id+FROM+Lead', referenceId: 'read' },
            {
                method: 'PATCH',
                url: 'composite/sobjects',
                referenceId: 'enrich',
                httpHeaders: { 'Sforce-Duplicate-Rule-Header': 'allowSave=true' },
                body: { records: [] }
            },
            {
                method: 'POST',
                url: 'composite/sobjects',
                referenceId: 'newLeads',
                httpHeaders: {
                    'Sforce-Auto-Assign': leadCreationAssignment({ leadAssignment: '01Q000000000001' })
                },
                body: { records: [] }
            },
            { method: 'DELETE', url: 'sobjects/CampaignMemberStatus/01Y000000000001', referenceId: 'drop' }
        ]);
        const subrequests = (
            sent[0]?.body as { compositeRequest: { httpHeaders?: Record<string, string> }[] }
        ).compositeRequest;
        expect(subrequests.map((sub) => sub.httpHeaders)).toEqual([
            undefined,
            { 'Sforce-Duplicate-Rule-Header': 'allowSave=true', 'Sforce-Auto-Assign': 'FALSE' },
            { 'Sforce-Auto-Assign': '01Q000000000001' },
            { 'Sforce-Auto-Assign': 'FALSE' }
        ]);
    });

    it('maps leadAssignment to the value sent with Lead creation', () => {
        expect(leadCreationAssignment({ leadAssignment: 'org-rules' })).toBe('TRUE');
        expect(leadCreationAssignment({ leadAssignment: 'none' })).toBe('FALSE');
        expect(leadCreationAssignment({ leadAssignment: '01Q000000000001AAA' })).toBe('01Q000000000001AAA');
    });
});

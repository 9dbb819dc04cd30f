// The assignment header the connection adds: FALSE on every write and every write subrequest, unless the caller set it;
// and the request timeout that fails a call Salesforce never answers.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { leadCreationAssignment } from '../sync/session-sync.ts';
import { createSalesforceConnection, SALESFORCE_REQUEST_TIMEOUT_MS, SalesforceError } from './connection.ts';

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

describe('a Salesforce that stops answering', () => {
    const auth = {
        mode: 'token',
        instanceUrl: 'https://example.my.salesforce.com',
        accessToken: '00Dxx0000001gPL!secret-access-token'
    } as const;
    /** A fetch that never answers: it only ends when its signal aborts, as the real fetch does. */
    const hangingFetch = (async (_url: string, init: RequestInit) =>
        new Promise<Response>((_resolve, reject) => {
            init.signal?.addEventListener('abort', () => reject(init.signal!.reason));
        })) as unknown as typeof fetch;

    afterEach(() => {
        vi.useRealTimers();
    });

    it('fails a call after SALESFORCE_REQUEST_TIMEOUT_MS by default, saying so in words an admin understands', async () => {
        vi.useFakeTimers();
        const connection = createSalesforceConnection(auth, { apiVersion: '66.0', fetch: hangingFetch });
        const call = connection.composite([{ method: 'GET', url: 'limits', referenceId: 'limits' }]);
        const failed = call.then(
            () => null,
            (error: unknown) => error
        );
        await vi.advanceTimersByTimeAsync(SALESFORCE_REQUEST_TIMEOUT_MS - 1);
        expect(await Promise.race([failed, Promise.resolve('still waiting')])).toBe('still waiting');
        await vi.advanceTimersByTimeAsync(1);
        const error = await failed;
        expect(error).toBeInstanceOf(SalesforceError);
        expect(error).toMatchObject({ kind: 'transient', errorCode: 'REQUEST_TIMEOUT', status: null });
        expect((error as Error).message).toBe(
            `Salesforce did not answer POST /services/data/v66.0/composite within ${SALESFORCE_REQUEST_TIMEOUT_MS / 1000} s (the listener's request timeout): the org is down or overloaded, or the network drops the connection.`
        );
        expect((error as Error).message).not.toContain(auth.accessToken);
    });

    it('also fails a call whose answer starts and then stalls', async () => {
        const server = createServer((_request, response) => {
            response.writeHead(200, { 'content-type': 'application/json' });
            response.write('{"compositeResponse": [');
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        try {
            const { port } = server.address() as AddressInfo;
            const connection = createSalesforceConnection(
                { mode: 'token', instanceUrl: `http://127.0.0.1:${port}`, accessToken: 'token' },
                { apiVersion: '66.0', timeoutMs: 200 }
            );
            const error: unknown = await connection
                .request('GET', 'limits')
                .catch((caught: unknown) => caught);
            expect(error).toBeInstanceOf(SalesforceError);
            expect(error).toMatchObject({ kind: 'transient', errorCode: 'REQUEST_TIMEOUT' });
            expect((error as Error).message).toMatch(
                /^Salesforce did not answer GET \/services\/data\/v66\.0\/limits within 0\.2 s/
            );
        } finally {
            server.closeAllConnections();
            await new Promise((resolve) => server.close(resolve));
        }
    });
});

import { generateKeyPairSync, createSign } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestOrg } from './test-helpers.ts';
import { closeTestOrgs, startTestOrg, V } from './test-helpers.ts';

let org: TestOrg;
afterEach(closeTestOrgs);

const form = (values: Record<string, string>): RequestInit => ({
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(values).toString()
});

function jwt(claims: Record<string, unknown>, sign?: (input: string) => string): string {
    const header = Buffer.from(JSON.stringify({ alg: 'RS256' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const signature = sign ? sign(`${header}.${payload}`) : 'c2lnbmF0dXJl';
    return `${header}.${payload}.${signature}`;
}

describe('OAuth token endpoint', () => {
    // Client credentials flow (reference oauth/02): any client unless the app's credentials are configured;
    // response shape of jsforce's TokenResponse (oauth/01), no expires_in, no refresh token.
    it('issues a usable token for client_credentials and counts it as a token request, not an API call', async () => {
        org = await startTestOrg();
        const response = await fetch(
            `${org.url}/services/oauth2/token`,
            form({ grant_type: 'client_credentials', client_id: 'id', client_secret: 'secret' })
        );
        const token = (await response.json()) as Record<string, string>;
        expect(response.status).toBe(200);
        expect(token).toMatchObject({ token_type: 'Bearer', instance_url: org.url, scope: 'api' });
        expect(token.id).toMatch(/\/id\/00D\w+\/005\w+$/);
        expect(token).not.toHaveProperty('refresh_token');
        expect(token).not.toHaveProperty('expires_in');
        const limits = await fetch(`${org.url}${V}/limits`, {
            headers: { Authorization: `Bearer ${token.access_token}` }
        });
        expect(limits.status).toBe(200);
        expect(org.inspect.tokens()).toBe(2);
        const calls = org.inspect.calls();
        expect(calls.byKind.token).toBe(1);
        expect(calls.total).toBe(1);
    });

    // Catalog "OAuth token endpoint errors": bad client credentials answer 400 invalid_client.
    it('enforces configured client credentials', async () => {
        org = await startTestOrg({ clientId: 'X', clientSecret: 'Y' });
        const bad = await fetch(
            `${org.url}/services/oauth2/token`,
            form({ grant_type: 'client_credentials', client_id: 'X', client_secret: 'nope' })
        );
        expect(bad.status).toBe(400);
        expect(await bad.json()).toEqual({
            error: 'invalid_client',
            error_description: 'invalid client credentials'
        });
        const good = await fetch(
            `${org.url}/services/oauth2/token`,
            form({ grant_type: 'client_credentials', client_id: 'X', client_secret: 'Y' })
        );
        expect(good.status).toBe(200);
    });

    // JWT bearer flow (reference oauth/02): claims iss, sub, aud, exp; an expired or malformed assertion fails.
    it('accepts a well-formed JWT bearer assertion and refuses expired or malformed ones', async () => {
        org = await startTestOrg();
        const exp = Math.floor(Date.now() / 1000) + 180;
        const claims = {
            iss: 'consumer',
            sub: 'integration@example.com',
            aud: 'https://login.salesforce.com',
            exp
        };
        const grant = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
        const ok = await fetch(
            `${org.url}/services/oauth2/token`,
            form({ grant_type: grant, assertion: jwt(claims) })
        );
        expect(ok.status).toBe(200);
        const expired = await fetch(
            `${org.url}/services/oauth2/token`,
            form({ grant_type: grant, assertion: jwt({ ...claims, exp: exp - 3600 }) })
        );
        expect(expired.status).toBe(400);
        expect(((await expired.json()) as { error: string }).error).toBe('invalid_grant');
        const missingSub = await fetch(
            `${org.url}/services/oauth2/token`,
            form({ grant_type: grant, assertion: jwt({ ...claims, sub: undefined }) })
        );
        expect(missingSub.status).toBe(400);
        const badAudience = await fetch(
            `${org.url}/services/oauth2/token`,
            form({ grant_type: grant, assertion: jwt({ ...claims, aud: 'https://evil.example' }) })
        );
        expect(await badAudience.json()).toEqual({
            error: 'invalid_grant',
            error_description: 'audience is invalid'
        });
        const garbage = await fetch(
            `${org.url}/services/oauth2/token`,
            form({ grant_type: grant, assertion: 'not-a-jwt' })
        );
        expect(garbage.status).toBe(400);
    });

    it('checks the RS256 signature when a public key is configured', async () => {
        const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        org = await startTestOrg({
            jwtPublicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString()
        });
        const claims = {
            iss: 'c',
            sub: 'u',
            aud: 'https://login.salesforce.com',
            exp: Math.floor(Date.now() / 1000) + 60
        };
        const signed = jwt(claims, (input) =>
            createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url')
        );
        const grant = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
        expect(
            (await fetch(`${org.url}/services/oauth2/token`, form({ grant_type: grant, assertion: signed })))
                .status
        ).toBe(200);
        expect(
            (
                await fetch(
                    `${org.url}/services/oauth2/token`,
                    form({ grant_type: grant, assertion: jwt(claims) })
                )
            ).status
        ).toBe(400);
    });
});

describe('sessions, versions, limits', () => {
    // Catalog INVALID_SESSION_ID: 401 with [{message, errorCode}] without or with a bad token.
    it('answers 401 INVALID_SESSION_ID without a valid bearer token, and after tokens expire', async () => {
        org = await startTestOrg();
        const none = await fetch(`${org.url}${V}/limits`);
        expect(none.status).toBe(401);
        expect(await none.json()).toEqual([
            { message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }
        ]);
        expect((await org.call('GET', `${V}/limits`)).status).toBe(200);
        org.inspect.setFaults({ expireTokens: true });
        expect((await org.call('GET', `${V}/limits`)).status).toBe(401);
        expect(org.inspect.calls().total).toBe(1);
    });

    // REST "Versions": no session needed, one entry per served version; any version up to the newest is served.
    it('lists versions up to the advertised one and serves any of them', async () => {
        org = await startTestOrg({ apiVersion: '64.0' });
        const versions = (await (await fetch(`${org.url}/services/data/`)).json()) as {
            version: string;
            label: string;
        }[];
        expect(versions.at(-1)).toEqual({
            label: "Summer '25",
            url: '/services/data/v64.0',
            version: '64.0'
        });
        expect((await org.call('GET', '/services/data/v52.0/')).body).toHaveProperty(
            'query',
            '/services/data/v52.0/query'
        );
        expect((await org.call('GET', '/services/data/v65.0/limits')).status).toBe(404);
    });

    it('defaults the newest version to sourceApiVersion of sfdx-project.json', async () => {
        org = await startTestOrg();
        const versions = (await (await fetch(`${org.url}/services/data`)).json()) as { version: string }[];
        expect(versions.at(-1)?.version).toBe('66.0');
    });

    // Headers doc (reference rest/02): Sforce-Limit-Info: api-usage=N/M on every response; limits resource (rest/03).
    it('reports usage in Sforce-Limit-Info and in /limits', async () => {
        org = await startTestOrg({ dailyApiLimit: 500 });
        const first = await org.call('GET', `${V}/limits`);
        expect(first.headers.get('sforce-limit-info')).toBe('api-usage=1/500');
        expect(first.body.DailyApiRequests).toEqual({ Max: 500, Remaining: 499 });
        const second = await org.call('GET', `${V}/sobjects/Lead/describe`);
        expect(second.headers.get('sforce-limit-info')).toBe('api-usage=2/500');
    });

    // Catalog REQUEST_LIMIT_EXCEEDED: 403 "TotalRequests Limit exceeded." once the daily allocation is used.
    it('answers 403 REQUEST_LIMIT_EXCEEDED past the daily limit', async () => {
        org = await startTestOrg({ dailyApiLimit: 2 });
        expect((await org.call('GET', `${V}/limits`)).status).toBe(200);
        expect((await org.call('GET', `${V}/limits`)).status).toBe(200);
        const refused = await org.call('GET', `${V}/limits`);
        expect(refused.status).toBe(403);
        expect(refused.body).toEqual([
            { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }
        ]);
    });

    it('exhausts the limit on demand', async () => {
        org = await startTestOrg();
        org.inspect.setFaults({ exhaustLimit: true });
        expect((await org.call('GET', `${V}/limits`)).status).toBe(403);
    });

    // REST "Status Codes and Error Responses": 403 REQUEST_LIMIT_EXCEEDED for every API request limit; the message names
    // which one (salesforce.md §4, §10). Concurrency answers are injected per call or for a time, and count nothing.
    it('answers the three REQUEST_LIMIT_EXCEEDED messages as injected, for a number of calls or until a time', async () => {
        org = await startTestOrg({ dailyApiLimit: 500 });
        for (const [kind, message] of [
            ['ConcurrentPerOrgLongTxn', 'ConcurrentPerOrgLongTxn Limit exceeded.'],
            ['ConcurrentRequests', 'ConcurrentRequests (Concurrent API Requests) Limit exceeded.'],
            ['TotalRequests', 'TotalRequests Limit exceeded.']
        ] as const) {
            org.inspect.setFaults({ requestLimit: { kind, count: 2 } });
            for (let call = 0; call < 2; call++) {
                const refused = await org.call('GET', `${V}/limits`);
                expect(refused.status).toBe(403);
                expect(refused.body).toEqual([{ message, errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
            }
            expect((await org.call('GET', `${V}/limits`)).status).toBe(200);
        }
        // Only the three answered calls were counted.
        expect((await org.call('GET', `${V}/limits`)).headers.get('sforce-limit-info')).toBe(
            'api-usage=4/500'
        );
        org.inspect.setFaults({
            requestLimit: { kind: 'ConcurrentPerOrgLongTxn', untilMs: Date.now() + 60_000 }
        });
        expect((await org.call('GET', `${V}/limits`)).status).toBe(403);
        expect((await org.call('GET', `${V}/limits`)).status).toBe(403);
        org.inspect.setFaults({ requestLimit: { kind: 'ConcurrentPerOrgLongTxn', untilMs: Date.now() - 1 } });
        expect((await org.call('GET', `${V}/limits`)).status).toBe(200);
    });

    // Help article 000386264: a GET URI over 16,384 bytes is refused with 414 before the API sees it.
    it('answers 414 to a URI over 16,384 bytes and does not count it', async () => {
        org = await startTestOrg();
        const emails = Array.from({ length: 700 }, (_, index) => `'person${index}@example.com'`).join(',');
        const response = await org.query(`SELECT Id FROM Lead WHERE Email IN (${emails})`);
        expect(response.status).toBe(414);
        expect(org.inspect.calls().total).toBe(0);
        const shorter = await org.query(
            `SELECT Id FROM Lead WHERE Email IN (${emails.split(',').slice(0, 100).join(',')})`
        );
        expect(shorter.status).toBe(200);
    });

    it('answers injected server errors for the next N calls, then recovers', async () => {
        org = await startTestOrg();
        org.inspect.setFaults({ serverErrors: { count: 2, status: 503 } });
        expect((await org.call('GET', `${V}/limits`)).status).toBe(503);
        expect((await org.call('GET', `${V}/limits`)).status).toBe(503);
        expect((await org.call('GET', `${V}/limits`)).status).toBe(200);
        expect(org.inspect.calls().log.map((entry) => entry.status)).toEqual([503, 503, 200]);
    });
});

describe('API call accounting', () => {
    // REST "Composite": "The entire series of requests counts as a single call"; sObject Collections: "The entire
    // request counts as a single call"; every other request is one call; token requests are not API calls.
    it('counts a composite and a collections request as one call each', async () => {
        org = await startTestOrg();
        await org.composite({
            compositeRequest: [
                {
                    method: 'POST',
                    url: `${V}/sobjects/Campaign`,
                    referenceId: 'campaign',
                    body: { Name: 'A' }
                },
                {
                    method: 'GET',
                    url: `${V}/query?q=SELECT Id FROM CampaignMemberStatus WHERE CampaignId = '@{campaign.id}'`,
                    referenceId: 'statuses'
                },
                {
                    method: 'POST',
                    url: `${V}/composite/sobjects`,
                    referenceId: 'leads',
                    body: { records: [{ attributes: { type: 'Lead' }, LastName: 'A', Company: 'B' }] }
                }
            ]
        });
        await org.call('POST', `${V}/composite/sobjects`, {
            records: [{ attributes: { type: 'Lead' }, LastName: 'C', Company: 'D' }]
        });
        await org.query('SELECT Id FROM Lead');
        await org.call('GET', `${V}/sobjects/Lead/describe`);
        const calls = org.inspect.calls();
        expect(calls.total).toBe(4);
        expect(calls.byKind).toMatchObject({
            composite: 1,
            collections: 1,
            query: 1,
            describe: 1,
            sobject: 0
        });
        expect(calls.log[0]).toMatchObject({ kind: 'composite', subrequests: 3, status: 200 });
        expect(org.inspect.records('Lead')).toHaveLength(2);
        org.inspect.resetCalls();
        expect(org.inspect.calls().total).toBe(0);
    });
});

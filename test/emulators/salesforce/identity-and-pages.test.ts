// The identity URL as a real org serves it, and Lightning record pages reduced to the record's name.
import { afterEach, describe, expect, it } from 'vitest';
import type { TestOrg } from './test-helpers.ts';
import { closeTestOrgs, startTestOrg, V } from './test-helpers.ts';

let org: TestOrg;
afterEach(closeTestOrgs);

describe('identity URL', () => {
    it('is listed by Resources by Version and answers with the session user, outside the API allocation', async () => {
        org = await startTestOrg();
        const resources = await org.call('GET', `${V}/`);
        expect(resources.status).toBe(200);
        const identity = String(resources.body.identity);
        expect(identity).toMatch(new RegExp(`^${org.instanceUrl}/id/00D\\w{15}/005\\w{15}$`));

        const before = org.inspect.calls().total;
        const answer = await fetch(identity, { headers: { Authorization: `Bearer ${org.accessToken}` } });
        expect(answer.status).toBe(200);
        const body = (await answer.json()) as Record<string, unknown>;
        expect(body).toMatchObject({
            id: identity,
            username: 'integration@livestorm-salesforce.example',
            organization_id: identity.split('/').at(-2),
            user_id: identity.split('/').at(-1),
            active: true
        });
        expect(org.inspect.calls().total).toBe(before);

        // The token may also come as the oauth_token parameter.
        expect((await fetch(`${identity}?oauth_token=${encodeURIComponent(org.accessToken)}`)).status).toBe(
            200
        );
    });

    it('refuses a missing or unknown token, another org and an unknown user', async () => {
        org = await startTestOrg();
        const identity = String((await org.call('GET', `${V}/`)).body.identity);
        const headers = { Authorization: `Bearer ${org.accessToken}` };
        const missing = await fetch(identity);
        expect([missing.status, await missing.text()]).toEqual([403, 'Missing_OAuth_Token']);
        const bad = await fetch(identity, { headers: { Authorization: 'Bearer 00Dxx!nope' } });
        expect([bad.status, await bad.text()]).toEqual([403, 'Bad_OAuth_Token']);
        const otherOrg = await fetch(identity.replace(/\/id\/00D\w+\//, '/id/00D000000000999AAA/'), {
            headers
        });
        expect([otherOrg.status, await otherOrg.text()]).toEqual([403, 'Wrong_Org']);
        const unknown = await fetch(identity.replace(/\/005\w+$/, '/005000000000999AAA'), { headers });
        expect([unknown.status, await unknown.text()]).toEqual([404, 'Bad_Id']);
    });
});

describe('Lightning record pages', () => {
    it('name the record at /lightning/r/<sObject>/<Id>/view, escaped, and 404 once it is deleted', async () => {
        org = await startTestOrg();
        const id = org.inspect.insert('Campaign', { Name: 'Spring <launch> & demo - 2026-03-01' });
        const page = await fetch(`${org.url}/lightning/r/Campaign/${id}/view`);
        expect(page.status).toBe(200);
        expect(page.headers.get('content-type')).toMatch(/^text\/html/);
        const text = await page.text();
        expect(text).toContain('<h1>Spring &lt;launch&gt; &amp; demo - 2026-03-01</h1>');
        expect(text).toContain(`Campaign ${id}`);

        expect((await fetch(`${org.url}/lightning/r/Lead/${id}/view`)).status).toBe(404);
        org.inspect.delete('Campaign', id);
        const gone = await fetch(`${org.url}/lightning/r/Campaign/${id}/view`);
        expect(gone.status).toBe(404);
        expect(await gone.text()).toContain('Record not found');
    });
});

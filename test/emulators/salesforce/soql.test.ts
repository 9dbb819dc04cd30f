import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestOrg } from './test-helpers.ts';
import { closeTestOrgs, seedCampaign, seedLead, startTestOrg, V } from './test-helpers.ts';

let org: TestOrg;
beforeEach(async () => {
    org = await startTestOrg();
});
afterEach(closeTestOrgs);

const emails = (answer: { body: { records: { Email: string }[] } }): string[] =>
    answer.body.records.map((record) => record.Email);

describe('SOQL query', () => {
    // REST "Query" (reference rest/04): { totalSize, done, records: [{ attributes: { type, url }, ...fields }] }.
    it('answers the documented shape with fields in canonical case', async () => {
        const id = seedLead(org, { Email: 'ada@example.com' });
        const answer = await org.query('select id, email from lead');
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({
            totalSize: 1,
            done: true,
            records: [
                {
                    attributes: { type: 'Lead', url: `${V}/sobjects/Lead/${id}` },
                    Id: id,
                    Email: 'ada@example.com'
                }
            ]
        });
    });

    // SOQL reference, quoted string escapes: \' inside a literal is an apostrophe.
    it("matches an escaped apostrophe: o\\'brien@example.com", async () => {
        seedLead(org, { Email: "o'brien@example.com" });
        seedLead(org, { Email: 'obrien@example.com' });
        const answer = await org.query("SELECT Id, Email FROM Lead WHERE Email = 'o\\'brien@example.com'");
        expect(emails(answer)).toEqual(["o'brien@example.com"]);
    });

    it('decodes the other documented escapes and refuses unknown ones', async () => {
        seedLead(org, { Description: 'line1\nline2 \\ "quoted"' });
        const answer = await org.query(
            `SELECT Id FROM Lead WHERE Description = 'line1\\nline2 \\\\ \\"quoted\\"'`
        );
        expect(answer.body.totalSize).toBe(1);
        const bad = await org.query("SELECT Id FROM Lead WHERE Email = 'a\\qb'");
        expect(bad.status).toBe(400);
        expect(bad.body[0].errorCode).toBe('MALFORMED_QUERY');
    });

    // "Comparisons on strings are case-insensitive for all other fields" (reference soql/01).
    it('compares text case-insensitively, in IN lists too', async () => {
        seedLead(org, { Email: 'BOB@Example.org' });
        seedLead(org, { Email: 'ada@example.com' });
        seedLead(org, { Email: 'eve@example.net' });
        const answer = await org.query(
            "SELECT Email FROM Lead WHERE Email IN ('bob@example.org', 'ADA@EXAMPLE.COM') ORDER BY Email"
        );
        expect(emails(answer)).toEqual(['ada@example.com', 'BOB@Example.org']);
        const notIn = await org.query(
            "SELECT Email FROM Lead WHERE Email NOT IN ('bob@example.org', 'ADA@EXAMPLE.COM')"
        );
        expect(emails(notIn)).toEqual(['eve@example.net']);
    });

    it('supports LIKE with % and _, AND/OR/NOT with parentheses, comparison operators and NULL', async () => {
        seedLead(org, { Email: 'ada@example.com', NumberOfEmployees: 10 });
        seedLead(org, { Email: 'adb@example.com', NumberOfEmployees: 50 });
        seedLead(org, { Email: 'bob@other.org', NumberOfEmployees: 200 });
        seedLead(org, { NumberOfEmployees: 5 });
        expect(
            emails(await org.query("SELECT Email FROM Lead WHERE Email LIKE 'ad_@EXAMPLE%' ORDER BY Email"))
        ).toEqual(['ada@example.com', 'adb@example.com']);
        const combined = await org.query(
            "SELECT Email FROM Lead WHERE (NumberOfEmployees >= 50 OR Email = 'ada@example.com') AND NOT (Email LIKE '%.org') ORDER BY Email"
        );
        expect(emails(combined)).toEqual(['ada@example.com', 'adb@example.com']);
        expect((await org.query('SELECT Id FROM Lead WHERE Email = null')).body.totalSize).toBe(1);
        expect(
            (await org.query('SELECT Id FROM Lead WHERE Email != null AND NumberOfEmployees < 200')).body
                .totalSize
        ).toBe(2);
        expect((await org.query('SELECT Id FROM Lead WHERE NumberOfEmployees <> 5')).body.totalSize).toBe(3);
    });

    // SOQL requires parentheses to mix AND and OR.
    it('refuses AND and OR mixed without parentheses', async () => {
        const answer = await org.query(
            "SELECT Id FROM Lead WHERE Email = 'a' AND LastName = 'b' OR Company = 'c'"
        );
        expect(answer.status).toBe(400);
        expect(answer.body[0].errorCode).toBe('MALFORMED_QUERY');
    });

    // ORDER BY: ASC by default, "By default, null values are sorted first"; LIMIT and OFFSET.
    it('orders with ASC/DESC and NULLS FIRST/LAST, then applies OFFSET and LIMIT', async () => {
        for (const email of ['c@x.io', 'a@x.io', null, 'b@x.io']) seedLead(org, { Email: email });
        expect(emails(await org.query('SELECT Email FROM Lead ORDER BY Email'))).toEqual([
            null,
            'a@x.io',
            'b@x.io',
            'c@x.io'
        ]);
        expect(emails(await org.query('SELECT Email FROM Lead ORDER BY Email DESC NULLS LAST'))).toEqual([
            'c@x.io',
            'b@x.io',
            'a@x.io',
            null
        ]);
        expect(
            emails(await org.query('SELECT Email FROM Lead ORDER BY Email ASC NULLS LAST LIMIT 2 OFFSET 1'))
        ).toEqual(['b@x.io', 'c@x.io']);
    });

    it('counts with COUNT()', async () => {
        seedLead(org);
        seedLead(org);
        const answer = await org.query('SELECT COUNT() FROM Lead');
        expect(answer.body).toEqual({ totalSize: 2, done: true, records: [] });
    });

    it('filters dates and datetimes with unquoted literals only', async () => {
        seedCampaign(org, { StartDate: '2026-11-24', Livestorm_Session_Start__c: '2026-11-24T17:00:00Z' });
        seedCampaign(org, { StartDate: '2026-12-01' });
        expect((await org.query('SELECT Id FROM Campaign WHERE StartDate < 2026-12-01')).body.totalSize).toBe(
            1
        );
        expect(
            (
                await org.query(
                    'SELECT Id FROM Campaign WHERE Livestorm_Session_Start__c > 2026-11-24T16:00:00Z'
                )
            ).body.totalSize
        ).toBe(1);
        expect((await org.query('SELECT Id FROM Campaign WHERE CreatedDate = TODAY')).body.totalSize).toBe(2);
        const quoted = await org.query("SELECT Id FROM Campaign WHERE StartDate = '2026-11-24'");
        expect(quoted.status).toBe(400);
        expect(quoted.body[0].errorCode).toBe('INVALID_FIELD');
        const answer = await org.query(
            'SELECT Livestorm_Session_Start__c FROM Campaign WHERE StartDate = 2026-11-24'
        );
        expect(answer.body.records[0].Livestorm_Session_Start__c).toBe('2026-11-24T17:00:00.000+0000');
    });

    it('follows parent relationship paths', async () => {
        const campaignId = seedCampaign(org, { Name: 'Launch' });
        const leadId = seedLead(org, { Email: 'ada@example.com' });
        org.inspect.insert('CampaignMember', { CampaignId: campaignId, LeadId: leadId });
        const answer = await org.query(
            `SELECT Id, Lead.Email, Campaign.Name FROM CampaignMember WHERE Lead.Email = 'ADA@example.com'`
        );
        expect(answer.body.records[0].Lead).toMatchObject({
            attributes: { type: 'Lead' },
            Email: 'ada@example.com'
        });
        expect(answer.body.records[0].Campaign.Name).toBe('Launch');
    });

    // Catalog INVALID_FIELD / INVALID_TYPE / MALFORMED_QUERY.
    it('answers INVALID_FIELD, INVALID_TYPE and MALFORMED_QUERY', async () => {
        const unknownField = await org.query('SELECT Id, Nope__c FROM Lead');
        expect(unknownField.status).toBe(400);
        expect(unknownField.body[0].errorCode).toBe('INVALID_FIELD');
        expect(unknownField.body[0].message).toContain("No such column 'Nope__c' on entity 'Lead'");
        expect((await org.query('SELECT Id FROM Nope')).body[0].errorCode).toBe('INVALID_TYPE');
        for (const statement of [
            'SELECT FROM Lead',
            'SELECT Id FROM Lead WHERE',
            'SELECT Id FROM Lead GROUP BY Email',
            'DELETE FROM Lead'
        ]) {
            const answer = await org.query(statement);
            expect(answer.status, statement).toBe(400);
            expect(answer.body[0].errorCode, statement).toBe('MALFORMED_QUERY');
        }
        const badId = await org.query("SELECT Id FROM Lead WHERE Id = 'abc'");
        expect(badId.body[0].errorCode).toBe('INVALID_QUERY_FILTER_OPERATOR');
    });

    // SOQL limits (reference soql/01): statement ≤ 100,000 characters, each WHERE string ≤ 4,000.
    it('refuses a string literal over 4,000 characters and a statement over 100,000', async () => {
        const longLiteral = await org.call('POST', `${V}/composite`, {
            compositeRequest: [
                {
                    method: 'GET',
                    url: `${V}/query?q=SELECT Id FROM Lead WHERE Email = '${'a'.repeat(4001)}'`,
                    referenceId: 'q1'
                },
                {
                    method: 'GET',
                    url: `${V}/query?q=SELECT Id FROM Lead WHERE Email = '${'a'.repeat(4000)}'`,
                    referenceId: 'q2'
                }
            ]
        });
        expect(longLiteral.body.compositeResponse[0].httpStatusCode).toBe(400);
        expect(longLiteral.body.compositeResponse[0].body[0].errorCode).toBe('MALFORMED_QUERY');
        expect(longLiteral.body.compositeResponse[1].httpStatusCode).toBe(200);
        const list = Array.from({ length: 3000 }, (_, index) => `'person${index}@example.com'`).join(',');
        const tooLong = await org.composite({
            compositeRequest: [
                {
                    method: 'GET',
                    url: `${V}/query?q=SELECT Id FROM Lead WHERE Email IN (${list}${list})`,
                    referenceId: 'q'
                }
            ]
        });
        expect(tooLong.body.compositeResponse[0].body[0].errorCode).toBe('MALFORMED_QUERY');
        const fits = await org.composite({
            compositeRequest: [
                {
                    method: 'GET',
                    url: `${V}/query?q=SELECT Id FROM Lead WHERE Email IN (${list})`,
                    referenceId: 'q'
                }
            ]
        });
        expect(fits.body.compositeResponse[0].httpStatusCode).toBe(200);
    });

    // REST "Query": 2,000 records per batch, then nextRecordsUrl; each further page is a call.
    it('pages 2,000 records at a time through nextRecordsUrl', async () => {
        for (let index = 0; index < 4500; index++) seedLead(org, { Email: `p${index}@example.com` });
        const first = await org.query('SELECT Id, Email FROM Lead');
        expect(first.body).toMatchObject({ totalSize: 4500, done: false });
        expect(first.body.records).toHaveLength(2000);
        expect(first.body.nextRecordsUrl).toMatch(/^\/services\/data\/v66\.0\/query\/01g\w+-2000$/);
        const second = await org.call('GET', first.body.nextRecordsUrl);
        expect(second.body.records).toHaveLength(2000);
        const third = await org.call('GET', second.body.nextRecordsUrl);
        expect(third.body).toMatchObject({ done: true, totalSize: 4500 });
        expect(third.body.records).toHaveLength(500);
        expect(third.body.nextRecordsUrl).toBeUndefined();
        const all = [...first.body.records, ...second.body.records, ...third.body.records].map(
            (record) => record.Email
        );
        expect(new Set(all).size).toBe(4500);
        expect(org.inspect.calls().byKind.query).toBe(3);
        const bad = await org.call('GET', `${V}/query/01gxx9999999999-2000`);
        expect(bad.body[0].errorCode).toBe('INVALID_QUERY_LOCATOR');
    });

    // REST "QueryAll": includes deleted (recycle bin) records; query does not.
    it('includes deleted rows in queryAll only', async () => {
        const id = seedLead(org);
        seedLead(org);
        org.inspect.delete('Lead', id);
        expect((await org.query('SELECT Id FROM Lead')).body.totalSize).toBe(1);
        const all = await org.call(
            'GET',
            `${V}/queryAll?q=${encodeURIComponent('SELECT Id, IsDeleted FROM Lead WHERE IsDeleted = true')}`
        );
        expect(all.body.records).toEqual([expect.objectContaining({ Id: id, IsDeleted: true })]);
    });
});

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSchema } from './schema.ts';
import type { TestOrg } from './test-helpers.ts';
import { closeTestOrgs, FIXTURE_FORCE_APP, startTestOrg, V } from './test-helpers.ts';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

let org: TestOrg;
afterEach(closeTestOrgs);

type FieldDescribe = Record<string, unknown> & { name: string };
const field = (body: { fields: FieldDescribe[] }, name: string) =>
    body.fields.find((candidate) => candidate.name === name);

describe('sObject Describe', () => {
    // Describe is derived from the package's CustomField files: type, length, externalId, unique, picklists.
    it('describes the package fields from force-app metadata', async () => {
        org = await startTestOrg();
        const campaign = (await org.call('GET', `${V}/sobjects/Campaign/describe`)).body;
        expect(field(campaign, 'Livestorm_Session_Id__c')).toMatchObject({
            type: 'string',
            length: 64,
            externalId: true,
            unique: true,
            caseSensitive: false,
            nillable: true,
            createable: true,
            updateable: true,
            custom: true,
            label: 'Livestorm Session Id',
            idLookup: true
        });
        expect(field(campaign, 'Livestorm_Session_Start__c')).toMatchObject({ type: 'datetime' });
        expect(field(campaign, 'Livestorm_Registration_Link__c')).toMatchObject({ type: 'url', length: 255 });
        expect(field(campaign, 'Livestorm_Registrants__c')).toMatchObject({
            type: 'double',
            precision: 9,
            scale: 0
        });
        expect(field(campaign, 'Livestorm_Event_Type__c')).toMatchObject({
            type: 'picklist',
            restrictedPicklist: true,
            picklistValues: [
                { active: true, defaultValue: false, label: 'Live', validFor: null, value: 'Live' },
                { active: true, defaultValue: false, label: 'On-demand', validFor: null, value: 'On-demand' }
            ]
        });
        expect(field(campaign, 'NumberOfLeads')).toMatchObject({
            calculated: true,
            createable: false,
            updateable: false
        });
        expect(field(campaign, 'Status')).toMatchObject({ defaultedOnCreate: true, defaultValue: 'Planned' });
        const member = (await org.call('GET', `${V}/sobjects/CampaignMember/describe`)).body;
        expect(field(member, 'Livestorm_Replay_Status__c')).toMatchObject({
            label: 'Livestorm Replay Status',
            restrictedPicklist: true
        });
        expect(field(member, 'Livestorm_Attendance_Rate__c')).toMatchObject({
            type: 'percent',
            precision: 5,
            scale: 2
        });
        expect(field(member, 'LeadId')).toMatchObject({
            createable: true,
            updateable: false,
            referenceTo: ['Lead']
        });
        expect(field(member, 'HasResponded')).toMatchObject({ createable: false, updateable: false });
        expect(field(member, 'Status')).toMatchObject({ type: 'picklist', length: 40 });
    });

    // The standard fields we touch, with the Field Reference lengths (salesforce.md §6).
    it('describes the standard fields with their lengths and required flags', async () => {
        org = await startTestOrg();
        const lead = (await org.call('GET', `${V}/sobjects/Lead/describe`)).body;
        expect(field(lead, 'LastName')).toMatchObject({
            length: 80,
            nillable: false,
            defaultedOnCreate: false
        });
        expect(field(lead, 'Company')).toMatchObject({ length: 255, nillable: false });
        expect(field(lead, 'Email')).toMatchObject({ type: 'email', length: 80, nillable: true });
        expect(field(lead, 'Status')).toMatchObject({
            nillable: false,
            defaultedOnCreate: true,
            defaultValue: 'Open - Not Contacted'
        });
        expect(field(lead, 'LeadSource')).toMatchObject({ type: 'picklist', restrictedPicklist: false });
        for (const name of ['Id', 'IsDeleted', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp'])
            expect(field(lead, name), name).toBeDefined();
        const status = (await org.call('GET', `${V}/sobjects/CampaignMemberStatus/describe`)).body;
        expect(field(status, 'Label')).toMatchObject({ length: 765 });
        expect(field(status, 'CampaignId')).toMatchObject({ updateable: false });
        const global = (await org.call('GET', `${V}/sobjects`)).body;
        expect(global.sobjects.map((object: { name: string }) => object.name)).toEqual(
            expect.arrayContaining([
                'Lead',
                'Contact',
                'Account',
                'Campaign',
                'CampaignMember',
                'CampaignMemberStatus',
                'User',
                'Livestorm_Member_Status__mdt'
            ])
        );
        expect(org.inspect.calls().byKind.describe).toBe(3);
    });

    // Custom metadata type records come from customMetadata/*.md-meta.xml and are read-only through REST.
    it('loads Livestorm_Member_Status__mdt records from the package', async () => {
        org = await startTestOrg();
        const answer = await org.query(
            'SELECT DeveloperName, MasterLabel, Livestorm_State__c, Status_Label__c, Has_Responded__c, Is_Default__c, Sort_Order__c FROM Livestorm_Member_Status__mdt ORDER BY Sort_Order__c'
        );
        expect(
            answer.body.records.map(
                ({ attributes, ...rest }: Record<string, unknown>) => (void attributes, rest)
            )
        ).toEqual([
            {
                DeveloperName: 'Registered',
                MasterLabel: 'Registered',
                Livestorm_State__c: 'registered',
                Status_Label__c: 'Registered',
                Has_Responded__c: false,
                Is_Default__c: true,
                Sort_Order__c: 1
            },
            {
                DeveloperName: 'Attended',
                MasterLabel: 'Attended',
                Livestorm_State__c: 'attended',
                Status_Label__c: 'Attended',
                Has_Responded__c: true,
                Is_Default__c: false,
                Sort_Order__c: 2
            },
            {
                DeveloperName: 'Not_Attended',
                MasterLabel: 'Did not attend',
                Livestorm_State__c: 'not_attended',
                Status_Label__c: 'Did not attend',
                Has_Responded__c: false,
                Is_Default__c: false,
                Sort_Order__c: 3
            }
        ]);
        const describe = (await org.call('GET', `${V}/sobjects/Livestorm_Member_Status__mdt/describe`)).body;
        expect(describe).toMatchObject({ label: 'Livestorm Member Status', createable: false });
    });

    it('adds extra fields and leaves out what the package does not define', async () => {
        org = await startTestOrg({
            forceAppDir: join(FIXTURE_FORCE_APP, 'missing'),
            extraFields: {
                Lead: [
                    {
                        name: 'Tier__c',
                        type: 'picklist',
                        picklistValues: ['Gold', 'Silver'],
                        restricted: true
                    }
                ]
            }
        });
        const campaign = (await org.call('GET', `${V}/sobjects/Campaign/describe`)).body;
        expect(field(campaign, 'Livestorm_Session_Id__c')).toBeUndefined();
        const lead = (await org.call('GET', `${V}/sobjects/Lead/describe`)).body;
        expect(field(lead, 'Tier__c')).toMatchObject({
            type: 'picklist',
            restrictedPicklist: true,
            custom: true
        });
        const write = await org.call('POST', `${V}/sobjects/Campaign`, {
            Name: 'A',
            Livestorm_Session_Id__c: 'x'
        });
        expect(write.body[0].errorCode).toBe('INVALID_FIELD');
    });
});

describe('standalone CLI', () => {
    // npm run emulator:salesforce -- --port P: one JSON line on stdout once listening; SIGTERM stops it.
    it('prints one JSON line with instanceUrl and accessToken, serves requests, and stops on SIGTERM', async () => {
        const here = dirname(fileURLToPath(import.meta.url));
        const node = join(here, '..', '..', '..', 'node_modules', '.bin', 'node');
        const child = spawn(
            node,
            [
                join(here, 'cli.ts'),
                '--port',
                '0',
                '--latency',
                '5',
                '--client-id',
                'X',
                '--client-secret',
                'Y'
            ],
            {
                stdio: ['ignore', 'pipe', 'inherit']
            }
        );
        const lines = createInterface({ input: child.stdout });
        const [line] = (await once(lines, 'line')) as [string];
        const info = JSON.parse(line) as { instanceUrl: string; accessToken: string };
        expect(Object.keys(info)).toEqual(['instanceUrl', 'accessToken']);
        const limits = await fetch(`${info.instanceUrl}${V}/limits`, {
            headers: { Authorization: `Bearer ${info.accessToken}` }
        });
        expect(limits.status).toBe(200);
        const token = await fetch(`${info.instanceUrl}/services/oauth2/token`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: 'grant_type=client_credentials&client_id=X&client_secret=wrong'
        });
        expect(token.status).toBe(400);
        const extra: string[] = [];
        lines.on('line', (more) => extra.push(more));
        child.kill('SIGTERM');
        const [code] = (await once(child, 'exit')) as [number | null];
        expect(code).toBe(0);
        expect(extra).toEqual([]);
    });
});

describe('the package in force-app', () => {
    // The fixture the tests use must describe the same fields as the package others deploy.
    it('loads by default and defines the same custom fields as the test fixture', () => {
        const describeFields = (schema: ReturnType<typeof loadSchema>) =>
            ['Campaign', 'CampaignMember', 'Livestorm_Member_Status__mdt'].flatMap((objectName) =>
                (schema.objects.get(objectName)?.fields ?? [])
                    .filter((def) => def.custom)
                    .map((def) => ({
                        object: objectName,
                        name: def.name,
                        type: def.type,
                        length: def.length,
                        precision: def.precision,
                        scale: def.scale,
                        nillable: def.nillable,
                        externalId: def.externalId,
                        unique: def.unique,
                        caseSensitive: def.caseSensitive,
                        restrictedPicklist: def.restrictedPicklist,
                        values: def.picklistValues.map((value) => value.value)
                    }))
                    .sort((a, b) => a.name.localeCompare(b.name))
            );
        const packaged = loadSchema(join(REPO_ROOT, 'force-app'));
        const fixture = loadSchema(FIXTURE_FORCE_APP);
        expect(describeFields(packaged)).toEqual(describeFields(fixture));
        expect(packaged.customMetadataRecords.map((record) => record.values)).toEqual(
            fixture.customMetadataRecords.map((record) => record.values)
        );
    });
});

import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLivestormSimulator } from '../../../test/emulators/livestorm/index.ts';
import type { LivestormSimulator } from '../../../test/emulators/livestorm/index.ts';
import { startSalesforceEmulator } from '../../../test/emulators/salesforce/index.ts';
import type {
    SalesforceEmulator,
    SalesforceEmulatorOptions
} from '../../../test/emulators/salesforce/index.ts';
import { loadSettings } from '../config/settings.ts';
import { createSqliteStore } from '../store/sqlite.ts';
import type { CliContext } from './context.ts';
import { DEFAULT_FORCE_APP_DIR, doctor, readPackageFields } from './doctor.ts';
import type { DoctorReport } from './doctor.ts';
import { runCli } from './main.ts';

const INTEGRATION_USERNAME = 'integration@livestorm-salesforce.example';
const WEBHOOK_TOKEN = 'webhook-token-0123456789abcdef';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

let dir: string;
let emulator: SalesforceEmulator | undefined;
let livestorm: LivestormSimulator | undefined;
let out: string[];

beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'livestorm-sf-doctor-'));
    out = [];
    writeFileSync(join(dir, 'jwt.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
});

afterEach(async () => {
    await emulator?.close();
    await livestorm?.close();
    emulator = undefined;
    livestorm = undefined;
    rmSync(dir, { recursive: true, force: true });
});

async function startOrg(options: SalesforceEmulatorOptions = {}): Promise<SalesforceEmulator> {
    emulator = await startSalesforceEmulator({
        clientId: 'livestorm-listener',
        jwtPublicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        ...options
    });
    return emulator;
}

/** The listener's environment with JWT bearer auth: the username tells doctor who the integration user is. */
function jwtEnv(org: SalesforceEmulator, extra: Record<string, string> = {}): Record<string, string> {
    return {
        SF_LOGIN_URL: org.url,
        SF_CLIENT_ID: 'livestorm-listener',
        SF_USERNAME: INTEGRATION_USERNAME,
        SF_JWT_KEY_FILE: join(dir, 'jwt.key'),
        LIVESTORM_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
        CONFIG_FILE: join(dir, 'config.json'),
        DATA_DIR: join(dir, 'data'),
        ...extra
    };
}

function context(env: Record<string, string>): CliContext {
    return {
        env,
        stdout: (text) => void out.push(text),
        stderr: (text) => void out.push(text),
        openStore: (config) => createSqliteStore({ dataDir: config.dataDir }),
        loadSettings
    };
}

async function runDoctorCli(env: Record<string, string>, args: string[] = []): Promise<number> {
    return runCli(['doctor', ...args], context(env), [doctor]);
}

function lineWith(text: string): string {
    return (
        out
            .join('\n')
            .split('\n')
            .find((line) => line.includes(text)) ?? ''
    );
}

describe('livestorm-sf doctor', () => {
    it('passes every check against a prepared org, in three Salesforce API calls', async () => {
        const org = await startOrg();
        livestorm = await startLivestormSimulator();
        org.inspect.resetCalls();
        const code = await runDoctorCli(
            jwtEnv(org, { LIVESTORM_API_URL: livestorm.apiUrl, LIVESTORM_API_TOKEN: livestorm.token })
        );
        const text = out.join('\n');
        expect(text).not.toContain('✖');
        expect(code).toBe(0);
        expect(lineWith('Integration user')).toMatch(`✔ Integration user: ${INTEGRATION_USERNAME} (005`);
        expect(lineWith('Marketing User')).toMatch(/^✔ Marketing User is ticked/);
        expect(lineWith('Campaign Members:')).toBe('✔ Campaign Members: create and edit.');
        expect(lineWith('Accounts:')).toBe('✔ Accounts: create.');
        const fields = readPackageFields();
        expect(lineWith('Livestorm fields on Campaign:')).toContain(
            `all ${fields.fields.Campaign?.length} present and editable`
        );
        expect(lineWith('Livestorm Replay Status')).toContain(
            '"Has watched replay" and "Has watched on-demand"'
        );
        expect(lineWith('Livestorm Member Status')).toContain(
            '3 records (Registered, Attended, Did not attend)'
        );
        expect(lineWith('No required custom field')).toMatch(/^✔/);
        expect(lineWith('Livestorm API answers')).toMatch(/calls left this period/);
        expect(lineWith('All checks pass')).toContain('3 Salesforce API calls');
        // The token request is not an API call; the versions list, the resources and one composite are.
        expect(org.inspect.calls().total).toBe(3);
    });

    it('derives the package fields from force-app', () => {
        const fields = readPackageFields(DEFAULT_FORCE_APP_DIR);
        expect(fields.fields.Campaign).toContain('Livestorm_Session_Id__c');
        expect(fields.fields.CampaignMember).toContain('Livestorm_Replay_Status__c');
        expect(Object.keys(fields.fields)).not.toContain('Livestorm_Member_Status__mdt');
        expect(fields.replayStatusValues).toEqual(['Has watched replay', 'Has watched on-demand']);
    });

    it('names a required custom field that nothing fills and exits 1', async () => {
        const org = await startOrg({
            extraFields: { Lead: [{ name: 'Region__c', type: 'string', length: 40, required: true }] }
        });
        const code = await runDoctorCli(jwtEnv(org));
        expect(code).toBe(1);
        const line = lineWith('Lead.Region__c');
        expect(line).toMatch(/^✖ Required field Lead\.Region__c \(Region, string\) has no default/);
        expect(out.join('\n')).toContain('"fallbacks": { "Region__c": … }');
        expect(out.join('\n')).toMatch(/1 check failed/);
    });

    it('passes a required field covered by the config file and shows the value used', async () => {
        const org = await startOrg({
            extraFields: {
                Lead: [{ name: 'Region__c', type: 'string', length: 40, required: true }],
                Campaign: [
                    {
                        name: 'Business_Unit__c',
                        type: 'picklist',
                        required: true,
                        picklistValues: ['EMEA', 'US']
                    }
                ]
            }
        });
        writeFileSync(
            join(dir, 'config.json'),
            JSON.stringify({
                fallbacks: { LastName: '[not provided]', Company: '[not provided]', Region__c: 'Unknown' },
                campaign: { defaults: { Type: 'Webinar', Business_Unit__c: 'EMEA' } }
            })
        );
        const code = await runDoctorCli(jwtEnv(org));
        expect(lineWith('Lead.Region__c')).toBe(
            '✔ Required field Lead.Region__c is filled from fallbacks: "Unknown".'
        );
        expect(lineWith('Campaign.Business_Unit__c')).toBe(
            '✔ Required field Campaign.Business_Unit__c is filled from campaign.defaults: "EMEA".'
        );
        expect(code).toBe(0);
    });

    it('names the user whose Marketing User box is not ticked', async () => {
        const org = await startOrg();
        const [user] = org.inspect.records('User');
        org.inspect.update('User', String(user?.Id), { UserPermissionsMarketingUser: false });
        const code = await runDoctorCli(jwtEnv(org));
        expect(code).toBe(1);
        expect(lineWith('Marketing User is not ticked')).toMatch(
            `✖ Marketing User is not ticked on ${INTEGRATION_USERNAME}`
        );
        expect(out.join('\n')).toContain(
            `Setup › Users › ${INTEGRATION_USERNAME} › Edit › tick Marketing User`
        );
    });

    it('fails the credentials line with a clear sentence on a bad token, without printing it', async () => {
        const org = await startOrg();
        const badToken = '00Dxx0000000001!AQ0AQbadtokenvalue';
        const code = await runDoctorCli({
            SF_INSTANCE_URL: org.instanceUrl,
            SF_ACCESS_TOKEN: badToken,
            LIVESTORM_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
            CONFIG_FILE: join(dir, 'config.json')
        });
        expect(code).toBe(1);
        const text = out.join('\n');
        expect(lineWith('INVALID_SESSION_ID')).toMatch(
            /^✖ Salesforce refused the session \(INVALID_SESSION_ID/
        );
        expect(text).toContain('set SF_ACCESS_TOKEN and SF_INSTANCE_URL again');
        expect(text).not.toContain(badToken);
        expect(text).not.toContain(WEBHOOK_TOKEN);
    });

    it('fails the credentials line when the token request is refused', async () => {
        const org = await startOrg();
        const code = await runDoctorCli(jwtEnv(org, { SF_CLIENT_ID: 'another-app' }));
        expect(code).toBe(1);
        expect(lineWith('No Salesforce session')).toMatch(
            /^✖ No Salesforce session: The JWT bearer flow .* was refused/
        );
        expect(out.join('\n')).not.toContain('Marketing User');
    });

    it('passes with the static token alone: the org names its user through the identity URL', async () => {
        const org = await startOrg();
        const env = {
            SF_INSTANCE_URL: org.instanceUrl,
            SF_ACCESS_TOKEN: org.accessToken,
            LIVESTORM_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
            CONFIG_FILE: join(dir, 'config.json')
        };
        expect(await runDoctorCli(env)).toBe(0);
        expect(lineWith('Integration user')).toMatch(`✔ Integration user: ${INTEGRATION_USERNAME} (005`);
        expect(lineWith('Marketing User')).toMatch(/^✔/);
    });

    it('reports a package field missing from the org', async () => {
        const forceApp = join(dir, 'force-app');
        cpSync(DEFAULT_FORCE_APP_DIR, forceApp, { recursive: true });
        rmSync(join(forceApp, 'main/default/objects/Campaign/fields/Livestorm_No_Shows__c.field-meta.xml'));
        const org = await startOrg({ forceAppDir: forceApp });
        expect(await runDoctorCli(jwtEnv(org))).toBe(1);
        expect(lineWith('Livestorm fields on Campaign:')).toBe(
            '✖ Livestorm fields on Campaign: missing or hidden: Livestorm_No_Shows__c.'
        );
        expect(out.join('\n')).toContain('Deploy the package (npm run org:deploy)');
    });

    it('fails on a Livestorm token Livestorm refuses', async () => {
        const org = await startOrg();
        livestorm = await startLivestormSimulator();
        const code = await runDoctorCli(
            jwtEnv(org, { LIVESTORM_API_URL: livestorm.apiUrl, LIVESTORM_API_TOKEN: 'not-the-token-1234' })
        );
        expect(code).toBe(1);
        expect(lineWith('Livestorm refused')).toBe('✖ Livestorm refused LIVESTORM_API_TOKEN (HTTP 401).');
        expect(out.join('\n')).not.toContain('not-the-token-1234');
    });

    it('fails a required lookup even when fallbacks name it: no placeholder can fill a lookup', async () => {
        const org = await startOrg({
            extraFields: {
                Contact: [{ name: 'Team__c', type: 'reference', referenceTo: 'User', required: true }]
            }
        });
        writeFileSync(
            join(dir, 'config.json'),
            JSON.stringify({ fallbacks: { Team__c: '005xx0000000001AAA' } })
        );
        expect(await runDoctorCli(jwtEnv(org))).toBe(1);
        expect(lineWith('Contact.Team__c')).toContain(
            'a lookup the listener cannot fill, so every create fails'
        );
        expect(out.join('\n')).toContain(
            'Give it a default value or make it not required in Setup › Object Manager › Contact.'
        );
    });

    it('fails an API version the org does not serve and stops there', async () => {
        const org = await startOrg({ apiVersion: '64.0' });
        expect(await runDoctorCli(jwtEnv(org, { SF_API_VERSION: '66.0' }))).toBe(1);
        expect(lineWith('is not served')).toBe(
            '✖ API version 66.0 is not served by this org (newest: 64.0).'
        );
        expect(out.join('\n')).toContain('Set SF_API_VERSION to 64.0 or lower');
        expect(out.join('\n')).not.toContain('Marketing User');
    });

    it('checks the member status records: a label longer than a Campaign Member Status', async () => {
        const forceApp = join(dir, 'force-app');
        cpSync(DEFAULT_FORCE_APP_DIR, forceApp, { recursive: true });
        const record = join(
            forceApp,
            'main/default/customMetadata/Livestorm_Member_Status.Attended.md-meta.xml'
        );
        writeFileSync(
            record,
            readFileSync(record, 'utf8').replace(
                '<value xsi:type="xsd:string">Attended</value>',
                '<value xsi:type="xsd:string">Attended the live session from beginning to end</value>'
            )
        );
        const org = await startOrg({ forceAppDir: forceApp });
        expect(await runDoctorCli(jwtEnv(org))).toBe(1);
        expect(lineWith('Livestorm Member Status')).toBe(
            '✖ Livestorm Member Status: label of Attended is longer than 40 characters.'
        );
    });

    it('checks leadAssignment against the Lead assignment rules, in the same three calls', async () => {
        const org = await startOrg({
            assignmentRules: [
                { name: 'Inside sales', active: true, queue: 'Inside Sales' },
                { name: 'Partners', active: false, queue: 'Partner Desk' }
            ]
        });
        const partners = String(org.inspect.records('AssignmentRule').find((rule) => !rule.Active)?.Id);
        org.inspect.resetCalls();
        expect(await runDoctorCli(jwtEnv(org))).toBe(0);
        expect(lineWith('assignment rule')).toMatch(
            /^✔ New Leads are routed by the org's active assignment rule "Inside sales" \(01Q/
        );
        expect(org.inspect.calls().total).toBe(3);
        expect(lineWith('Countries and states')).toMatch(/^✔ Countries and states are plain text/);

        out = [];
        writeFileSync(join(dir, 'config.json'), JSON.stringify({ leadAssignment: partners.slice(0, 15) }));
        expect(await runDoctorCli(jwtEnv(org))).toBe(0);
        expect(lineWith('assignment rule')).toMatch(
            /^✔ New Leads are routed by the assignment rule "Partners" \(01Q.*inactive\)/
        );

        out = [];
        writeFileSync(join(dir, 'config.json'), JSON.stringify({ leadAssignment: '01Q000000000042' }));
        expect(await runDoctorCli(jwtEnv(org))).toBe(1);
        expect(lineWith('01Q000000000042')).toMatch(
            /^✖ The leadAssignment setting names the assignment rule 01Q000000000042, which is not one of this org's Lead assignment rules/
        );
        expect(out.join('\n')).toContain('Setup › Lead Assignment Rules');

        out = [];
        writeFileSync(join(dir, 'config.json'), JSON.stringify({ leadAssignment: 'round-robin' }));
        expect(await runDoctorCli(jwtEnv(org))).toBe(1);
        expect(out.join('\n')).toContain(
            'leadAssignment: must be "org-rules", "none" or the Id of a Lead assignment rule'
        );
    });

    it('says when the org has State and Country/Territory Picklists', async () => {
        const org = await startOrg({ addressPicklists: true });
        expect(await runDoctorCli(jwtEnv(org))).toBe(0);
        expect(lineWith('Country/Territory Picklists')).toMatch(
            /^✔ State and Country\/Territory Picklists are on \(Lead, Contact\): countries and states are written as the org's codes/
        );
    });

    it('prints JSON with --json', async () => {
        const org = await startOrg();
        expect(await runDoctorCli(jwtEnv(org), ['--json'])).toBe(0);
        const report = JSON.parse(out.join('')) as DoctorReport;
        expect(report.ok).toBe(true);
        expect(report.salesforceApiCalls).toBe(3);
        const byId = new Map(report.checks.map((check) => [check.id, check]));
        expect(byId.get('marketing-user')?.status).toBe('pass');
        expect(byId.get('livestorm-api')?.status).toBe('skip');
        expect(report.checks.every((check) => check.status !== 'fail')).toBe(true);
    });

    it('reports an environment mistake as the first failing line', async () => {
        expect(await runDoctorCli({ LIVESTORM_WEBHOOK_TOKEN: WEBHOOK_TOKEN })).toBe(1);
        expect(out.join('\n')).toMatch(/^✖ Salesforce auth is not configured/);
    });
});

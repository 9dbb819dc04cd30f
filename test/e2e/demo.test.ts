// `npm run demo`: everything it writes stays in its own temporary directory (the settings the admin page saves
// included), and it prints what an operator needs to look at it: the webhook URL with its token, the admin URL, and
// the variables that point `npx livestorm-sf` at its store. Its summary of the people is what the emulated org holds.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const node = join(repositoryRoot, 'node_modules', '.bin', 'node');
const startedIn = mkdtempSync(join(tmpdir(), 'lsf-demo-cwd-'));
const apiVersion = (
    JSON.parse(readFileSync(join(repositoryRoot, 'sfdx-project.json'), 'utf8')) as {
        sourceApiVersion: string;
    }
).sourceApiVersion;

afterAll(() => rmSync(startedIn, { recursive: true, force: true }));

type OrgRow = Record<string, unknown>;

/** Reads the demo's emulated org through its REST API, signed in as any client (the demo's org requires none). */
async function orgReader(instanceUrl: string): Promise<(soql: string) => Promise<OrgRow[]>> {
    const token = await fetch(`${instanceUrl}/services/oauth2/token`, {
        method: 'POST',
        body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: 'demo-test',
            client_secret: 'demo-test'
        })
    });
    expect(token.status).toBe(200);
    const { access_token: accessToken } = (await token.json()) as { access_token: string };
    return async (soql) => {
        const answer = await fetch(
            `${instanceUrl}/services/data/v${apiVersion}/query?q=${encodeURIComponent(soql)}`,
            { headers: { authorization: `Bearer ${accessToken}` } }
        );
        expect(answer.status, soql).toBe(200);
        const body = (await answer.json()) as { records: OrgRow[]; done: boolean };
        expect(body.done).toBe(true);
        return body.records;
    };
}

function run(command: string, args: string[], env: Record<string, string>) {
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(command, args, { cwd: repositoryRoot, env: { ...process.env, ...env } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => (stdout += String(chunk)));
        child.stderr.on('data', (chunk) => (stderr += String(chunk)));
        child.once('error', reject);
        child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
}

describe('npm run demo', () => {
    it('prints the webhook URL, the admin URL and the command-line variables, and keeps its files to itself', async () => {
        // 60 registrants: the org's 25 Contacts, 25 Leads and converted Lead register first, then 9 new people.
        const demo = spawn(
            node,
            [join(repositoryRoot, 'test/demo/run.ts'), '--registrants', '60', '--latency', '0', '--keep'],
            {
                cwd: startedIn,
                // TMPDIR: the demo's own temporary directory stays in the test run's (removed with it, also when
                // this test fails and the demo is killed before it can remove it).
                env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TMPDIR: tmpdir() }
            }
        );
        let output = '';
        demo.stdout.on('data', (chunk) => (output += String(chunk)));
        demo.stderr.on('data', (chunk) => (output += String(chunk)));
        const exited = new Promise<number | null>((resolve) => demo.once('exit', resolve));
        try {
            await new Promise<void>((resolve, reject) => {
                const check = setInterval(() => {
                    if (output.includes('Still running')) {
                        clearInterval(check);
                        resolve();
                    } else if (demo.exitCode !== null) {
                        clearInterval(check);
                        reject(new Error(`the demo exited early:\n${output}`));
                    }
                }, 100);
            });
            const webhookUrl = /webhook URL\s+(http\S+)/.exec(output)?.[1];
            const adminUrl = /admin page\s+(http\S+)/.exec(output)?.[1];
            const variables = /command line\s+DATA_DIR=(\S+) CONFIG_FILE=(\S+) npx livestorm-sf/.exec(output);
            expect(webhookUrl).toMatch(
                /^http:\/\/127\.0\.0\.1:\d+\/webhooks\/livestorm\/[A-Za-z0-9._~-]{16,}$/
            );
            expect(adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/admin\?token=.+$/);
            const [, dataDir, configFile] = variables ?? [];
            expect(dataDir).toBeDefined();
            expect(configFile!.startsWith(`${dataDir!}/`)).toBe(true);

            // The webhook URL is the listener's: a delivery with an unknown body is still acknowledged.
            const delivered = await fetch(webhookUrl!, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: '{"data":{}}'
            });
            expect(delivered.status).toBeLessThan(300);

            // The command line, given the printed variables, reads the demo's store: the webinar's event is there.
            const listed = await run('npx', ['livestorm-sf', 'events', 'list', '--json'], {
                DATA_DIR: dataDir!,
                CONFIG_FILE: configFile!
            });
            expect(listed.code, listed.stderr).toBe(0);
            expect(JSON.parse(listed.stdout)).toEqual([
                expect.objectContaining({ title: 'Spring product launch — live demo & Q&A', enabled: true })
            ]);

            // "Save settings" on the admin page writes the demo's own settings file.
            const admin = new URL(adminUrl!);
            const headers = { authorization: `Bearer ${admin.searchParams.get('token')}` };
            const current = (await (
                await fetch(new URL('/admin/api/settings', admin), { headers })
            ).json()) as { settings: Record<string, unknown>; configFile: string };
            expect(current.configFile).toBe(configFile);
            const saved = await fetch(new URL('/admin/api/settings', admin), {
                method: 'POST',
                headers: { ...headers, 'content-type': 'application/json' },
                body: JSON.stringify({ ...current.settings, leadSource: 'Demo webinar' })
            });
            expect(saved.status).toBe(200);
            expect(JSON.parse(readFileSync(configFile!, 'utf8'))).toMatchObject({
                leadSource: 'Demo webinar'
            });
            // The summary's figures about people are the org's. The demo fills the org with Contacts at
            // northwind.example.com, Leads at contoso.example.com and one fabrikam.example.com Lead converted to a
            // Contact: those are the existing people; every other Lead was created during the webinar.
            const instanceUrl = /Salesforce emulator\s+(http\S+)/.exec(output)?.[1];
            expect(instanceUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
            const query = await orgReader(instanceUrl!);
            const campaigns = await query('SELECT Id FROM Campaign');
            expect(campaigns).toHaveLength(1);
            const members = await query(
                `SELECT Id, LeadId, ContactId FROM CampaignMember WHERE CampaignId = '${String(campaigns[0]!.Id)}'`
            );
            const leads = await query('SELECT Id, Email, IsConverted FROM Lead');
            const contacts = await query('SELECT Id, Email FROM Contact');
            const existing = (rows: OrgRow[], domains: RegExp) =>
                new Set(rows.filter((row) => domains.test(String(row.Email))).map((row) => row.Id));
            const existingLeads = existing(leads, /@(contoso|fabrikam)\.example\.com$/);
            const existingContacts = existing(contacts, /@(northwind|fabrikam)\.example\.com$/);
            // Records sharing an address; a converted Lead lives on as its Contact.
            const records = [...leads.filter((row) => row.IsConverted !== true), ...contacts];
            const inOrg = {
                members: members.length,
                newLeads: leads.filter((row) => !existingLeads.has(row.Id)).length,
                throughContacts: members.filter((member) => existingContacts.has(member.ContactId)).length,
                throughLeads: members.filter((member) => existingLeads.has(member.LeadId)).length,
                duplicates:
                    records.length - new Set(records.map((row) => String(row.Email).toLowerCase())).size
            };
            expect(inOrg).toEqual({
                members: 60,
                newLeads: 9,
                throughContacts: 26,
                throughLeads: 25,
                duplicates: 0
            });
            const membersLine = /^ {2}Members +(\d+):/m.exec(output);
            const peopleLine =
                /^ {2}People +(\d+) new Leads; (\d+) members through existing Contacts[^,;]*, (\d+) through existing Leads; (\d+) duplicate Leads or Contacts$/m.exec(
                    output
                );
            expect(peopleLine, `the People line in:\n${output}`).not.toBeNull();
            expect({
                members: Number(membersLine?.[1]),
                newLeads: Number(peopleLine![1]),
                throughContacts: Number(peopleLine![2]),
                throughLeads: Number(peopleLine![3]),
                duplicates: Number(peopleLine![4])
            }).toEqual(inOrg);

            expect(readdirSync(startedIn)).toEqual([]);
            expect(existsSync(join(repositoryRoot, 'livestorm-sf.config.json'))).toBe(false);

            demo.kill('SIGINT');
            expect(await exited).toBe(0);
            expect(existsSync(dataDir!)).toBe(false);
        } finally {
            if (demo.exitCode === null) demo.kill('SIGKILL');
        }
    }, 120_000);
});

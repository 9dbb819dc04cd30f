import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
    COMMANDS,
    interpretOrgDisplay,
    orgDisplayArguments,
    parseOrgArguments,
    sfArgumentsFor,
    UsageError,
    type OrgCommand
} from '../../scripts/org.ts';
import { repositoryRoot } from '../../scripts/lib/sf.ts';

const node = join(repositoryRoot, 'node_modules', '.bin', 'node');
const script = join(repositoryRoot, 'scripts', 'org.ts');

let home: string;
beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'livestorm-org-home-'));
});
afterAll(() => {
    rmSync(home, { recursive: true, force: true });
});

interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
}

// Runs the script the way npm does, with an empty HOME so that no org the developer authorized is found.
// Each run gets its own HOME, as concurrent sf processes would otherwise create the same state files at once.
function runScript(args: string[]): Promise<Run> {
    const runHome = mkdtempSync(join(home, 'run-'));
    return new Promise((resolve, reject) => {
        const child = spawn(node, [script, ...args], {
            cwd: repositoryRoot,
            env: { ...process.env, HOME: runHome, USERPROFILE: runHome },
            stdio: ['ignore', 'pipe', 'pipe']
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
}

function command(overrides: Partial<OrgCommand> & Pick<OrgCommand, 'name'>): OrgCommand {
    return { targetOrg: undefined, onBehalfOf: [], viewer: false, ...overrides };
}

describe('parseOrgArguments', () => {
    it('reads a command and its target org', () => {
        expect(parseOrgArguments(['deploy', '--target-org', 'acme-prod'])).toEqual({
            kind: 'run',
            command: command({ name: 'deploy', targetOrg: 'acme-prod' })
        });
        expect(parseOrgArguments(['validate', '-o', 'sandbox'])).toEqual({
            kind: 'run',
            command: command({ name: 'validate', targetOrg: 'sandbox' })
        });
        expect(parseOrgArguments(['setup', '--target-org=dev'])).toEqual({
            kind: 'run',
            command: command({ name: 'setup', targetOrg: 'dev' })
        });
    });

    it('leaves the target org to sf when none is given', () => {
        expect(parseOrgArguments(['deploy'])).toEqual({ kind: 'run', command: command({ name: 'deploy' }) });
    });

    it('reads the permsets options', () => {
        expect(
            parseOrgArguments([
                'permsets',
                '--on-behalf-of',
                'integration@acme.com',
                '-b',
                'second@acme.com',
                '--viewer'
            ])
        ).toEqual({
            kind: 'run',
            command: command({
                name: 'permsets',
                onBehalfOf: ['integration@acme.com', 'second@acme.com'],
                viewer: true
            })
        });
    });

    it('answers --help for the overview and for each command', () => {
        const overview = parseOrgArguments(['--help']);
        expect(overview.kind).toBe('help');
        for (const name of COMMANDS) {
            const help = parseOrgArguments([name, '--help']);
            expect(help.kind).toBe('help');
            expect(help.kind === 'help' && help.text).toContain(`org:${name}`);
            expect(help.kind === 'help' && help.text).toContain('--target-org');
        }
        const permsetsHelp = parseOrgArguments(['permsets', '-h']);
        expect(permsetsHelp.kind === 'help' && permsetsHelp.text).toContain('--viewer');
    });

    it.each([
        [[], 'Name a command: deploy, validate, permsets, setup.'],
        [['frobnicate'], "Unknown command 'frobnicate': use one of deploy, validate, permsets, setup."],
        [['deploy', 'extra'], "Unexpected argument 'extra': deploy takes options only (see --help)."],
        [['deploy', '--viewer'], '--viewer only applies to permsets.'],
        [['setup', '--on-behalf-of', 'x@acme.com'], '--on-behalf-of only applies to permsets.'],
        [['deploy', '--target-org', ' '], '--target-org needs an org alias or username.'],
        [['deploy', '--bogus'], "Unknown option '--bogus'."],
        [['deploy', '--target-org'], "Option '-o, --target-org <value>' argument missing."]
    ])('rejects %j', (argv, message) => {
        expect(() => parseOrgArguments(argv)).toThrow(UsageError);
        expect(() => parseOrgArguments(argv)).toThrow(message);
    });
});

describe('sfArgumentsFor', () => {
    it('deploys and validates force-app, validation as a dry run', () => {
        expect(sfArgumentsFor(command({ name: 'deploy', targetOrg: 'prod' }))).toEqual([
            'project',
            'deploy',
            'start',
            '--source-dir',
            'force-app',
            '--target-org',
            'prod'
        ]);
        expect(sfArgumentsFor(command({ name: 'validate' }))).toEqual([
            'project',
            'deploy',
            'start',
            '--source-dir',
            'force-app',
            '--dry-run'
        ]);
    });

    it('assigns Livestorm_Integration, or Livestorm_Viewer with --viewer, on behalf of the given users', () => {
        expect(
            sfArgumentsFor(command({ name: 'permsets', targetOrg: 'prod', onBehalfOf: ['int@acme.com'] }))
        ).toEqual([
            'org',
            'assign',
            'permset',
            '--name',
            'Livestorm_Integration',
            '--on-behalf-of',
            'int@acme.com',
            '--target-org',
            'prod'
        ]);
        expect(sfArgumentsFor(command({ name: 'permsets', viewer: true }))).toEqual([
            'org',
            'assign',
            'permset',
            '--name',
            'Livestorm_Viewer'
        ]);
    });

    it('opens the Livestorm Setup tab', () => {
        expect(sfArgumentsFor(command({ name: 'setup', targetOrg: 'prod' }))).toEqual([
            'org',
            'open',
            '--path',
            'lightning/n/Livestorm_Setup',
            '--target-org',
            'prod'
        ]);
    });

    it('checks the same org before running', () => {
        expect(orgDisplayArguments(command({ name: 'deploy', targetOrg: 'prod' }))).toEqual([
            'org',
            'display',
            '--target-org',
            'prod',
            '--json'
        ]);
    });
});

describe('interpretOrgDisplay', () => {
    it('accepts a connected org', () => {
        const stdout = JSON.stringify({
            status: 0,
            result: {
                username: 'int@acme.com',
                instanceUrl: 'https://acme.my.salesforce.com',
                connectedStatus: 'Connected'
            }
        });
        expect(interpretOrgDisplay('prod', stdout)).toEqual({
            ok: true,
            org: { username: 'int@acme.com', instanceUrl: 'https://acme.my.salesforce.com' }
        });
    });

    it('explains an unknown alias, a missing default org and an expired authorization', () => {
        const notFound = JSON.stringify({ status: 2, name: 'NamedOrgNotFoundError' });
        expect(interpretOrgDisplay('prod', notFound)).toEqual({
            ok: false,
            message: "sf is not authenticated to org 'prod': run `sf org login web --alias prod` first"
        });
        expect(
            interpretOrgDisplay(undefined, JSON.stringify({ status: 1, name: 'NoDefaultEnvError' }))
        ).toEqual({
            ok: false,
            message:
                'sf has no default org: pass --target-org <alias>, or run `sf org login web --alias <alias> --set-default` first'
        });
        const expired = JSON.stringify({
            status: 0,
            result: { username: 'int@acme.com', connectedStatus: 'RefreshTokenAuthError' }
        });
        expect(interpretOrgDisplay('prod', expired)).toEqual({
            ok: false,
            message:
                "sf's authorization for org 'prod' no longer works (RefreshTokenAuthError): run `sf org login web --alias prod` again"
        });
        expect(interpretOrgDisplay('prod', 'not json').ok).toBe(false);
    });
});

describe('node scripts/org.ts', () => {
    it('prints help and exits 0', async () => {
        const run = await runScript(['permsets', '--help']);
        expect(run.code).toBe(0);
        expect(run.stdout).toContain('Usage: npm run org:permsets');
        expect(run.stderr).toBe('');
    });

    it('exits 2 with one line for a usage mistake', async () => {
        const run = await runScript(['publish']);
        expect(run.code).toBe(2);
        expect(run.stderr).toBe("Unknown command 'publish': use one of deploy, validate, permsets, setup.\n");
    });

    it.concurrent.each(COMMANDS)(
        '%s stops with one clear sentence when sf is not authenticated to the org',
        async (name) => {
            const run = await runScript([name, '--target-org', 'livestorm-unknown-alias']);
            expect(run.code).toBe(1);
            expect(run.stderr).toBe(
                "sf is not authenticated to org 'livestorm-unknown-alias': run `sf org login web --alias livestorm-unknown-alias` first\n"
            );
            expect(run.stdout).toBe('');
        },
        60_000
    );
});

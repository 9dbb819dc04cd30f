// Thin wrappers over the Salesforce CLI for the admin's four steps: validate, deploy, assign the permission sets,
// open the setup page. Each one first makes sure sf is authenticated to the org, and says how to fix it if not.
//
//   node scripts/org.ts <deploy|validate|permsets|setup> [--target-org <alias>] [--help]
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { runSf } from './lib/sf.ts';

export const COMMANDS = ['deploy', 'validate', 'permsets', 'setup'] as const;
export type OrgCommandName = (typeof COMMANDS)[number];

export const SOURCE_DIR = 'force-app';
export const SETUP_PAGE_PATH = 'lightning/n/Livestorm_Setup';
export const INTEGRATION_PERMISSION_SET = 'Livestorm_Integration';
export const VIEWER_PERMISSION_SET = 'Livestorm_Viewer';

export interface OrgCommand {
    name: OrgCommandName;
    targetOrg: string | undefined;
    onBehalfOf: string[];
    viewer: boolean;
}

export type ParsedArguments = { kind: 'run'; command: OrgCommand } | { kind: 'help'; text: string };

/** A mistake in the command line; the message says what to type instead. */
export class UsageError extends Error {
    override name = 'UsageError';
}

const TARGET_ORG_HELP =
    "  --target-org <alias>   org alias or username known to sf (default: sf's default org, `sf config get target-org`)";

const HELP: Record<OrgCommandName | 'overview', string> = {
    overview: [
        'Usage: node scripts/org.ts <command> [--target-org <alias>] [--help]',
        '',
        'Commands (also npm run org:<command>):',
        '  validate   check that the Livestorm package deploys, without saving anything',
        '  deploy     deploy the Livestorm package (force-app) to the org',
        '  permsets   assign the Livestorm Integration (or, with --viewer, Livestorm Viewer) permission set',
        '  setup      open the Livestorm Setup page in the browser',
        '',
        'Every command first checks that sf is authenticated to the org (`sf org login web --alias <alias>`).',
        'Run `node scripts/org.ts <command> --help` for the options of one command.'
    ].join('\n'),
    validate: [
        'Usage: npm run org:validate -- [--target-org <alias>]',
        '',
        `Runs \`sf project deploy start --source-dir ${SOURCE_DIR} --dry-run\`: Salesforce checks the whole package`,
        'against the org and rolls everything back. Nothing in the org changes.',
        '',
        'Options:',
        TARGET_ORG_HELP,
        '  --help                 show this help'
    ].join('\n'),
    deploy: [
        'Usage: npm run org:deploy -- [--target-org <alias>]',
        '',
        `Runs \`sf project deploy start --source-dir ${SOURCE_DIR}\`: the Livestorm fields, member status settings,`,
        'permission sets, Lightning components and the Livestorm Setup tab are deployed to the org.',
        '',
        'Options:',
        TARGET_ORG_HELP,
        '  --help                 show this help'
    ].join('\n'),
    permsets: [
        'Usage: npm run org:permsets -- [--target-org <alias>] [--on-behalf-of <username>]... [--viewer]',
        '',
        `Runs \`sf org assign permset --name ${INTEGRATION_PERMISSION_SET}\`, for the user the listener connects as.`,
        `With --viewer it assigns ${VIEWER_PERMISSION_SET} instead, for people who only read Livestorm data.`,
        'Marketing User is a checkbox on the user record: no permission set can grant it, tick it in Setup › Users.',
        '',
        'Options:',
        TARGET_ORG_HELP,
        '  --on-behalf-of <user>  username or alias to assign to, repeatable (default: the authenticated user)',
        `  --viewer               assign ${VIEWER_PERMISSION_SET} instead of ${INTEGRATION_PERMISSION_SET}`,
        '  --help                 show this help'
    ].join('\n'),
    setup: [
        'Usage: npm run org:setup -- [--target-org <alias>]',
        '',
        `Runs \`sf org open --path ${SETUP_PAGE_PATH}\`: the Livestorm Setup page, which checks the prerequisites`,
        'of the signed-in user (Marketing User, API access, object and field access, blocking required fields).',
        '',
        'Options:',
        TARGET_ORG_HELP,
        '  --help                 show this help'
    ].join('\n')
};

function isCommand(value: string | undefined): value is OrgCommandName {
    return (COMMANDS as readonly string[]).includes(value ?? '');
}

/**
 * Reads the command line (without the node and script paths).
 * @throws {UsageError} for an unknown command or option, a missing value, or an option the command does not take
 * @example parseOrgArguments(['permsets', '--target-org', 'prod', '--viewer'])
 */
export function parseOrgArguments(argv: string[]): ParsedArguments {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            allowPositionals: true,
            strict: true,
            options: {
                'target-org': { type: 'string', short: 'o' },
                'on-behalf-of': { type: 'string', short: 'b', multiple: true },
                viewer: { type: 'boolean' },
                help: { type: 'boolean', short: 'h' }
            }
        });
    } catch (error) {
        // parseArgs goes on to explain how to pass positionals starting with '-': the first sentence is the point.
        const reason = (error as Error).message.split('. ')[0] ?? 'Invalid arguments';
        throw new UsageError(`${reason}. Run \`node scripts/org.ts --help\` for the options.`);
    }
    const { values, positionals } = parsed;
    const [name, ...extra] = positionals;
    if (name === undefined || name === 'help') {
        if (values.help || name === 'help') return { kind: 'help', text: HELP.overview };
        throw new UsageError(
            `Name a command: ${COMMANDS.join(', ')}. Run \`node scripts/org.ts --help\` for details.`
        );
    }
    if (!isCommand(name)) {
        throw new UsageError(`Unknown command '${name}': use one of ${COMMANDS.join(', ')}.`);
    }
    if (values.help) return { kind: 'help', text: HELP[name] };
    if (extra.length > 0) {
        throw new UsageError(`Unexpected argument '${extra[0]}': ${name} takes options only (see --help).`);
    }
    const targetOrg = values['target-org'];
    if (targetOrg !== undefined && targetOrg.trim() === '') {
        throw new UsageError('--target-org needs an org alias or username.');
    }
    const onBehalfOf = values['on-behalf-of'] ?? [];
    const viewer = values.viewer ?? false;
    if (name !== 'permsets' && (onBehalfOf.length > 0 || viewer)) {
        throw new UsageError(
            `${onBehalfOf.length > 0 ? '--on-behalf-of' : '--viewer'} only applies to permsets.`
        );
    }
    return { kind: 'run', command: { name, targetOrg, onBehalfOf, viewer } };
}

function targetOrgArguments(command: OrgCommand): string[] {
    return command.targetOrg === undefined ? [] : ['--target-org', command.targetOrg];
}

/** The sf command line each command runs once the org is known to be authenticated. */
export function sfArgumentsFor(command: OrgCommand): string[] {
    switch (command.name) {
        case 'deploy':
            return ['project', 'deploy', 'start', '--source-dir', SOURCE_DIR, ...targetOrgArguments(command)];
        case 'validate':
            return [
                'project',
                'deploy',
                'start',
                '--source-dir',
                SOURCE_DIR,
                '--dry-run',
                ...targetOrgArguments(command)
            ];
        case 'permsets':
            return [
                'org',
                'assign',
                'permset',
                '--name',
                command.viewer ? VIEWER_PERMISSION_SET : INTEGRATION_PERMISSION_SET,
                ...command.onBehalfOf.flatMap((user) => ['--on-behalf-of', user]),
                ...targetOrgArguments(command)
            ];
        case 'setup':
            return ['org', 'open', '--path', SETUP_PAGE_PATH, ...targetOrgArguments(command)];
    }
}

export function orgDisplayArguments(command: OrgCommand): string[] {
    return ['org', 'display', ...targetOrgArguments(command), '--json'];
}

export interface AuthenticatedOrg {
    username: string;
    instanceUrl: string;
}

export type AuthCheck = { ok: true; org: AuthenticatedOrg } | { ok: false; message: string };

/**
 * Interprets `sf org display --json`: the org it names, or one sentence saying what to run.
 * @param targetOrg the --target-org given, undefined when sf's default org is meant
 */
export function interpretOrgDisplay(targetOrg: string | undefined, stdout: string): AuthCheck {
    const loginHint = (alias: string) => `run \`sf org login web --alias ${alias}\``;
    let answer: { status?: number; name?: string; result?: Record<string, unknown> };
    try {
        answer = JSON.parse(stdout) as typeof answer;
    } catch {
        answer = {};
    }
    if (answer.status !== 0 || !answer.result) {
        if (targetOrg === undefined) {
            return {
                ok: false,
                message:
                    answer.name === 'NoDefaultEnvError'
                        ? 'sf has no default org: pass --target-org <alias>, or run `sf org login web --alias <alias> --set-default` first'
                        : `sf is not authenticated to its default org: ${loginHint('<alias>')} and pass --target-org <alias>`
            };
        }
        return {
            ok: false,
            message: `sf is not authenticated to org '${targetOrg}': ${loginHint(targetOrg)} first`
        };
    }
    const result = answer.result;
    const connectedStatus =
        typeof result['connectedStatus'] === 'string' ? result['connectedStatus'] : undefined;
    // sf reports an expired or revoked authorization as a connectedStatus other than Connected (Unknown means
    // it did not ask the org, which is not a failure).
    if (connectedStatus !== undefined && connectedStatus !== 'Connected' && connectedStatus !== 'Unknown') {
        const alias = targetOrg ?? String(result['alias'] ?? result['username'] ?? '<alias>');
        return {
            ok: false,
            message: `sf's authorization for org '${alias}' no longer works (${connectedStatus}): ${loginHint(alias)} again`
        };
    }
    return {
        ok: true,
        org: { username: String(result['username'] ?? ''), instanceUrl: String(result['instanceUrl'] ?? '') }
    };
}

const ACTION: Record<OrgCommandName, string> = {
    validate: 'Validating the Livestorm package (dry run, nothing is saved) against',
    deploy: 'Deploying the Livestorm package to',
    permsets: 'Assigning the permission set in',
    setup: 'Opening the Livestorm Setup page of'
};

/** Runs one command end to end and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
    let parsed: ParsedArguments;
    try {
        parsed = parseOrgArguments(argv);
    } catch (error) {
        if (error instanceof UsageError) {
            process.stderr.write(`${error.message}\n`);
            return 2;
        }
        throw error;
    }
    if (parsed.kind === 'help') {
        process.stdout.write(`${parsed.text}\n`);
        return 0;
    }
    const { command } = parsed;
    const display = await runSf(orgDisplayArguments(command), { timeoutMs: 120_000 });
    const auth = interpretOrgDisplay(command.targetOrg, display.stdout);
    if (!auth.ok) {
        process.stderr.write(`${auth.message}\n`);
        return 1;
    }
    process.stdout.write(`${ACTION[command.name]} ${auth.org.username} (${auth.org.instanceUrl})\n`);
    const run = await runSf(sfArgumentsFor(command), { inherit: true });
    return run.code;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
    process.exitCode = await main(process.argv.slice(2));
}

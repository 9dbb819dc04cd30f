// npm run emulator:salesforce -- [--port 4010] [--latency 150] [--client-id X --client-secret Y] …
// Prints one JSON line {"instanceUrl","accessToken"} once listening, nothing else on stdout. `--help` lists the options;
// a wrong option or value is one line on stderr and exit code 2.
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { startSalesforceEmulator } from './index.ts';

const OPTIONS = {
    port: { type: 'string', default: '0' },
    latency: { type: 'string', default: '0' },
    'per-record-latency': { type: 'string', default: '0' },
    'daily-api-limit': { type: 'string' },
    'api-version': { type: 'string' },
    'force-app': { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'lock-wait': { type: 'string', default: '0' },
    'production-like': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false }
} satisfies ParseArgsConfig['options'];

const HELP = `Usage: npm run emulator:salesforce -- [options]

Runs the Salesforce REST emulator on 127.0.0.1 and prints one JSON line {"instanceUrl","accessToken"} once it listens.
Point the listener or \`npx livestorm-sf doctor\` at it with SF_INSTANCE_URL and SF_ACCESS_TOKEN (or the client
credentials flow with SF_LOGIN_URL=<instanceUrl>). Record pages answer at <instanceUrl>/lightning/r/<sObject>/<Id>/view.

Options:
  --port N                 port to listen on (default 0: any free port)
  --latency MS             added to every API call (default 0)
  --per-record-latency MS  added per record read or written (default 0)
  --daily-api-limit N      the org's daily API allocation (default 100000)
  --api-version X.0        newest API version served (default: sourceApiVersion of sfdx-project.json)
  --force-app DIR          the package whose metadata the org has (default: the repository's force-app)
  --client-id ID           require this client id on the token endpoint
  --client-secret SECRET   require this client secret on the token endpoint
  --lock-wait MS           how long a write waits for a Campaign row lock (default 0)
  --production-like        what most production orgs have: an active Lead assignment rule routing every Lead to
                           the queue "Lead Routing", a flow that updates a Lead when its Campaign Member is saved,
                           and State and Country/Territory Picklists
  -h, --help               show this help`;

function usageError(message: string): never {
    process.stderr.write(`${message}\nRun "npm run emulator:salesforce -- --help" for the options.\n`);
    process.exit(2);
}

let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values'];
try {
    ({ values } = parseArgs({ options: OPTIONS, strict: true }));
} catch (error) {
    usageError((error as Error).message);
}
if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
}

function integer(name: string, value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0)
        usageError(`--${name} must be a non-negative integer, got ${value}`);
    return parsed;
}

const emulator = await startSalesforceEmulator({
    port: integer('port', values.port),
    latencyMs: integer('latency', values.latency),
    perRecordLatencyMs: integer('per-record-latency', values['per-record-latency']),
    dailyApiLimit: integer('daily-api-limit', values['daily-api-limit']),
    lockWaitMs: integer('lock-wait', values['lock-wait']),
    ...(values['api-version'] ? { apiVersion: values['api-version'] } : {}),
    ...(values['force-app'] ? { forceAppDir: values['force-app'] } : {}),
    ...(values['client-id'] ? { clientId: values['client-id'] } : {}),
    ...(values['client-secret'] ? { clientSecret: values['client-secret'] } : {}),
    ...(values['production-like']
        ? {
              assignmentRules: [{ name: 'Lead Routing', active: true, queue: 'Lead Routing' }],
              flows: { campaignMemberUpdatesLead: true },
              addressPicklists: true
          }
        : {})
});

process.stdout.write(
    `${JSON.stringify({ instanceUrl: emulator.instanceUrl, accessToken: emulator.accessToken })}\n`
);

let stopping = false;
const stop = (): void => {
    if (stopping) return;
    stopping = true;
    emulator.close().then(
        () => process.exit(0),
        (error: unknown) => {
            process.stderr.write(`${String(error)}\n`);
            process.exit(1);
        }
    );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

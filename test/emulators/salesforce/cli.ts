// npm run emulator:salesforce -- --port 4010 [--latency 150] [--client-id X --client-secret Y]
// Prints one JSON line {"instanceUrl","accessToken"} once listening, nothing else on stdout.
import { parseArgs } from 'node:util';
import { startSalesforceEmulator } from './index.ts';

const { values } = parseArgs({
    options: {
        port: { type: 'string', default: '0' },
        latency: { type: 'string', default: '0' },
        'per-record-latency': { type: 'string', default: '0' },
        'daily-api-limit': { type: 'string' },
        'api-version': { type: 'string' },
        'force-app': { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        'lock-wait': { type: 'string', default: '0' }
    },
    strict: true
});

function integer(name: string, value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0) {
        process.stderr.write(`--${name} must be a non-negative integer, got ${value}\n`);
        process.exit(2);
    }
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
    ...(values['client-secret'] ? { clientSecret: values['client-secret'] } : {})
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

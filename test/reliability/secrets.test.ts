// Secrets never leak: the listener runs the end-to-end scenarios (registrations, Salesforce faults and token refresh,
// refused tokens, bad deliveries, the admin page) with recognisable secrets in every auth mode, and every log line,
// error, /metrics, /healthz, the admin page and API, and the quarantined payload views are searched for them.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSalesforceEmulator } from '../emulators/salesforce/index.ts';
import type { SalesforceEmulator, SalesforceEmulatorOptions } from '../emulators/salesforce/index.ts';
import { startLivestormSimulator } from '../emulators/livestorm/index.ts';
import type { LivestormSimulator } from '../emulators/livestorm/index.ts';
import { createWebhookSender } from '../emulators/livestorm/webhooks.ts';
import { startListenerProcess } from '../support/listener-process.ts';
import type { ListenerProcess } from '../support/listener-process.ts';
import { hoursFromNow, report } from './harness.ts';

const SECRETS = {
    livestormApiToken: 'LEAKCHECK-livestorm-api-token-7f3a9c',
    webhookToken: 'LEAKCHECK-webhook-token-b81d2e',
    webhookSecret: 'LEAKCHECK-webhook-secret-c4e6f0',
    adminToken: 'LEAKCHECK-admin-token-9d0b7a',
    clientSecret: 'LEAKCHECK-client-secret-1e5f8b',
    databasePassword: 'LEAKCHECK-db-password-6a2c4d'
};

/** Each secret as it may be written: raw, JSON-escaped, URL-encoded, base64. */
function forms(secret: string): string[] {
    return [
        ...new Set([
            secret,
            JSON.stringify(secret).slice(1, -1),
            encodeURIComponent(secret),
            Buffer.from(secret).toString('base64')
        ])
    ];
}

function leaks(texts: Record<string, string>, secrets: Record<string, string>): string[] {
    const found: string[] = [];
    for (const [where, text] of Object.entries(texts))
        for (const [name, secret] of Object.entries(secrets))
            for (const form of forms(secret)) if (text.includes(form)) found.push(`${name} in ${where}`);
    return [...new Set(found)];
}

interface Running {
    emulator: SalesforceEmulator;
    simulator: LivestormSimulator;
    listener?: ListenerProcess;
    dataDir: string;
}
const running: Running[] = [];
afterEach(async () => {
    for (const item of running.splice(0)) {
        await item.listener?.stop();
        await item.emulator.close();
        await item.simulator.close();
        await rm(item.dataDir, { recursive: true, force: true });
    }
});

let linesChecked = 0;
let pagesChecked = 0;

/**
 * Runs the scenario against a listener configured by `authEnv` and returns every text it produced.
 * @param livestormTokenAccepted false: Livestorm refuses the configured API token (the refusal path is logged)
 */
async function scenario(
    salesforce: SalesforceEmulatorOptions,
    authEnv: (emulator: SalesforceEmulator) => Record<string, string>,
    livestormTokenAccepted: boolean
): Promise<{ texts: Record<string, string>; emulator: SalesforceEmulator }> {
    const emulator = await startSalesforceEmulator(salesforce);
    const simulator = await startLivestormSimulator({
        token: livestormTokenAccepted ? SECRETS.livestormApiToken : 'another-token-livestorm-knows'
    });
    const dataDir = await mkdtemp(join(tmpdir(), 'lsf-secrets-'));
    const item: Running = { emulator, simulator, dataDir };
    running.push(item);
    const listener = await startListenerProcess({
        ...authEnv(emulator),
        LIVESTORM_API_URL: simulator.apiUrl,
        LIVESTORM_API_TOKEN: SECRETS.livestormApiToken,
        LIVESTORM_WEBHOOK_TOKEN: SECRETS.webhookToken,
        LIVESTORM_WEBHOOK_SECRET: SECRETS.webhookSecret,
        ADMIN_TOKEN: SECRETS.adminToken,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'trace'
    });
    item.listener = listener;
    const texts: Record<string, string> = {};
    const webhookUrl = `${listener.url}/webhooks/livestorm/${SECRETS.webhookToken}`;
    const sender = createWebhookSender({ url: webhookUrl, secret: SECRETS.webhookSecret, retryDelaysMs: [] });

    // Requests a misconfigured or hostile sender makes: wrong token, wrong signature, not JSON, bad JSON.
    const refusals = [
        await fetch(`${listener.url}/webhooks/livestorm/${SECRETS.webhookToken}x`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: '{}'
        }),
        await fetch(webhookUrl, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'x-livestorm-signature': '1,deadbeef' },
            body: '{}'
        }),
        await fetch(webhookUrl, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' })
    ];
    for (const [index, response] of refusals.entries())
        texts[`refusal ${index} body`] = await response.text();
    const badJson = '{"data": {"id": "broken", "attributes": ';
    const signature = (await import('../emulators/livestorm/webhooks.ts')).signLivestormBody(
        badJson,
        SECRETS.webhookSecret,
        Math.floor(Date.now() / 1000)
    );
    const quarantined = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'x-livestorm-signature': signature },
        body: badJson
    });
    expect(quarantined.status).toBe(202);

    // The happy path, then Salesforce 5xx and an expired session in the middle.
    const event = simulator.state.createEvent({ title: 'Secrets' });
    await sender.deliver('event.created', event);
    const session = simulator.state.createSession(event.id, { startsAt: hoursFromNow(4) });
    await sender.deliver('session.created', session);
    for (let index = 0; index < 3; index++) {
        const person = simulator.state.register(session.id, {
            firstName: 'Sec',
            lastName: `Ret ${index}`,
            email: `secret${index}@example.com`
        });
        expect((await sender.deliver('people.registered', person)).delivered).toBe(true);
    }
    await expect
        .poll(() => emulator.inspect.records('CampaignMember').length, { timeout: 60_000, interval: 200 })
        .toBe(3);
    // The session expires: the OAuth modes refresh it, the static token is refused (and reported).
    emulator.inspect.setFaults({ expireTokens: true });
    const callsBefore = emulator.inspect.calls().total;
    const late = simulator.state.register(session.id, {
        firstName: 'Late',
        lastName: 'Comer',
        email: 'late@example.com'
    });
    await sender.deliver('people.registered', late);
    // Refused calls are not counted by the org: the static token's refusal shows in the health instead.
    const metExpiry = async () => {
        if (emulator.inspect.calls().total > callsBefore) return true;
        const health = (await (await fetch(`${listener.url}/healthz`)).json()) as {
            salesforce: string | { state: string };
        };
        const state = typeof health.salesforce === 'string' ? health.salesforce : health.salesforce.state;
        return state !== 'connected' && state !== 'connecting';
    };
    await expect.poll(metExpiry, { timeout: 60_000, interval: 200 }).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1000));

    // Every view an operator or a scraper can reach.
    const admin = { Authorization: `Bearer ${SECRETS.adminToken}` };
    const views: [string, RequestInit?][] = [
        ['/healthz'],
        ['/metrics'],
        [`/admin?token=${SECRETS.adminToken}`],
        ['/admin', { headers: admin }],
        ['/admin/api/health', { headers: admin }],
        ['/admin/api/sessions', { headers: admin }],
        ['/admin/api/events', { headers: admin }],
        ['/admin/api/deliveries?state=quarantined', { headers: admin }],
        ['/admin/api/deliveries?state=done', { headers: admin }],
        ['/admin/api/failures', { headers: admin }],
        ['/admin/api/settings', { headers: admin }],
        ['/admin/api/sync-log', { headers: admin }],
        ['/admin/api/people?q=secret', { headers: admin }],
        ['/admin/api/health']
    ];
    for (const [path, init] of views) {
        const response = await fetch(`${listener.url}${path}`, { redirect: 'manual', ...init });
        texts[`GET ${path.replace(SECRETS.adminToken, '<admin token>')}`] =
            `${response.status} ${[...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${await response.text()}`;
        pagesChecked++;
    }
    // The quarantined payload view shows the body as received: it must be the delivery, whole.
    expect(texts['GET /admin/api/deliveries?state=quarantined']).toContain('broken');

    await listener.stop();
    texts['listener output'] = listener.output();
    linesChecked += listener.output().split('\n').length;
    return { texts, emulator };
}

describe('secrets never leak', () => {
    it('static access token: logs, errors, metrics, health, admin page and quarantine views', async () => {
        let accessToken = '';
        const { texts } = await scenario(
            {},
            (emulator) => {
                accessToken = emulator.accessToken;
                return { SF_INSTANCE_URL: emulator.instanceUrl, SF_ACCESS_TOKEN: emulator.accessToken };
            },
            true
        );
        expect(texts['listener output']).toMatch(/SF_ACCESS_TOKEN/);
        expect(leaks(texts, { ...SECRETS, salesforceAccessToken: accessToken })).toEqual([]);
    });

    it('client credentials: the client secret and every issued access token, Livestorm refusing its token', async () => {
        const { texts, emulator } = await scenario(
            { clientId: 'leakcheck-client', clientSecret: SECRETS.clientSecret },
            (org) => ({
                SF_LOGIN_URL: org.url,
                SF_CLIENT_ID: 'leakcheck-client',
                SF_CLIENT_SECRET: SECRETS.clientSecret
            }),
            false
        );
        const issued = emulator.inspect.issuedTokens();
        // The startup token of the emulator and at least one refresh after the expiry.
        expect(emulator.inspect.tokens()).toBeGreaterThanOrEqual(2);
        const tokens = Object.fromEntries(
            issued.map((token, index) => [`issued access token ${index}`, token])
        );
        expect(leaks(texts, { ...SECRETS, ...tokens })).toEqual([]);
    });

    it('JWT bearer: the private key', async () => {
        const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
        const keyDir = await mkdtemp(join(tmpdir(), 'lsf-secrets-key-'));
        const keyFile = join(keyDir, 'server.key');
        await writeFile(keyFile, pem);
        try {
            const { texts, emulator } = await scenario(
                { jwtPublicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
                (org) => ({
                    SF_LOGIN_URL: org.url,
                    SF_CLIENT_ID: 'leakcheck-client',
                    SF_USERNAME: 'integration@leakcheck.example.com',
                    SF_JWT_KEY_FILE: keyFile
                }),
                true
            );
            // Every line of the key body is long and unique enough to be recognised alone.
            const keyLines = pem.split('\n').filter((line) => line.length >= 40 && !line.startsWith('-----'));
            const secrets = {
                ...SECRETS,
                ...Object.fromEntries(keyLines.map((line, index) => [`JWT key line ${index}`, line])),
                ...Object.fromEntries(
                    emulator.inspect
                        .issuedTokens()
                        .map((token, index) => [`issued access token ${index}`, token])
                )
            };
            expect(leaks(texts, secrets)).toEqual([]);
        } finally {
            await rm(keyDir, { recursive: true, force: true });
        }
    });

    it('the database password, in the error of a store that cannot be reached', async () => {
        const dataDir = await mkdtemp(join(tmpdir(), 'lsf-secrets-db-'));
        try {
            let output = '';
            await startListenerProcess(
                {
                    SF_INSTANCE_URL: 'http://127.0.0.1:9',
                    SF_ACCESS_TOKEN: 'LEAKCHECK-unused-access-token-3b7e1d',
                    LIVESTORM_WEBHOOK_TOKEN: SECRETS.webhookToken,
                    DATABASE_URL: `postgres://livestorm:${SECRETS.databasePassword}@127.0.0.1:9/livestorm`,
                    DATA_DIR: dataDir,
                    LOG_LEVEL: 'trace'
                },
                20_000
            ).then(
                async (listener) => {
                    output = listener.output();
                    await listener.stop();
                },
                (error: Error) => (output = error.message)
            );
            linesChecked += output.split('\n').length;
            expect(output.length).toBeGreaterThan(0);
            expect(
                leaks(
                    { 'start-up output': output },
                    { ...SECRETS, accessToken: 'LEAKCHECK-unused-access-token-3b7e1d' }
                )
            ).toEqual([]);
        } finally {
            await rm(dataDir, { recursive: true, force: true });
        }
        report('secrets', {
            'auth modes': 3,
            'secrets checked': Object.keys(SECRETS).length + 2,
            'log lines searched': linesChecked,
            'pages and API answers searched': pagesChecked,
            leaks: 0
        });
    });
});

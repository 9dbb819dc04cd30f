// The sync engine in its own thread, as `npm start` runs it: the HTTP app in this thread stores and acknowledges
// deliveries, the engine worker (its own store connection) folds them and writes the org; calls from the app reach
// the engine through the SyncEngine port, and settings changed in this thread apply in the worker. On the embedded
// store and on PostgreSQL.
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../listener/src/app.ts';
import { parseEnv } from '../../listener/src/config/env.ts';
import { applySettings, parseSettings } from '../../listener/src/config/settings.ts';
import { openStore } from '../../listener/src/store/open.ts';
import type { Store } from '../../listener/src/store/store.ts';
import { isolateResourceLimits, startEngineWorker } from '../../listener/src/sync/engine-host.ts';
import type { EngineWorkerHost } from '../../listener/src/sync/engine-host.ts';
import { startSalesforceEmulator } from '../emulators/salesforce/index.ts';
import type { SalesforceEmulator } from '../emulators/salesforce/index.ts';
import { startLivestormSimulator } from '../emulators/livestorm/index.ts';
import type { LivestormSimulator } from '../emulators/livestorm/index.ts';
import { createWebhookSender } from '../emulators/livestorm/webhooks.ts';
import type { WebhookSender } from '../emulators/livestorm/webhooks.ts';
import { expectStoreNoneSilentlyStuck } from '../support/invariant.ts';
import { hoursFromNow } from '../support/org.ts';
import { postgresBinary, startTestPostgres } from '../support/postgres.ts';
import type { TestPostgres } from '../support/postgres.ts';

const TOKEN = 'engine-worker-webhook-token-0123456789';

describe('isolateResourceLimits', () => {
    it('gives the worker the old-generation limit of the command line, or the documented default', () => {
        expect(isolateResourceLimits(['--max-semi-space-size=2', '--max-old-space-size=96'])).toEqual({
            maxOldGenerationSizeMb: 96,
            maxYoungGenerationSizeMb: 6
        });
        expect(isolateResourceLimits(['--max_old_space_size=200'])).toEqual({ maxOldGenerationSizeMb: 200 });
        expect(isolateResourceLimits([])).toEqual({ maxOldGenerationSizeMb: 160 });
    });
});

let postgres: TestPostgres | undefined;
beforeAll(async () => {
    if (await postgresBinary()) postgres = await startTestPostgres();
}, 120_000);
afterAll(async () => {
    await postgres?.stop();
}, 60_000);

describe.each(['sqlite', 'postgresql'] as const)('the engine worker on %s', (kind) => {
    let emulator: SalesforceEmulator | undefined;
    let simulator: LivestormSimulator | undefined;
    let store: Store | undefined;
    let engine: EngineWorkerHost | undefined;
    let server: ReturnType<typeof serve> | undefined;
    let dataDir = '';

    afterEach(async () => {
        await engine?.stop();
        server?.close();
        await store?.close();
        await emulator?.close();
        await simulator?.close();
        if (dataDir) await rm(dataDir, { recursive: true, force: true });
        engine = undefined;
    });

    async function start(): Promise<{ sender: WebhookSender; settings: ReturnType<typeof parseSettings> }> {
        emulator = await startSalesforceEmulator();
        simulator = await startLivestormSimulator();
        dataDir = await mkdtemp(join(tmpdir(), 'lsf-worker-'));
        const config = parseEnv({
            SF_INSTANCE_URL: emulator.instanceUrl,
            SF_ACCESS_TOKEN: emulator.accessToken,
            LIVESTORM_API_URL: simulator.apiUrl,
            LIVESTORM_API_TOKEN: simulator.token,
            LIVESTORM_WEBHOOK_TOKEN: TOKEN,
            DATA_DIR: dataDir,
            DATABASE_URL: kind === 'postgresql' ? await postgres!.newDatabase() : undefined,
            LOG_LEVEL: 'silent',
            PORT: '0'
        });
        const settings = parseSettings({ batchWindowMs: 30 });
        const logger = pino({ level: 'silent' });
        store = await openStore({
            dataDir: config.dataDir,
            ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {})
        });
        engine = await startEngineWorker({ config, settings, logger, tuning: { pollIntervalMs: 50 } });
        const app = createApp({ config, store, engine, logger, settings });
        server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
        await new Promise<void>((resolve) => server!.once('listening', () => resolve()));
        await engine.start();
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/livestorm/${TOKEN}`;
        return { sender: createWebhookSender({ url, retryDelaysMs: [] }), settings };
    }

    const records = (object: string) => emulator!.inspect.records(object);

    it('stores deliveries in this thread and syncs them from the worker', async (context) => {
        if (kind === 'postgresql' && !postgres) return context.skip();
        const started = await start();
        const sender = started.sender;
        const event = simulator!.state.createEvent({ title: 'Worker webinar' });
        await sender.deliver('event.created', event);
        const session = simulator!.state.createSession(event.id, { startsAt: hoursFromNow(24) });
        await sender.deliver('session.created', session);
        for (const index of [1, 2, 3]) {
            const person = simulator!.state.register(session.id, {
                firstName: 'Thread',
                lastName: `${index}`,
                email: `thread${index}@example.com`
            });
            const outcome = await sender.deliver('people.registered', person);
            expect(outcome.delivered).toBe(true);
        }
        await engine!.whenIdle();
        const campaign = records('Campaign').find((row) => row.Livestorm_Session_Id__c === session.id);
        expect(campaign?.Name).toContain('Worker webinar');
        expect(records('CampaignMember').filter((row) => row.CampaignId === campaign!.Id)).toHaveLength(3);
        // Deliveries were stored by this thread's connection and consumed by the worker's.
        expect(await store!.countDeliveries()).toMatchObject({ pending: 0 });

        // The snapshot this thread reads follows the worker's engine.
        const health = engine!.health();
        expect(health.ready).toBe(true);
        expect(health.salesforce.state).toBe('connected');
        expect(health.lastSyncAt).not.toBeNull();
        expect(engine!.instanceUrl()).toBe(emulator!.instanceUrl);
        // Port calls answer with the worker's result.
        expect(await engine!.retryFailures()).toBe(0);
        // The scenario ends with the invariant, computed through the port as the admin API computes it.
        await expectStoreNoneSilentlyStuck({
            store: store!,
            settings: started.settings,
            engine: engine!,
            livestormConfigured: true,
            instanceUrl: () => emulator!.instanceUrl
        });
    });

    it('runs the worker under the listener heap limit', async (context) => {
        if (kind === 'postgresql' && !postgres) return context.skip();
        await start();
        const { resourceLimits, heapSizeLimitMb } = engine!.limits();
        expect(resourceLimits.maxOldGenerationSizeMb).toBe(isolateResourceLimits().maxOldGenerationSizeMb);
        // The old generation plus the young one (V8 default size unless --max-semi-space-size is given); V8's own
        // default on this machine would be several gigabytes.
        expect(heapSizeLimitMb).toBeGreaterThanOrEqual(resourceLimits.maxOldGenerationSizeMb!);
        expect(heapSizeLimitMb).toBeLessThan(resourceLimits.maxOldGenerationSizeMb! + 256);
    });

    it('applies settings changed in this thread to the worker', async (context) => {
        if (kind === 'postgresql' && !postgres) return context.skip();
        const { sender, settings } = await start();
        applySettings(settings, parseSettings({ ...settings, enabledByDefault: false }));
        engine!.syncSettings();
        const event = simulator!.state.createEvent({ title: 'Not enabled' });
        await sender.deliver('event.created', event);
        const session = simulator!.state.createSession(event.id, { startsAt: hoursFromNow(24) });
        await sender.deliver('session.created', session);
        await engine!.whenIdle();
        expect(records('Campaign').filter((row) => row.Livestorm_Session_Id__c === session.id)).toHaveLength(
            0
        );
    });
});

// The whole product on loopback for end-to-end tests, the demo and the benchmark: the Salesforce emulator, the
// Livestorm simulator, and the listener (HTTP edge, embedded store, sync engine) wired as index.ts wires them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { createApp } from '../../listener/src/app.ts';
import { parseEnv } from '../../listener/src/config/env.ts';
import { parseSettings, saveSettings } from '../../listener/src/config/settings.ts';
import type { Settings } from '../../listener/src/config/settings.ts';
import { createLivestormClient } from '../../listener/src/livestorm/client.ts';
import { createSalesforceConnection } from '../../listener/src/salesforce/connection.ts';
import type { SalesforceConnection } from '../../listener/src/salesforce/connection.ts';
import { createSqliteStore } from '../../listener/src/store/sqlite.ts';
import type { Store } from '../../listener/src/store/store.ts';
import { createSyncEngine } from '../../listener/src/sync/engine.ts';
import type { RunningSyncEngine } from '../../listener/src/sync/engine.ts';
import { startSalesforceEmulator } from '../emulators/salesforce/index.ts';
import type { SalesforceEmulator } from '../emulators/salesforce/index.ts';
import { startLivestormSimulator } from '../emulators/livestorm/index.ts';
import type { LivestormSimulator } from '../emulators/livestorm/index.ts';
import { createWebhookSender } from '../emulators/livestorm/webhooks.ts';
import type { WebhookSender } from '../emulators/livestorm/webhooks.ts';

export const WEBHOOK_TOKEN = 'e2e-webhook-token-0123456789abcdef';

export interface StackOptions {
    /** Behaviour settings (the config file's JSON), or a function of the org (to name its records); fast defaults for tests are applied underneath. */
    settings?: Record<string, unknown> | ((emulator: SalesforceEmulator) => Record<string, unknown>);
    salesforce?: Parameters<typeof startSalesforceEmulator>[0];
    livestormApi?: boolean;
    webhookSecret?: string;
    /** How the listener authenticates: the emulator's static token (default) or the client credentials flow. */
    salesforceAuth?: 'token' | 'client_credentials' | { mode: 'jwt'; username: string; jwtKeyFile: string };
    /** While paused for the daily allocation or the budget, how often the engine probes GET /limits (default 5 min). */
    limitProbeIntervalMs?: number;
    /** Cap of the engine's outage and concurrency backoff (default 60 s). */
    backoffCapMs?: number;
    /** The sync engine's clock (ms since epoch), e.g. one a test moves by hand to time deliveries; default Date.now. */
    engineClock?: () => number;
    /** Retries of one Livestorm API request (the client's default is 4). */
    livestormMaxRetries?: number;
    /** First wait before the engine reads an event title again after a failure (default here 100 ms). */
    titleRetryMs?: number;
    /** Enables the admin page with this token. */
    adminToken?: string;
    sender?: Partial<Parameters<typeof createWebhookSender>[0]>;
    logLevel?: pino.Level | 'silent';
    /** Fills the Livestorm workspace before the listener starts (what exists when the integration is enabled). */
    prepare?: (simulator: LivestormSimulator) => void | Promise<void>;
    dataDir?: string;
    /**
     * Where the listener reaches the org (e.g. a fault proxy): the instance URL in the static token mode, the login URL
     * of the client credentials flow; default the emulator.
     */
    salesforceUrl?: (emulator: SalesforceEmulator) => string;
    /** Per-request timeout of the Salesforce connection (default the listener's). */
    salesforceTimeoutMs?: number;
    /** Where the listener reaches the Livestorm API (e.g. a fault proxy), default the simulator. */
    livestormApiUrl?: (simulator: LivestormSimulator) => string;
}

export interface Stack {
    emulator: SalesforceEmulator;
    /** The listener's and the engine's logger (silent unless logLevel says otherwise): tests may spy on it. */
    logger: pino.Logger;
    simulator: LivestormSimulator;
    store: Store;
    engine: RunningSyncEngine;
    salesforce: SalesforceConnection;
    settings: Settings;
    sender: WebhookSender;
    listenerUrl: string;
    webhookUrl: string;
    dataDir: string;
    /** The settings file the admin page saves to, inside dataDir (written at start with the stack's settings). */
    configFile: string;
    /** Stops the listener only (store closed), keeping emulators and data: for restart tests. */
    stopListener(): Promise<void>;
    close(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
    const emulator = await startSalesforceEmulator(options.salesforce);
    const simulator = await startLivestormSimulator();
    await options.prepare?.(simulator);
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'lsf-e2e-')));
    const settingsJson =
        typeof options.settings === 'function' ? options.settings(emulator) : options.settings;
    const settings = parseSettings({ batchWindowMs: 30, attendanceReconcileSeconds: 1, ...settingsJson });
    // Every file of the stack lives in its data directory: the admin page's "Save settings" writes here, and the
    // command line given DATA_DIR and CONFIG_FILE reads the same settings the listener runs with.
    const configFile = join(dataDir, 'livestorm-sf.config.json');
    await saveSettings(configFile, settings);
    const logger = pino({ level: options.logLevel ?? 'silent' });
    const config = parseEnv({
        SF_INSTANCE_URL: emulator.instanceUrl,
        SF_ACCESS_TOKEN: emulator.accessToken,
        LIVESTORM_API_URL: simulator.apiUrl,
        LIVESTORM_API_TOKEN: options.livestormApi === false ? undefined : simulator.token,
        LIVESTORM_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
        LIVESTORM_WEBHOOK_SECRET: options.webhookSecret,
        ADMIN_TOKEN: options.adminToken,
        DATA_DIR: dataDir,
        CONFIG_FILE: configFile,
        PORT: '0'
    });
    const store = await createSqliteStore({ dataDir });
    const salesforce = createSalesforceConnection(
        options.salesforceAuth === 'client_credentials'
            ? {
                  mode: 'client_credentials',
                  loginUrl: options.salesforceUrl?.(emulator) ?? emulator.url,
                  clientId: 'livestorm-listener',
                  clientSecret: 'client-secret'
              }
            : typeof options.salesforceAuth === 'object'
              ? {
                    mode: 'jwt',
                    loginUrl: emulator.url,
                    clientId: 'livestorm-listener',
                    username: options.salesforceAuth.username,
                    jwtKeyFile: options.salesforceAuth.jwtKeyFile
                }
              : {
                    mode: 'token',
                    instanceUrl: options.salesforceUrl?.(emulator) ?? emulator.instanceUrl,
                    accessToken: emulator.accessToken
                },
        {
            apiVersion: config.salesforce.apiVersion,
            ...(options.salesforceTimeoutMs ? { timeoutMs: options.salesforceTimeoutMs } : {})
        }
    );
    const livestorm =
        options.livestormApi === false
            ? undefined
            : createLivestormClient({
                  baseUrl: options.livestormApiUrl?.(simulator) ?? simulator.apiUrl,
                  token: simulator.token,
                  maxRetries: options.livestormMaxRetries
              });
    const engine = createSyncEngine({
        store,
        salesforce,
        livestorm,
        settings,
        logger,
        pollIntervalMs: 50,
        titleRetryMs: options.titleRetryMs ?? 100,
        ...(options.limitProbeIntervalMs !== undefined
            ? { limitProbeIntervalMs: options.limitProbeIntervalMs }
            : {}),
        ...(options.backoffCapMs !== undefined ? { backoffCapMs: options.backoffCapMs } : {}),
        ...(options.engineClock ? { now: options.engineClock } : {})
    });
    const app = createApp({ config, store, engine, logger, settings });
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const listenerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await engine.start();
    const webhookUrl = `${listenerUrl}/webhooks/livestorm/${WEBHOOK_TOKEN}`;
    const sender = createWebhookSender({
        url: webhookUrl,
        secret: options.webhookSecret,
        retryDelaysMs: [20, 40, 80, 160, 320],
        ...options.sender
    });
    let listenerStopped = false;
    const stopListener = async () => {
        if (listenerStopped) return;
        listenerStopped = true;
        await engine.stop();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await store.close();
    };
    return {
        emulator,
        logger,
        simulator,
        store,
        engine,
        salesforce,
        settings,
        sender,
        listenerUrl,
        webhookUrl,
        dataDir,
        configFile,
        stopListener,
        async close() {
            try {
                await stopListener();
                await emulator.close();
                await simulator.close();
            } finally {
                if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
            }
        }
    };
}

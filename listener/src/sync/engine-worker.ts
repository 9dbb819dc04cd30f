// The sync engine's thread (started by engine-host.ts): its own store connection, Salesforce connection, Livestorm
// client and logger, and the engine built by createSyncEngine exactly as it runs in one thread. It answers the host's
// calls, applies the settings the host sends, and publishes a snapshot of the engine's health whenever it changes.
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { configuredInstanceUrl } from '../admin/views.ts';
import { secretValues } from '../config/env.ts';
import { applySettings } from '../config/settings.ts';
import { createLivestormClient } from '../livestorm/client.ts';
import { createLogger } from '../logger.ts';
import { createSalesforceConnection } from '../salesforce/connection.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import type { EngineWorkerData, EngineSnapshot, HostMessage, WorkerMessage } from './engine-host.ts';
import type { EngineHealth } from './engine-port.ts';
import { createSyncEngine } from './engine.ts';
import type { RunningSyncEngine } from './engine.ts';

if (!parentPort)
    throw new Error('engine-worker.ts runs as a worker thread: start it with startEngineWorker()');
const port = parentPort;
const data = workerData as EngineWorkerData;
const post = (message: WorkerMessage) => port.postMessage(message);

/** Whether the engine has reached Salesforce (then an OAuth connection knows its instance URL). */
function connected(health: EngineHealth): boolean {
    return health.salesforce.state === 'connected';
}

async function main(): Promise<void> {
    const { config, settings } = data;
    const logger = createLogger({ level: config.logLevel, secrets: secretValues(config) });
    let store: Store;
    let engine: RunningSyncEngine;
    let instanceUrl = configuredInstanceUrl(config);
    try {
        store = await openStore({
            dataDir: config.dataDir,
            database: config.database,
            ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
            // The HTTP edge's writes (acknowledgements wait on them) go first.
            ...(data.writeGate ? { writeGate: { buffer: data.writeGate, first: false } } : {}),
            // Its commits are made durable after it has let go of the gate, so the edge never waits for that sync.
            syncOffThread: true
        });
        const salesforce = createSalesforceConnection(config.salesforce, {
            apiVersion: config.salesforce.apiVersion
        });
        const livestorm =
            config.livestorm.apiToken === null
                ? undefined
                : createLivestormClient({
                      baseUrl: config.livestorm.apiUrl,
                      token: config.livestorm.apiToken
                  });
        engine = createSyncEngine({
            store,
            salesforce,
            livestorm,
            settings,
            logger,
            instanceId: config.database.instanceId,
            leaseTtlMs: config.database.leaseTtlMs,
            ...data.tuning
        });
        let asked = false;
        const snapshot = (): EngineSnapshot => {
            const health = engine.health();
            if (instanceUrl === null && !asked && connected(health)) {
                asked = true;
                salesforce.instanceUrl().then(
                    (url) => void (instanceUrl = url),
                    () => void (asked = false)
                );
            }
            const activity: EngineSnapshot['activity'] = {};
            for (const sessionId of engine.activeSessionIds())
                activity[sessionId] = engine.sessionActivity(sessionId);
            // No session has the empty id: this is what any session without a pass or a window in progress gets.
            return { health, instanceUrl, activity, idleActivity: engine.sessionActivity('') };
        };
        let published = '';
        const publish = () => {
            const next = snapshot();
            const text = JSON.stringify(next);
            if (text === published) return;
            published = text;
            post({ type: 'snapshot', snapshot: next });
        };
        const publisher = setInterval(publish, data.healthIntervalMs);

        port.on('message', (message: HostMessage) => {
            if (message.type === 'notify') return engine.notify();
            if (message.type === 'settings') return applySettings(settings, message.settings);
            const { id, method, args } = message;
            const run = async (): Promise<unknown> => {
                switch (method) {
                    case 'start':
                        return engine.start();
                    case 'stop':
                        await engine.stop();
                        clearInterval(publisher);
                        publish();
                        await store.close();
                        return undefined;
                    case 'eventEnabled':
                        return engine.eventEnabled(String(args[0]));
                    case 'retryFailures':
                        return engine.retryFailures(args[0] === undefined ? undefined : String(args[0]));
                    case 'retryPerson':
                        return engine.retryPerson(String(args[0]), String(args[1]));
                    case 'resumeSalesforce':
                        return engine.resumeSalesforce();
                    case 'whenIdle':
                        return engine.whenIdle(typeof args[0] === 'number' ? args[0] : undefined);
                }
            };
            run().then(
                (value) => {
                    publish();
                    post({ type: 'reply', id, ok: true, value });
                    if (method === 'stop') {
                        logger.flush();
                        port.close();
                    }
                },
                (error: unknown) => {
                    const { name, message: text } =
                        error instanceof Error ? error : { name: 'Error', message: String(error) };
                    logger.debug({ err: error, method }, 'an engine call failed');
                    post({ type: 'reply', id, ok: false, error: { name, message: text } });
                }
            );
        });
        post({
            type: 'ready',
            snapshot: snapshot(),
            heapSizeLimitMb: getHeapStatistics().heap_size_limit / 2 ** 20
        });
    } catch (error) {
        logger.flush();
        post({ type: 'fatal', message: (error as Error).message });
        port.close();
    }
}

await main();

// The listener's entry point (`npm start`): read the environment, take the data directory (embedded store), open the
// store, start the engine in its own thread (sync/engine-host.ts) and serve. Everything it wires is built elsewhere; this file only decides the order and how
// the process ends.
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { ConfigError, configWarnings, parseEnv, processEnv, secretValues } from './config/env.ts';
import type { Config } from './config/env.ts';
import { findLegacyPaths } from './config/paths.ts';
import { loadSettings, SettingsError } from './config/settings.ts';
import { createLogger, createSecretScrubber } from './logger.ts';
import type { Logger } from './logger.ts';
import { DATA_DIR_WAIT_MS, DataDirInUseError, lockDataDir } from './store/data-dir-lock.ts';
import type { DataDirLock } from './store/data-dir-lock.ts';
import { openStore } from './store/open.ts';
import { WRITE_GATE_BYTES } from './store/write-gate.ts';
import type { Store } from './store/store.ts';
import type { SyncEngine } from './sync/engine-port.ts';
import { startEngineWorker } from './sync/engine-host.ts';

const SHUTDOWN_GRACE_MS = 10_000;

function fail(message: string): void {
    process.stderr.write(`${message}\n`);
    process.exitCode = 1;
}

async function start(): Promise<void> {
    let config: Config;
    try {
        config = parseEnv(processEnv());
    } catch (error) {
        if (error instanceof ConfigError) return fail(error.message);
        throw error;
    }
    const scrub = createSecretScrubber(secretValues(config));
    const logger = createLogger({ level: config.logLevel, secrets: secretValues(config) });
    for (const warning of configWarnings(config)) logger.warn(warning);
    const legacy = findLegacyPaths(processEnv(), config);
    if (legacy.errors.length > 0) {
        logger.flush();
        return fail(legacy.errors.join('\n'));
    }
    for (const warning of legacy.warnings) logger.warn(warning);
    logger.info(
        {
            store: config.databaseUrl ? 'postgresql (DATABASE_URL)' : config.dataDir,
            configFile: config.configFile
        },
        'store and settings file (relative paths are taken from the directory the listener was started in)'
    );

    // Embedded store: one listener per DATA_DIR, held until the process ends (data-dir-lock.ts).
    let dataDirLock: DataDirLock | undefined;
    if (!config.databaseUrl) {
        try {
            dataDirLock = lockDataDir(config.dataDir, config.database.instanceId, {
                // Written at once to stderr, as the refusal would be: the wait blocks this thread, and the logger's
                // asynchronous writes would only come out after it.
                onWait: (holder) =>
                    void process.stderr.write(
                        `Another listener is running on the data directory ${config.dataDir}${
                            holder
                                ? ` (instance ${holder.instanceId}, process ${holder.pid} on ${holder.host})`
                                : ''
                        }: waiting up to ${DATA_DIR_WAIT_MS / 1000} s for it to stop.\n`
                    )
            });
        } catch (error) {
            logger.flush();
            if (error instanceof DataDirInUseError) return fail(error.message);
            return fail(
                scrub(
                    `The listener could not take its data directory ${config.dataDir}: ${(error as Error).message}. ` +
                        'Check that DATA_DIR is a directory this user can write to.'
                )
            );
        }
    }

    let store: Store | undefined;
    let server: ReturnType<typeof serve> | undefined;
    let engine: SyncEngine | undefined;
    try {
        const settings = await loadSettings(config.configFile);
        // Embedded store: this thread and the engine's take turns at writing, this one (acknowledgements) first.
        const writeGate = config.databaseUrl ? undefined : new SharedArrayBuffer(WRITE_GATE_BYTES);
        store = await openStore({
            dataDir: config.dataDir,
            database: config.database,
            ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
            ...(writeGate ? { writeGate: { buffer: writeGate, first: true } } : {}),
            // An acknowledgement waits for its commit to be on disk without stopping this thread (wal-sync.ts).
            syncOffThread: true
        });
        // The engine runs in a worker thread with its own store connection and the same heap limits as this isolate;
        // this thread keeps the HTTP edge (webhooks, admin) to itself.
        const worker = await startEngineWorker({
            config,
            settings,
            logger,
            ...(writeGate ? { writeGate } : {})
        });
        engine = worker;
        const app = createApp({
            config,
            store,
            engine,
            logger,
            settings,
            instanceUrl: () => worker.instanceUrl()
        });
        server = serve({ fetch: app.fetch, port: config.port }, (info) => {
            logger.info(
                {
                    port: info.port,
                    salesforceAuth: config.salesforce.mode,
                    store: config.databaseUrl ? 'postgresql' : 'sqlite',
                    instance: config.database.instanceId
                },
                'listener ready for Livestorm webhooks at /webhooks/livestorm/[redacted]'
            );
        });
        const running = server;
        running.on('error', (error) => {
            logger.fatal({ err: error }, 'the HTTP server failed');
            void shutdown(logger, running, worker, store, dataDirLock, 1);
        });
        const onSignal = (signal: NodeJS.Signals) => {
            logger.info({ signal }, 'shutting down');
            void shutdown(logger, running, worker, store, dataDirLock, 0);
        };
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
        // /healthz answers 503 until this resolves; deliveries are already stored and acknowledged meanwhile.
        await engine.start();
    } catch (error) {
        server?.close();
        await engine?.stop().catch(() => {});
        await store?.close().catch(() => {});
        dataDirLock?.release();
        logger.flush();
        if (error instanceof SettingsError) return fail(scrub(error.message));
        return fail(scrub(`The listener could not start: ${(error as Error).message}`));
    }
}

let shuttingDown = false;

/** Stop accepting requests, let the engine finish its batch, close the store, exit; force the exit after 10 s. */
async function shutdown(
    logger: Logger,
    server: ReturnType<typeof serve>,
    engine: SyncEngine,
    store: Store | undefined,
    dataDirLock: DataDirLock | undefined,
    code: number
): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    const force = setTimeout(() => {
        logger.error('shutdown took longer than 10 s: exiting anyway');
        logger.flush();
        process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    let exitCode = code;
    try {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await engine.stop();
        await store?.close();
        dataDirLock?.release();
        logger.info('stopped');
    } catch (error) {
        logger.error({ err: error }, 'shutdown failed');
        exitCode = 1;
    }
    // pino's destination writes what is buffered synchronously on exit.
    logger.flush();
    process.exit(exitCode);
}

await start();

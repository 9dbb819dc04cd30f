// The sync engine in its own thread, seen from the main thread. The HTTP route only verifies, stores and answers; the
// engine — folding, building composite requests, node:sqlite's synchronous statements — runs in a worker thread
// (engine-worker.ts) with its own store connection, so none of it holds the event loop acknowledgements wait on.
// This module implements the SyncEngine port by messages: calls go to the worker and their answers come back; the
// synchronous reads (health) answer from the snapshot the worker publishes whenever it changes; the live settings
// object is watched and each change is sent over. A worker that dies (a bug, or its heap limit reached) is logged and
// started again: deliveries keep being stored meanwhile and nothing is lost.
import { Worker } from 'node:worker_threads';
import type { ResourceLimits } from 'node:worker_threads';
import type { Config } from '../config/env.ts';
import type { Settings } from '../config/settings.ts';
import { releaseWriteGateOf } from '../store/write-gate.ts';
import type { Logger } from '../logger.ts';
import type { EngineHealth, SessionActivity, SyncEngine } from './engine-port.ts';

/** What DESIGN's LISTENER_MAX_OLD_SPACE_MB defaults to: the old-generation limit of each listener isolate. */
export const DEFAULT_MAX_OLD_SPACE_MB = 160;

/** Engine options the worker passes to createSyncEngine (tests shorten the intervals). */
export interface EngineWorkerTuning {
    concurrency?: number;
    pollIntervalMs?: number;
    limitPauseMs?: number;
}

/** The worker's start-up data (structured-cloned). */
export interface EngineWorkerData {
    config: Config;
    settings: Settings;
    tuning: EngineWorkerTuning;
    /** Snapshots are published at most this often (ms). */
    healthIntervalMs: number;
    /** Embedded store: the write gate shared with the HTTP edge's connection (store/write-gate.ts). */
    writeGate?: SharedArrayBuffer;
}

/** Calls the host forwards to the engine; each one gets a reply. */
export type EngineCall =
    'start' | 'stop' | 'eventEnabled' | 'retryFailures' | 'retryPerson' | 'resumeSalesforce' | 'whenIdle';

export type HostMessage =
    | { type: 'call'; id: number; method: EngineCall; args: unknown[] }
    | { type: 'notify' }
    | { type: 'settings'; settings: Settings };

export interface EngineSnapshot {
    health: EngineHealth;
    /** The org's instance URL once the connection knows it (OAuth modes learn it from the token response). */
    instanceUrl: string | null;
    /** sessionActivity() of the sessions a pass is writing or whose batch window is open. */
    activity: Record<string, SessionActivity>;
    /** sessionActivity() of every other session (no pass, no window: the next poll). */
    idleActivity: SessionActivity;
}

export type WorkerMessage =
    | { type: 'ready'; snapshot: EngineSnapshot; heapSizeLimitMb: number }
    | { type: 'snapshot'; snapshot: EngineSnapshot }
    | { type: 'reply'; id: number; ok: true; value: unknown }
    | { type: 'reply'; id: number; ok: false; error: { name: string; message: string } }
    | { type: 'fatal'; message: string };

export interface EngineWorkerOptions {
    config: Config;
    /** The live settings object (the admin page changes it in place): each change is sent to the worker. */
    settings: Settings;
    logger: Logger;
    tuning?: EngineWorkerTuning;
    /** Heap limits of the worker; by default those of this isolate (see isolateResourceLimits). */
    resourceLimits?: ResourceLimits;
    /** First wait before a worker that died is started again (doubles up to 30 s). Default 1 s. */
    restartDelayMs?: number;
    /** How often settings are compared and snapshots may be published (ms). Default 100. */
    intervalMs?: number;
    /**
     * Embedded store: the write gate this thread's connection shares with the worker's (store/write-gate.ts); freed
     * if a worker ends while holding it.
     */
    writeGate?: SharedArrayBuffer;
}

export interface EngineWorkerHost extends SyncEngine {
    /** The org's instance URL once the engine's connection knows it, else null. */
    instanceUrl(): string | null;
    /** Resolves once the engine has nothing pending, dirty and due, or in flight (tests). */
    whenIdle(timeoutMs?: number): Promise<void>;
    /** The limits the worker runs under, and the V8 heap size limit it reported (MB). */
    limits(): { resourceLimits: ResourceLimits; heapSizeLimitMb: number };
    /** Times the worker died and was started again. */
    restarts(): number;
    /** Sends the settings now if they changed (they are otherwise compared every intervalMs). */
    syncSettings(): void;
}

/**
 * The heap limits of this isolate, for a worker to run under the same ones: `--max-old-space-size` (which `npm start`
 * sets from LISTENER_MAX_OLD_SPACE_MB) or DEFAULT_MAX_OLD_SPACE_MB, and the young generation from
 * `--max-semi-space-size` (V8 sizes it at three semi-spaces) when given. A `--max-old-space-size` on the command line
 * also applies to workers and takes precedence over resourceLimits (Node's worker_threads documentation, nodejs/node
 * #43991): mirroring it keeps the limits the host reports true, and sets them when the process has no such flag.
 */
export function isolateResourceLimits(execArgv: readonly string[] = process.execArgv): ResourceLimits {
    const flag = (name: string): number | undefined => {
        for (const argument of execArgv) {
            const match = /^--([\w-]+)=(\d+)$/.exec(argument);
            if (match && match[1]!.replaceAll('_', '-') === name) return Number(match[2]);
        }
        return undefined;
    };
    const semiSpace = flag('max-semi-space-size');
    return {
        maxOldGenerationSizeMb: flag('max-old-space-size') ?? DEFAULT_MAX_OLD_SPACE_MB,
        ...(semiSpace === undefined ? {} : { maxYoungGenerationSizeMb: semiSpace * 3 })
    };
}

class EngineWorkerError extends Error {
    override name = 'EngineWorkerError';
}

/**
 * Starts the engine's worker thread and resolves once its store is open and its engine built (not started: call
 * `start()`, as with createSyncEngine).
 * @throws EngineWorkerError when the worker cannot open the store or build the engine (the message says why)
 */
export async function startEngineWorker(options: EngineWorkerOptions): Promise<EngineWorkerHost> {
    const { logger } = options;
    const resourceLimits = options.resourceLimits ?? isolateResourceLimits();
    const intervalMs = options.intervalMs ?? 100;
    const firstRestartDelayMs = options.restartDelayMs ?? 1000;
    let worker: Worker;
    let snapshot: EngineSnapshot;
    let heapSizeLimitMb = 0;
    let nextId = 0;
    const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
    let startRequested = false;
    let stopping = false;
    let restarts = 0;
    let restartDelayMs = firstRestartDelayMs;
    let restartTimer: NodeJS.Timeout | undefined;
    let sentSettings = JSON.stringify(options.settings);
    let notifyQueued = false;

    function spawn(): Promise<void> {
        const data: EngineWorkerData = {
            config: options.config,
            settings: structuredClone(options.settings),
            tuning: options.tuning ?? {},
            healthIntervalMs: intervalMs,
            ...(options.writeGate ? { writeGate: options.writeGate } : {})
        };
        sentSettings = JSON.stringify(options.settings);
        // From listener/src the worker is TypeScript; from the JavaScript `npm start` builds (listener/dist), JavaScript.
        const spawned = new Worker(
            new URL(`./engine-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
            {
                workerData: data,
                resourceLimits,
                name: 'livestorm-sf sync engine'
            }
        );
        worker = spawned;
        return new Promise<void>((resolve, reject) => {
            let ready = false;
            spawned.on('message', (message: WorkerMessage) => {
                switch (message.type) {
                    case 'ready':
                        ready = true;
                        snapshot = message.snapshot;
                        heapSizeLimitMb = message.heapSizeLimitMb;
                        resolve();
                        break;
                    case 'snapshot':
                        snapshot = message.snapshot;
                        break;
                    case 'reply': {
                        const call = pending.get(message.id);
                        pending.delete(message.id);
                        if (!call) break;
                        if (message.ok) call.resolve(message.value);
                        else
                            call.reject(
                                Object.assign(new Error(message.error.message), { name: message.error.name })
                            );
                        break;
                    }
                    case 'fatal':
                        if (!ready) reject(new EngineWorkerError(message.message));
                        else logger.error(message.message);
                        break;
                }
            });
            spawned.on('error', (error) => {
                if (!ready)
                    reject(new EngineWorkerError(`The sync engine could not start: ${error.message}`));
                else logger.error({ err: error }, 'the sync engine thread failed');
            });
            const threadOfWorker = spawned.threadId;
            spawned.on('exit', (code) => {
                if (options.writeGate && releaseWriteGateOf(options.writeGate, threadOfWorker))
                    logger.warn(
                        'the sync engine thread ended while writing: its transaction was rolled back'
                    );
                if (worker !== spawned) return;
                for (const call of pending.values())
                    call.reject(new EngineWorkerError('the sync engine thread stopped before answering'));
                pending.clear();
                if (!ready) {
                    reject(
                        new EngineWorkerError(`The sync engine thread exited during start-up (code ${code}).`)
                    );
                    return;
                }
                if (stopping) return;
                // Deliveries keep being stored and acknowledged; the engine picks them up again once restarted.
                restarts += 1;
                logger.error(
                    { code, restartInMs: restartDelayMs },
                    'the sync engine thread stopped unexpectedly (an error, or its heap limit reached): starting it again; deliveries are still stored'
                );
                restartTimer = setTimeout(() => void restart(), restartDelayMs);
                restartDelayMs = Math.min(restartDelayMs * 2, 30_000);
            });
        });
    }

    async function restart() {
        restartTimer = undefined;
        if (stopping) return;
        try {
            await spawn();
            if (startRequested) await call('start');
            restartDelayMs = firstRestartDelayMs;
        } catch (error) {
            logger.error({ err: error }, 'the sync engine thread could not be started again');
            restartTimer = setTimeout(() => void restart(), restartDelayMs);
            restartDelayMs = Math.min(restartDelayMs * 2, 30_000);
        }
    }

    function call<T>(method: EngineCall, ...args: unknown[]): Promise<T> {
        const id = ++nextId;
        return new Promise<T>((resolve, reject) => {
            pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
            worker.postMessage({ type: 'call', id, method, args } satisfies HostMessage);
        });
    }

    // The admin page applies settings in place: compare, and send what changed. Messages keep their order, so a call
    // made after this reaches the worker after the settings.
    const syncSettings = () => {
        const current = JSON.stringify(options.settings);
        if (current === sentSettings) return;
        sentSettings = current;
        worker.postMessage({
            type: 'settings',
            settings: structuredClone(options.settings)
        } satisfies HostMessage);
    };
    const settingsWatch = setInterval(syncSettings, intervalMs);
    settingsWatch.unref();

    try {
        await spawn();
    } catch (error) {
        clearInterval(settingsWatch);
        throw error;
    }

    return {
        async start() {
            startRequested = true;
            await call('start');
        },
        async stop() {
            stopping = true;
            clearInterval(settingsWatch);
            if (restartTimer) clearTimeout(restartTimer);
            const exited = new Promise<void>((resolve) => {
                if (worker.threadId === -1) resolve();
                else worker.once('exit', () => resolve());
            });
            try {
                await call('stop');
            } catch {
                // Already gone: nothing to finish.
            }
            // The worker leaves on its own once its store is closed and its logs flushed; never wait forever.
            const forced = setTimeout(() => void worker.terminate(), 5000);
            await exited;
            clearTimeout(forced);
        },
        notify() {
            // One message per turn of the event loop however many deliveries were stored in it.
            if (notifyQueued) return;
            notifyQueued = true;
            setImmediate(() => {
                notifyQueued = false;
                worker.postMessage({ type: 'notify' } satisfies HostMessage);
            });
        },
        health: () => snapshot.health,
        resumeSalesforce() {
            call('resumeSalesforce').catch((error: unknown) =>
                logger.error({ err: error }, 'the sync engine could not be asked to resume Salesforce')
            );
        },
        sessionActivity: (sessionId) => snapshot.activity[sessionId] ?? snapshot.idleActivity,
        eventEnabled: (eventId) => call<void>('eventEnabled', eventId),
        retryFailures: (sessionId) => call<number>('retryFailures', sessionId),
        retryPerson: (sessionId, personId) => call<boolean>('retryPerson', sessionId, personId),
        whenIdle: (timeoutMs) => call<void>('whenIdle', timeoutMs),
        instanceUrl: () => snapshot.instanceUrl,
        limits: () => ({ resourceLimits, heapSizeLimitMb }),
        restarts: () => restarts,
        syncSettings
    };
}

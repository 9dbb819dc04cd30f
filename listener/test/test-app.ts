// Builds the app the way index.ts does, with in-memory doubles and a logger whose lines are kept for inspection.
import type { Hono } from 'hono';
import { createApp } from '../src/app.ts';
import { parseEnv, secretValues } from '../src/config/env.ts';
import type { Config, Env } from '../src/config/env.ts';
import { defaultSettings } from '../src/config/settings.ts';
import type { Settings } from '../src/config/settings.ts';
import { createLogger } from '../src/logger.ts';
import type { Logger } from '../src/logger.ts';
import type { Store } from '../src/store/store.ts';
import type { SyncEngine } from '../src/sync/engine-port.ts';
import { createMetrics } from '../src/http/metrics.ts';
import type { Metrics } from '../src/http/metrics.ts';
import { createMemoryStore, createRecordingEngine } from './test-doubles.ts';
import type { MemoryStore, RecordingEngine } from './test-doubles.ts';

export const WEBHOOK_TOKEN = 'test-webhook-token-0123456789';
export const ADMIN_TOKEN = 'test-admin-token-abcdef';
export const SF_ACCESS_TOKEN = '00Dtest!access-token-value';

export const TEST_ENV: Env = {
    SF_INSTANCE_URL: 'https://acme.my.salesforce.com',
    SF_ACCESS_TOKEN,
    LIVESTORM_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
    ADMIN_TOKEN,
    LOG_LEVEL: 'debug'
};

export interface TestApp<S extends Store = MemoryStore, E extends SyncEngine = RecordingEngine> {
    app: Hono;
    config: Config;
    store: S;
    engine: E;
    logger: Logger;
    metrics: Metrics;
    settings: Settings;
    /** Every line the logger wrote. */
    logLines: string[];
    clock: { now: number };
}

export function createTestApp<S extends Store = MemoryStore, E extends SyncEngine = RecordingEngine>(
    options: { env?: Env; store?: S; engine?: E; settings?: Settings } = {}
): TestApp<S, E> {
    const config = parseEnv({ ...TEST_ENV, ...options.env });
    const logLines: string[] = [];
    const logger = createLogger({
        level: config.logLevel,
        secrets: secretValues(config),
        destination: { write: (line: string) => void logLines.push(line) }
    });
    const store = options.store ?? (createMemoryStore() as unknown as S);
    const engine = options.engine ?? (createRecordingEngine() as unknown as E);
    const settings = options.settings ?? defaultSettings();
    const metrics = createMetrics();
    const clock = { now: Date.UTC(2025, 0, 15, 12) };
    const app = createApp({ config, store, engine, logger, settings, metrics, now: () => clock.now });
    return { app, config, store, engine, logger, metrics, settings, logLines, clock };
}

/** A people.registered delivery shaped like Livestorm's (compact JSON, as Livestorm sends it). */
export function registeredPayload(
    personId = 'fd0fc320-477f-4c56-9a16-28d6eecbbf96',
    email = 'jane.adams@example.com'
): string {
    return JSON.stringify({
        data: {
            id: personId,
            type: 'people',
            attributes: {
                role: 'participant',
                created_at: 1720628127,
                updated_at: 1720631900,
                first_name: 'Jane',
                last_name: 'Adams',
                email,
                registrant_detail: {
                    event_id: 'fe9e2c48-a993-4d81-afbe-ed483f2d3576',
                    session_id: '0abbcb51-4a95-46d7-9879-fd141986a3a8',
                    created_at: 1720628127,
                    updated_at: 1720631900,
                    fields: [{ id: 'email', type: 'text', value: email, required: true }],
                    attended: false
                }
            },
            meta: { webhook: { event: 'people.registered', organization_id: 'org-1' } }
        }
    });
}

export function postWebhook(
    app: Hono,
    body: string,
    options: { token?: string; contentType?: string | null; headers?: Record<string, string> } = {}
): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
    return Promise.resolve(
        app.request(`/webhooks/livestorm/${options.token ?? WEBHOOK_TOKEN}`, {
            method: 'POST',
            body,
            headers
        })
    );
}

// The HTTP application as a pure factory: everything it uses comes in through `deps`, so tests build it with fakes
// and call `app.request()`, and index.ts only wires real parts together and starts the server.
import { Hono } from 'hono';
import { createAdminRoutes } from './admin/routes.ts';
import { configuredInstanceUrl } from './admin/views.ts';
import type { Config } from './config/env.ts';
import type { Settings } from './config/settings.ts';
import { createStoreHealth, healthReport } from './http/health.ts';
import type { StoreHealth } from './http/health.ts';
import { createMetrics, renderMetrics } from './http/metrics.ts';
import type { Metrics } from './http/metrics.ts';
import { createWebhookRoutes } from './http/webhook.ts';
import type { Logger } from './logger.ts';
import { redactUrl } from './logger.ts';
import type { Store } from './store/store.ts';
import type { SyncEngine } from './sync/engine-port.ts';

export interface AppDeps {
    config: Config;
    store: Store;
    engine: SyncEngine;
    logger: Logger;
    settings: Settings;
    /** Counters shared with whoever else reports them; a fresh set when omitted. */
    metrics?: Metrics;
    /** Milliseconds since epoch; Date.now when omitted. */
    now?: () => number;
    /** The org's instance URL once the connection knows it (for Campaign links); the configured one when omitted. */
    instanceUrl?: () => string | null;
    /** The store side of /healthz; one built on `store` when omitted. */
    storeHealth?: StoreHealth;
}

/**
 * Builds the listener's HTTP app: /healthz, /metrics, the webhook route and (with ADMIN_TOKEN) the admin page.
 * @example
 * const app = createApp({ config, store, engine, logger, settings });
 * const res = await app.request('/healthz');
 */
export function createApp(deps: AppDeps): Hono {
    const { config, store, engine, logger, settings } = deps;
    const metrics = deps.metrics ?? createMetrics();
    const now = deps.now ?? Date.now;
    const fallbackInstanceUrl = configuredInstanceUrl(config);
    const instanceUrl = deps.instanceUrl ?? (() => fallbackInstanceUrl);
    const storeHealth = deps.storeHealth ?? createStoreHealth(store, { now });
    const app = new Hono();

    app.use('*', async function logRequest(c, next) {
        const started = performance.now();
        await next();
        const entry = {
            method: c.req.method,
            path: redactUrl(c.req.path),
            status: c.res.status,
            ms: Math.round((performance.now() - started) * 100) / 100
        };
        if (c.res.status >= 500) logger.error(entry, 'request failed');
        else if (c.req.path === '/healthz' || c.req.path === '/metrics') logger.trace(entry, 'request');
        else logger.debug(entry, 'request');
    });

    app.get('/healthz', async (c) => {
        const report = await healthReport(engine, storeHealth);
        return c.json(report.body, report.httpStatus);
    });

    app.get('/metrics', async (c) => {
        c.header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
        return c.body(
            await renderMetrics(metrics, store, engine, {
                instanceId: config.database.instanceId,
                embedded: !config.databaseUrl
            })
        );
    });

    app.route(
        '/',
        createWebhookRoutes({
            webhookToken: config.livestorm.webhookToken,
            webhookSecret: config.livestorm.webhookSecret,
            store,
            engine,
            logger,
            metrics,
            storeHealth,
            now
        })
    );

    if (config.adminToken !== null) {
        app.route(
            '/admin',
            createAdminRoutes({
                adminToken: config.adminToken,
                config,
                store,
                engine,
                settings,
                logger,
                instanceUrl,
                storeHealth
            })
        );
    }

    app.notFound((c) => c.json({ error: 'not found' }, 404));
    app.onError((error, c) => {
        logger.error({ err: error, method: c.req.method, path: redactUrl(c.req.path) }, 'unhandled error');
        return c.json({ error: 'internal error' }, 500);
    });

    return app;
}

// /admin (the page) and /admin/api/* (JSON). Actions accept a JSON call or a plain form post from the page; a form
// post is answered with a redirect back to the page section so the page needs no script.
import { Hono } from 'hono';
import type { Context } from 'hono';
import { applySettings, parseSettings, saveSettings, SettingsError } from '../config/settings.ts';
import type { Logger } from '../logger.ts';
import type { DeliveryState } from '../store/store.ts';
import { requireAdmin } from './auth.ts';
import { adminPage, loginPage } from './page.ts';
import {
    deliveriesView,
    eventView,
    eventsView,
    failuresView,
    healthView,
    sessionsView,
    syncLogView
} from './views.ts';
import type { AdminContext } from './views.ts';

export interface AdminDeps extends AdminContext {
    adminToken: string;
    logger: Logger;
}

const DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'done', 'quarantined'];

function isFormPost(c: Context): boolean {
    const type = c.req.header('content-type') ?? '';
    return type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data');
}

function done(c: Context, anchor: string, body: Record<string, unknown>, status: 200 | 202 = 200): Response {
    if (isFormPost(c)) return c.redirect(`/admin#${anchor}`, 303);
    return c.json(body, status);
}

function intQuery(c: Context, name: string, fallback: number, max: number): number {
    const value = Number(c.req.query(name) ?? fallback);
    return Number.isInteger(value) && value >= 0 ? Math.min(value, max) : fallback;
}

function settingsRejected(c: Context, message: string): Response {
    if (isFormPost(c)) return c.redirect(`/admin?settingsError=${encodeURIComponent(message)}#settings`, 303);
    return c.json({ error: message }, 400);
}

/** The admin sub-app; mount it with `app.route('/admin', createAdminRoutes(deps))`. */
export function createAdminRoutes(deps: AdminDeps): Hono {
    const { store, engine, logger } = deps;
    const admin = new Hono();

    admin.use(
        '*',
        requireAdmin(deps.adminToken, (c) => {
            if (c.req.path.startsWith('/admin/api')) {
                c.header('WWW-Authenticate', 'Bearer realm="livestorm-sf admin"');
                return c.json({ error: 'admin token required' }, 401);
            }
            return c.html(loginPage(c.req.query('token') !== undefined), 401);
        })
    );
    admin.use('*', async (c, next) => {
        await next();
        c.header('Cache-Control', 'no-store');
        c.header('X-Frame-Options', 'DENY');
    });

    admin.get('/', async (c) => {
        const [health, sessions, events, quarantine, failures, syncLog] = await Promise.all([
            healthView(deps),
            sessionsView(deps),
            eventsView(deps),
            deliveriesView(deps, { state: 'quarantined', limit: 100 }),
            failuresView(deps, 100),
            syncLogView(deps, 50)
        ]);
        return c.html(
            adminPage({
                health,
                sessions,
                events,
                quarantine,
                failures,
                syncLog,
                settings: deps.settings,
                configFile: deps.config.configFile,
                settingsError: c.req.query('settingsError') ?? null
            })
        );
    });

    admin.get('/api/health', async (c) => c.json(await healthView(deps)));
    admin.get('/api/sessions', async (c) => c.json({ sessions: await sessionsView(deps) }));
    admin.get('/api/events', async (c) => c.json({ events: await eventsView(deps) }));

    admin.post('/api/events/:id/:action{enable|disable|reset}', async (c) => {
        const eventId = c.req.param('id');
        const action = c.req.param('action');
        const enabled = action === 'enable' ? true : action === 'disable' ? false : null;
        await store.setEventEnabled(eventId, enabled);
        logger.info({ eventId, enabled }, 'event sync setting changed from the admin page');
        if (enabled === true) {
            // Re-reading the event's sessions calls Livestorm: let it run after the answer.
            engine.eventEnabled(eventId).catch((error: unknown) => {
                logger.error(
                    { err: error, eventId },
                    'the sessions of a newly enabled event could not be refreshed'
                );
            });
        }
        const event = (await store.getEvent(eventId)) ?? {
            eventId,
            title: null,
            onDemand: false,
            registrationLink: null,
            enabled,
            fetchedAt: null
        };
        return done(c, 'events', { event: eventView(event, deps.settings) });
    });

    admin.get('/api/deliveries', async (c) => {
        const state = c.req.query('state');
        if (state !== undefined && !DELIVERY_STATES.includes(state as DeliveryState)) {
            return c.json({ error: `state must be one of ${DELIVERY_STATES.join(', ')}` }, 400);
        }
        const deliveries = await deliveriesView(deps, {
            ...(state === undefined ? {} : { state: state as DeliveryState }),
            limit: intQuery(c, 'limit', 100, 1000),
            offset: intQuery(c, 'offset', 0, Number.MAX_SAFE_INTEGER)
        });
        return c.json({ deliveries });
    });

    admin.post('/api/deliveries/:id{[0-9]+}/replay', async (c) => {
        const id = Number(c.req.param('id'));
        if (!(await store.requeueDelivery(id))) return c.json({ error: `no delivery ${id}` }, 404);
        logger.info({ deliveryId: id }, 'delivery queued again from the admin page');
        engine.notify();
        return done(c, 'quarantine', { requeued: true, id });
    });

    admin.get('/api/failures', async (c) =>
        c.json({ failures: await failuresView(deps, intQuery(c, 'limit', 100, 1000)) })
    );

    admin.post('/api/retry', async (c) => {
        let sessionId: string | undefined;
        if (isFormPost(c)) {
            const form = await c.req.parseBody();
            sessionId =
                typeof form.sessionId === 'string' && form.sessionId !== '' ? form.sessionId : undefined;
        } else if ((c.req.header('content-type') ?? '').includes('json')) {
            const body = (await c.req.json().catch(() => ({}))) as { sessionId?: unknown };
            sessionId =
                typeof body.sessionId === 'string' && body.sessionId !== '' ? body.sessionId : undefined;
        }
        const retried = await engine.retryFailures(sessionId);
        logger.info({ sessionId, retried }, 'failed records retried from the admin page');
        return done(c, 'failures', { retried }, 202);
    });

    admin.get('/api/settings', (c) =>
        c.json({ settings: deps.settings, configFile: deps.config.configFile })
    );
    // Settings are validated by the same schema as the file, written to CONFIG_FILE, then applied to the running
    // listener without a restart.
    admin.post('/api/settings', async (c) => {
        let json: unknown;
        try {
            json = isFormPost(c)
                ? JSON.parse(String((await c.req.parseBody()).settings ?? ''))
                : await c.req.json();
        } catch {
            return settingsRejected(c, 'the settings are not valid JSON');
        }
        try {
            const next = parseSettings(json, 'the settings');
            await saveSettings(deps.config.configFile, next);
            applySettings(deps.settings, next);
            logger.info({ configFile: deps.config.configFile }, 'settings changed from the admin page');
            return done(c, 'settings', { settings: deps.settings });
        } catch (error) {
            if (error instanceof SettingsError) return settingsRejected(c, error.message);
            throw error;
        }
    });

    admin.get('/api/sync-log', async (c) =>
        c.json({ entries: await syncLogView(deps, intQuery(c, 'limit', 100, 1000)) })
    );

    return admin;
}

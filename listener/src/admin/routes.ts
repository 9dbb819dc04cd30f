// /admin (the views) and /admin/api/* (JSON). Every action accepts a JSON call with `Authorization: Bearer` (scripts)
// or a form post from the page (the browser session); a form post is answered with a redirect to the view it came
// from, which then shows a confirmation kept on the server (never read from the query string).
import { Hono } from 'hono';
import type { Context } from 'hono';
import { z } from 'zod';
import { saveSettings, applySettings, SettingsError } from '../config/settings.ts';
import { checkSettingsText, describeProblem } from '../config/settings-text.ts';
import type { Logger } from '../logger.ts';
import type { DeliveryState } from '../store/store.ts';
import { InvalidCursorError, MAX_PEOPLE_LIMIT } from '../sync/person-status.ts';
import { serveAsset } from './assets.ts';
import { requireAdmin } from './auth.ts';
import { loginPage } from './layout.ts';
import { createNotices } from './notices.ts';
import type { Notices } from './notices.ts';
import { deliveriesPage, eventsPage, overviewPage, settingsPage, syncLogPage } from './page.ts';
import { peoplePage } from './people-page.ts';
import { sessionsPage } from './sessions-page.ts';
import { adminSecurityHeaders, cookieCsrfProtection } from './security.ts';
import {
    deliveriesView,
    eventView,
    eventsView,
    failuresView,
    healthView,
    MAX_SESSIONS_LIMIT,
    peopleView,
    sessionsView,
    syncLogView
} from './views.ts';
import type { AdminContext } from './views.ts';

export interface AdminDeps extends AdminContext {
    adminToken: string;
    logger: Logger;
    /** Where confirmations wait for the browser that acted; one per app when omitted. */
    notices?: Notices;
}

const DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'done', 'quarantined'];

const retryBody = z.object({ sessionId: z.string().min(1), personId: z.string().min(1) });

/** `limit` of a list query: absent → undefined; a whole number 1…max; anything else is the admin's mistake. */
function limitQuery(c: Context, max: number): number | undefined | Error {
    const raw = c.req.query('limit');
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    return Number.isInteger(value) && value >= 1 && value <= max
        ? value
        : new Error(`limit must be a whole number from 1 to ${max}, not "${raw}".`);
}

/** The query string of the next page: the same search, the next cursor. */
function nextPageQuery(
    params: Record<string, string | null | undefined>,
    cursor: string | null
): string | null {
    if (cursor === null) return null;
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) if (value) query.set(name, value);
    query.set('cursor', cursor);
    return query.toString();
}

function isFormPost(c: Context): boolean {
    const type = c.req.header('content-type') ?? '';
    return type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data');
}

function intQuery(c: Context, name: string, fallback: number, max: number): number {
    const value = Number(c.req.query(name) ?? fallback);
    return Number.isInteger(value) && value >= 0 ? Math.min(value, max) : fallback;
}

/** The admin sub-app; mount it with `app.route('/admin', createAdminRoutes(deps))`. */
export function createAdminRoutes(deps: AdminDeps): Hono {
    const { store, engine, logger } = deps;
    const notices = deps.notices ?? createNotices();
    const admin = new Hono();

    /** Answers an action: JSON for a script, or a redirect to `view` with `message` shown there for the page. */
    const done = (
        c: Context,
        view: string,
        message: string,
        body: Record<string, unknown>,
        status: 200 | 202 = 200
    ): Response => {
        if (isFormPost(c)) {
            notices.put(c, { kind: 'done', text: message });
            return c.redirect(view, 303);
        }
        return c.json({ ...body, message }, status);
    };

    admin.use('*', adminSecurityHeaders());
    admin.use('*', async (c, next) => {
        await next();
        c.header('Cache-Control', c.req.path.startsWith('/admin/assets/') ? 'no-cache' : 'no-store');
    });
    // The style sheet and the script carry nothing secret: the sign-in page needs them before any session.
    admin.get('/assets/:name', serveAsset);
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
    admin.use('*', cookieCsrfProtection());

    // ---- views
    admin.get('/', async (c) => c.html(overviewPage(await healthView(deps), notices.take(c))));
    admin.get('/people', async (c) => {
        const q = c.req.query('q')?.trim() ?? '';
        const sessionId = c.req.query('session') || undefined;
        const cursor = c.req.query('cursor') || null;
        let page;
        try {
            page = await peopleView(deps, { q, ...(sessionId ? { sessionId } : {}), cursor });
        } catch (error) {
            if (!(error instanceof InvalidCursorError)) throw error;
            page = await peopleView(deps, { q, ...(sessionId ? { sessionId } : {}) });
        }
        let session: { id: string; label: string } | null = null;
        if (sessionId) {
            const [row] = await store.getSessions([sessionId]);
            const event = row ? await store.getEvent(row.eventId) : undefined;
            session = {
                id: sessionId,
                label: [
                    event?.title,
                    row?.campaignName ? `(Campaign “${row.campaignName}”)` : null,
                    sessionId
                ]
                    .filter(Boolean)
                    .join(' ')
            };
        }
        return c.html(
            peoplePage({
                q,
                session,
                people: page.people,
                nextPage: nextPageQuery({ q, session: sessionId }, page.nextCursor),
                notice: notices.take(c)
            })
        );
    });
    admin.get('/sessions', async (c) => {
        const q = c.req.query('q')?.trim() ?? '';
        const eventId = c.req.query('event') || null;
        const cursor = c.req.query('cursor') || null;
        const query = { q, ...(eventId ? { eventId } : {}) };
        let page;
        try {
            page = await sessionsView(deps, { ...query, cursor });
        } catch (error) {
            if (!(error instanceof InvalidCursorError)) throw error;
            page = await sessionsView(deps, query);
        }
        return c.html(
            sessionsPage({
                q,
                eventId,
                sessions: page.sessions,
                nextPage: nextPageQuery({ q, event: eventId }, page.nextCursor),
                notice: notices.take(c)
            })
        );
    });
    admin.get('/events', async (c) => c.html(eventsPage(await eventsView(deps), notices.take(c))));
    admin.get('/deliveries', async (c) =>
        c.html(
            deliveriesPage(await deliveriesView(deps, { state: 'quarantined', limit: 200 }), notices.take(c))
        )
    );
    admin.get('/sync-log', async (c) => c.html(syncLogPage(await syncLogView(deps, 200), notices.take(c))));
    admin.get('/settings', (c) => {
        const notice = notices.take(c);
        const kept = notice?.settingsText;
        return c.html(
            settingsPage({
                text: kept ?? JSON.stringify(deps.settings, null, 2),
                configFile: deps.config.configFile,
                problems: kept === undefined ? [] : (notice?.problems ?? []),
                // The problems are listed beside the box; any other notice is shown as it is.
                ...(notice && !notice.problems?.length ? { notice } : {})
            })
        );
    });

    // ---- API
    admin.get('/api/health', async (c) => c.json(await healthView(deps)));
    // DESIGN: GET /admin/api/people?q=&limit=&cursor= → { people: PersonStatus[], nextCursor }; `sessionId` narrows it
    // to one session.
    admin.get('/api/people', async (c) => {
        const limit = limitQuery(c, MAX_PEOPLE_LIMIT);
        if (limit instanceof Error) return c.json({ error: limit.message }, 400);
        const sessionId = c.req.query('sessionId') || undefined;
        try {
            return c.json(
                await peopleView(deps, {
                    ...(c.req.query('q') !== undefined ? { q: c.req.query('q') } : {}),
                    ...(sessionId ? { sessionId } : {}),
                    ...(limit !== undefined ? { limit } : {}),
                    cursor: c.req.query('cursor') || null
                })
            );
        } catch (error) {
            if (error instanceof InvalidCursorError) return c.json({ error: error.message }, 400);
            throw error;
        }
    });
    // DESIGN: POST /admin/api/people/retry { sessionId, personId } → 202. The page posts the same two fields.
    admin.post('/api/people/retry', async (c) => {
        const form = isFormPost(c);
        const raw: unknown = form ? await c.req.parseBody() : await c.req.json().catch(() => undefined);
        const parsed = retryBody.safeParse(raw);
        if (!parsed.success) {
            const message = 'Say which registration to retry: { "sessionId": "…", "personId": "…" }.';
            if (form) {
                notices.put(c, { kind: 'problem', text: message });
                return c.redirect('/admin/people', 303);
            }
            return c.json({ error: message }, 400);
        }
        const { sessionId, personId } = parsed.data;
        const [person] = await store.getPeople(sessionId, [personId]);
        const back = person?.state.email
            ? `/admin/people?q=${encodeURIComponent(person.state.email)}`
            : '/admin/people';
        if (!person || !(await engine.retryPerson(sessionId, personId))) {
            const message = `There is no registration ${personId} in session ${sessionId}.`;
            if (form) {
                notices.put(c, { kind: 'problem', text: message });
                return c.redirect('/admin/people', 303);
            }
            return c.json({ error: message }, 404);
        }
        logger.info({ sessionId, personId }, 'one person retried from the admin page');
        const who = person.state.email ?? personId;
        return done(
            c,
            back,
            `${who} is written to Salesforce again now: refresh in a moment to see the result.`,
            { retried: true, sessionId, personId },
            202
        );
    });
    admin.get('/api/sessions', async (c) => {
        const limit = limitQuery(c, MAX_SESSIONS_LIMIT);
        if (limit instanceof Error) return c.json({ error: limit.message }, 400);
        const eventId = c.req.query('eventId') || undefined;
        try {
            return c.json(
                await sessionsView(deps, {
                    ...(c.req.query('q') ? { q: c.req.query('q') } : {}),
                    ...(eventId ? { eventId } : {}),
                    ...(limit !== undefined ? { limit } : {}),
                    cursor: c.req.query('cursor') || null
                })
            );
        } catch (error) {
            if (error instanceof InvalidCursorError) return c.json({ error: error.message }, 400);
            throw error;
        }
    });
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
        const view = eventView(event, deps.settings);
        const name = view.title ? `"${view.title}"` : eventId;
        const message =
            enabled === true
                ? `Event ${name} enabled: its sessions are synced to Salesforce again.`
                : enabled === false
                  ? `Event ${name} disabled: its sessions are no longer synced (deliveries are still stored).`
                  : `Event ${name} follows the ${view.because} again: ${view.enabled ? 'enabled' : 'disabled'}.`;
        return done(c, '/admin/events', message, { event: view });
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
        if (!(await store.requeueDelivery(id))) {
            const message = `There is no delivery ${id}: it may have been replayed already.`;
            if (isFormPost(c)) {
                notices.put(c, { kind: 'problem', text: message });
                return c.redirect('/admin/deliveries', 303);
            }
            return c.json({ error: message }, 404);
        }
        logger.info({ deliveryId: id }, 'delivery queued again from the admin page');
        engine.notify();
        return done(c, '/admin/deliveries', `Delivery ${id} queued again: it is folded in a moment.`, {
            requeued: true,
            id
        });
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
        return done(
            c,
            sessionId ? `/admin/people?session=${encodeURIComponent(sessionId)}` : '/admin/people',
            `${retried} failed record${retried === 1 ? '' : 's'} queued for a retry now.`,
            { retried },
            202
        );
    });

    // Ends a Salesforce pause (daily allocation, budget) or backoff now; the engine tries Salesforce right away and
    // pauses again if the org still refuses.
    admin.post('/api/salesforce/resume', (c) => {
        const before = engine.health().salesforce.state;
        engine.resumeSalesforce();
        logger.info({ from: before }, 'Salesforce sync resumed from the admin page');
        return done(
            c,
            '/admin',
            before === 'connected' || before === 'dry_run'
                ? 'Salesforce was not paused: nothing to resume.'
                : 'Salesforce resumed: the listener is trying it now.',
            { resumed: true, from: before },
            202
        );
    });

    admin.get('/api/settings', (c) =>
        c.json({ settings: deps.settings, configFile: deps.config.configFile })
    );
    // Settings are checked by the same schema as the file (each problem with its line and column), written to
    // CONFIG_FILE, then applied to the running listener without a restart. A form post with problems keeps the
    // admin's text for the settings view.
    admin.post('/api/settings', async (c) => {
        const form = isFormPost(c);
        const text = form ? String((await c.req.parseBody()).settings ?? '') : await c.req.text();
        const check = checkSettingsText(text);
        if (!check.ok) {
            const summary = `Settings not saved: ${check.problems.length === 1 ? '1 problem' : `${check.problems.length} problems`} to fix.`;
            if (form) {
                notices.put(c, {
                    kind: 'problem',
                    text: summary,
                    settingsText: text,
                    problems: check.problems
                });
                return c.redirect('/admin/settings', 303);
            }
            return c.json(
                { error: `${summary} ${describeProblem(check.problems[0]!)}`, problems: check.problems },
                400
            );
        }
        try {
            await saveSettings(deps.config.configFile, check.settings);
        } catch (error) {
            if (!(error instanceof SettingsError)) throw error;
            const message = `${error.message} Check that the listener may write there; nothing was changed.`;
            if (form) {
                notices.put(c, { kind: 'problem', text: message, settingsText: text, problems: [] });
                return c.redirect('/admin/settings', 303);
            }
            return c.json({ error: message }, 500);
        }
        applySettings(deps.settings, check.settings);
        logger.info({ configFile: deps.config.configFile }, 'settings changed from the admin page');
        return done(c, '/admin/settings', `Settings saved to ${deps.config.configFile} and applied.`, {
            settings: deps.settings
        });
    });

    admin.get('/api/sync-log', async (c) =>
        c.json({ entries: await syncLogView(deps, intQuery(c, 'limit', 100, 1000)) })
    );

    return admin;
}

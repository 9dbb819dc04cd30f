import { describe, expect, it, onTestFinished } from 'vitest';
import type { PersonRow, SessionRow } from '../store/store.ts';
import type { PersonState, SessionState } from '../store/state.ts';
import { parseSettings } from '../config/settings.ts';
import { ADMIN_TOKEN, createTestApp, postWebhook } from '../../test/test-app.ts';
import { ADMIN_COOKIE, adminSessionValue } from './auth.ts';
import { adminBrowser } from '../../test/admin-browser.ts';

const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };

function session(sessionId: string, eventId: string, campaignId: string | null): SessionRow {
    const state: SessionState = {
        sessionId,
        eventId,
        status: 'upcoming',
        timezone: 'Europe/Paris',
        name: null,
        roomLink: null,
        estimatedStartedAt: 1_768_953_600,
        startedAt: 0,
        endedAt: 0,
        canceledAt: 0,
        createdAt: 0,
        updatedAt: 0
    };
    return {
        sessionId,
        eventId,
        state,
        version: 2,
        syncedVersion: 2,
        campaignId,
        campaignCreatedByUs: true,
        campaignName: null,
        statusesReady: true,
        failure: null,
        setAside: null
    };
}

function person(
    sessionId: string,
    personId: string,
    overrides: Partial<PersonState>,
    failed = false
): PersonRow {
    const state: PersonState = {
        personId,
        sessionId,
        eventId: 'event-1',
        role: 'participant',
        email: `${personId}@example.com`,
        emailProblem: null,
        firstName: null,
        lastName: null,
        fields: {},
        utm: { source: null, medium: null, campaign: null, term: null, content: null },
        referrer: null,
        joinLink: null,
        registeredAt: null,
        attendance: 'registered',
        engagement: {
            durationSeconds: null,
            ratePercent: null,
            messages: null,
            questions: null,
            votes: null,
            upVotes: null
        },
        replayWatched: false,
        replayWatchedAt: null,
        updatedAt: 0,
        ipCity: null,
        ipCountry: null,
        ...overrides
    };
    return {
        sessionId,
        personId,
        eventId: 'event-1',
        state,
        version: 1,
        syncedVersion: failed ? 0 : 1,
        sfObject: null,
        sfId: null,
        memberId: null,
        failure: failed
            ? {
                  code: 'REQUIRED_FIELD_MISSING',
                  message: 'Required fields are missing: [Industry__c]',
                  fields: ['Industry__c'],
                  attempts: 2,
                  nextAttemptAt: Date.UTC(2025, 0, 15, 13),
                  at: Date.UTC(2025, 0, 15, 12)
              }
            : null,
        warnings: [],
        memberStatus: null,
        writtenAt: null
    };
}

function seeded(env: Record<string, string> = {}) {
    const t = createTestApp({ env });
    t.store.events.set('event-1', {
        eventId: 'event-1',
        title: 'Product <demo>',
        onDemand: false,
        registrationLink: null,
        enabled: null,
        fetchedAt: null
    });
    t.store.events.set('event-2', {
        eventId: 'event-2',
        title: 'Onboarding',
        onDemand: true,
        registrationLink: null,
        enabled: false,
        fetchedAt: null
    });
    t.store.sessions.set('session-1', session('session-1', 'event-1', '701000000000001AAA'));
    t.store.people.push(
        person('session-1', 'p1', { attendance: 'attended' }),
        person('session-1', 'p2', { attendance: 'not_attended', replayWatched: true }),
        person('session-1', 'p3', {}, true),
        person('session-1', 'host', { role: 'team_member' })
    );
    t.store.syncLog.push({
        at: Date.UTC(2025, 0, 15, 12),
        sessionId: 'session-1',
        kind: 'members',
        apiCalls: 2,
        ok: 2,
        failed: 1,
        message: '2 members written, 1 failed'
    });
    return t;
}

describe('admin authentication', () => {
    it('answers 404 on every admin route when ADMIN_TOKEN is unset', async () => {
        const { app } = createTestApp({ env: { ADMIN_TOKEN: '' } });
        for (const path of ['/admin', '/admin/api/health', `/admin?token=${ADMIN_TOKEN}`]) {
            expect((await app.request(path, { headers: bearer })).status).toBe(404);
        }
        expect((await app.request('/admin/api/retry', { method: 'POST', headers: bearer })).status).toBe(404);
    });

    it('refuses the API without credentials or with a wrong token', async () => {
        const { app } = createTestApp();
        const anonymous = await app.request('/admin/api/health');
        expect(anonymous.status).toBe(401);
        expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(
            (await app.request('/admin/api/health', { headers: { authorization: 'Bearer wrong-token' } }))
                .status
        ).toBe(401);
        expect(
            (await app.request('/admin/api/health', { headers: { cookie: `${ADMIN_COOKIE}=forged` } })).status
        ).toBe(401);
    });

    it('shows a sign-in form instead of the page without credentials', async () => {
        const { app } = createTestApp();
        const res = await app.request('/admin');
        expect(res.status).toBe(401);
        expect(await res.text()).toMatch(/<form method="get" action="\/admin"/);
    });

    it('opens a session from ?token= once, with an HttpOnly cookie that is not the token', async () => {
        const { app } = createTestApp();
        const login = await app.request(`/admin?token=${ADMIN_TOKEN}`);
        expect(login.status).toBe(303);
        expect(login.headers.get('location')).toBe('/admin');
        const setCookie = login.headers.get('set-cookie') ?? '';
        expect(setCookie).toContain(`${ADMIN_COOKIE}=${adminSessionValue(ADMIN_TOKEN)}`);
        expect(setCookie).toMatch(/HttpOnly/);
        expect(setCookie).toMatch(/SameSite=Strict/);
        expect(setCookie).not.toContain(ADMIN_TOKEN);
        const cookie = setCookie.split(';')[0] ?? '';
        const page = await app.request('/admin', { headers: { cookie } });
        expect(page.status).toBe(200);
        expect(page.headers.get('cache-control')).toBe('no-store');
        const api = await app.request('/admin/api/health', { headers: { cookie } });
        expect(api.status).toBe(200);
    });

    it('refuses a wrong ?token= without setting a cookie', async () => {
        const { app } = createTestApp();
        const res = await app.request('/admin?token=wrong');
        expect(res.status).toBe(401);
        expect(res.headers.get('set-cookie')).toBeNull();
        expect(await res.text()).toContain('That token is not the admin token (ADMIN_TOKEN).');
    });
});

describe('admin API', () => {
    it('GET /admin/api/health reports the engine, the delivery counts and the auth mode, never a secret', async () => {
        const { app, engine } = seeded();
        engine.state = { ...engine.state, apiUsage: { used: 10, limit: 100 } };
        await postWebhook(app, '{broken');
        const res = await app.request('/admin/api/health', { headers: bearer });
        const body = await res.json();
        expect(body).toMatchObject({
            status: 'degraded',
            salesforce: { state: 'retrying' },
            apiUsage: { used: 10, limit: 100 },
            deliveries: { pending: 0, done: 0, quarantined: 1 },
            salesforceAuth: 'token',
            apiVersion: '66.0',
            webhookSignatures: false
        });
        expect(JSON.stringify(body)).not.toMatch(/access-token|webhook-token|admin-token/);
    });

    it('POST /admin/api/salesforce/resume resumes Salesforce at once (202), admin token required', async () => {
        const { app, engine } = seeded();
        const anonymous = await app.request('/admin/api/salesforce/resume', { method: 'POST' });
        expect(anonymous.status).toBe(401);
        expect(engine.resumed).toBe(0);
        const res = await app.request('/admin/api/salesforce/resume', { method: 'POST', headers: bearer });
        expect(res.status).toBe(202);
        expect(await res.json()).toMatchObject({ resumed: true, from: 'retrying' });
        expect(engine.resumed).toBe(1);
    });

    it('GET /admin/api/sessions maps sessions to Campaigns with links, counts and their state', async () => {
        const { app } = seeded();
        const body = (await (await app.request('/admin/api/sessions', { headers: bearer })).json()) as {
            sessions: unknown[];
            nextCursor: string | null;
        };
        expect(body).toEqual({
            sessions: [
                {
                    sessionId: 'session-1',
                    eventId: 'event-1',
                    eventTitle: 'Product <demo>',
                    sessionName: null,
                    status: 'upcoming',
                    startsAt: '2026-01-21T00:00:00.000Z',
                    campaign: {
                        id: '701000000000001AAA',
                        name: null,
                        url: 'https://acme.my.salesforce.com/lightning/r/Campaign/701000000000001AAA/view'
                    },
                    counts: { registrants: 3, attendees: 1, noShows: 1, replayViewers: 1 },
                    members: {},
                    state: 'waiting',
                    // The test engine's Salesforce side is retrying: that is why the session waits.
                    reason: 'Salesforce cannot be reached right now (connection refused); retrying in 2 s, nothing is lost.',
                    failedPeople: 0,
                    waitingPeople: 1,
                    writer: null
                }
            ],
            nextCursor: null
        });
    });

    it('shows which listener instance writes each session, and which wrote it last (several instances on PostgreSQL)', async () => {
        const { app, store } = seeded({
            DATABASE_URL: 'postgres://listener@db.example.com/livestorm',
            INSTANCE_ID: 'web-1'
        });
        const writerOf = async () =>
            (
                (await (await app.request('/admin/api/sessions', { headers: bearer })).json()) as {
                    sessions: { writer: unknown }[];
                }
            ).sessions[0]!.writer;
        await store.acquireSessionLease('session-1', 'web-2', 60_000);
        expect(await writerOf()).toEqual({ instance: 'web-2', writing: true, stoppedUntil: null });
        const browser = adminBrowser(app);
        await browser.open(`/admin?token=${ADMIN_TOKEN}`);
        expect(await (await browser.open('/admin/sessions')).text()).toMatch(
            /<code>web-2<\/code>\s+writing\s+now/
        );
        await store.releaseSessionLease('session-1', 'web-2');
        expect(await writerOf()).toEqual({ instance: 'web-2', writing: false, stoppedUntil: null });
    });

    it('embedded store: a lease left by a listener that stopped during a pass is shown as such, not as writing', async () => {
        const { app, store } = seeded({ INSTANCE_ID: 'web-1' });
        const sessionOf = async () =>
            (
                (await (await app.request('/admin/api/sessions', { headers: bearer })).json()) as {
                    sessions: { writer: unknown; reason: string; state: string }[];
                }
            ).sessions[0]!;
        const metricsLine = async () =>
            (await (await app.request('/metrics')).text())
                .split('\n')
                .filter((line) => line.startsWith('livestorm_sf_session_leases{'));
        // Only one listener runs on a DATA_DIR: web-2 is the previous process, stopped before it gave the lease back.
        await store.acquireSessionLease('session-1', 'web-2', 60_000);
        const [lease] = await store.listSessionLeases(['session-1']);
        const until = new Date(lease!.expiresAt).toISOString();
        const left = await sessionOf();
        expect(left.writer).toEqual({ instance: 'web-2', writing: false, stoppedUntil: until });
        expect(left.state).toBe('waiting');
        expect(left.reason).toBe(
            `The listener web-2 stopped while writing this session; it is written again once that listener's lease ends at ${until} (a write it had in flight is not repeated).`
        );
        expect(await metricsLine()).toEqual([]);
        const browser = adminBrowser(app);
        await browser.open(`/admin?token=${ADMIN_TOKEN}`);
        expect(await (await browser.open('/admin/sessions')).text()).toMatch(
            /<code>web-2<\/code>\s+stopped\s+while\s+writing; its lease ends\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC/
        );
        // Once the running listener takes the session, it is the one writing.
        await store.releaseSessionLease('session-1', 'web-2');
        await store.acquireSessionLease('session-1', 'web-1', 60_000);
        expect((await sessionOf()).writer).toEqual({ instance: 'web-1', writing: true, stoppedUntil: null });
        expect(await metricsLine()).toEqual(['livestorm_sf_session_leases{instance="web-1"} 1']);
    });

    it('GET /admin/api/events says whether each event is synced and why', async () => {
        const settings = parseSettings({ enabledByDefault: false, events: { 'event-3': true } });
        const t = createTestApp({ settings });
        t.store.events.set('event-1', {
            eventId: 'event-1',
            title: 'A',
            onDemand: false,
            registrationLink: null,
            enabled: null,
            fetchedAt: null
        });
        t.store.events.set('event-2', {
            eventId: 'event-2',
            title: 'B',
            onDemand: false,
            registrationLink: null,
            enabled: true,
            fetchedAt: null
        });
        t.store.events.set('event-3', {
            eventId: 'event-3',
            title: 'C',
            onDemand: false,
            registrationLink: null,
            enabled: null,
            fetchedAt: null
        });
        const body = (await (await t.app.request('/admin/api/events', { headers: bearer })).json()) as {
            events: { eventId: string; enabled: boolean; source: string }[];
        };
        expect(body.events.map(({ eventId, enabled, source }) => ({ eventId, enabled, source }))).toEqual([
            { eventId: 'event-1', enabled: false, source: 'default' },
            { eventId: 'event-2', enabled: true, source: 'command line' },
            { eventId: 'event-3', enabled: true, source: 'config file' }
        ]);
    });

    it('POST /admin/api/events/:id/enable stores the override and asks the engine to pick the event up', async () => {
        const { app, store, engine } = seeded();
        const res = await app.request('/admin/api/events/event-2/enable', {
            method: 'POST',
            headers: bearer
        });
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({
            event: { eventId: 'event-2', enabled: true, source: 'command line' }
        });
        expect(store.events.get('event-2')?.enabled).toBe(true);
        expect(engine.enabledEvents).toEqual(['event-2']);
    });

    it('POST /admin/api/events/:id/disable stores the override without calling the engine', async () => {
        const { app, store, engine } = seeded();
        const res = await app.request('/admin/api/events/event-1/disable', {
            method: 'POST',
            headers: bearer
        });
        expect(res.status).toBe(200);
        expect(store.events.get('event-1')?.enabled).toBe(false);
        expect(engine.enabledEvents).toEqual([]);
    });

    it('POST /admin/api/events/:id/reset forgets the override', async () => {
        const { app, store } = seeded();
        await app.request('/admin/api/events/event-2/reset', { method: 'POST', headers: bearer });
        expect(store.events.get('event-2')?.enabled).toBeNull();
    });

    it('answers a form post from the page with a redirect back to the view', async () => {
        const { app, store } = seeded();
        const res = await app.request('/admin/api/events/event-1/disable', {
            method: 'POST',
            headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' },
            body: ''
        });
        expect(res.status).toBe(303);
        expect(res.headers.get('location')).toBe('/admin/events');
        expect(store.events.get('event-1')?.enabled).toBe(false);
    });

    it('GET /admin/api/deliveries lists quarantined deliveries with their reason', async () => {
        const { app } = seeded();
        await postWebhook(app, '{broken');
        const res = await app.request('/admin/api/deliveries?state=quarantined', { headers: bearer });
        expect(await res.json()).toEqual({
            deliveries: [
                expect.objectContaining({
                    id: 1,
                    state: 'quarantined',
                    error: 'body is not valid JSON',
                    preview: '{broken'
                })
            ]
        });
        expect((await app.request('/admin/api/deliveries?state=lost', { headers: bearer })).status).toBe(400);
    });

    it('POST /admin/api/deliveries/:id/replay queues the delivery again and wakes the engine', async () => {
        const { app, store, engine } = seeded();
        await postWebhook(app, '{broken');
        const notifiedBefore = engine.notified;
        const res = await app.request('/admin/api/deliveries/1/replay', { method: 'POST', headers: bearer });
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({
            requeued: true,
            id: 1,
            message: 'Delivery 1 queued again: it is folded in a moment.'
        });
        expect(store.deliveries[0]?.state).toBe('pending');
        expect(engine.notified).toBe(notifiedBefore + 1);
        expect(
            (await app.request('/admin/api/deliveries/99/replay', { method: 'POST', headers: bearer })).status
        ).toBe(404);
    });

    it('GET /admin/api/failures lists the failed records with their Salesforce error', async () => {
        const { app } = seeded();
        const body = (await (await app.request('/admin/api/failures', { headers: bearer })).json()) as {
            failures: unknown[];
        };
        expect(body.failures).toEqual([
            {
                sessionId: 'session-1',
                personId: 'p3',
                email: 'p3@example.com',
                code: 'REQUIRED_FIELD_MISSING',
                message: 'Required fields are missing: [Industry__c]',
                fields: ['Industry__c'],
                attempts: 2,
                at: '2025-01-15T12:00:00.000Z',
                nextAttemptAt: '2025-01-15T13:00:00.000Z'
            }
        ]);
    });

    it('POST /admin/api/retry retries all failures, or those of one session', async () => {
        const { app, engine } = seeded();
        const all = await app.request('/admin/api/retry', { method: 'POST', headers: bearer });
        expect(all.status).toBe(202);
        expect(await all.json()).toEqual({ retried: 3, message: '3 failed records queued for a retry now.' });
        await app.request('/admin/api/retry', {
            method: 'POST',
            headers: { ...bearer, 'content-type': 'application/json' },
            body: JSON.stringify({ sessionId: 'session-1' })
        });
        expect(engine.retried).toEqual([undefined, 'session-1']);
    });

    it('GET /admin/api/sync-log returns the newest entries first', async () => {
        const { app, store } = seeded();
        store.syncLog.push({
            at: Date.UTC(2025, 0, 15, 12, 5),
            sessionId: null,
            kind: 'refresh',
            apiCalls: 0,
            ok: 1,
            failed: 0,
            message: 'refreshed'
        });
        const body = (await (await app.request('/admin/api/sync-log', { headers: bearer })).json()) as {
            entries: { kind: string; at: string }[];
        };
        expect(body.entries.map((entry) => [entry.kind, entry.at])).toEqual([
            ['refresh', '2025-01-15T12:05:00.000Z'],
            ['members', '2025-01-15T12:00:00.000Z']
        ]);
    });
});

describe('admin settings API', () => {
    describe('settings', () => {
        async function appWithConfigFile() {
            const { mkdtemp, readFile, rm } = await import('node:fs/promises');
            const { tmpdir } = await import('node:os');
            const { join } = await import('node:path');
            const dir = await mkdtemp(join(tmpdir(), 'lsf-settings-'));
            onTestFinished(() => rm(dir, { recursive: true, force: true }));
            const configFile = join(dir, 'livestorm-sf.config.json');
            return { ...createTestApp({ env: { CONFIG_FILE: configFile } }), configFile, readFile };
        }

        it('POST /admin/api/settings validates, writes CONFIG_FILE and applies the settings at once', async () => {
            const { app, settings, configFile, readFile } = await appWithConfigFile();
            const res = await app.request('/admin/api/settings', {
                method: 'POST',
                headers: { ...bearer, 'content-type': 'application/json' },
                body: JSON.stringify({
                    createContacts: true,
                    campaign: { nameTemplate: '{event title} ({YYYY-MM-DD})' }
                })
            });
            expect(res.status).toBe(200);
            expect(settings.createContacts).toBe(true);
            expect(settings.campaign.nameTemplate).toBe('{event title} ({YYYY-MM-DD})');
            expect(settings.enabledByDefault).toBe(true);
            expect(JSON.parse(await readFile(configFile, 'utf8'))).toMatchObject({ createContacts: true });
        });

        it('refuses invalid settings with the path of the mistake and changes nothing', async () => {
            const { app, settings, configFile, readFile } = await appWithConfigFile();
            const res = await app.request('/admin/api/settings', {
                method: 'POST',
                headers: { ...bearer, 'content-type': 'application/json' },
                body: JSON.stringify({ mapping: { lead: [{ from: 'shoe_size', to: 'Title' }] } })
            });
            expect(res.status).toBe(400);
            const body = (await res.json()) as { error: string; problems: unknown[] };
            expect(body.error).toBe(
                'Settings not saved: 1 problem to fix. Line 1, column 29 — mapping.lead[0].from: must be a registration field (first_name, last_name, email, company, job_title, phone, city, country, website), "field:<field id>" for a custom registration field, a UTM value (utm_source…) or an engagement figure (attendance_duration…).'
            );
            expect(body.problems).toEqual([
                {
                    line: 1,
                    column: 29,
                    path: 'mapping.lead[0].from',
                    message: expect.stringMatching(/^must be a registration field /)
                }
            ]);
            expect(settings.mapping.lead[0]!.from).toBe('first_name');
            await expect(readFile(configFile, 'utf8')).rejects.toThrow();
        });
    });
});

// The admin page and API beyond the token: 401 without it, the token never in a log line, CSRF protection on every
// cookie-authenticated change, and the security headers of every admin answer.
import { describe, expect, it } from 'vitest';
import { adminBrowser, PAGE_ORIGIN } from '../../test/admin-browser.ts';
import { ADMIN_TOKEN, createTestApp } from '../../test/test-app.ts';
import { ADMIN_COOKIE, adminSessionValue } from './auth.ts';

const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
const session = { cookie: `${ADMIN_COOKIE}=${adminSessionValue(ADMIN_TOKEN)}` };
const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe('admin authentication', () => {
    it('answers 401 to every view and API route without the token, a Bearer header or the session cookie', async () => {
        const { app } = createTestApp();
        for (const path of ['/admin', '/admin/events', '/admin/settings', '/admin/api/health']) {
            expect((await app.request(path)).status, path).toBe(401);
            expect((await app.request(path, { headers: bearer })).status, path).toBe(200);
            expect((await app.request(path, { headers: session })).status, path).toBe(200);
        }
        for (const path of [
            '/admin/api/events/e1/disable',
            '/admin/api/people/retry',
            '/admin/api/settings'
        ]) {
            expect((await app.request(path, { method: 'POST', headers: form })).status, path).toBe(401);
        }
    });

    it('never writes the admin token to a log line, even when it comes as ?token=', async () => {
        const { app, logLines } = createTestApp({ env: { LOG_LEVEL: 'trace' } });
        await app.request(`/admin?token=${ADMIN_TOKEN}`);
        await app.request(`/admin/api/health?token=${ADMIN_TOKEN}`);
        await app.request(`/admin/people?q=x&token=${ADMIN_TOKEN}`);
        await app.request('/admin?token=wrong-guess-token');
        await app.request(`/admin/api/nowhere?token=${ADMIN_TOKEN}`, { headers: bearer });
        expect(logLines.length).toBeGreaterThan(0);
        for (const line of logLines) {
            expect(line).not.toContain(ADMIN_TOKEN);
            expect(line).not.toContain('wrong-guess-token');
            expect(line).not.toContain('token=');
        }
    });

    it('opens the session from ?token= and redirects to the same view without the token', async () => {
        const { app } = createTestApp();
        const login = await app.request(`/admin/people?q=ada&token=${ADMIN_TOKEN}`);
        expect(login.status).toBe(303);
        expect(login.headers.get('location')).toBe('/admin/people?q=ada');
    });
});

describe('CSRF protection of cookie-authenticated changes', () => {
    it('accepts a form post from the page itself (Sec-Fetch-Site same-origin, or its own Origin)', async () => {
        const { app, store } = createTestApp();
        const bySecFetch = await app.request(`${PAGE_ORIGIN}/admin/api/events/e1/disable`, {
            method: 'POST',
            headers: { ...session, ...form, 'sec-fetch-site': 'same-origin' }
        });
        expect(bySecFetch.status).toBe(303);
        expect(store.events.get('e1')?.enabled ?? (await store.getEvent('e1'))?.enabled).toBe(false);
        // Behind an HTTPS reverse proxy the listener sees http://; the Origin's host is what counts.
        const byOrigin = await app.request('http://admin.example.com/admin/api/events/e1/enable', {
            method: 'POST',
            headers: { ...session, ...form, origin: 'https://admin.example.com', host: 'admin.example.com' }
        });
        expect(byOrigin.status).toBe(303);
    });

    it('refuses a cross-site form post riding on the session cookie, and changes nothing', async () => {
        const { app, store } = createTestApp();
        for (const headers of [
            { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
            { origin: 'https://evil.example' },
            { 'sec-fetch-site': 'same-site' },
            {}
        ]) {
            const res = await app.request(`${PAGE_ORIGIN}/admin/api/events/e1/disable`, {
                method: 'POST',
                headers: { ...session, ...form, ...headers }
            });
            expect(res.status, JSON.stringify(headers)).toBe(403);
        }
        const settings = await app.request(`${PAGE_ORIGIN}/admin/api/settings`, {
            method: 'POST',
            headers: { ...session, 'content-type': 'text/plain', origin: 'https://evil.example' },
            body: '{"dryRun": true}'
        });
        expect(settings.status).toBe(403);
        expect(await store.getEvent('e1')).toBeUndefined();
    });

    it('refuses a cookie-authenticated JSON change: scripts use Bearer, the page sends forms', async () => {
        const { app } = createTestApp();
        const res = await app.request('/admin/api/people/retry', {
            method: 'POST',
            headers: { ...session, 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' },
            body: JSON.stringify({ sessionId: 's', personId: 'p' })
        });
        expect(res.status).toBe(403);
        expect(((await res.json()) as { error: string }).error).toMatch(/Authorization: Bearer/);
    });

    it('needs no Origin from a script authenticated with Bearer', async () => {
        const { app } = createTestApp();
        const res = await app.request('/admin/api/events/e1/disable', {
            method: 'POST',
            headers: { ...bearer, ...form }
        });
        expect(res.status).toBe(303);
    });
});

describe('security headers', () => {
    it('every admin answer carries a strict CSP without inline script, nosniff, no referrer and no framing', async () => {
        const { app } = createTestApp();
        const answers = [
            await app.request('/admin'),
            await app.request('/admin', { headers: bearer }),
            await app.request('/admin/api/health', { headers: bearer }),
            await app.request('/admin/assets/admin.css')
        ];
        for (const res of answers) {
            const csp = res.headers.get('content-security-policy') ?? '';
            expect(csp).toContain("default-src 'none'");
            expect(csp).toContain("script-src 'self'");
            expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
            expect(csp).toContain("frame-ancestors 'none'");
            expect(csp).toContain("form-action 'self'");
            expect(res.headers.get('x-content-type-options')).toBe('nosniff');
            expect(res.headers.get('referrer-policy')).toBe('no-referrer');
            expect(res.headers.get('x-frame-options')).toBe('DENY');
        }
    });

    it('the pages hold no inline script or style: both are files the listener serves', async () => {
        const { app } = createTestApp();
        const browser = adminBrowser(app);
        await browser.open(`/admin?token=${ADMIN_TOKEN}`);
        for (const path of [
            '/admin',
            '/admin/events',
            '/admin/settings',
            '/admin/deliveries',
            '/admin/sync-log',
            '/admin/people',
            '/admin/sessions'
        ]) {
            const page = await (await browser.open(path)).text();
            expect(page).toContain('<script src="/admin/assets/admin.js" defer></script>');
            expect(page).toContain('<link rel="stylesheet" href="/admin/assets/admin.css" />');
            expect(page).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
            expect(page).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
        }
        const script = await app.request('/admin/assets/admin.js');
        expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
        expect((await app.request('/admin/assets/other.js')).status).toBe(404);
    });
});

// The admin views as a browser gets them: confirmations after actions come from the server, never from the query
// string; the settings box keeps the admin's text with each problem's line and column.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { adminBrowser } from '../../test/admin-browser.ts';
import { ADMIN_TOKEN, createTestApp, postWebhook } from '../../test/test-app.ts';

async function signedIn(env: Record<string, string> = {}) {
    const t = createTestApp({ env });
    const browser = adminBrowser(t.app);
    const first = await browser.open(`/admin?token=${ADMIN_TOKEN}`);
    expect(first.status).toBe(200);
    return { ...t, browser };
}

async function withConfigFile() {
    const dir = await mkdtemp(join(tmpdir(), 'lsf-settings-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const configFile = join(dir, 'livestorm-sf.config.json');
    return { ...(await signedIn({ CONFIG_FILE: configFile })), configFile };
}

describe('notices', () => {
    it('confirms an action on the view it returns to, once', async () => {
        const { browser, store } = await signedIn();
        await store.putEvent({
            eventId: 'event-1',
            title: 'Product <demo>',
            onDemand: false,
            registrationLink: null,
            enabled: null,
            fetchedAt: null
        });
        const page = await browser.submit('/admin/api/events/event-1/disable');
        expect(browser.path).toBe('/admin/events');
        const text = await page.text();
        expect(text).toContain(
            '<div class="notice" role="status">Event &quot;Product &lt;demo&gt;&quot; disabled: its sessions are no longer synced (deliveries are still stored).</div>'
        );
        expect(text).toContain('action="/admin/api/events/event-1/enable"');
        expect(await (await browser.open('/admin/events')).text()).not.toContain('role="status"');
    });

    it('shows nothing a query string says: ?settingsError= and friends are ignored', async () => {
        const { browser } = await signedIn();
        for (const path of [
            '/admin/settings?settingsError=%3Cb%3EYour%20org%20is%20hacked%3C%2Fb%3E',
            '/admin?notice=Your%20org%20is%20hacked',
            '/admin/events?message=Your%20org%20is%20hacked'
        ]) {
            const text = await (await browser.open(path)).text();
            expect(text).not.toContain('hacked');
            expect(text).not.toMatch(/class="notice/);
        }
    });

    it('a notice cookie from another browser or a forged id shows nothing', async () => {
        const { browser } = await signedIn();
        browser.cookies.set('livestorm_sf_notice', 'forged-notice-id');
        expect(await (await browser.open('/admin')).text()).not.toMatch(/class="notice/);
    });

    it('says when a replayed delivery no longer exists', async () => {
        const { browser, app } = await signedIn();
        await postWebhook(app, '{broken');
        const replayed = await (await browser.submit('/admin/api/deliveries/1/replay')).text();
        expect(replayed).toContain('Delivery 1 queued again');
        const missing = await (await browser.submit('/admin/api/deliveries/7/replay')).text();
        expect(missing).toContain('role="alert">There is no delivery 7: it may have been replayed already.');
    });
});

describe('settings box', () => {
    it('keeps the text of an invalid edit with each problem in words, and changes nothing', async () => {
        const { browser, settings, configFile } = await withConfigFile();
        const typed = '{\n  "dryRun": true,\n  "leadSource": "Webinar"\n  "apiBudgetShare": 0.5\n}';
        const page = await browser.submit('/admin/api/settings', { settings: typed });
        expect(browser.path).toBe('/admin/settings');
        const text = await page.text();
        expect(text).toContain('Not saved. Your text is kept below; fix these and save again:');
        expect(text).toContain(
            '<li>Line 4, column 3: a comma is missing between this and what comes before it.</li>'
        );
        expect(text).toContain(`>\n${typed.replace(/"/g, '&quot;')}</textarea`);
        expect(text).toContain('data-problem-line="4" data-problem-column="3"');
        expect(settings.dryRun).toBe(false);
        await expect(readFile(configFile, 'utf8')).rejects.toThrow();

        const invalid = '{\n  "dryRun": "yes",\n  "leadSorce": "Webinar"\n}';
        const second = await (await browser.submit('/admin/api/settings', { settings: invalid })).text();
        expect(second).toContain('<li>Line 2, column 13 — dryRun: must be true or false.</li>');
        expect(second).toContain(
            '<li>Line 3, column 3 — leadSorce: is not a setting: check its spelling against the README.</li>'
        );
        // Reloading shows the settings in force again: the kept text was for that one answer.
        expect(await (await browser.open('/admin/settings')).text()).toContain('&quot;dryRun&quot;: false');
    });

    it('saves a valid edit, applies it at once and confirms it', async () => {
        const { browser, settings, configFile } = await withConfigFile();
        const page = await browser.submit('/admin/api/settings', {
            settings: '{ "leadSource": "Webinars" }'
        });
        const text = await page.text();
        expect(text).toContain(`role="status">Settings saved to ${configFile} and applied.</div>`);
        expect(text).toContain('&quot;leadSource&quot;: &quot;Webinars&quot;');
        expect(settings.leadSource).toBe('Webinars');
        expect(JSON.parse(await readFile(configFile, 'utf8'))).toMatchObject({ leadSource: 'Webinars' });
    });
});

describe('views', () => {
    it('lists quarantined deliveries escaped, with a replay button', async () => {
        const { browser, app } = await signedIn();
        await postWebhook(app, '{"<script>alert(1)</script>');
        const text = await (await browser.open('/admin/deliveries')).text();
        expect(text).toContain('{&quot;&lt;script&gt;alert(1)&lt;/script&gt;');
        expect(text).toContain('action="/admin/api/deliveries/1/replay"');
        expect(text).not.toContain('<script>alert');
    });

    it('marks the current view in the navigation and never shows a secret', async () => {
        const { browser } = await signedIn();
        for (const [path, label] of [
            ['/admin', 'Health'],
            ['/admin/events', 'Events'],
            ['/admin/sync-log', 'Sync log'],
            ['/admin/settings', 'Settings']
        ] as const) {
            const text = await (await browser.open(path)).text();
            expect(text).toMatch(new RegExp(`href="${path}"\\s+aria-current="page"\\s*>${label}</a`));
            expect(text).not.toContain(ADMIN_TOKEN);
            expect(text).not.toContain('access-token');
        }
    });
});

// The admin page in real Chromium (from @sparticuz/chromium, driven by playwright-core) against the whole product on
// loopback: the listener with its engine, the Salesforce emulator and the Livestorm simulator. Every figure and state
// the page shows is compared with the emulated org or the store, so a wrong one fails the test. Each view is also
// checked with axe (WCAG 2 A/AA) and for content security policy violations.
import { AxeBuilder } from '@axe-core/playwright';
import type { BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PersonResource, SessionResource } from '../emulators/livestorm/index.ts';
import { launchChromium } from '../support/browser.ts';
import type { TestBrowser } from '../support/browser.ts';
import { campaignOf, hoursFromNow, memberByEmail } from '../support/org.ts';
import { startStack } from '../support/stack.ts';
import type { Stack } from '../support/stack.ts';

const ADMIN_TOKEN = 'browser-admin-token-0123456789';

let chromium: TestBrowser;
let stack: Stack;
let context: BrowserContext;
let page: Page;
const cspViolations: string[] = [];

let launchSession: SessionResource;
let jane: PersonResource;

function watch(target: Page): void {
    target.on('console', (message: ConsoleMessage) => {
        if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
}

async function newPage(): Promise<Page> {
    const created = await context.newPage();
    watch(created);
    return created;
}

/** axe's WCAG 2 A and AA rules on the page as it is now: no violation allowed. */
async function expectAccessible(target: Page, view: string): Promise<void> {
    const results = await new AxeBuilder({ page: target }).withTags(['wcag2a', 'wcag2aa']).analyze();
    const found = results.violations.map(
        (violation) =>
            `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join('; ')})`
    );
    expect(found, `${view} accessibility`).toEqual([]);
}

async function register(session: SessionResource, email: string, firstName: string, lastName: string) {
    const person = stack.simulator.state.register(session.id, { firstName, lastName, email });
    await stack.sender.deliver('people.registered', person);
    return person;
}

beforeAll(async () => {
    [chromium, stack] = await Promise.all([launchChromium(), startStack({ adminToken: ADMIN_TOKEN })]);
    const event = stack.simulator.state.createEvent({ title: 'Spring launch & demo' });
    launchSession = stack.simulator.state.createSession(event.id, { startsAt: hoursFromNow(30) });
    await stack.sender.deliver('session.created', launchSession);
    jane = await register(launchSession, 'jane.adams@example.com', 'Jane', 'Adams');
    await register(launchSession, 'omar.haddad@example.com', 'Omar', 'Haddad');
    await stack.engine.whenIdle();
    context = await chromium.browser.newContext();
    page = await newPage();
}, 180_000);

afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await stack?.close();
});

describe('admin page in Chromium', () => {
    it('opens with the token, forgets it from the address bar, and shows the health of the three sides', async () => {
        await page.goto(`${stack.listenerUrl}/admin?token=${ADMIN_TOKEN}`);
        expect(page.url()).toBe(`${stack.listenerUrl}/admin`);
        await expect.poll(() => page.locator('h1').textContent()).toBe('Health');
        const salesforce = page.locator('section[aria-labelledby="health-salesforce"] .state');
        expect(await salesforce.textContent()).toBe(
            stack.engine.health().salesforce.state.replace(/_/g, ' ')
        );
        expect(await salesforce.textContent()).toBe('connected');
        expect(await page.locator('section[aria-labelledby="health-store"] .state').textContent()).toBe('ok');
        await expectAccessible(page, 'health');
    });

    it('searches a person by e-mail and reads the Campaign member status Salesforce holds', async () => {
        await page.goto(`${stack.listenerUrl}/admin/people`);
        await page.getByLabel('E-mail or name').fill('JANE.ADAMS@example');
        await page.getByRole('button', { name: 'Search' }).click();
        const row = page.locator('tr[data-person="jane.adams@example.com"]');
        await expect.poll(() => row.count()).toBe(1);
        expect(await page.locator('tbody tr').count()).toBe(1);
        const campaign = campaignOf(stack, launchSession.id);
        const member = memberByEmail(
            stack,
            String(campaign.Id),
            jane.attributes.email ?? 'jane.adams@example.com'
        );
        expect(member).toBeDefined();
        expect(await row.locator('[data-field="member-status"]').textContent()).toBe(String(member!.Status));
        expect(await row.locator('.state').textContent()).toBe('synced');
        const lead = row.getByRole('link', { name: 'Lead: Jane Adams' });
        expect(await lead.getAttribute('href')).toBe(
            `${stack.emulator.instanceUrl}/lightning/r/Lead/${String(member!.LeadId)}/view`
        );
        // The link opens the record in the org.
        const [opened] = await Promise.all([context.waitForEvent('page'), lead.click()]);
        await opened.waitForLoadState();
        expect(await opened.locator('h1').textContent()).toBe('Jane Adams');
        await opened.close();
        await expectAccessible(page, 'people');
    });

    it("shows a refused person's reason and fix, and Retry writes them once the cause is fixed in the org", async () => {
        stack.emulator.inspect.setFaults({
            recordErrors: (sobject: string, record: Record<string, unknown>) =>
                sobject === 'Lead' && record.LastName === 'Refused'
                    ? {
                          statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
                          message: 'Leads from example.org need an Industry',
                          fields: []
                      }
                    : undefined
        });
        await register(launchSession, 'rita@example.org', 'Rita', 'Refused');
        await stack.engine.whenIdle();

        await page.goto(`${stack.listenerUrl}/admin/people?q=rita%40example.org`);
        const row = page.locator('tr[data-person="rita@example.org"]');
        expect(await row.locator('.state').textContent()).toBe('failed');
        expect(await row.textContent()).toContain(
            'Salesforce refused this person: Leads from example.org need an Industry'
        );
        expect(await row.textContent()).toContain('Fix: A validation rule of the org refused the record');
        expect(await row.locator('td').nth(4).textContent()).toContain('not written yet');
        await expectAccessible(page, 'people with a failure');

        // The sessions view says the session has a failure, and links to its people.
        await page.goto(`${stack.listenerUrl}/admin/sessions`);
        const sessionRow = page.locator(`tr[data-session="${launchSession.id}"]`);
        expect(await sessionRow.locator('.state').textContent()).toBe('failed');
        await sessionRow.getByRole('link', { name: 'See the 1 refused person' }).click();
        expect(page.url()).toBe(`${stack.listenerUrl}/admin/people?session=${launchSession.id}`);
        expect(await page.locator('tr[data-person="rita@example.org"] .state').textContent()).toBe('failed');

        stack.emulator.inspect.setFaults({ recordErrors: undefined });
        await page
            .locator('tr[data-person="rita@example.org"]')
            .getByRole('button', { name: /^Retry/ })
            .click();
        await expect
            .poll(() => page.locator('[role="status"]').textContent())
            .toContain('rita@example.org is written to Salesforce again now');
        await stack.engine.whenIdle();
        await page.reload();
        const campaign = campaignOf(stack, launchSession.id);
        const member = memberByEmail(stack, String(campaign.Id), 'rita@example.org');
        expect(member?.Status).toBe('Registered');
        expect(await page.locator('tr[data-person="rita@example.org"] .state').textContent()).toBe('synced');
        expect(
            await page
                .locator('tr[data-person="rita@example.org"] [data-field="member-status"]')
                .textContent()
        ).toBe('Registered');
    });

    it("disables an event and then its sessions say so; the Campaign link opens the Campaign's page", async () => {
        await page.goto(`${stack.listenerUrl}/admin/sessions`);
        const campaign = campaignOf(stack, launchSession.id);
        const row = page.locator(`tr[data-session="${launchSession.id}"]`);
        expect(await row.locator('.state').textContent()).toBe('synced');
        // Members by status, as the org holds them.
        const inOrg = stack.emulator.inspect
            .records('CampaignMember')
            .filter((member) => member.CampaignId === campaign.Id && member.Status === 'Registered').length;
        expect(inOrg).toBe(3);
        expect(Number(await row.locator('[data-status="Registered"]').textContent())).toBe(inOrg);
        const link = row.getByRole('link', { name: String(campaign.Name) });
        expect(await link.getAttribute('href')).toBe(
            `${stack.emulator.instanceUrl}/lightning/r/Campaign/${String(campaign.Id)}/view`
        );
        const [opened] = await Promise.all([context.waitForEvent('page'), link.click()]);
        await opened.waitForLoadState();
        expect(await opened.locator('h1').textContent()).toBe(String(campaign.Name));
        await opened.close();
        await expectAccessible(page, 'sessions');

        await page.goto(`${stack.listenerUrl}/admin/events`);
        await page.getByRole('button', { name: 'Disable Spring launch & demo' }).click();
        await expect
            .poll(() => page.locator('[role="status"]').textContent())
            .toContain('Event "Spring launch & demo" disabled');
        expect((await stack.store.getEvent(launchSession.attributes.event_id!))?.enabled).toBe(false);
        await expectAccessible(page, 'events');

        await page.goto(`${stack.listenerUrl}/admin/sessions`);
        expect(await row.locator('.state').textContent()).toBe('disabled');
        expect(await row.textContent()).toContain('Its event is not synced');
        await page.goto(`${stack.listenerUrl}/admin/people?q=jane.adams`);
        expect(await page.locator('tr[data-person="jane.adams@example.com"] .state').textContent()).toBe(
            'disabled'
        );

        await page.goto(`${stack.listenerUrl}/admin/events`);
        await page.getByRole('button', { name: 'Enable Spring launch & demo' }).click();
        await expect.poll(() => page.locator('[role="status"]').textContent()).toContain('enabled');
    });

    it('keeps the text of a settings mistake with its line and column, and saves once it is fixed', async () => {
        await page.goto(`${stack.listenerUrl}/admin/settings`);
        const box = page.getByLabel('Settings (JSON)');
        const typed = '{\n  "leadSource": "Webinar"\n  "dryRun": false\n}';
        await box.fill(typed);
        await page.getByRole('button', { name: 'Save settings' }).click();
        await expect.poll(() => page.locator('#settings-problems').count()).toBe(1);
        expect(await box.inputValue()).toBe(typed);
        expect(await page.locator('#settings-problems li').allTextContents()).toEqual([
            'Line 3, column 3: a comma is missing between this and what comes before it.'
        ]);
        // The script put the caret on the problem.
        expect(
            await box.evaluate((element) => (element as unknown as { selectionStart: number }).selectionStart)
        ).toBe(typed.indexOf('"dryRun"'));
        expect(stack.settings.leadSource).toBe('Livestorm');
        await expectAccessible(page, 'settings with a problem');

        await box.fill(
            '{\n  "leadSource": "Webinar",\n  "attendanceReconcileSeconds": 1,\n  "batchWindowMs": 30\n}'
        );
        await page.getByRole('button', { name: 'Save settings' }).click();
        await expect.poll(() => page.locator('[role="status"]').textContent()).toContain('Settings saved to');
        expect(stack.settings.leadSource).toBe('Webinar');
    });

    it('works with the keyboard alone: skip link, navigation, search and submit', async () => {
        const keyboard = await newPage();
        await keyboard.goto(`${stack.listenerUrl}/admin`);
        await keyboard.keyboard.press('Tab');
        expect(await keyboard.evaluate('document.activeElement && document.activeElement.textContent')).toBe(
            'Skip to content'
        );
        await keyboard.keyboard.press('Tab');
        await keyboard.keyboard.press('Tab');
        expect(await keyboard.evaluate('document.activeElement && document.activeElement.textContent')).toBe(
            'People'
        );
        await keyboard.keyboard.press('Enter');
        await keyboard.waitForURL(`${stack.listenerUrl}/admin/people`);
        // Skip link, then the seven views, then the search box.
        for (let presses = 0; presses < 9; presses++) await keyboard.keyboard.press('Tab');
        expect(await keyboard.evaluate('document.activeElement && document.activeElement.id')).toBe(
            'people-q'
        );
        await keyboard.keyboard.type('omar.haddad@example.com');
        await keyboard.keyboard.press('Enter');
        await keyboard.waitForURL(/\/admin\/people\?q=omar/);
        expect(await keyboard.locator('tbody tr').count()).toBe(1);
        expect(await keyboard.locator('tr[data-person="omar.haddad@example.com"] .state').textContent()).toBe(
            'synced'
        );
        await keyboard.close();
    });

    it('every other view passes the accessibility check, and no page broke its content security policy', async () => {
        for (const [path, view] of [
            ['/admin/deliveries', 'quarantine'],
            ['/admin/sync-log', 'sync log'],
            ['/admin/settings', 'settings']
        ] as const) {
            await page.goto(`${stack.listenerUrl}${path}`);
            await expectAccessible(page, view);
        }
        // Without the session cookie: the sign-in page.
        await context.clearCookies();
        await page.goto(`${stack.listenerUrl}/admin`);
        expect(await page.locator('h1').textContent()).toBe('Livestorm → Salesforce');
        expect(await page.getByLabel('Admin token').count()).toBe(1);
        await expectAccessible(page, 'sign-in');
        expect(cspViolations).toEqual([]);
    });
});

// The people and sessions views and their API: DESIGN's PersonStatus and session state, as person-status.ts computes
// them, shown by e-mail and name with links into the org.
import { describe, expect, it } from 'vitest';
import { adminBrowser } from '../../test/admin-browser.ts';
import { eventRow, personRow, sessionRow, sessionState } from '../../test/store-contract.ts';
import { ADMIN_TOKEN, createTestApp } from '../../test/test-app.ts';

const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
const NOW = Date.UTC(2025, 0, 15, 12);

function seeded() {
    const t = createTestApp();
    t.engine.state = {
        ...t.engine.state,
        salesforce: { state: 'connected', reason: null, since: '2025-01-15T11:00:00.000Z', fix: null },
        salesforceNextAttemptAt: null
    };
    t.store.events.set('event-1', eventRow('event-1', { title: 'Spring <launch>' }));
    t.store.events.set('event-2', eventRow('event-2', { title: 'Paused webinar', enabled: false }));
    t.store.sessions.set(
        'session-1',
        sessionRow('session-1', {
            version: 2,
            syncedVersion: 2,
            campaignId: '701000000000001AAA',
            campaignName: 'Spring launch - 2026-03-01 (renamed)',
            state: sessionState('session-1', 'event-1', { estimatedStartedAt: 1_772_373_600 })
        })
    );
    t.store.sessions.set(
        'session-2',
        sessionRow('session-2', {
            eventId: 'event-2',
            version: 1,
            syncedVersion: 1,
            campaignId: '701000000000002AAA',
            campaignName: 'Paused webinar - 2026-02-01',
            state: sessionState('session-2', 'event-2', { estimatedStartedAt: 1_769_954_400 })
        })
    );
    t.store.people.push(
        personRow(
            'session-1',
            'p-jane',
            {
                version: 2,
                syncedVersion: 2,
                sfObject: 'Lead',
                sfId: '00Q000000000001AAA',
                memberId: '00v000000000001AAA',
                memberStatus: 'Attended',
                writtenAt: Date.UTC(2025, 0, 15, 11, 30),
                warnings: ['Country "Atlantis" left out: the org does not list it.']
            },
            { email: 'jane.adams@example.com', firstName: 'Jane', lastName: 'Adams', attendance: 'attended' }
        ),
        personRow(
            'session-1',
            'p-bob',
            {
                version: 1,
                syncedVersion: 1,
                failure: {
                    code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
                    message: 'Industry is required for Webinar leads',
                    fields: [],
                    attempts: 3,
                    nextAttemptAt: NOW + 3_600_000,
                    at: NOW - 60_000
                }
            },
            { email: 'bob@example.com', firstName: 'Bob', lastName: 'Brown' }
        ),
        personRow(
            'session-2',
            'p-zoe',
            { version: 1, syncedVersion: 0, eventId: 'event-2' },
            {
                email: 'zoe@example.com',
                firstName: 'Zoé',
                lastName: 'Martin',
                eventId: 'event-2'
            }
        )
    );
    t.store.people[2]!.eventId = 'event-2';
    return t;
}

describe('GET /admin/api/people', () => {
    it('returns DESIGN PersonStatus items for a case-insensitive search of the e-mail or name', async () => {
        const { app } = seeded();
        const res = await app.request('/admin/api/people?q=JANE', { headers: bearer });
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({
            people: [
                {
                    sessionId: 'session-1',
                    personId: 'p-jane',
                    email: 'jane.adams@example.com',
                    name: 'Jane Adams',
                    eventId: 'event-1',
                    eventTitle: 'Spring <launch>',
                    sessionStart: '2026-03-01T14:00:00.000Z',
                    livestorm: { attendance: 'attended', replayWatched: false },
                    salesforce: {
                        object: 'Lead',
                        id: '00Q000000000001AAA',
                        url: 'https://acme.my.salesforce.com/lightning/r/Lead/00Q000000000001AAA/view',
                        memberId: '00v000000000001AAA',
                        memberStatus: 'Attended',
                        writtenAt: '2025-01-15T11:30:00.000Z'
                    },
                    state: 'synced',
                    reason: null,
                    nextAttemptAt: null,
                    error: null,
                    warnings: ['Country "Atlantis" left out: the org does not list it.']
                }
            ],
            nextCursor: null
        });
        const byName = (await (await app.request('/admin/api/people?q=zoé', { headers: bearer })).json()) as {
            people: { email: string; state: string; reason: string }[];
        };
        expect(byName.people).toEqual([
            expect.objectContaining({
                email: 'zoe@example.com',
                state: 'disabled',
                reason: expect.stringMatching(/not synced/)
            })
        ]);
    });

    it('pages with limit and nextCursor, and refuses a bad limit or a forged cursor', async () => {
        const { app } = seeded();
        const first = (await (
            await app.request('/admin/api/people?limit=2', { headers: bearer })
        ).json()) as {
            people: { email: string }[];
            nextCursor: string;
        };
        expect(first.people.map((p) => p.email)).toEqual(['bob@example.com', 'jane.adams@example.com']);
        const second = (await (
            await app.request(`/admin/api/people?limit=2&cursor=${first.nextCursor}`, { headers: bearer })
        ).json()) as { people: { email: string }[]; nextCursor: string | null };
        expect(second).toEqual({
            people: [expect.objectContaining({ email: 'zoe@example.com' })],
            nextCursor: null
        });
        for (const query of ['limit=0', 'limit=501', 'limit=ten', 'cursor=forged']) {
            expect((await app.request(`/admin/api/people?${query}`, { headers: bearer })).status, query).toBe(
                400
            );
        }
    });
});

describe('POST /admin/api/people/retry', () => {
    it('answers 202 and asks the engine to write that person again', async () => {
        const { app, engine } = seeded();
        const res = await app.request('/admin/api/people/retry', {
            method: 'POST',
            headers: { ...bearer, 'content-type': 'application/json' },
            body: JSON.stringify({ sessionId: 'session-1', personId: 'p-bob' })
        });
        expect(res.status).toBe(202);
        expect(engine.retriedPeople).toEqual(['session-1/p-bob']);
        const missing = await app.request('/admin/api/people/retry', {
            method: 'POST',
            headers: { ...bearer, 'content-type': 'application/json' },
            body: JSON.stringify({ sessionId: 'session-1', personId: 'nobody' })
        });
        expect(missing.status).toBe(404);
        const invalid = await app.request('/admin/api/people/retry', {
            method: 'POST',
            headers: { ...bearer, 'content-type': 'application/json' },
            body: JSON.stringify({ sessionId: 'session-1' })
        });
        expect(invalid.status).toBe(400);
    });
});

describe('people view', () => {
    it('shows the person, the record link, the member status and, for a refused one, reason, fix and Retry', async () => {
        const t = seeded();
        const browser = adminBrowser(t.app);
        await browser.open(`/admin?token=${ADMIN_TOKEN}`);
        const jane = await (await browser.open('/admin/people?q=jane.adams%40example.com')).text();
        expect(jane).toContain('<strong>Jane Adams</strong><br />jane.adams@example.com');
        expect(jane).toContain('Spring &lt;launch&gt;');
        expect(jane).toContain(
            'href="https://acme.my.salesforce.com/lightning/r/Lead/00Q000000000001AAA/view" target="_blank" rel="noopener noreferrer">Lead: Jane Adams</a>'
        );
        expect(jane).toContain('<span data-field="member-status">Attended</span>');
        expect(jane).toContain('written 2025-01-15 11:30 UTC');
        expect(jane).toContain('Warning: Country &quot;Atlantis&quot; left out');
        expect(jane).toContain('state-synced');
        expect(jane).not.toContain('>Retry</button>');

        const bob = await (await browser.open('/admin/people?q=bob')).text();
        expect(bob).toContain('state-failed');
        expect(bob).toContain('Salesforce refused this person: Industry is required for Webinar leads');
        expect(bob).toContain('<code>FIELD_CUSTOM_VALIDATION_EXCEPTION</code>');
        expect(bob).toMatch(/<strong>Fix:<\/strong> A validation rule of the org refused the record/);
        expect(bob).toContain('name="personId" value="p-bob"');
        const retried = await (
            await browser.submit('/admin/api/people/retry', { sessionId: 'session-1', personId: 'p-bob' })
        ).text();
        expect(browser.path).toBe('/admin/people?q=bob%40example.com');
        expect(retried).toContain('role="status">bob@example.com is written to Salesforce again now');
        expect(t.engine.retriedPeople).toEqual(['session-1/p-bob']);

        const none = await (await browser.open('/admin/people?q=nobody%40example.com')).text();
        expect(none).toContain('No registrant matches “nobody@example.com”.');
    });
});

describe('sessions view and API', () => {
    it('shows the Campaign Name with its link, the counts, and DESIGN state with its reason', async () => {
        const t = seeded();
        const api = (await (await t.app.request('/admin/api/sessions', { headers: bearer })).json()) as {
            sessions: {
                sessionId: string;
                state: string;
                reason: string;
                campaign: unknown;
                failedPeople: number;
            }[];
            nextCursor: string | null;
        };
        expect(api.sessions.map((s) => [s.sessionId, s.state])).toEqual([
            ['session-1', 'failed'],
            ['session-2', 'disabled']
        ]);
        expect(api.sessions[0]).toMatchObject({
            campaign: {
                id: '701000000000001AAA',
                name: 'Spring launch - 2026-03-01 (renamed)',
                url: 'https://acme.my.salesforce.com/lightning/r/Campaign/701000000000001AAA/view'
            },
            members: { Attended: 1 },
            failedPeople: 1,
            reason: '1 person was refused by Salesforce: see why and retry them in People.'
        });
        expect(api.sessions[1]!.reason).toMatch(
            /^Its event is not synced \(set from the command line or admin page\)/
        );

        const browser = adminBrowser(t.app);
        await browser.open(`/admin?token=${ADMIN_TOKEN}`);
        const page = await (await browser.open('/admin/sessions')).text();
        expect(page).toContain(
            'href="https://acme.my.salesforce.com/lightning/r/Campaign/701000000000001AAA/view" target="_blank" rel="noopener noreferrer">Spring launch - 2026-03-01 (renamed)</a>'
        );
        expect(page).toContain('href="/admin/people?session=session-1"');
        expect(page).toContain('See the 1 refused');
        expect(page).toContain('<dd data-status="Attended">1</dd>');
        expect(page.replace(/\s+/g, ' ')).toContain(
            'Livestorm: 2 registered, 1 attended, 0 did not attend, 0 watched the replay'
        );
        expect(page).toContain('state-disabled');
        const filtered = await (await browser.open('/admin/people?session=session-1')).text();
        expect(filtered).toContain(
            'Only the session Spring &lt;launch&gt; (Campaign “Spring launch - 2026-03-01 (renamed)”) session-1.'
        );
        expect(filtered).toContain('bob@example.com');
        expect(filtered).not.toContain('zoe@example.com');

        const searched = (await (
            await t.app.request('/admin/api/sessions?q=paused', { headers: bearer })
        ).json()) as {
            sessions: { sessionId: string }[];
        };
        expect(searched.sessions.map((s) => s.sessionId)).toEqual(['session-2']);
        const paged = (await (
            await t.app.request('/admin/api/sessions?limit=1', { headers: bearer })
        ).json()) as {
            sessions: { sessionId: string }[];
            nextCursor: string;
        };
        const next = (await (
            await t.app.request(`/admin/api/sessions?limit=1&cursor=${paged.nextCursor}`, { headers: bearer })
        ).json()) as { sessions: { sessionId: string }[]; nextCursor: string | null };
        expect([...paged.sessions, ...next.sessions].map((s) => s.sessionId)).toEqual([
            'session-1',
            'session-2'
        ]);
        expect(next.nextCursor).toBeNull();
    });
});

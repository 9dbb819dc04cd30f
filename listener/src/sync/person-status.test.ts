import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultSettings } from '../config/settings.ts';
import type { Settings } from '../config/settings.ts';
import { createSqliteStore } from '../store/sqlite.ts';
import type { EventRow, PersonRow, SessionRow, Store } from '../store/store.ts';
import { eventRow, failure, foldCommit, personRow, sessionRow } from '../../test/store-contract.ts';
import { ENGINE_HEALTH_SETTING } from './engine-port.ts';
import type { EngineSides, PersistedEngineSides } from './engine-port.ts';
import {
    allPersonStatuses,
    InvalidCursorError,
    personStatus,
    recordUrl,
    searchPersonStatuses,
    sessionState,
    sessionStateToken
} from './person-status.ts';
import type { StatusContext } from './person-status.ts';

const NOW = Date.UTC(2026, 10, 29, 12);
const INSTANCE = 'https://acme.my.salesforce.com';

function connectedSides(extra: Partial<EngineSides> = {}): EngineSides {
    return {
        salesforce: { state: 'connected', reason: null, since: '2026-11-29T11:00:00.000Z', fix: null },
        salesforceNextAttemptAt: null,
        livestorm: { state: 'ok', reason: null, since: '2026-11-29T11:00:00.000Z', fix: null },
        livestormNextAttemptAt: null,
        ...extra
    };
}

function context(extra: Partial<StatusContext> = {}): StatusContext {
    return {
        settings: defaultSettings(),
        now: NOW,
        instanceUrl: INSTANCE,
        livestormConfigured: true,
        sides: connectedSides(),
        ...extra
    };
}

const titled = (extra: Partial<EventRow> = {}) => eventRow('event-1', { title: 'Launch webinar', ...extra });
const synced = (extra: Partial<PersonRow> = {}) =>
    personRow('s1', 'p1', {
        version: 2,
        syncedVersion: 2,
        sfObject: 'Lead',
        sfId: '00Q000000000001AAA',
        memberId: '00v000000000001AAA',
        memberStatus: 'Registered',
        writtenAt: NOW - 60_000,
        ...extra
    });
const campaignSession = (extra: Partial<SessionRow> = {}) =>
    sessionRow('s1', { version: 1, syncedVersion: 1, campaignId: '701000000000001AAA', ...extra });

describe('personStatus', () => {
    it('shows a synced person with links, the member status written and when, and the warnings', () => {
        const status = personStatus(
            synced({ warnings: ['Country "Atlantis" left out: the org does not list it.'] }),
            campaignSession(),
            titled(),
            context()
        );
        expect(status).toEqual({
            sessionId: 's1',
            personId: 'p1',
            email: 'p1@example.com',
            name: 'Ada Lovelace',
            eventId: 'event-1',
            eventTitle: 'Launch webinar',
            sessionStart: new Date(1_760_000_000 * 1000).toISOString(),
            livestorm: { attendance: 'registered', replayWatched: false },
            salesforce: {
                object: 'Lead',
                id: '00Q000000000001AAA',
                url: `${INSTANCE}/lightning/r/Lead/00Q000000000001AAA/view`,
                memberId: '00v000000000001AAA',
                memberStatus: 'Registered',
                writtenAt: new Date(NOW - 60_000).toISOString()
            },
            state: 'synced',
            reason: null,
            nextAttemptAt: null,
            error: null,
            warnings: ['Country "Atlantis" left out: the org does not list it.']
        });
    });

    it('is disabled with the reason when the event is not synced, whatever else holds', () => {
        const status = personStatus(
            synced({ version: 3 }),
            campaignSession(),
            titled({ enabled: false }),
            context()
        );
        expect(status.state).toBe('disabled');
        expect(status.reason).toMatch(/not synced .*command line or admin page/);
        const byDefault = personStatus(
            synced({ version: 3 }),
            campaignSession(),
            titled(),
            context({ settings: { ...defaultSettings(), enabledByDefault: false } as Settings })
        );
        expect(byDefault).toMatchObject({ state: 'disabled', nextAttemptAt: null });
        expect(byDefault.reason).toMatch(/enabledByDefault is false/);
    });

    it('is set aside with the session reason', () => {
        const status = personStatus(
            personRow('s1', 'p1', { version: 1, syncedVersion: 0 }),
            campaignSession({
                setAside: { reason: 'The session ended before the integration was enabled.', at: 1 }
            }),
            titled(),
            context()
        );
        expect(status).toMatchObject({
            state: 'set_aside',
            reason: 'The session ended before the integration was enabled.',
            nextAttemptAt: null
        });
    });

    it('is failed with the Salesforce error and a fix when a record was refused and nothing newer waits', () => {
        const status = personStatus(
            synced({
                memberId: null,
                failure: failure(NOW + 1_000, NOW - 1_000, {
                    code: 'REQUIRED_FIELD_MISSING',
                    message: 'Required fields are missing: [Industry__c]',
                    fields: ['Industry__c']
                })
            }),
            campaignSession(),
            titled(),
            context()
        );
        expect(status.state).toBe('failed');
        expect(status.nextAttemptAt).toBeNull();
        expect(status.error).toEqual({
            code: 'REQUIRED_FIELD_MISSING',
            message: 'Required fields are missing: [Industry__c]',
            fix: expect.stringMatching(/Industry__c.*fallback/)
        });
    });

    describe('a person not written yet always waits with a reason and a next attempt', () => {
        const dirty = personRow('s1', 'p1', { version: 1, syncedVersion: 0 });

        it('while Salesforce is paused for the daily allocation: the pause reason and when it probes again', () => {
            const probeAt = NOW + 5 * 60_000;
            const status = personStatus(
                dirty,
                campaignSession(),
                titled(),
                context({
                    sides: connectedSides({
                        salesforce: {
                            state: 'paused_daily_limit',
                            reason: "The org's daily API allocation is used up (REQUEST_LIMIT_EXCEEDED: TotalRequests).",
                            since: '2026-11-29T11:58:00.000Z',
                            fix: 'Nothing to do.'
                        },
                        salesforceNextAttemptAt: probeAt
                    })
                })
            );
            expect(status).toMatchObject({
                state: 'waiting',
                reason: expect.stringContaining('TotalRequests'),
                nextAttemptAt: new Date(probeAt).toISOString()
            });
        });

        it('while Salesforce is retrying after an outage', () => {
            const status = personStatus(
                dirty,
                campaignSession(),
                titled(),
                context({
                    sides: connectedSides({
                        salesforce: {
                            state: 'retrying',
                            reason: 'Salesforce cannot be reached right now (ECONNREFUSED); retrying in 8 s.',
                            since: null,
                            fix: null
                        },
                        salesforceNextAttemptAt: NOW + 8_000
                    })
                })
            );
            expect(status).toMatchObject({
                state: 'waiting',
                reason: expect.stringContaining('cannot be reached'),
                nextAttemptAt: new Date(NOW + 8_000).toISOString()
            });
        });

        it('while a record error is retried (a lock), with the error', () => {
            const status = personStatus(
                personRow('s1', 'p1', {
                    version: 2,
                    syncedVersion: 1,
                    failure: failure(NOW + 2_000, NOW, {
                        code: 'UNABLE_TO_LOCK_ROW',
                        message: 'unable to obtain exclusive access'
                    })
                }),
                campaignSession(),
                titled(),
                context()
            );
            expect(status).toMatchObject({
                state: 'waiting',
                nextAttemptAt: new Date(NOW + 2_000).toISOString(),
                error: { code: 'UNABLE_TO_LOCK_ROW' }
            });
            expect(status.reason).toMatch(/UNABLE_TO_LOCK_ROW.*retried automatically/);
        });

        it('while the Campaign cannot be written (a session failure)', () => {
            const status = personStatus(
                dirty,
                campaignSession({
                    campaignId: null,
                    failure: failure(NOW + 30_000, NOW, { code: 'REQUIRED_FIELD_MISSING' })
                }),
                titled(),
                context()
            );
            expect(status).toMatchObject({
                state: 'waiting',
                nextAttemptAt: new Date(NOW + 30_000).toISOString()
            });
            expect(status.reason).toMatch(/Campaign could not be written/);
        });

        it('while the event title is read from Livestorm, with Livestorm unreachable', () => {
            const status = personStatus(
                dirty,
                campaignSession({ campaignId: null }),
                eventRow('event-1'),
                context({
                    sides: connectedSides({
                        livestorm: {
                            state: 'unreachable',
                            reason: 'The Livestorm API cannot be reached (fetch failed).',
                            since: null,
                            fix: null
                        },
                        livestormNextAttemptAt: NOW + 1_000
                    })
                })
            );
            expect(status).toMatchObject({
                state: 'waiting',
                nextAttemptAt: new Date(NOW + 1_000).toISOString()
            });
            expect(status.reason).toMatch(/event title from Livestorm: The Livestorm API cannot be reached/);
        });

        it('in the batch window: "being written" and the next pass soon', () => {
            const status = personStatus(
                dirty,
                campaignSession(),
                titled(),
                context({ activity: () => ({ writing: false, nextPassAt: NOW + 30 }) })
            );
            expect(status).toMatchObject({
                state: 'waiting',
                reason: expect.stringMatching(/^Being written/),
                nextAttemptAt: new Date(NOW + 30).toISOString()
            });
            const writing = personStatus(
                dirty,
                campaignSession(),
                titled(),
                context({ activity: () => ({ writing: true, nextPassAt: NOW }) })
            );
            expect(writing.reason).toBe('Being written to Salesforce now.');
        });

        it('without any engine health known (the command line before the listener ever ran)', () => {
            const status = personStatus(dirty, undefined, undefined, context({ sides: null }));
            expect(status.state).toBe('waiting');
            expect(status.reason).not.toBeNull();
            expect(status.nextAttemptAt).not.toBeNull();
        });
    });

    it('shows dry-run and team members not synced as disabled, with the reason', () => {
        const dryRun = personStatus(
            personRow('s1', 'p1', { version: 1, syncedVersion: 0 }),
            campaignSession(),
            titled(),
            context({
                sides: connectedSides({
                    salesforce: {
                        state: 'dry_run',
                        reason: 'Dry-run mode: nothing is written.',
                        since: null,
                        fix: null
                    }
                })
            })
        );
        expect(dryRun).toMatchObject({ state: 'disabled', reason: 'Dry-run mode: nothing is written.' });
        const host = personStatus(
            personRow('s1', 'h1', { version: 1, syncedVersion: 1 }, { role: 'team_member' }),
            campaignSession(),
            titled(),
            context()
        );
        expect(host.state).toBe('disabled');
        expect(host.reason).toMatch(/syncTeamMembers/);
    });
});

describe('sessionStateToken', () => {
    const ctx = { settings: defaultSettings() };
    it('takes the first match of disabled, set_aside, failed, writing, waiting, synced', () => {
        const session = campaignSession();
        expect(sessionStateToken(session, titled({ enabled: false }), { dirty: 3, failed: 1 }, ctx)).toBe(
            'disabled'
        );
        expect(
            sessionStateToken(
                { ...session, setAside: { reason: 'ended before', at: 1 } },
                titled(),
                { dirty: 3, failed: 1 },
                ctx
            )
        ).toBe('set_aside');
        expect(sessionStateToken(session, titled(), { dirty: 3, failed: 1 }, ctx)).toBe('failed');
        const writing = { ...ctx, activity: () => ({ writing: true, nextPassAt: NOW }) };
        expect(sessionStateToken(session, titled(), { dirty: 3, failed: 0 }, writing)).toBe('writing');
        expect(sessionStateToken(session, titled(), { dirty: 3, failed: 0 }, ctx)).toBe('waiting');
        expect(sessionStateToken({ ...session, version: 2 }, titled(), { dirty: 0, failed: 0 }, ctx)).toBe(
            'waiting'
        );
        expect(sessionStateToken(session, titled(), { dirty: 0, failed: 0 }, ctx)).toBe('synced');
    });
});

describe('recordUrl', () => {
    it('links the Lightning record page, or nothing without an instance URL or a record', () => {
        expect(recordUrl(`${INSTANCE}/`, 'Contact', '003000000000001AAA')).toBe(
            `${INSTANCE}/lightning/r/Contact/003000000000001AAA/view`
        );
        expect(recordUrl(null, 'Lead', '00Q')).toBeNull();
        expect(recordUrl(INSTANCE, null, null)).toBeNull();
    });
});

describe('searchPersonStatuses (over a real store)', () => {
    let dataDir: string;
    let store: Store;
    const settings = defaultSettings();

    beforeEach(async () => {
        dataDir = await mkdtemp(path.join(os.tmpdir(), 'person-status-'));
        store = await createSqliteStore({ dataDir });
    });
    afterEach(async () => {
        await store.close();
        await rm(dataDir, { recursive: true, force: true });
    });

    const deps = () => ({
        store,
        settings,
        livestormConfigured: true,
        instanceUrl: () => INSTANCE,
        now: () => NOW
    });

    it('finds people by e-mail or name substring, pages with a cursor, and reads the health the engine saved', async () => {
        await store.putEvent(titled());
        await store.commitFold(
            foldCommit({
                sessions: [campaignSession(), campaignSession({ sessionId: 's2' })],
                people: [
                    synced(),
                    personRow('s2', 'p1', { version: 1, syncedVersion: 0 }),
                    personRow(
                        's1',
                        'p2',
                        {},
                        { email: 'grace@example.org', firstName: 'Grace', lastName: 'Hopper' }
                    )
                ]
            })
        );
        const saved: PersistedEngineSides = {
            ...connectedSides({
                salesforce: {
                    state: 'retrying',
                    reason: 'Salesforce cannot be reached right now.',
                    since: null,
                    fix: null
                },
                salesforceNextAttemptAt: NOW + 20_000
            }),
            updatedAt: NOW
        };
        await store.setSetting(ENGINE_HEALTH_SETTING, saved);

        const ada = await searchPersonStatuses(deps(), { q: 'P1@EXAMPLE' });
        expect(ada.nextCursor).toBeNull();
        expect(ada.people.map((p) => [p.sessionId, p.state, p.nextAttemptAt])).toEqual([
            ['s1', 'synced', null],
            ['s2', 'waiting', new Date(NOW + 20_000).toISOString()]
        ]);
        expect((await searchPersonStatuses(deps(), { q: 'hopper' })).people.map((p) => p.email)).toEqual([
            'grace@example.org'
        ]);

        const first = await searchPersonStatuses(deps(), { limit: 2 });
        expect(first.people).toHaveLength(2);
        expect(first.nextCursor).not.toBeNull();
        const second = await searchPersonStatuses(deps(), { limit: 2, cursor: first.nextCursor });
        expect(second.people.map((p) => `${p.sessionId}/${p.personId}`)).toEqual(['s2/p1']);
        expect(second.nextCursor).toBeNull();
        expect((await allPersonStatuses(deps())).length).toBe(3);
        expect(await sessionState(deps(), 's2')).toBe('waiting');
        expect(await sessionState(deps(), 's1')).toBe('waiting');
        expect(await sessionState(deps(), 'unknown')).toBeNull();
    });

    it('clamps the limit to 1…500 and refuses a cursor it did not produce', async () => {
        await store.commitFold(
            foldCommit({
                people: Array.from({ length: 3 }, (_, index) => personRow('s1', `p${index}`))
            })
        );
        expect((await searchPersonStatuses(deps(), { limit: 0 })).people).toHaveLength(1);
        expect((await searchPersonStatuses(deps(), { limit: 10_000 })).people).toHaveLength(3);
        await expect(searchPersonStatuses(deps(), { cursor: 'not-a-cursor' })).rejects.toThrow(
            InvalidCursorError
        );
    });
});

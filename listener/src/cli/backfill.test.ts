import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLivestormSimulator } from '../../../test/emulators/livestorm/index.ts';
import type { LivestormSimulator } from '../../../test/emulators/livestorm/index.ts';
import { startSalesforceEmulator } from '../../../test/emulators/salesforce/index.ts';
import { loadSettings, parseSettings } from '../config/settings.ts';
import { applyFoldItems } from '../fold/folder.ts';
import { createLivestormClient } from '../livestorm/client.ts';
import { createLogger } from '../logger.ts';
import { createSalesforceConnection } from '../salesforce/connection.ts';
import { sessionAttributesSchema } from '../livestorm/webhook-schema.ts';
import { createSqliteStore } from '../store/sqlite.ts';
import type { Store } from '../store/store.ts';
import { createSyncEngine } from '../sync/engine.ts';
import { BACKFILLED_SESSIONS_SETTING, createBackfillCommand, parseSince } from './backfill.ts';
import type { BackfillDeps } from './backfill.ts';
import type { CliContext } from './context.ts';
import { runCli } from './main.ts';
import { withSqliteStore } from '../../test/sqlite-store.ts';

const JAN_10 = Date.UTC(2025, 0, 10, 14) / 1000;
const DEC_01 = Date.UTC(2024, 11, 1, 9) / 1000;
const FAR_FUTURE = Date.UTC(2030, 0, 1) / 1000;

let dir: string;
let livestorm: LivestormSimulator;
let out: string[];
let err: string[];
let env: Record<string, string>;
let ids: {
    event: string;
    january: string;
    december: string;
    upcoming: string;
    canceled: string;
    alice: string;
    bob: string;
    carol: string;
};

beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'livestorm-sf-backfill-'));
    out = [];
    err = [];
    livestorm = await startLivestormSimulator();
    const state = livestorm.state;
    const event = state.createEvent({ title: 'Product demo', status: 'published' });
    const january = state.createSession(event.id, { startsAt: JAN_10, timezone: 'UTC' });
    const alice = state.register(january.id, {
        email: 'alice@example.com',
        firstName: 'Alice',
        lastName: 'A'
    });
    const bob = state.register(january.id, { email: 'bob@example.com', firstName: 'Bob', lastName: 'B' });
    const carol = state.register(january.id, {
        email: 'carol@example.com',
        firstName: 'Carol',
        lastName: 'C'
    });
    state.startSession(january.id, JAN_10);
    state.endSession(january.id, {
        attendance: { [alice.id]: { attended: true, durationSec: 1800 } },
        endedAt: JAN_10 + 3600
    });
    state.watchReplay(january.id, carol.id, JAN_10 + 86_400);
    const december = state.createSession(event.id, { startsAt: DEC_01, timezone: 'UTC' });
    state.register(december.id, { email: 'dan@example.com', firstName: 'Dan', lastName: 'D' });
    state.startSession(december.id, DEC_01);
    state.endSession(december.id, { attendance: {}, endedAt: DEC_01 + 3600 });
    const upcoming = state.createSession(event.id, { startsAt: FAR_FUTURE });
    const canceled = state.createSession(event.id, { startsAt: JAN_10 + 7 * 86_400 });
    state.cancelSession(canceled.id);
    ids = {
        event: event.id,
        january: january.id,
        december: december.id,
        upcoming: upcoming.id,
        canceled: canceled.id,
        alice: alice.id,
        bob: bob.id,
        carol: carol.id
    };
    env = {
        DATA_DIR: join(dir, 'data'),
        CONFIG_FILE: join(dir, 'config.json'),
        LIVESTORM_API_URL: livestorm.apiUrl,
        LIVESTORM_API_TOKEN: livestorm.token
    };
});

afterEach(async () => {
    await livestorm.close();
    rmSync(dir, { recursive: true, force: true });
});

function context(): CliContext {
    return {
        env,
        stdout: (text) => void out.push(text),
        stderr: (text) => void err.push(text),
        openStore: (config) => createSqliteStore({ dataDir: config.dataDir }),
        loadSettings
    };
}

const notATerminal = (): NonNullable<BackfillDeps['stdin']> =>
    Object.assign(Readable.from([]), { isTTY: false });
const terminalAnswering = (answer: string): NonNullable<BackfillDeps['stdin']> =>
    Object.assign(Readable.from([answer]), { isTTY: true });

async function backfill(args: string[], deps: BackfillDeps = {}): Promise<number> {
    return runCli(['backfill', ...args], context(), [
        createBackfillCommand({ stdin: notATerminal(), ...deps })
    ]);
}

const withStore = <T>(work: (store: Store) => Promise<T>): Promise<T> =>
    withSqliteStore(join(dir, 'data'), work);

/** What the engine does to a session that ended before the listener started: it sets it aside for good. */
async function setAsideAsPast(sessionId: string): Promise<void> {
    const session = livestorm.state.getSession(sessionId);
    const attributes = sessionAttributesSchema.parse(session.attributes);
    await withStore(async (store) => {
        await applyFoldItems(store, [{ kind: 'session', source: 'api', sessionId, attributes }]);
        const [row] = await store.getSessions([sessionId]);
        await store.saveSyncedSession({
            ...row!,
            setAside: {
                reason: 'This session ended before the listener was first started: it is not synced.',
                at: Date.now()
            }
        });
    });
}

describe('livestorm-sf backfill', () => {
    it('stores ended sessions with their people and attendance, and queues set-aside sessions again', async () => {
        await setAsideAsPast(ids.january);
        expect(await withStore((store) => store.dirtySessionIds(Date.now()))).toEqual([]);

        expect(await backfill(['--yes'])).toBe(0);

        const text = out.join('\n');
        expect(text).toMatch(/Product demo\s+\S+\s+2024-12-01 09:00 UTC\s+1\s+0\s+not in the store/);
        expect(text).toMatch(/Product demo\s+\S+\s+2025-01-10 14:00 UTC\s+3\s+1\s+set aside/);
        expect(text).toContain(
            'Stored 2 sessions and 4 people: 1 attended, 3 did not attend, 1 watched the replay.'
        );
        expect(text).toContain('1 session set aside as ended before the listener started is queued again.');
        expect(text).toContain('The running listener writes them to Salesforce on its next pass');

        await withStore(async (store) => {
            const sessions = await store.getSessions([ids.january, ids.december, ids.upcoming, ids.canceled]);
            expect(sessions.map((row) => row.sessionId).sort()).toEqual([ids.january, ids.december].sort());
            const january = sessions.find((row) => row.sessionId === ids.january)!;
            expect(january.failure).toBeNull();
            expect(january.state).toMatchObject({
                status: 'past',
                startedAt: JAN_10,
                endedAt: JAN_10 + 3600
            });
            expect(january.eventId).toBe(ids.event);

            const people = new Map(
                (await store.getPeople(ids.january)).map((row) => [row.personId, row.state])
            );
            expect(people.get(ids.alice)).toMatchObject({
                email: 'alice@example.com',
                attendance: 'attended',
                replayWatched: false
            });
            expect(people.get(ids.alice)?.engagement.durationSeconds).toBe(1800);
            expect(people.get(ids.bob)).toMatchObject({ attendance: 'not_attended', replayWatched: false });
            expect(people.get(ids.carol)).toMatchObject({ attendance: 'not_attended', replayWatched: true });
            expect((await store.getPeople(ids.december)).map((row) => row.state.attendance)).toEqual([
                'not_attended'
            ]);

            expect((await store.dirtySessionIds(Date.now())).sort()).toEqual(
                [ids.january, ids.december].sort()
            );
            expect((await store.getEvent(ids.event))?.title).toBe('Product demo');
            expect((await store.getSetting<string[]>(BACKFILLED_SESSIONS_SETTING))?.sort()).toEqual(
                [ids.january, ids.december].sort()
            );
        });
    });

    it('is idempotent: a second run changes nothing', async () => {
        expect(await backfill(['--yes'])).toBe(0);
        const before = await withStore(async (store) => ({
            sessions: await store.getSessions([ids.january, ids.december]),
            people: await store.getPeople(ids.january)
        }));
        expect(await backfill(['--yes'])).toBe(0);
        const after = await withStore(async (store) => ({
            sessions: await store.getSessions([ids.january, ids.december]),
            people: await store.getPeople(ids.january)
        }));
        expect(after.sessions.map((row) => row.version)).toEqual(before.sessions.map((row) => row.version));
        expect(after.people.map((row) => row.version)).toEqual(before.people.map((row) => row.version));
    });

    it('takes only the sessions that started on or after --since', async () => {
        expect(await backfill(['--yes', '--since', '2025-01-01'])).toBe(0);
        expect(out.join('\n')).toContain('Stored 1 session and 3 people');
        const sessions = await withStore((store) => store.getSessions([ids.january, ids.december]));
        expect(sessions.map((row) => row.sessionId)).toEqual([ids.january]);
    });

    it('says so when no session matches', async () => {
        expect(await backfill(['--yes', '--since', '2029-01-01'])).toBe(0);
        expect(out.join('\n')).toBe('No ended session to backfill since 2029-01-01.');
    });

    it('refuses a malformed --since', async () => {
        expect(await backfill(['--yes', '--since', '2025-02-30'])).toBe(1);
        expect(err.join('\n')).toContain('--since must be a date written YYYY-MM-DD');
        expect(() => parseSince('2025-1-5')).toThrow(/YYYY-MM-DD/);
        expect(parseSince('2025-01-31')).toBe(Date.UTC(2025, 0, 31) / 1000);
    });

    it('refuses to go on without --yes when standard input is not a terminal', async () => {
        expect(await backfill([])).toBe(1);
        expect(err.join('\n')).toBe(
            'Nothing done: standard input is not a terminal, so backfill cannot ask for confirmation. Run it again with --yes.'
        );
        // The plan is shown before the question, and nothing is stored.
        expect(out.join('\n')).toContain('backfill will store 2 sessions and about 4 registrants');
        expect(await withStore((store) => store.listSessions())).toEqual([]);
    });

    it('asks on a terminal and does what the answer says', async () => {
        expect(await backfill([], { stdin: terminalAnswering('n\n') })).toBe(1);
        expect(out.at(-2)).toBe('Go ahead? [y/N]');
        expect(out.at(-1)).toBe('Nothing done.');
        expect(await withStore((store) => store.listSessions())).toEqual([]);

        out = [];
        expect(await backfill([], { stdin: terminalAnswering('y\n') })).toBe(0);
        expect(out.join('\n')).toContain('Stored 2 sessions');
    });

    it('needs the Livestorm API token', async () => {
        delete env.LIVESTORM_API_TOKEN;
        expect(await backfill(['--yes'])).toBe(1);
        expect(err.join('\n')).toBe(
            'backfill reads past sessions from the Livestorm API: set LIVESTORM_API_TOKEN (Livestorm › Account settings › Integrations › Public API).'
        );
        expect(livestorm.calls().total).toBe(0);
    });

    it('backfills one event, and refuses a disabled or unknown one', async () => {
        const other = livestorm.state.createEvent({ title: 'Town hall', status: 'published' });
        const otherSession = livestorm.state.createSession(other.id, { startsAt: JAN_10 });
        livestorm.state.startSession(otherSession.id, JAN_10);
        livestorm.state.endSession(otherSession.id, { attendance: {}, endedAt: JAN_10 + 600 });

        expect(await backfill(['--yes', '--event', other.id])).toBe(0);
        expect((await withStore((store) => store.listSessions())).map((row) => row.sessionId)).toEqual([
            otherSession.id
        ]);

        await withStore((store) => store.setEventEnabled(ids.event, false));
        expect(await backfill(['--yes', '--event', ids.event])).toBe(1);
        expect(err.join('\n')).toContain(
            `Event "Product demo" (${ids.event}) is not synced (set from the command line or admin page): enable it first`
        );

        out = [];
        expect(await backfill(['--yes'])).toBe(0);
        expect(out.join('\n')).toContain(
            `Skipping 1 event that is not synced: "Product demo" (${ids.event}).`
        );

        expect(await backfill(['--yes', '--event', 'no-such-event'])).toBe(1);
        expect(err.join('\n')).toContain('Livestorm has no event no-such-event');
    });

    it('draws progress bars for sessions and people on a terminal', async () => {
        const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
        let drawn = '';
        terminal.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
        expect(await backfill(['--yes'], { progressStream: terminal })).toBe(0);
        expect(drawn).toMatch(/Sessions \|[█░]+\| 2\/2/);
        expect(drawn).toMatch(/People {3}\|[█░]+\| 4\/4/);
        // On a terminal the bars replace the per-session lines.
        expect(out.join('\n')).not.toContain('[1/2]');
    });

    it('respects Livestorm’s 5 requests per second', async () => {
        for (let index = 0; index < 8; index++) {
            const session = livestorm.state.createSession(ids.event, { startsAt: JAN_10 + index * 86_400 });
            livestorm.state.startSession(session.id, JAN_10 + index * 86_400);
            livestorm.state.endSession(session.id, { attendance: {}, endedAt: JAN_10 + index * 86_400 + 60 });
        }
        expect(await backfill(['--yes'])).toBe(0);
        const arrivals = livestorm.requests().map((request) => request.atMs);
        expect(arrivals.length).toBeGreaterThan(5);
        for (let index = 5; index < arrivals.length; index++) {
            expect(arrivals[index]! - arrivals[index - 5]!).toBeGreaterThanOrEqual(1000);
        }
        expect(livestorm.requests().every((request) => request.status === 200)).toBe(true);
    }, 20_000);

    describe('--wait', () => {
        /** Stands in for the running listener: marks every dirty session written, or sets it aside again. */
        function listener(outcome: 'written' | 'set aside'): { stop(): Promise<void> } {
            let running = true;
            const loop = (async () => {
                const store = await createSqliteStore({ dataDir: join(dir, 'data') });
                try {
                    while (running) {
                        for (const sessionId of await store.dirtySessionIds(Date.now())) {
                            const [row] = await store.getSessions([sessionId]);
                            if (!row) continue;
                            const people = await store.getPeople(sessionId);
                            if (outcome === 'written') {
                                await store.saveSyncedPeople(
                                    people.map((person) => ({ ...person, syncedVersion: person.version }))
                                );
                                await store.saveSyncedSession({
                                    ...row,
                                    syncedVersion: row.version,
                                    campaignId: '701xx0000000001AAA'
                                });
                            } else {
                                await store.saveSyncedSession({
                                    ...row,
                                    setAside: {
                                        reason: 'This session ended before the listener was first started: it is not synced.',
                                        at: Date.now()
                                    }
                                });
                            }
                        }
                        await new Promise((resolve) => setTimeout(resolve, 20));
                    }
                } finally {
                    await store.close();
                }
            })();
            return {
                async stop() {
                    running = false;
                    await loop;
                }
            };
        }

        it('waits until the listener has written every session', async () => {
            const running = listener('written');
            try {
                expect(await backfill(['--yes', '--wait'], { waitPollMs: 20, waitTimeoutMs: 10_000 })).toBe(
                    0
                );
            } finally {
                await running.stop();
            }
            expect(out.join('\n')).toContain('The listener wrote 2 sessions to Salesforce.');
        });

        it('explains a listener that still sets the sessions aside', async () => {
            const running = listener('set aside');
            try {
                expect(await backfill(['--yes', '--wait'], { waitPollMs: 20, waitTimeoutMs: 10_000 })).toBe(
                    1
                );
            } finally {
                await running.stop();
            }
            const text = out.join('\n');
            expect(text).toContain('The listener wrote 0 sessions to Salesforce.');
            expect(text).toContain(`Session ${ids.january} was not written: This session ended before`);
            expect(text).toContain('turn on "syncPastSessions"');
        });

        it('follows the real sync engine writing the backfilled sessions to the org', async () => {
            const org = await startSalesforceEmulator();
            const store = await createSqliteStore({ dataDir: join(dir, 'data') });
            const engine = createSyncEngine({
                store,
                salesforce: createSalesforceConnection(
                    { mode: 'token', instanceUrl: org.instanceUrl, accessToken: org.accessToken },
                    { apiVersion: '66.0' }
                ),
                livestorm: createLivestormClient({ baseUrl: livestorm.apiUrl, token: livestorm.token }),
                // Default settings: sessions that ended before the engine first started are set aside, except the
                // ones a backfill asked for.
                settings: parseSettings({}),
                logger: createLogger({ level: 'silent', secrets: [] }),
                pollIntervalMs: 20
            });
            try {
                await engine.start();
                expect(await backfill(['--yes', '--wait'], { waitPollMs: 20, waitTimeoutMs: 20_000 })).toBe(
                    0
                );
            } finally {
                await engine.stop();
                await store.close();
                await org.close();
            }
            expect(out.join('\n')).toContain('The listener wrote 2 sessions to Salesforce.');
            const campaigns = org.inspect.records('Campaign');
            // The engine's own first start also gave the upcoming session its Campaign.
            expect(campaigns.map((campaign) => campaign.Livestorm_Session_Id__c).sort()).toEqual(
                [ids.january, ids.december, ids.upcoming].sort()
            );
            const january = campaigns.find((campaign) => campaign.Livestorm_Session_Id__c === ids.january);
            const members = org.inspect
                .records('CampaignMember')
                .filter((member) => member.CampaignId === january?.Id);
            expect(members.map((member) => member.Status).sort()).toEqual([
                'Attended',
                'Did not attend',
                'Did not attend'
            ]);
            expect(
                members.filter((member) => member.Livestorm_Replay_Status__c === 'Has watched replay')
            ).toHaveLength(1);
        }, 30_000);

        it('stops waiting after its time limit when no listener runs', async () => {
            expect(await backfill(['--yes', '--wait'], { waitPollMs: 20, waitTimeoutMs: 200 })).toBe(1);
            expect(out.join('\n')).toContain('2 sessions not written yet: is the listener running?');
        });
    });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { eventRow, foldCommit, personRow, sessionRow, sessionState } from '../../test/store-contract.ts';
import { ADMIN_TOKEN, createTestApp } from '../../test/test-app.ts';
import { createRecordingEngine } from '../../test/test-doubles.ts';
import { loadSettings } from '../config/settings.ts';
import { lockDataDir } from '../store/data-dir-lock.ts';
import { createSqliteStore } from '../store/sqlite.ts';
import type { Store } from '../store/store.ts';
import type { CliContext } from './context.ts';
import { runCli } from './main.ts';
import { withSqliteStore } from '../../test/sqlite-store.ts';

let dir: string;
let out: string[];
let err: string[];
let ctx: CliContext;

const INSTANCE_URL = 'https://acme.my.salesforce.com';
const SET_ASIDE_REASON =
    'Ended before the listener was first started: not synced. Run a backfill to bring it in.';

/** Unix seconds of a day in March 2026 at 14:00 UTC. */
const march = (day: number): number => Date.UTC(2026, 2, day, 14) / 1000;

const withStore = <T>(work: (store: Store) => Promise<T>): Promise<T> =>
    withSqliteStore(join(dir, 'data'), work);

/**
 * Five sessions, one per state the command line can see without a running engine:
 * s-disabled (4 March, its event switched off), s-failed (3 March, one person refused), s-waiting (2 March, no
 * Campaign yet and one person not written), s-synced (1 March), s-aside (1 February, set aside).
 */
async function seed(): Promise<void> {
    await withStore(async (store) => {
        const session = (
            id: string,
            eventId: string,
            day: number,
            extra: Parameters<typeof sessionRow>[1] = {}
        ) =>
            sessionRow(id, {
                eventId,
                state: sessionState(id, eventId, { estimatedStartedAt: day }),
                version: 1,
                syncedVersion: 1,
                ...extra
            });
        const synced = (sessionId: string, personId: string, memberStatus: string) =>
            personRow(
                sessionId,
                personId,
                {
                    syncedVersion: 1,
                    sfObject: 'Lead',
                    sfId: `00Q${personId}`,
                    memberId: `00v${personId}`,
                    memberStatus
                },
                {
                    email: `${personId}@example.com`,
                    attendance: memberStatus === 'Attended' ? 'attended' : 'registered'
                }
            );
        await store.commitFold(
            foldCommit({
                events: [
                    eventRow('event-1', { title: 'Spring launch' }),
                    eventRow('event-2', { title: 'Town hall', enabled: false })
                ],
                sessions: [
                    session('s-synced', 'event-1', march(1), {
                        campaignId: '701000000000001AAA',
                        campaignName: 'Spring launch - 2026-03-01'
                    }),
                    session('s-waiting', 'event-1', march(2)),
                    session('s-failed', 'event-1', march(3), {
                        campaignId: '701000000000003AAA',
                        campaignName: 'Spring launch - 2026-03-03'
                    }),
                    session('s-disabled', 'event-2', march(4)),
                    session('s-aside', 'event-1', Date.UTC(2026, 1, 1, 14) / 1000, {
                        setAside: { reason: SET_ASIDE_REASON, at: Date.UTC(2026, 2, 1) }
                    })
                ],
                people: [
                    synced('s-synced', 'p1', 'Attended'),
                    synced('s-synced', 'p2', 'Registered'),
                    personRow(
                        's-waiting',
                        'p3',
                        { version: 1, syncedVersion: 0 },
                        { email: 'p3@example.com' }
                    ),
                    synced('s-failed', 'p4', 'Registered'),
                    personRow(
                        's-failed',
                        'p5',
                        {
                            syncedVersion: 1,
                            failure: {
                                code: 'REQUIRED_FIELD_MISSING',
                                message: 'Required fields are missing: [Industry__c]',
                                fields: ['Industry__c'],
                                attempts: 2,
                                nextAttemptAt: Date.UTC(2026, 2, 3, 16),
                                at: Date.UTC(2026, 2, 3, 15)
                            }
                        },
                        { email: 'p5@example.com' }
                    ),
                    personRow(
                        's-disabled',
                        'p6',
                        { eventId: 'event-2' },
                        { email: 'p6@example.com', eventId: 'event-2' }
                    )
                ]
            })
        );
    });
}

beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'livestorm-sf-sessions-'));
    out = [];
    err = [];
    ctx = {
        env: {
            DATA_DIR: join(dir, 'data'),
            CONFIG_FILE: join(dir, 'config.json'),
            SF_INSTANCE_URL: INSTANCE_URL,
            SF_ACCESS_TOKEN: '00Dxx!token'
        },
        stdout: (text) => void out.push(text),
        stderr: (text) => void err.push(text),
        openStore: (config) => createSqliteStore({ dataDir: config.dataDir }),
        loadSettings
    };
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface SessionsJson {
    sessions: {
        sessionId: string;
        state: string;
        reason: string;
        campaign: { id: string | null; name: string | null; url: string | null };
        counts: { registrants: number; attendees: number };
        members: Record<string, number>;
        waitingPeople: number;
        failedPeople: number;
    }[];
    nextCursor: string | null;
}

const lines = (): string[] => out.join('\n').split('\n');
const row = (sessionId: string): string => lines().find((line) => line.includes(`  ${sessionId}  `)) ?? '';

describe('livestorm-sf sessions list', () => {
    it('prints a table, newest first, with the Campaign, state and counts, then why each session is not synced', async () => {
        await seed();
        expect(await runCli(['sessions', 'list'], ctx)).toBe(0);
        expect(err).toEqual([]);
        const text = lines();
        expect(text[0]).toMatch(
            /^STARTS \(UTC\)\s+EVENT\s+SESSION\s+CAMPAIGN\s+STATE\s+REGISTERED\s+ATTENDED\s+NO-SHOWS\s+REPLAYS\s+WAITING\s+FAILED\s+MEMBERS BY STATUS$/
        );
        expect(text.slice(1, 6).map((line) => line.match(/ (s-[a-z]+) /)?.[1])).toEqual([
            's-disabled',
            's-failed',
            's-waiting',
            's-synced',
            's-aside'
        ]);
        expect(row('s-synced')).toMatch(
            /^2026-03-01 14:00\s+Spring launch\s+s-synced\s+Spring launch - 2026-03-01 \(701000000000001AAA\)\s+synced\s+2\s+1\s+0\s+0\s+0\s+0\s+Attended 1, Registered 1$/
        );
        expect(row('s-waiting')).toMatch(
            /^2026-03-02 14:00\s+Spring launch\s+s-waiting\s+not created yet\s+waiting\s+1\s+0\s+0\s+0\s+1\s+0\s+none yet$/
        );
        expect(row('s-failed')).toMatch(
            /s-failed\s+Spring launch - 2026-03-03 \(701000000000003AAA\)\s+failed\s+2\s+0\s+0\s+0\s+0\s+1\s+Registered 1$/
        );
        expect(row('s-disabled')).toMatch(
            /^2026-03-04 14:00\s+Town hall\s+s-disabled\s+not created yet\s+disabled\s/
        );
        expect(row('s-aside')).toMatch(
            /^2026-02-01 14:00\s+Spring launch\s+s-aside\s+not created yet\s+set_aside\s/
        );

        const after = text.slice(text.indexOf('Not synced:'));
        expect(after.slice(0, 6)).toEqual([
            'Not synced:',
            '  s-disabled (disabled): Its event is not synced (set from the command line or admin page): deliveries are stored, nothing is written.',
            '  s-failed (failed): 1 person was refused by Salesforce: see why and retry them in People.',
            // No listener holds the data directory: nothing writes what waits until one is started.
            '  s-waiting (waiting): No listener is running on this store: what waits is written once it is started again (npm start).',
            `  s-aside (set_aside): ${SET_ASIDE_REASON}`,
            '  Who was refused and why: the admin page\'s People view, or "livestorm-sf people show <e-mail>".'
        ]);
        expect(out.join('\n')).not.toContain('s-synced (synced)');
        expect(after.slice(6)).toEqual([
            '',
            'Campaigns:',
            `  s-failed  ${INSTANCE_URL}/lightning/r/Campaign/701000000000003AAA/view`,
            `  s-synced  ${INSTANCE_URL}/lightning/r/Campaign/701000000000001AAA/view`
        ]);
    });

    it('without the Salesforce variables it prints no Campaign link, as people show', async () => {
        await seed();
        const code = await runCli(['sessions', 'list'], {
            ...ctx,
            env: { DATA_DIR: join(dir, 'data'), CONFIG_FILE: join(dir, 'config.json') }
        });
        expect(code).toBe(0);
        expect(out.join('\n')).toContain('Spring launch - 2026-03-01 (701000000000001AAA)');
        expect(out.join('\n')).not.toContain('lightning/r/Campaign');
        expect(out.join('\n')).not.toContain('Campaigns:');
    });

    it('--json prints exactly what GET /admin/api/sessions answers for the same store', async () => {
        await seed();
        // The listener runs (it holds the data directory) and Salesforce is connected, as its admin API below says.
        const running = lockDataDir(join(dir, 'data'), 'web-1');
        onTestFinished(() => running.release());
        expect(await runCli(['sessions', 'list', '--json'], ctx)).toBe(0);
        const printed = JSON.parse(out.join('\n')) as SessionsJson;
        expect(printed.nextCursor).toBeNull();
        expect(printed.sessions.map((session) => [session.sessionId, session.state])).toEqual([
            ['s-disabled', 'disabled'],
            ['s-failed', 'failed'],
            ['s-waiting', 'waiting'],
            ['s-synced', 'synced'],
            ['s-aside', 'set_aside']
        ]);
        expect(printed.sessions[1]).toMatchObject({
            campaign: {
                id: '701000000000003AAA',
                name: 'Spring launch - 2026-03-03',
                url: `${INSTANCE_URL}/lightning/r/Campaign/701000000000003AAA/view`
            },
            failedPeople: 1,
            reason: '1 person was refused by Salesforce: see why and retry them in People.'
        });

        // The listener's own admin API over the same store file (open meanwhile) gives the same document.
        const store = await createSqliteStore({ dataDir: join(dir, 'data') });
        try {
            const { app } = createTestApp({
                store,
                env: { INSTANCE_ID: 'web-1' },
                engine: createRecordingEngine({
                    salesforce: { state: 'connected', reason: null, since: null, fix: null }
                })
            });
            const res = await app.request('/admin/api/sessions', {
                headers: { authorization: `Bearer ${ADMIN_TOKEN}` }
            });
            expect(res.status).toBe(200);
            expect(printed).toEqual(await res.json());
        } finally {
            await store.close();
        }
    });

    it('a session the running listener holds the lease of is writing', async () => {
        await seed();
        // web-1 is the listener running on this data directory: it holds the directory's lock.
        const running = lockDataDir(join(dir, 'data'), 'web-1');
        try {
            await withStore((store) => store.acquireSessionLease('s-waiting', 'web-1', 60_000));
            expect(await runCli(['sessions', 'list', '--json'], ctx)).toBe(0);
            const waiting = (JSON.parse(out.join('\n')) as SessionsJson).sessions.find(
                (session) => session.sessionId === 's-waiting'
            );
            expect(waiting).toMatchObject({
                state: 'writing',
                reason: 'Being written to Salesforce now.',
                writer: { instance: 'web-1', writing: true, stoppedUntil: null }
            });
            await withStore((store) => store.releaseSessionLease('s-waiting', 'web-1'));
            out = [];
            expect(await runCli(['sessions', 'list', '--json'], ctx)).toBe(0);
            expect(
                (JSON.parse(out.join('\n')) as SessionsJson).sessions.find(
                    (session) => session.sessionId === 's-waiting'
                )
            ).toMatchObject({
                state: 'waiting',
                writer: { instance: 'web-1', writing: false, stoppedUntil: null }
            });
        } finally {
            running.release();
        }
    });

    it('a lease left by a listener that is no longer running is said to be, not writing', async () => {
        await seed();
        await withStore((store) => store.acquireSessionLease('s-waiting', 'web-1', 60_000));
        const [lease] = await withStore((store) => store.listSessionLeases(['s-waiting']));
        const until = new Date(lease!.expiresAt).toISOString();
        const expected = {
            state: 'waiting',
            reason: `The listener web-1 stopped while writing this session; it is written again once that listener's lease ends at ${until} (a write it had in flight is not repeated).`,
            writer: { instance: 'web-1', writing: false, stoppedUntil: until }
        };
        const listed = async () => {
            out = [];
            expect(await runCli(['sessions', 'list', '--json'], ctx)).toBe(0);
            return (JSON.parse(out.join('\n')) as SessionsJson).sessions.find(
                (session) => session.sessionId === 's-waiting'
            );
        };
        // No listener runs on the data directory: that is why it waits, whatever the lease says.
        expect(await listed()).toMatchObject({
            ...expected,
            reason: 'No listener is running on this store: what waits is written once it is started again (npm start).'
        });
        // Another listener (web-2) runs on it now: web-1's lease is still one left behind.
        const running = lockDataDir(join(dir, 'data'), 'web-2');
        try {
            expect(await listed()).toMatchObject(expected);
        } finally {
            running.release();
        }
    });

    it('--event and --search narrow the list', async () => {
        await seed();
        expect(await runCli(['sessions', 'list', '--event', 'event-2'], ctx)).toBe(0);
        expect(lines().filter((line) => / s-[a-z]+ /.test(line) && !line.startsWith('  '))).toHaveLength(1);
        expect(row('s-disabled')).toContain('Town hall');
        expect(out.join('\n')).not.toContain('s-synced');

        out = [];
        expect(await runCli(['sessions', 'list', '--search', '2026-03-03', '--json'], ctx)).toBe(0);
        expect((JSON.parse(out.join('\n')) as SessionsJson).sessions.map((s) => s.sessionId)).toEqual([
            's-failed'
        ]);

        out = [];
        expect(await runCli(['sessions', 'list', '--search', 'TOWN', '--json'], ctx)).toBe(0);
        expect((JSON.parse(out.join('\n')) as SessionsJson).sessions.map((s) => s.sessionId)).toEqual([
            's-disabled'
        ]);

        out = [];
        expect(
            await runCli(['sessions', 'list', '--event', 'event-1', '--search', 'aside', '--json'], ctx)
        ).toBe(0);
        expect((JSON.parse(out.join('\n')) as SessionsJson).sessions.map((s) => s.sessionId)).toEqual([
            's-aside'
        ]);
    });

    it('pages with --limit and says how to see the next page, which --cursor then shows', async () => {
        await seed();
        expect(await runCli(['sessions', 'list', '--event', 'event-1', '--limit', '2'], ctx)).toBe(0);
        const first = lines();
        expect(
            first.filter((line) => /^2026-/.test(line)).map((line) => line.match(/ (s-[a-z]+) /)?.[1])
        ).toEqual(['s-failed', 's-waiting']);
        const more = first.at(-1) ?? '';
        expect(more).toMatch(
            /^More sessions: livestorm-sf sessions list --event event-1 --limit 2 --cursor \S+$/
        );

        // The command it gives, run as given, prints the rest.
        out = [];
        const argv = more.replace('More sessions: livestorm-sf ', '').split(' ');
        expect(await runCli(argv, ctx)).toBe(0);
        const second = lines();
        expect(
            second.filter((line) => /^2026-/.test(line)).map((line) => line.match(/ (s-[a-z]+) /)?.[1])
        ).toEqual(['s-synced', 's-aside']);
        expect(second.join('\n')).not.toContain('More sessions');

        out = [];
        expect(await runCli(['sessions', 'list', '--limit', '4', '--json'], ctx)).toBe(0);
        const page = JSON.parse(out.join('\n')) as SessionsJson;
        expect(page.sessions).toHaveLength(4);
        expect(page.nextCursor).toEqual(expect.any(String));
        out = [];
        expect(
            await runCli(['sessions', 'list', '--limit', '4', '--json', '--cursor', page.nextCursor!], ctx)
        ).toBe(0);
        expect(JSON.parse(out.join('\n'))).toMatchObject({
            sessions: [{ sessionId: 's-aside' }],
            nextCursor: null
        });
    });

    it('an empty store: exit 1 and a sentence saying what to check; JSON says the same with an empty list', async () => {
        await withStore(async () => undefined);
        expect(await runCli(['sessions', 'list'], ctx)).toBe(1);
        expect(out).toEqual([]);
        expect(err).toEqual([
            `No session in the store in ${join(dir, 'data')}. Either the listener has not received any session yet (check that Livestorm's webhooks point at it, e.g. session.created), or DATA_DIR / DATABASE_URL is not the running listener's: run the command from the directory where you run npm start.`
        ]);
        err = [];
        expect(await runCli(['sessions', 'list', '--json'], ctx)).toBe(1);
        expect(JSON.parse(out.join('\n'))).toEqual({ sessions: [], nextCursor: null });
        expect(err).toEqual([]);
    });

    it('no session matching the filters: exit 1 naming them and what to check', async () => {
        await seed();
        const where = `the store in ${join(dir, 'data')}`;
        expect(await runCli(['sessions', 'list', '--event', 'event-2', '--search', 'launch'], ctx)).toBe(1);
        expect(out).toEqual([]);
        expect(err).toEqual([
            `No session of event event-2 matching "launch" in ${where}. Check the event id ("livestorm-sf events list") and the text (it is looked for in the session id and name, the Campaign Name and the event title), or run without --event and --search.`
        ]);
        err = [];
        expect(await runCli(['sessions', 'list', '--search', 'autumn'], ctx)).toBe(1);
        expect(err).toEqual([
            `No session matching "autumn" in ${where}. Check the text (it is looked for in the session id and name, the Campaign Name and the event title), or run without --search.`
        ]);
    });

    it.each([
        [['--limit', '0'], '--limit must be a whole number from 1 to 200, not "0".'],
        [['--limit', '201'], '--limit must be a whole number from 1 to 200, not "201".'],
        [['--limit', 'ten'], '--limit must be a whole number from 1 to 200, not "ten".'],
        [
            ['--cursor', 'bogus'],
            '--cursor "bogus" is not a page this listener printed: run the command again without --cursor.'
        ]
    ])('exits 2 on %j with one line and the hint to run --help', async (options, message) => {
        await seed();
        expect(await runCli(['sessions', 'list', ...options], ctx)).toBe(2);
        expect(out).toEqual([]);
        expect(err).toEqual([`${message} Run "livestorm-sf sessions list --help" for its options.`]);
    });

    it('exits 2 on an unknown option or an argument, with its help', async () => {
        expect(await runCli(['sessions', 'list', '--colour'], ctx)).toBe(2);
        expect(err.join('\n')).toMatch(/Unknown option '--colour'/);
        expect(err.join('\n')).toContain('Usage: livestorm-sf sessions list [options]');
        err = [];
        expect(await runCli(['sessions', 'list', 's-synced'], ctx)).toBe(2);
        expect(err.join('\n')).toContain('livestorm-sf sessions list takes no arguments');
    });

    it('is in the command list and has its own help', async () => {
        expect(await runCli(['--help'], ctx)).toBe(0);
        expect(out.join('\n')).toMatch(
            / {2}sessions list\s+list sessions with their Campaign, whether each is synced, and why/
        );
        out = [];
        expect(await runCli(['sessions', 'list', '--help'], ctx)).toBe(0);
        const help = out.join('\n');
        for (const flag of [
            '--event <event id>',
            '--search <text>',
            '--limit <n>',
            '--cursor <value>',
            '--json'
        ])
            expect(help).toContain(flag);
        expect(help).toContain('default 50, at most 200');
    });
});

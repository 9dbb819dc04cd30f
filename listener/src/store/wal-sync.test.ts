import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteDriver } from './sqlite.ts';
import { groupSyncs, openWalSync } from './wal-sync.ts';
import type { WalSync } from './wal-sync.ts';

/** Grouped syncs whose flushes end when the test says so. */
function controlledSyncs() {
    const flushes: { end(): void; fail(error: Error): void }[] = [];
    const durable = groupSyncs(
        () =>
            new Promise<void>((resolve, reject) => {
                flushes.push({ end: resolve, fail: reject });
            })
    );
    return { durable, flushes };
}

const settled = async (promise: Promise<unknown>): Promise<boolean> => {
    let done = false;
    promise.then(
        () => (done = true),
        () => (done = true)
    );
    for (let i = 0; i < 5; i++) await Promise.resolve();
    return done;
};

describe('groupSyncs', () => {
    it('starts a sync for a call made while none runs', async () => {
        const { durable, flushes } = controlledSyncs();
        const first = durable();
        expect(flushes).toHaveLength(1);
        expect(await settled(first)).toBe(false);
        flushes[0]!.end();
        await first;
    });

    it('makes calls made during a sync wait for one more sync, shared by all of them', async () => {
        const { durable, flushes } = controlledSyncs();
        const first = durable();
        const during = [durable(), durable(), durable()];
        expect(flushes).toHaveLength(1);
        flushes[0]!.end();
        await first;
        // The running sync may have begun before their writes: they are not durable yet.
        expect(await settled(Promise.all(during))).toBe(false);
        expect(flushes).toHaveLength(2);
        const afterSecondStarted = durable();
        flushes[1]!.end();
        await Promise.all(during);
        expect(await settled(afterSecondStarted)).toBe(false);
        expect(flushes).toHaveLength(3);
        flushes[2]!.end();
        await afterSecondStarted;
    });

    it('passes a failed sync to its callers and starts afresh for the next ones', async () => {
        const { durable, flushes } = controlledSyncs();
        const first = durable();
        const during = durable();
        flushes[0]!.fail(new Error('EIO: i/o error, fdatasync'));
        await expect(first).rejects.toThrow('EIO');
        // The failed sync says nothing of writes made during it: they get their own.
        expect(flushes).toHaveLength(2);
        flushes[1]!.end();
        await expect(during).resolves.toBeUndefined();
        const later = durable();
        expect(flushes).toHaveLength(3);
        flushes[2]!.end();
        await later;
    });
});

describe('openWalSync', () => {
    const dirs: string[] = [];
    afterEach(async () => {
        for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
    });
    const databaseIn = async () => {
        const dir = await mkdtemp(path.join(os.tmpdir(), 'livestorm-sf-wal-'));
        dirs.push(dir);
        return path.join(dir, 'store.sqlite');
    };

    it('syncs the WAL file of a database in WAL mode', async () => {
        const file = await databaseIn();
        const db = new DatabaseSync(file);
        db.exec('PRAGMA journal_mode = WAL');
        db.exec('CREATE TABLE t (n INTEGER)');
        const wal = openWalSync(file);
        try {
            await wal.durable();
            db.exec('INSERT INTO t VALUES (1)');
            await wal.durable();
        } finally {
            await wal.close();
            db.close();
        }
    });

    it('fails, saying which file, when there is no WAL to sync', async () => {
        const wal = openWalSync(await databaseIn());
        await expect(wal.durable()).rejects.toThrow(/store\.sqlite-wal/);
        await wal.close();
    });
});

describe('a sqlite connection whose commits are synced off its thread', () => {
    const dirs: string[] = [];
    afterEach(async () => {
        for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
    });

    it('commits with synchronous=NORMAL and resolves each write only once the WAL sync after it has ended', async () => {
        const dir = await mkdtemp(path.join(os.tmpdir(), 'livestorm-sf-wal-'));
        dirs.push(dir);
        const { durable, flushes } = controlledSyncs();
        const walSync: WalSync = { durable, close: async () => {} };
        const driver = openSqliteDriver(path.join(dir, 'store.sqlite'), { walSync });
        try {
            const created = driver.execute('CREATE TABLE t (n INTEGER)');
            await new Promise((resolve) => setTimeout(resolve, 10));
            expect(await settled(created)).toBe(false);
            flushes[0]!.end();
            await created;
            expect((await driver.execute('SELECT * FROM pragma_synchronous')).rows).toEqual([
                { synchronous: 1 }
            ]);
            const inserted = driver.transaction(async (tx) => {
                await tx.execute('INSERT INTO t VALUES (1)');
                return 'written';
            });
            // The next statement is not held up by the wait for durability: it is read at once.
            await new Promise((resolve) => setTimeout(resolve, 10));
            expect((await driver.execute('SELECT n FROM t')).rows).toEqual([{ n: 1 }]);
            expect(await settled(inserted)).toBe(false);
            flushes[1]!.end();
            await expect(inserted).resolves.toBe('written');
            expect(flushes).toHaveLength(2);
        } finally {
            await driver.close();
        }
        const inline = openSqliteDriver(path.join(dir, 'other.sqlite'));
        try {
            expect((await inline.execute('SELECT * FROM pragma_synchronous')).rows).toEqual([
                { synchronous: 2 }
            ]);
        } finally {
            await inline.close();
        }
    });
});

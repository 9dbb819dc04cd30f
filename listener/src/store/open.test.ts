import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openStore } from './open.ts';
import { SQLITE_FILE_NAME } from './sqlite.ts';

describe('openStore', () => {
    let dataDir = '';

    afterEach(async () => {
        if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    it('opens the embedded store in dataDir when no database URL is set', async () => {
        dataDir = await mkdtemp(path.join(os.tmpdir(), 'livestorm-sf-open-'));
        for (const databaseUrl of [undefined, '']) {
            const store = await openStore({ dataDir, ...(databaseUrl === undefined ? {} : { databaseUrl }) });
            await store.setSetting('opened', true);
            expect(await store.getSetting('opened')).toBe(true);
            await store.close();
        }
        expect(existsSync(path.join(dataDir, SQLITE_FILE_NAME))).toBe(true);
    });

    it('uses PostgreSQL when a database URL is set', async () => {
        dataDir = await mkdtemp(path.join(os.tmpdir(), 'livestorm-sf-open-'));
        // Nothing listens on port 1: the attempt to reach PostgreSQL is what proves which store was chosen.
        await expect(
            openStore({ dataDir, databaseUrl: 'postgres://user:secret@127.0.0.1:1/none' })
        ).rejects.toThrow(/ECONNREFUSED/);
        expect(existsSync(path.join(dataDir, SQLITE_FILE_NAME))).toBe(false);
    });
});

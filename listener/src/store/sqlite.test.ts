import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { SCHEMA_VERSION } from './schema.ts';
import { createSqliteStore, SQLITE_FILE_NAME } from './sqlite.ts';
import { foldCommit, newDelivery, personRow, sessionRow, storeContract } from '../../test/store-contract.ts';

const NODE_24 = fileURLToPath(new URL('../../../node_modules/.bin/node', import.meta.url));
const SQLITE_MODULE = new URL('./sqlite.ts', import.meta.url).href;

async function temporaryDir(): Promise<string> {
    return mkdtemp(path.join(os.tmpdir(), 'livestorm-sf-store-'));
}

/** A fresh embedded store for the shared contract, opened with `options`. */
function contractStore(options: { syncOffThread?: boolean }) {
    return async () => {
        const dataDir = await temporaryDir();
        const store = await createSqliteStore({ dataDir, ...options });
        return {
            store,
            async cleanup() {
                await store.close();
                await rm(dataDir, { recursive: true, force: true });
            }
        };
    };
}

storeContract('sqlite', contractStore({}));
// The listener's connections: the same contract with commits made durable off the thread (wal-sync.ts).
storeContract('sqlite, commits synced off the thread', contractStore({ syncOffThread: true }));

describe('sqlite store', () => {
    const dirs: string[] = [];
    const newDataDir = async (): Promise<string> => {
        const dir = await temporaryDir();
        dirs.push(dir);
        return dir;
    };

    afterEach(async () => {
        for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
    });

    it('creates the data directory and one database file in WAL mode', async () => {
        const dataDir = path.join(await newDataDir(), 'nested', 'data');
        const store = await createSqliteStore({ dataDir });
        await store.appendDelivery(newDelivery('{"n":1}'));
        await store.close();
        const db = new DatabaseSync(path.join(dataDir, SQLITE_FILE_NAME));
        try {
            expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
            expect(db.prepare('SELECT version FROM schema_version').all()).toEqual([
                { version: SCHEMA_VERSION }
            ]);
        } finally {
            db.close();
        }
    });

    it('keeps everything across a reopen and does not migrate twice', async () => {
        const dataDir = await newDataDir();
        const first = await createSqliteStore({ dataDir });
        const { id } = await first.appendDelivery(newDelivery('{"n":1}'));
        await first.commitFold(foldCommit({ people: [personRow('s1', 'p1')] }));
        await first.setSetting('k', { v: 1 });
        await first.close();
        const second = await createSqliteStore({ dataDir });
        try {
            expect((await second.pendingDeliveries(10)).map((d) => d.id)).toEqual([id]);
            expect(await second.getPeople('s1')).toEqual([personRow('s1', 'p1')]);
            expect(await second.getSetting('k')).toEqual({ v: 1 });
            expect(await second.appendDelivery(newDelivery('{"n":1}'))).toEqual({ id, duplicate: true });
        } finally {
            await second.close();
        }
    });

    describe('a fold holds the write lock only while it writes', () => {
        /** Two connections on one file, as the listener and a command line have. */
        const twoConnections = async () => {
            const dataDir = await newDataDir();
            const folding = await createSqliteStore({ dataDir });
            const other = await createSqliteStore({ dataDir });
            return { folding, other, close: () => Promise.all([folding.close(), other.close()]) };
        };

        it('lets another connection write while it reads and folds, and commits once', async () => {
            const { folding, other, close } = await twoConnections();
            try {
                const { id } = await other.appendDelivery(newDelivery('{"n":1}'));
                let runs = 0;
                await folding.foldTransaction(async (tx) => {
                    runs++;
                    const [claimed] = await tx.claimPendingDeliveries(10);
                    const people = await tx.getPeople('s1', ['p1']);
                    // A webhook arriving now is stored at once (the fold holds no lock yet) and is no conflict.
                    await other.appendDelivery(newDelivery('{"n":2}'));
                    await tx.commit(
                        foldCommit({
                            people: [personRow('s1', 'p1', { version: (people[0]?.version ?? 0) + 1 })],
                            doneDeliveryIds: [claimed!.id]
                        })
                    );
                });
                expect(runs).toBe(1);
                expect(await other.countDeliveries()).toEqual({ pending: 1, done: 1, quarantined: 0 });
                expect((await other.getPeople('s1')).map((row) => row.version)).toEqual([1]);
                expect((await other.listDeliveries({ state: 'done', limit: 10 })).map((d) => d.id)).toEqual([
                    id
                ]);
            } finally {
                await close();
            }
        });

        it('folds again, inside one transaction, when another process changed a row it read', async () => {
            const { folding, other, close } = await twoConnections();
            try {
                await other.commitFold(foldCommit({ people: [personRow('s1', 'p1', { version: 1 })] }));
                const versionsRead: number[] = [];
                await folding.foldTransaction(async (tx) => {
                    const [person] = await tx.getPeople('s1', ['p1', 'p2']);
                    versionsRead.push(person!.version);
                    // The first time, another process (a backfill) folds the same person in between.
                    if (versionsRead.length === 1) {
                        await other.commitFold(
                            foldCommit({
                                people: [personRow('s1', 'p1', { version: 2 }, { firstName: 'Backfilled' })]
                            })
                        );
                    }
                    await tx.commit(
                        foldCommit({ people: [personRow('s1', 'p1', { version: person!.version + 1 })] })
                    );
                });
                // Written once, on top of the other's change: nothing was lost.
                expect(versionsRead).toEqual([1, 2]);
                expect((await other.getPeople('s1')).map((row) => row.version)).toEqual([3]);
            } finally {
                await close();
            }
        });

        it('folds again when a row it found absent was created in between, or a delivery it consumed was', async () => {
            const { folding, other, close } = await twoConnections();
            try {
                const { id } = await other.appendDelivery(newDelivery('{"n":1}'));
                const claims: number[][] = [];
                await folding.foldTransaction(async (tx) => {
                    const claimed = await tx.claimPendingDeliveries(10);
                    claims.push(claimed.map((delivery) => delivery.id));
                    const found = await tx.getSessions(['s1']);
                    if (claims.length === 1) {
                        await other.commitFold(
                            foldCommit({ sessions: [sessionRow('s1')], doneDeliveryIds: [id] })
                        );
                    }
                    await tx.commit(
                        foldCommit({
                            sessions: [sessionRow('s1', { version: (found[0]?.version ?? 0) + 1 })],
                            doneDeliveryIds: claimed.map((delivery) => delivery.id)
                        })
                    );
                });
                expect(claims).toEqual([[id], []]);
                expect((await other.getSessions(['s1'])).map((row) => row.version)).toEqual([2]);
            } finally {
                await close();
            }
        });
    });

    it('refuses a database written by a newer schema', async () => {
        const dataDir = await newDataDir();
        await (await createSqliteStore({ dataDir })).close();
        const db = new DatabaseSync(path.join(dataDir, SQLITE_FILE_NAME));
        db.exec('UPDATE schema_version SET version = 999');
        db.close();
        await expect(createSqliteStore({ dataDir })).rejects.toThrow(/newer/);
    });

    it('answers the dirty and count queries from indexes', async () => {
        const dataDir = await newDataDir();
        await (await createSqliteStore({ dataDir })).close();
        const db = new DatabaseSync(path.join(dataDir, SQLITE_FILE_NAME));
        const plan = (sql: string, ...params: (string | number)[]): string =>
            db
                .prepare(`EXPLAIN QUERY PLAN ${sql}`)
                .all(...params)
                .map((row) => String(row.detail))
                .join('\n');
        try {
            expect(
                plan(
                    `SELECT * FROM people WHERE session_id = ? AND version > synced_version
                     AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY registration_order, person_id LIMIT 5`,
                    's',
                    0
                )
            ).toMatch(/USING INDEX people_dirty/);
            expect(plan('SELECT session_id FROM people WHERE version > synced_version')).toMatch(
                /people_dirty/
            );
            expect(
                plan(`SELECT count(*) FROM people WHERE session_id = ? AND role <> 'team_member'`, 's')
            ).toMatch(/COVERING INDEX people_counts/);
            expect(
                plan('SELECT * FROM people WHERE failure IS NOT NULL ORDER BY failed_at DESC LIMIT 5')
            ).toMatch(/people_failed/);
            expect(plan(`SELECT * FROM deliveries WHERE state = 'pending' ORDER BY id LIMIT 5`)).toMatch(
                /deliveries_by_state/
            );
            // The people search walks people_search in order and filters inside it: no sort, no table scan.
            const search = plan(
                `SELECT * FROM people WHERE (search_email, session_id, person_id) > (?, ?, ?)
                 AND (instr(search_email, ?) > 0 OR instr(search_name, ?) > 0)
                 ORDER BY search_email, session_id, person_id LIMIT 51`,
                'a',
                's',
                'p',
                'x',
                'x'
            );
            expect(search).toMatch(/USING INDEX people_search/);
            expect(search).not.toMatch(/TEMP B-TREE/);
            const inSession = plan(
                `SELECT * FROM people WHERE (search_email, session_id, person_id) > (?, ?, ?) AND session_id = ?
                 AND (instr(search_email, ?) > 0 OR instr(search_name, ?) > 0)
                 ORDER BY search_email, session_id, person_id LIMIT 51`,
                'a',
                's',
                'p',
                's',
                'x',
                'x'
            );
            expect(inSession).toMatch(/USING INDEX people_session_search/);
            expect(inSession).not.toMatch(/TEMP B-TREE/);
        } finally {
            db.close();
        }
    });

    it('searches 20,000 people by e-mail or name substring, and pages through them', async () => {
        const dataDir = await newDataDir();
        const store = await createSqliteStore({ dataDir });
        await store.commitFold(foldCommit({ people: [personRow('s0', 'template')] }));
        await store.close();
        // Rows copied from one folded row in SQL (20,000 commitFold calls would take long on a shared machine); the plan
        // test above shows the search reads the people_search index, which is what keeps it fast at 100,000.
        const db = new DatabaseSync(path.join(dataDir, SQLITE_FILE_NAME));
        db.exec(`
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19999)
            INSERT INTO people (session_id, person_id, event_id, state, version, synced_version, role, attendance,
                replay_watched, registration_order, search_email, search_name)
            SELECT 's' || (i % 10), 'p' || i, t.event_id,
                json_set(t.state, '$.personId', 'p' || i, '$.sessionId', 's' || (i % 10),
                    '$.email', 'person' || i || '@example.com', '$.lastName', 'Number' || i),
                1, 0, t.role, t.attendance, t.replay_watched, t.registration_order,
                'person' || i || '@example.com', 'ada number' || i
            FROM n, people t WHERE t.person_id = 'template';
            DELETE FROM people WHERE person_id = 'template';
        `);
        db.close();
        const reopened = await createSqliteStore({ dataDir });
        try {
            const found = await reopened.searchPeople({ q: 'PERSON19999@', limit: 51 });
            expect(found.map((row) => [row.sessionId, row.personId, row.state.email])).toEqual([
                ['s9', 'p19999', 'person19999@example.com']
            ]);
            expect(await reopened.searchPeople({ q: 'nobody', limit: 51 })).toEqual([]);
            const page = await reopened.searchPeople({ q: 'number', sessionId: 's3', limit: 500 });
            expect(page).toHaveLength(500);
            expect(page.every((row) => row.sessionId === 's3')).toBe(true);
            const last = page.at(-1)!;
            const next = await reopened.searchPeople({
                q: 'number',
                sessionId: 's3',
                limit: 500,
                after: { email: last.state.email!, sessionId: last.sessionId, personId: last.personId }
            });
            expect(next[0]!.state.email! > last.state.email!).toBe(true);
        } finally {
            await reopened.close();
        }
    });

    it.each([
        ['synced in each commit', false],
        ['synced off the thread', true]
    ])(
        'keeps every acknowledged delivery when the process is killed mid-loop (%s)',
        async (_, syncOffThread) => {
            const dataDir = await newDataDir();
            // Each line on stdout is a delivery whose appendDelivery had resolved: what the HTTP layer would acknowledge.
            const writer = `
            import { createHash } from 'node:crypto';
            const { createSqliteStore } = await import(${JSON.stringify(SQLITE_MODULE)});
            const store = await createSqliteStore({ dataDir: ${JSON.stringify(dataDir)}, syncOffThread: ${syncOffThread} });
            for (let n = 0; ; n++) {
                const body = JSON.stringify({ n, pad: 'x'.repeat(512) });
                const hash = createHash('sha256').update(body).digest('hex');
                const { id } = await store.appendDelivery({ receivedAt: Date.now(), event: 'people.registered', body, bodyHash: hash });
                process.stdout.write(id + ' ' + n + '\\n');
            }
        `;
            const child = spawn(NODE_24, ['--input-type=module', '--eval', writer], {
                stdio: ['ignore', 'pipe', 'pipe']
            });
            const acknowledged = new Map<number, number>();
            let stderr = '';
            child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
            const exited = new Promise<NodeJS.Signals | null>((resolve) =>
                child.on('exit', (_code, signal) => resolve(signal))
            );
            await new Promise<void>((resolve, reject) => {
                let pending = '';
                child.stdout.on('data', (chunk: Buffer) => {
                    pending += chunk.toString();
                    const lines = pending.split('\n');
                    pending = lines.pop() ?? '';
                    for (const line of lines) {
                        const [id, n] = line.split(' ').map(Number);
                        acknowledged.set(id!, n!);
                    }
                    if (acknowledged.size >= 300 && !child.killed) {
                        child.kill('SIGKILL');
                        resolve();
                    }
                });
                child.on('exit', () =>
                    reject(new Error(`the writer exited before it was killed: ${stderr}`))
                );
            });
            expect(await exited).toBe('SIGKILL');

            const store = await createSqliteStore({ dataDir });
            try {
                const stored = await store.listDeliveries({ limit: 1_000_000 });
                const bodyById = new Map(stored.map((d) => [d.id, d.body]));
                for (const [id, n] of acknowledged) {
                    expect(JSON.parse(bodyById.get(id) ?? 'null')).toEqual({ n, pad: 'x'.repeat(512) });
                }
                expect(stored.length).toBeGreaterThanOrEqual(acknowledged.size);
            } finally {
                await store.close();
            }
            const db = new DatabaseSync(path.join(dataDir, SQLITE_FILE_NAME));
            try {
                expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
            } finally {
                db.close();
            }
        },
        30_000
    );
});

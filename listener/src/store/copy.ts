// Moving from the embedded store to PostgreSQL: everything the SQLite file holds is copied into the database, the
// file itself is never written. The file is first copied with VACUUM INTO (works on a read-only connection, and gives
// a consistent snapshot even while a listener still runs on it) into a temporary directory, that copy is brought to
// this listener's schema, and its rows are inserted into PostgreSQL; a row already there is kept, so a second run
// only adds what the first did not copy.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { migrate } from './migrations.ts';
import { openPostgresDriver } from './postgres.ts';
import type { PostgresOptions } from './postgres.ts';
import { MIGRATION_LOCK_KEY } from './postgres.ts';
import { insertRows } from './sql-store.ts';
import type { SqlValue } from './sql.ts';
import { openSqliteDriver, SQLITE_FILE_NAME } from './sqlite.ts';

/** The tables copied, in order, with the key a row already in PostgreSQL is recognised by. */
const TABLES: readonly { table: string; key: string; generatedId?: string }[] = [
    // Oldest first, so pending deliveries are folded in the order they arrived; a body already stored is kept.
    { table: 'deliveries', key: 'body_hash', generatedId: 'id' },
    { table: 'events', key: 'event_id' },
    { table: 'sessions', key: 'session_id' },
    { table: 'people', key: 'session_id, person_id' },
    { table: 'settings', key: 'key' },
    { table: 'sync_log', key: '', generatedId: 'id' }
];

export interface CopyReport {
    /** Per table: rows read from the file and rows added to PostgreSQL (the rest were there already). */
    tables: { table: string; read: number; added: number }[];
}

/** The directory holds no embedded store: nothing to copy. */
export class NoSqliteStoreError extends Error {
    constructor(dataDir: string) {
        super(
            `There is no embedded store in ${dataDir} (no ${SQLITE_FILE_NAME}): give the DATA_DIR the listener used.`
        );
        this.name = 'NoSqliteStoreError';
    }
}

/**
 * Copies the embedded store of `dataDir` into PostgreSQL (migrated first, under its lock).
 * @throws NoSqliteStoreError when dataDir holds no store; SchemaTooNewError when either side is newer than this code
 */
export async function copySqliteIntoPostgres(dataDir: string, target: PostgresOptions): Promise<CopyReport> {
    const source = path.join(dataDir, SQLITE_FILE_NAME);
    if (!existsSync(source)) throw new NoSqliteStoreError(dataDir);
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'livestorm-sf-copy-'));
    const snapshot = path.join(scratch, SQLITE_FILE_NAME);
    try {
        const original = new DatabaseSync(source, { readOnly: true });
        try {
            original.prepare('VACUUM INTO ?').run(snapshot);
        } finally {
            original.close();
        }
        const from = openSqliteDriver(snapshot);
        const to = openPostgresDriver(target);
        try {
            await migrate(from);
            await migrate(to, async (tx) => {
                await tx.execute('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
            });
            const report: CopyReport = { tables: [] };
            for (const { table, key, generatedId } of TABLES) {
                const booleans = new Set(
                    (
                        await to.execute(
                            `SELECT column_name FROM information_schema.columns
                             WHERE table_schema = current_schema() AND table_name = $1 AND data_type = 'boolean'`,
                            [table]
                        )
                    ).rows.map((row) => String(row.column_name))
                );
                let read = 0;
                let added = 0;
                for (let after = 0; ;) {
                    const { rows } = await from.execute(
                        `SELECT rowid AS copy_rowid, * FROM ${table} WHERE rowid > $1 ORDER BY rowid LIMIT 500`,
                        [after]
                    );
                    if (rows.length === 0) break;
                    after = Number(rows.at(-1)!.copy_rowid);
                    read += rows.length;
                    const values = rows.map((row) => {
                        const columns: Record<string, SqlValue> = {};
                        for (const [name, value] of Object.entries(row)) {
                            if (name === 'copy_rowid' || name === generatedId) continue;
                            columns[name] =
                                booleans.has(name) && typeof value === 'number'
                                    ? value === 1
                                    : (value as SqlValue);
                        }
                        return columns;
                    });
                    await to.transaction(async (tx) => {
                        if (table === 'sync_log') {
                            // No natural key: an entry is there already when one with the same time, session, kind and
                            // message is.
                            for (const entry of values) {
                                const inserted = await tx.execute(
                                    `INSERT INTO sync_log (at, session_id, kind, api_calls, ok, failed, message)
                                     SELECT $1, $2, $3, $4, $5, $6, $7
                                     WHERE NOT EXISTS (
                                         SELECT 1 FROM sync_log WHERE at = $1 AND session_id IS NOT DISTINCT FROM $2
                                           AND kind = $3 AND message = $7)`,
                                    [
                                        entry.at!,
                                        entry.session_id!,
                                        entry.kind!,
                                        entry.api_calls!,
                                        entry.ok!,
                                        entry.failed!,
                                        entry.message!
                                    ]
                                );
                                added += inserted.changes;
                            }
                            return;
                        }
                        added += await insertRows(tx, table, values, `ON CONFLICT (${key}) DO NOTHING`);
                    });
                }
                report.tables.push({ table, read, added });
            }
            return report;
        } finally {
            await from.close();
            await to.close();
        }
    } finally {
        await rm(scratch, { recursive: true, force: true });
    }
}

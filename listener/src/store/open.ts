// Picks the store from the configuration: PostgreSQL when a database URL is given, else the embedded file in dataDir.
// Each implementation is loaded only when chosen, so a PostgreSQL deployment never opens node:sqlite and the embedded
// one never loads the pg client.
import type { MigrationOutcome } from './migrations.ts';
import type { SqliteWriteGateOption } from './sqlite.ts';
import type { Store } from './store.ts';

export async function openStore(options: {
    databaseUrl?: string;
    dataDir: string;
    /** PostgreSQL pool size and statement timeout, and this instance's name (shown to the database's admin). */
    database?: { poolMax: number; statementTimeoutMs: number; instanceId: string };
    /** Embedded store: the write gate shared by the listener's two threads (write-gate.ts). */
    writeGate?: SqliteWriteGateOption;
    /** Embedded store: commits made durable off this thread (the listener's connections, wal-sync.ts). */
    syncOffThread?: boolean;
}): Promise<Store> {
    if (options.databaseUrl) {
        const { createPostgresStore } = await import('./postgres.ts');
        return createPostgresStore({
            connectionString: options.databaseUrl,
            ...(options.database
                ? {
                      poolMax: options.database.poolMax,
                      statementTimeoutMs: options.database.statementTimeoutMs,
                      applicationName: `livestorm-sf ${options.database.instanceId}`
                  }
                : {})
        });
    }
    const { createSqliteStore } = await import('./sqlite.ts');
    return createSqliteStore({
        dataDir: options.dataDir,
        ...(options.writeGate ? { writeGate: options.writeGate } : {}),
        ...(options.syncOffThread ? { syncOffThread: true } : {})
    });
}

/**
 * Brings the schema of the configured store up to date without starting anything (`livestorm-sf migrate`); instances
 * starting at the same time are safe (PostgreSQL: an advisory lock; SQLite: the file's write lock).
 * @throws SchemaTooNewError when the store was written by a newer listener
 */
export async function migrateStore(options: {
    databaseUrl?: string;
    dataDir: string;
}): Promise<MigrationOutcome> {
    if (options.databaseUrl) {
        const { migratePostgres } = await import('./postgres.ts');
        return migratePostgres({ connectionString: options.databaseUrl });
    }
    const { migrateSqlite } = await import('./sqlite.ts');
    return migrateSqlite({ dataDir: options.dataDir });
}

// Picks the store from the configuration: PostgreSQL when a database URL is given, else the embedded file in dataDir.
// Each implementation is loaded only when chosen, so a PostgreSQL deployment never opens node:sqlite and the embedded
// one never loads the pg client.
import type { Store } from './store.ts';

export async function openStore(options: {
    databaseUrl?: string;
    dataDir: string;
    /** PostgreSQL pool size and statement timeout, and this instance's name (shown to the database's admin). */
    database?: { poolMax: number; statementTimeoutMs: number; instanceId: string };
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
    return createSqliteStore({ dataDir: options.dataDir });
}

// Applies the versioned migrations of schema.ts to a database, for both stores. Runs in one transaction under the
// dialect's lock (SQLite: BEGIN IMMEDIATE, the file's write lock; PostgreSQL: a transaction-scoped advisory lock), so
// instances starting together migrate once: the others wait, then find the schema current.
import { numOrNull } from './rows.ts';
import { COLUMN_TYPES, MIGRATIONS, SCHEMA_VERSION } from './schema.ts';
import type { SqlDriver, SqlExecutor } from './sql.ts';

/** The database was written by a newer listener: start-up stops with this message. */
export class SchemaTooNewError extends Error {
    readonly found: number;
    constructor(found: number) {
        super(
            `The database schema is at version ${found}, newer than this listener's ${SCHEMA_VERSION}: run the newer listener, or upgrade this one.`
        );
        this.name = 'SchemaTooNewError';
        this.found = found;
    }
}

export interface MigrationOutcome {
    /** Version before. */
    from: number;
    /** Version after (SCHEMA_VERSION). */
    to: number;
}

/**
 * Brings the schema to SCHEMA_VERSION.
 * @param lock takes the dialect's migration lock inside the transaction (PostgreSQL's advisory lock); SQLite needs none
 * @throws SchemaTooNewError when the database is newer than this code; the database's error when a step fails (nothing
 *   of that run is kept)
 */
export async function migrate(
    driver: SqlDriver,
    lock: (tx: SqlExecutor) => Promise<void> = async () => {}
): Promise<MigrationOutcome> {
    const types = COLUMN_TYPES[driver.dialect];
    return driver.transaction(async (tx) => {
        await lock(tx);
        await tx.execute('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
        // Read inside the lock: a second instance opening the database at the same time migrates nothing twice.
        const { rows } = await tx.execute('SELECT max(version) AS version FROM schema_version');
        const current = numOrNull(rows[0]?.version) ?? 0;
        if (current > SCHEMA_VERSION) throw new SchemaTooNewError(current);
        for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
            const migration = MIGRATIONS[version - 1]!;
            for (const statement of splitStatements(migration.sql(types, driver.dialect)))
                await tx.execute(statement);
        }
        if (current < SCHEMA_VERSION) {
            await tx.execute('DELETE FROM schema_version');
            await tx.execute('INSERT INTO schema_version (version) VALUES ($1)', [SCHEMA_VERSION]);
        }
        return { from: current, to: SCHEMA_VERSION };
    });
}

/** The statements of a migration: separated by `;` at the end of a line (none of ours has one inside a literal). */
function splitStatements(sql: string): string[] {
    return sql
        .split(/;\s*(?:\n|$)/)
        .map((statement) => statement.trim())
        .filter((statement) => statement.length > 0);
}

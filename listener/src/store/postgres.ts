// The PostgreSQL store, for several listener instances sharing one database. The queries are the shared ones
// (sql-store.ts); this file adapts the pg pool to the SqlDriver and takes PostgreSQL's migration lock.
import pg from 'pg';
import type { PoolClient } from 'pg';
import { migrate } from './migrations.ts';
import type { MigrationOutcome } from './migrations.ts';
import { createSqlStore } from './sql-store.ts';
import type { SqlDriver, SqlExecutor, SqlResult, SqlValue } from './sql.ts';
import type { Store } from './store.ts';

/** Serialises schema changes of instances starting at the same time (an arbitrary, fixed advisory lock key). */
export const MIGRATION_LOCK_KEY = 7_351_902_114;

/** One round trip per 500 rows (16 columns × 500 stays under PostgreSQL's 65,535 parameters). */
const ROWS_PER_STATEMENT = 500;

export interface PostgresOptions {
    connectionString: string;
    /** Connections opened at most (default 10). */
    poolMax?: number;
    /** A statement running longer is cancelled by the server (default 15,000 ms): a stuck query fails, it never hangs. */
    statementTimeoutMs?: number;
    /** Shown in pg_stat_activity. */
    applicationName?: string;
}

async function run(
    client: pg.Pool | PoolClient,
    sql: string,
    params: readonly SqlValue[] = []
): Promise<SqlResult> {
    const result = await client.query(sql, params as SqlValue[]);
    return { rows: result.rows as Record<string, unknown>[], changes: result.rowCount ?? 0 };
}

/** A SqlDriver over a pg pool. */
export function openPostgresDriver(options: PostgresOptions): SqlDriver & { pool: pg.Pool } {
    const pool = new pg.Pool({
        connectionString: options.connectionString,
        max: options.poolMax ?? 10,
        statement_timeout: options.statementTimeoutMs ?? 15_000,
        // A server that does not answer fails the request that needed it within a bounded time (webhook: 503).
        connectionTimeoutMillis: Math.min(options.statementTimeoutMs ?? 15_000, 5_000),
        application_name: options.applicationName ?? 'livestorm-sf'
    });
    // An idle connection dropped by the server must not crash the process: the next query reports the problem.
    pool.on('error', () => undefined);
    return {
        dialect: 'postgres',
        rowsPerStatement: ROWS_PER_STATEMENT,
        pool,
        execute: (sql, params) => run(pool, sql, params),
        async transaction(work) {
            const client = await pool.connect();
            try {
                await client.query('BEGIN');
                const tx: SqlExecutor = {
                    rowsPerStatement: ROWS_PER_STATEMENT,
                    execute: (sql, params) => run(client, sql, params)
                };
                const result = await work(tx);
                await client.query('COMMIT');
                client.release();
                return result;
            } catch (error) {
                try {
                    await client.query('ROLLBACK');
                    client.release();
                } catch (rollbackError) {
                    client.release(rollbackError instanceof Error ? rollbackError : true);
                }
                throw error;
            }
        },
        async close() {
            if (!pool.ended) await pool.end();
        }
    };
}

/**
 * Brings the schema of the database up to date and disconnects (`livestorm-sf migrate`).
 * @throws SchemaTooNewError when the database was written by a newer listener; pg's error when it cannot be reached
 */
export async function migratePostgres(options: PostgresOptions): Promise<MigrationOutcome> {
    const driver = openPostgresDriver(options);
    try {
        return await migrate(driver, lockSchema);
    } finally {
        await driver.close();
    }
}

async function lockSchema(tx: SqlExecutor): Promise<void> {
    await tx.execute('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
}

/**
 * Connects to PostgreSQL and brings the schema up to date (instances starting together migrate once).
 * @throws SchemaTooNewError when the database was written by a newer listener; pg's error when it cannot be reached
 */
export async function createPostgresStore(options: PostgresOptions): Promise<Store> {
    const driver = openPostgresDriver(options);
    try {
        await migrate(driver, lockSchema);
    } catch (error) {
        await driver.close();
        throw error;
    }
    return createSqlStore(driver);
}

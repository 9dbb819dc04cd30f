// What the shared store needs of a database: one statement at a time with `$1`-style parameters, and transactions.
// sqlite.ts and postgres.ts implement it; sql-store.ts writes every query once against it.
import type { DialectName } from './schema.ts';

/** A parameter: booleans become 1/0 in SQLite; JSON documents are passed as their JSON text. */
export type SqlValue = string | number | boolean | null;

/**
 * A result row as the driver hands it back: SQLite gives numbers, 0/1 and JSON text; PostgreSQL gives BIGINT and
 * counts as decimal strings, booleans, and JSONB already parsed. rows.ts reads both.
 */
export type SqlRow = Record<string, unknown>;

export interface SqlResult {
    rows: SqlRow[];
    /** Rows inserted, updated or deleted by the statement. */
    changes: number;
}

export interface SqlExecutor {
    /**
     * Rows per multi-row statement. SQLite compiles long VALUES lists slowly (50 rows measured fastest); PostgreSQL
     * saves a round trip per statement (500 rows × 16 columns stays under its 65,535 parameters).
     */
    readonly rowsPerStatement: number;
    /**
     * Runs one statement. Parameters are written `$1`, `$2`… in the SQL (each may appear several times).
     * @throws the driver's error when the database refuses the statement or cannot be reached
     */
    execute(sql: string, params?: readonly SqlValue[]): Promise<SqlResult>;
}

export interface SqlDriver extends SqlExecutor {
    readonly dialect: DialectName;
    /**
     * Runs `work` in one transaction: committed when it resolves, rolled back when it throws (and the error rethrown).
     * Statements of the transaction go through `tx`; the driver's own `execute` runs outside it.
     */
    transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
    close(): Promise<void>;
}

/** `$first, $first+1, …` for `count` values, e.g. for an IN list or one VALUES row. */
export function placeholders(count: number, first = 1): string {
    return Array.from({ length: count }, (_, index) => `$${first + index}`).join(', ');
}

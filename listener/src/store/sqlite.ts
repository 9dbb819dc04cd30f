// The embedded store: one node:sqlite file in WAL mode, and a delivery is on disk when appendDelivery resolves (the
// command line's connections commit with synchronous=FULL; the listener's with NORMAL, then wait for wal-sync.ts to
// have synced the WAL past their commit, which gives the same guarantee without a sync per commit). The queries are the shared ones (sql-store.ts); this file only adapts node:sqlite to the SqlDriver.
//
// DatabaseSync is synchronous and each thread holds one connection (the listener has two: the HTTP edge and the sync
// engine's worker): statements and transactions of a connection are queued one after the other (a transaction's own
// statements go straight through), so no statement can land inside another caller's transaction. The two threads take
// turns at writing through a gate in shared memory, the edge first (write-gate.ts). Another process on the file (the
// command line) is waited for without blocking the thread: SQLite's busy handler would spin synchronously, and a
// transaction of this process that is between two awaits could then never finish; so that wait is an asynchronous
// retry (see whenNotBusy). The listener's two connections make their commits durable off their threads (wal-sync.ts);
// the command line's sync inside each commit.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { SQLInputValue, StatementSync } from 'node:sqlite';
import { migrate } from './migrations.ts';
import type { MigrationOutcome } from './migrations.ts';
import { createSqlStore } from './sql-store.ts';
import type { SqlDriver, SqlExecutor, SqlResult, SqlValue } from './sql.ts';
import type { Store } from './store.ts';
import { openWalSync } from './wal-sync.ts';
import type { WalSync } from './wal-sync.ts';
import { openWriteGate } from './write-gate.ts';
import type { WriteGate } from './write-gate.ts';

export const SQLITE_FILE_NAME = 'livestorm-sf.sqlite';

/** Multi-row statements of 50 rows: longer VALUES lists compile slower than they save. */
const ROWS_PER_STATEMENT = 50;

/** How long a write waits for another connection's transaction before it fails (ms). */
const BUSY_WAIT_MS = 10_000;

const SQLITE_BUSY = 5;

/** Longest pause between two attempts of a statement the write lock refused (ms). */
const BUSY_RETRY_MAX_MS = 4;

function isBusy(error: unknown): boolean {
    return (error as { errcode?: number } | null)?.errcode === SQLITE_BUSY;
}

/**
 * Runs `attempt` until it does not fail with SQLITE_BUSY (another connection holds the write lock), waiting
 * asynchronously between attempts, at most BUSY_WAIT_MS. A statement that failed busy had no effect.
 */
async function whenNotBusy<T>(attempt: () => T): Promise<T> {
    const deadline = Date.now() + BUSY_WAIT_MS;
    // Retried often: the other connection is usually the sync engine's thread in this process, whose transactions last
    // milliseconds, and a webhook acknowledgement may be waiting on this (a timer costs next to nothing).
    for (let delay = 1; ; delay = Math.min(delay * 2, BUSY_RETRY_MAX_MS)) {
        try {
            return attempt();
        } catch (error) {
            if (!isBusy(error) || Date.now() > deadline) throw error;
            await new Promise((resolve) => setTimeout(resolve, delay));
        }
    }
}

/** Prepared statements kept per connection; multi-row statements of many sizes would otherwise accumulate. */
const STATEMENT_CACHE_SIZE = 256;

/** A statement that cannot write (everything else passes the write gate). */
const READ_ONLY = /^\s*SELECT\b/i;

/** Sharing the write gate of this process's other connection (write-gate.ts). */
export interface SqliteWriteGateOption {
    buffer: SharedArrayBuffer;
    /** This connection's writes go before the other's (the HTTP edge). */
    first: boolean;
}

/**
 * A SqlDriver over one node:sqlite connection.
 * @param file the database file (created if absent)
 * @param options.writeGate the gate shared with the other connection of this process, if there is one
 * @param options.walSync when given, commits run with `synchronous=NORMAL` and each write resolves once this has made
 *   the WAL durable after it (off the thread); without it, `synchronous=FULL` syncs inside each commit
 */
export function openSqliteDriver(
    file: string,
    options: { writeGate?: SqliteWriteGateOption; walSync?: WalSync } = {}
): SqlDriver {
    const { walSync } = options;
    /** Resolves with `result` once the write that produced it is durable. */
    const durable = async <T>(result: T): Promise<T> => {
        if (walSync) await walSync.durable();
        return result;
    };
    const gate: WriteGate | undefined = options.writeGate
        ? openWriteGate(options.writeGate.buffer, { first: options.writeGate.first })
        : undefined;
    /** Runs `write` holding the gate, when there is one. */
    const gated = async <T>(write: () => Promise<T>): Promise<T> => {
        if (!gate) return write();
        await gate.acquire(BUSY_WAIT_MS);
        try {
            return await write();
        } finally {
            gate.release();
        }
    };
    // It holds names and e-mail addresses: created readable by its owner only; SQLite gives its -wal and -shm files the
    // database file's permissions (unix VFS, findCreateFileMode in os_unix.c). An existing file keeps its mode.
    closeSync(openSync(file, 'a', 0o600));
    const db = new DatabaseSync(file);
    try {
        db.exec('PRAGMA journal_mode = WAL');
        db.exec(walSync ? 'PRAGMA synchronous = NORMAL' : 'PRAGMA synchronous = FULL');
        db.exec('PRAGMA busy_timeout = 0');
    } catch (error) {
        db.close();
        throw error;
    }
    const statements = new Map<string, { statement: StatementSync; returnsRows: boolean }>();
    const prepared = (sql: string) => {
        let entry = statements.get(sql);
        if (!entry) {
            // `$n` (PostgreSQL's spelling, used by the shared queries) is `?n` here: numbered, reusable parameters.
            const statement = db.prepare(sql.replace(/\$(\d+)/g, '?$1'));
            entry = { statement, returnsRows: statement.columns().length > 0 };
            if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
            statements.set(sql, entry);
        }
        return entry;
    };
    const run = (sql: string, params: readonly SqlValue[] = []): SqlResult => {
        const { statement, returnsRows } = prepared(sql);
        const values = params.map((value): SQLInputValue =>
            typeof value === 'boolean' ? Number(value) : value
        );
        if (returnsRows) {
            const rows = statement.all(...values);
            return { rows, changes: rows.length };
        }
        return { rows: [], changes: Number(statement.run(...values).changes) };
    };

    let queue: Promise<unknown> = Promise.resolve();
    const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
        const next = queue.then(work, work);
        queue = next.catch(() => undefined);
        return next;
    };
    const direct: SqlExecutor = {
        rowsPerStatement: ROWS_PER_STATEMENT,
        execute: async (sql, params) => run(sql, params)
    };

    return {
        dialect: 'sqlite',
        rowsPerStatement: ROWS_PER_STATEMENT,
        // The wait for durability is outside the queue and the gate: the next writes go on meanwhile and share the sync.
        execute: (sql, params) =>
            READ_ONLY.test(sql)
                ? exclusive(() => whenNotBusy(() => run(sql, params)))
                : exclusive(() => gated(() => whenNotBusy(() => run(sql, params)))).then(durable),
        transaction: (work) =>
            exclusive(() =>
                gated(async () => {
                    await whenNotBusy(() => db.exec('BEGIN IMMEDIATE'));
                    try {
                        const result = await work(direct);
                        db.exec('COMMIT');
                        return result;
                    } catch (error) {
                        if (db.isTransaction) db.exec('ROLLBACK');
                        throw error;
                    }
                })
            ).then(durable),
        close: () =>
            exclusive(async () => {
                statements.clear();
                if (db.isOpen) db.close();
                await walSync?.close();
            })
    };
}

/** Brings the embedded store's schema up to date and closes it (`livestorm-sf migrate`). */
export async function migrateSqlite(options: { dataDir: string }): Promise<MigrationOutcome> {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const driver = openSqliteDriver(path.join(options.dataDir, SQLITE_FILE_NAME));
    try {
        return await migrate(driver);
    } finally {
        await driver.close();
    }
}

/**
 * Opens (creating it if needed) the embedded store in `dataDir` and brings its schema up to date.
 * @throws SchemaTooNewError when the file was written by a newer listener
 */
export async function createSqliteStore(options: {
    dataDir: string;
    writeGate?: SqliteWriteGateOption;
    /** Make commits durable off this thread (the listener's connections: wal-sync.ts); else each commit syncs inline. */
    syncOffThread?: boolean;
}): Promise<Store> {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const file = path.join(options.dataDir, SQLITE_FILE_NAME);
    const driver = openSqliteDriver(file, {
        ...(options.writeGate ? { writeGate: options.writeGate } : {}),
        ...(options.syncOffThread ? { walSync: openWalSync(file) } : {})
    });
    try {
        await migrate(driver);
    } catch (error) {
        await driver.close();
        throw error;
    }
    return createSqlStore(driver);
}

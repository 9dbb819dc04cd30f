// One listener per embedded store. Two listeners on one DATA_DIR would each take the other's session leases for
// instances that stopped (the lease rows cannot tell a second process from a dead one) and write the same people twice.
// The lock is SQLite's own file lock on a small file beside the store, held for the life of the process: the
// operating system releases it when the process ends, however it ends (even `kill -9`), so a restart after a crash is
// never refused for a lock left behind, and no timer decides that a holder is stale.
//
// How it holds (https://www.sqlite.org/lockingv3.html): in rollback-journal mode `BEGIN IMMEDIATE` takes a RESERVED
// lock; another connection then gets SQLITE_BUSY from its own `BEGIN IMMEDIATE`, but may still read the file (a
// RESERVED lock admits SHARED locks). So the holder first commits who it is, then keeps a transaction open that writes
// nothing, and a listener that is refused can still read who holds the directory and say so.
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** The lock file, in DATA_DIR beside the store (it holds only who has the directory). */
export const LOCK_FILE_NAME = 'livestorm-sf.lock';

const SQLITE_BUSY = 5;

/**
 * How long a listener starting waits by default for the holder of its data directory to let go (ms): longer than a
 * listener's shutdown (10 s), so that a restart overlapping the end of the previous process waits for it, and the
 * command line's instant look (listenerOnDataDir) is waited out too.
 */
export const DATA_DIR_WAIT_MS = 15_000;

/** Who holds a data directory: written by the holder, read by a listener that is refused. */
export interface DataDirHolder {
    /** INSTANCE_ID of the holding listener. */
    instanceId: string;
    pid: number;
    host: string;
    /** When it took the directory, ms since epoch. */
    since: number;
}

/** Another listener holds the data directory; the message says which one and what to do. */
export class DataDirInUseError extends Error {
    readonly holder: DataDirHolder | null;
    constructor(dataDir: string, holder: DataDirHolder | null) {
        const who = holder
            ? ` (instance ${holder.instanceId}, process ${holder.pid} on ${holder.host}, since ${new Date(holder.since).toISOString()})`
            : '';
        super(
            `Another listener is already running on the data directory ${dataDir}${who}. Two listeners on one ` +
                'embedded store would write the same people twice. Stop the other listener first, or give this one ' +
                'its own DATA_DIR; to run several instances side by side, give them one PostgreSQL database ' +
                '(DATABASE_URL).'
        );
        this.name = 'DataDirInUseError';
        this.holder = holder;
    }
}

/** The held lock: release it at shutdown (the process ending releases it too). */
export interface DataDirLock {
    readonly holder: DataDirHolder;
    release(): void;
}

function isBusy(error: unknown): boolean {
    return (error as { errcode?: number } | null)?.errcode === SQLITE_BUSY;
}

function readHolder(db: DatabaseSync): DataDirHolder | null {
    try {
        const row = db.prepare('SELECT instance_id, pid, host, since FROM holder').get();
        if (!row) return null;
        return {
            instanceId: String(row.instance_id),
            pid: Number(row.pid),
            host: String(row.host),
            since: Number(row.since)
        };
    } catch {
        // Created but not yet written by its holder, or being written right now: who it is stays unknown.
        return null;
    }
}

/**
 * Takes the data directory for this process (creating the directory, mode 0700, if it does not exist), waiting up to
 * `options.waitMs` while another process holds it; blocks the thread meanwhile (start-up has nothing else to do).
 * @param dataDir DATA_DIR
 * @param instanceId INSTANCE_ID, shown to a listener that is refused
 * @param options.waitMs how long to wait for the holder to let go (ms), default DATA_DIR_WAIT_MS
 * @param options.onWait told once, with the holder when it could be read, when the directory is found taken
 * @throws DataDirInUseError when another process still holds it after the wait (naming the holder when it could be read)
 */
export function lockDataDir(
    dataDir: string,
    instanceId: string,
    options: { waitMs?: number; onWait?: (holder: DataDirHolder | null) => void } = {}
): DataDirLock {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = path.join(dataDir, LOCK_FILE_NAME);
    // Created readable by its owner only, as the store is (an existing file keeps its mode).
    closeSync(openSync(file, 'a', 0o600));
    const db = new DatabaseSync(file);
    const refuse = (): never => {
        const holder = readHolder(db);
        db.close();
        throw new DataDirInUseError(dataDir, holder);
    };
    const hold = (): boolean => {
        try {
            db.exec('BEGIN IMMEDIATE');
            return true;
        } catch (error) {
            if (isBusy(error)) return false;
            throw error;
        }
    };
    try {
        db.exec('PRAGMA busy_timeout = 0');
        const deadline = Date.now() + (options.waitMs ?? DATA_DIR_WAIT_MS);
        let told = false;
        while (!hold()) {
            if (Date.now() > deadline) refuse();
            if (!told) options.onWait?.(readHolder(db));
            told = true;
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        }
        const holder: DataDirHolder = { instanceId, pid: process.pid, host: hostname(), since: Date.now() };
        db.exec(
            'CREATE TABLE IF NOT EXISTS holder (instance_id TEXT, pid INTEGER, host TEXT, since INTEGER)'
        );
        db.exec('DELETE FROM holder');
        db.prepare('INSERT INTO holder (instance_id, pid, host, since) VALUES (?, ?, ?, ?)').run(
            holder.instanceId,
            holder.pid,
            holder.host,
            holder.since
        );
        db.exec('COMMIT');
        // Between this commit and the next BEGIN another process may take the directory: then it is the holder (it
        // wrote itself down after us) and this one is refused naming it.
        if (!hold()) refuse();
        return {
            holder,
            release() {
                if (!db.isOpen) return;
                if (db.isTransaction) db.exec('ROLLBACK');
                db.close();
            }
        };
    } catch (error) {
        if (db.isOpen) db.close();
        throw error;
    }
}

/**
 * Who runs on the data directory, for the command line, which reads the store beside a running listener: the holder
 * of the lock, null when no listener runs, or 'unknown' when one runs but has not written who it is (it is starting).
 * Looks by taking the lock for an instant (a listener starting meanwhile waits for it: lockDataDir); never creates it.
 */
export function listenerOnDataDir(dataDir: string): DataDirHolder | null | 'unknown' {
    const file = path.join(dataDir, LOCK_FILE_NAME);
    if (!existsSync(file)) return null;
    const db = new DatabaseSync(file);
    try {
        db.exec('PRAGMA busy_timeout = 0');
        try {
            db.exec('BEGIN IMMEDIATE');
        } catch (error) {
            if (!isBusy(error)) throw error;
            return readHolder(db) ?? 'unknown';
        }
        db.exec('ROLLBACK');
        return null;
    } finally {
        db.close();
    }
}

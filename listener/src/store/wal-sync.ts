// Making the embedded store's commits durable without blocking the event loop. With `synchronous=FULL` SQLite
// fsyncs the WAL inside each COMMIT, on the calling thread: the HTTP edge's thread stood still for that fsync
// (0.3 ms to over 10 ms on an ordinary disk) at every acknowledgement, and no other request was read meanwhile; the
// engine's thread did the same while holding the write gate the edge waits on. The listener's connections therefore
// commit with `synchronous=NORMAL` (the frames are written to the WAL file, which survives the process being killed,
// but not yet a power loss) and a write resolves only once an fdatasync of the WAL file, run on libuv's thread pool,
// has returned after it: what FULL guarantees, done off the thread and outside the gate. Commits made while a sync is
// in flight share the next one (group commit of the sync itself).
//
// SQLite: "A transaction committed in WAL mode with synchronous=NORMAL might roll back following a power loss or
// system crash. Transactions are durable across application crashes regardless of the synchronous setting"; "when
// synchronous is FULL, the WAL file is synchronized after each transaction commit"
// (https://www.sqlite.org/pragma.html#pragma_synchronous). The WAL is append-only between checkpoints and SQLite
// reuses the same file (it is deleted only when the last connection closes), so syncing one open descriptor of it
// covers every frame written before the sync began (https://www.sqlite.org/wal.html).
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

export interface WalSync {
    /**
     * Resolves once everything written to the WAL before this call is on disk.
     * @throws the file system's error (EIO, ENOSPC…) when the sync failed: the write is then not acknowledged
     */
    durable(): Promise<void>;
    /** Closes the WAL's descriptor (after the connection's last write). */
    close(): Promise<void>;
}

/**
 * Shares syncs between callers: a call made while no sync runs starts one; calls made while one runs wait for the
 * single next one, which starts when the running one ends (it may have begun before their commits).
 * @param sync one durable flush; its promise settles when the flush has ended
 */
export function groupSyncs(sync: () => Promise<void>): () => Promise<void> {
    let running: Promise<void> | null = null;
    let next: Promise<void> | null = null;
    const start = (): Promise<void> => {
        const started = sync().finally(() => {
            if (running === started) running = null;
        });
        running = started;
        return started;
    };
    return () => {
        if (running === null) return start();
        next ??= running
            .catch(() => undefined)
            .then(() => {
                next = null;
                return start();
            });
        return next;
    };
}

/**
 * The WAL syncer of a database file.
 * @param databaseFile the SQLite file; its WAL is `<databaseFile>-wal`, opened at the first sync (SQLite creates it
 *   at the first write in WAL mode), together with one sync of its directory so that the file's creation is durable
 */
export function openWalSync(databaseFile: string): WalSync {
    let wal: Promise<FileHandle> | null = null;
    const walHandle = (): Promise<FileHandle> => {
        wal ??= (async () => {
            const handle = await open(`${databaseFile}-wal`, 'r');
            try {
                const directory = await open(path.dirname(databaseFile), 'r');
                try {
                    await directory.sync();
                } finally {
                    await directory.close();
                }
            } catch (error) {
                // The next sync opens the WAL again: this descriptor would otherwise stay open for good.
                await handle.close();
                throw error;
            }
            return handle;
        })().catch((error: unknown) => {
            wal = null;
            throw error;
        });
        return wal;
    };
    const durable = groupSyncs(async () => {
        await (await walHandle()).datasync();
    });
    return {
        durable,
        async close() {
            const handle = await wal?.catch(() => null);
            wal = null;
            await handle?.close();
        }
    };
}

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, listenerOnDataDir, lockDataDir, LOCK_FILE_NAME } from './data-dir-lock.ts';
import { createSqliteStore, SQLITE_FILE_NAME } from './sqlite.ts';

const lockModule = path.join(import.meta.dirname, 'data-dir-lock.ts');

/** Another process holding `dataDir` until it is killed (or exits after `exitAfterMs`); resolves once it holds it. */
async function holderProcess(dataDir: string, instanceId: string, exitAfterMs?: number) {
    const child = spawn(
        process.execPath,
        [
            '--disable-warning=ExperimentalWarning',
            '--input-type=module',
            '-e',
            `const { lockDataDir } = await import(${JSON.stringify(lockModule)});
             lockDataDir(${JSON.stringify(dataDir)}, ${JSON.stringify(instanceId)});
             process.stdout.write('held\\n');
             setInterval(() => {}, 1000);
             ${exitAfterMs === undefined ? '' : `setTimeout(() => process.exit(0), ${exitAfterMs});`}`
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] }
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk) => String(chunk).includes('held') && resolve());
        child.once('exit', (code) => reject(new Error(`the holder exited with ${code} before holding`)));
    });
    return { pid: child.pid!, kill9: async () => (child.kill('SIGKILL'), await exited) };
}

describe('one listener per data directory', () => {
    let dir = '';
    afterEach(() => {
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('refuses a second process naming the holder, and is free again once the holder is killed (kill -9)', async () => {
        dir = mkdtempSync(path.join(tmpdir(), 'lsf-lock-'));
        const dataDir = path.join(dir, 'data');
        const holder = await holderProcess(dataDir, 'web-1');
        let killed = false;
        try {
            let refusal: unknown;
            try {
                lockDataDir(dataDir, 'web-2', { waitMs: 200 }).release();
            } catch (error) {
                refusal = error;
            }
            expect(refusal).toBeInstanceOf(DataDirInUseError);
            const error = refusal as DataDirInUseError;
            expect(error.holder).toMatchObject({ instanceId: 'web-1', pid: holder.pid });
            expect(error.message).toContain(
                `Another listener is already running on the data directory ${dataDir}`
            );
            expect(error.message).toContain(`instance web-1, process ${holder.pid}`);
            expect(error.message).toContain('DATA_DIR');
            // Killed without a chance to release: the operating system gives the lock back.
            await holder.kill9();
            killed = true;
            const lock = lockDataDir(dataDir, 'web-2');
            expect(lock.holder).toMatchObject({ instanceId: 'web-2', pid: process.pid });
            lock.release();
        } finally {
            if (!killed) await holder.kill9();
        }
    });

    it('a listener starting while the previous one is still stopping waits for it, then takes the directory', async () => {
        dir = mkdtempSync(path.join(tmpdir(), 'lsf-lock-'));
        const dataDir = path.join(dir, 'data');
        // The previous listener ends 300 ms from now, without releasing (as a process ends): the OS lets go.
        await holderProcess(dataDir, 'web-1', 300);
        const told: unknown[] = [];
        const lock = lockDataDir(dataDir, 'web-2', { waitMs: 10_000, onWait: (holder) => told.push(holder) });
        expect(told).toEqual([expect.objectContaining({ instanceId: 'web-1' })]);
        expect(lock.holder.instanceId).toBe('web-2');
        lock.release();
    });

    it('in one process too, a second holder is refused until the first releases', () => {
        dir = mkdtempSync(path.join(tmpdir(), 'lsf-lock-'));
        const first = lockDataDir(dir, 'web-1');
        expect(() => lockDataDir(dir, 'web-2', { waitMs: 100 })).toThrow(DataDirInUseError);
        first.release();
        lockDataDir(dir, 'web-2').release();
    });

    it('the command line can tell which listener runs on a data directory, without keeping it from starting', () => {
        dir = mkdtempSync(path.join(tmpdir(), 'lsf-lock-'));
        const dataDir = path.join(dir, 'data');
        expect(listenerOnDataDir(dataDir)).toBeNull();
        const first = lockDataDir(dataDir, 'web-1');
        expect(listenerOnDataDir(dataDir)).toMatchObject({ instanceId: 'web-1', pid: process.pid });
        first.release();
        expect(listenerOnDataDir(dataDir)).toBeNull();
        // Looking took the lock for an instant and gave it back: a listener starts as before.
        const second = lockDataDir(dataDir, 'web-2');
        expect(listenerOnDataDir(dataDir)).toMatchObject({ instanceId: 'web-2' });
        second.release();
    });

    it('creates the data directory, the lock and the store readable by their owner only', async () => {
        dir = mkdtempSync(path.join(tmpdir(), 'lsf-lock-'));
        const dataDir = path.join(dir, 'data');
        const lock = lockDataDir(dataDir, 'web-1');
        const store = await createSqliteStore({ dataDir, syncOffThread: true });
        try {
            // The schema is written at opening: the WAL and its index exist.
            const mode = (name: string) => statSync(path.join(dataDir, name)).mode & 0o777;
            expect(mode('.')).toBe(0o700);
            expect(mode(LOCK_FILE_NAME)).toBe(0o600);
            expect(mode(SQLITE_FILE_NAME)).toBe(0o600);
            expect(mode(`${SQLITE_FILE_NAME}-wal`)).toBe(0o600);
            expect(mode(`${SQLITE_FILE_NAME}-shm`)).toBe(0o600);
        } finally {
            await store.close();
            lock.release();
        }
    });
});

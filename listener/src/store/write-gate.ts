// Orders the embedded store's two writers inside one process: the HTTP edge's thread (webhook appends, admin changes)
// and the sync engine's worker thread. SQLite lets one writer in at a time and answers SQLITE_BUSY to the others
// without queueing them, so whichever thread retries first wins: the engine, starting its next fold right after its
// own commit, could take the write lock round after round while an acknowledgement waited on a retry timer. The gate
// is a lock in memory both threads share: a writer waiting for it is woken the moment it is released (no polling), and
// the edge goes first: the engine does not start a write while the edge is waiting. Other processes (the command
// line) are still ordered by SQLite's own lock (sqlite.ts).
import { threadId } from 'node:worker_threads';

/** Bytes of the SharedArrayBuffer a gate lives in. */
export const WRITE_GATE_BYTES = 3 * Int32Array.BYTES_PER_ELEMENT;

// Slots of the Int32Array over the buffer.
/** 0 when free, else the holder's thread id + 1. */
const HOLDER = 0;
/** How many writers that go first are waiting. */
const FIRST_WAITING = 1;
/** Incremented at each release: waiters sleep on it. */
const RELEASES = 2;

/** Longest sleep between two looks at the gate (ms), should a change come without a release (a waiter giving up). */
const RECHECK_MS = 50;

export class WriteGateTimeoutError extends Error {
    override name = 'WriteGateTimeoutError';
}

export interface WriteGate {
    /**
     * Resolves once this thread holds the gate.
     * @param timeoutMs longest wait
     * @throws WriteGateTimeoutError when the other writer held it for longer than timeoutMs
     */
    acquire(timeoutMs: number): Promise<void>;
    /** Lets the next writer in. */
    release(): void;
}

/**
 * This thread's side of a gate.
 * @param buffer WRITE_GATE_BYTES of shared memory, the same for both threads (zeroed: the gate is free)
 * @param options.first this thread's writers go before the other's (the HTTP edge)
 */
export function openWriteGate(buffer: SharedArrayBuffer, options: { first: boolean }): WriteGate {
    const view = new Int32Array(buffer, 0, 3);
    const holder = threadId + 1;
    return {
        async acquire(timeoutMs) {
            const deadline = Date.now() + timeoutMs;
            if (options.first) Atomics.add(view, FIRST_WAITING, 1);
            try {
                for (;;) {
                    const releases = Atomics.load(view, RELEASES);
                    const yieldToFirst = !options.first && Atomics.load(view, FIRST_WAITING) > 0;
                    if (!yieldToFirst && Atomics.compareExchange(view, HOLDER, 0, holder) === 0) return;
                    const left = deadline - Date.now();
                    if (left <= 0) {
                        throw new WriteGateTimeoutError(
                            `the store stayed locked by the listener's other thread for ${Math.round(timeoutMs / 1000)} s`
                        );
                    }
                    const wait = Atomics.waitAsync(view, RELEASES, releases, Math.min(left, RECHECK_MS));
                    if (wait.async) await wait.value;
                }
            } finally {
                if (options.first) Atomics.sub(view, FIRST_WAITING, 1);
            }
        },
        release() {
            Atomics.compareExchange(view, HOLDER, holder, 0);
            Atomics.add(view, RELEASES, 1);
            Atomics.notify(view, RELEASES);
        }
    };
}

/**
 * Frees the gate if the given thread holds it (a worker that ended while writing: its transaction was rolled back
 * with its connection, and nothing else would ever release it).
 * @returns true when it was held by that thread
 */
export function releaseWriteGateOf(buffer: SharedArrayBuffer, ofThreadId: number): boolean {
    const view = new Int32Array(buffer, 0, 3);
    if (Atomics.compareExchange(view, HOLDER, ofThreadId + 1, 0) !== ofThreadId + 1) return false;
    Atomics.add(view, RELEASES, 1);
    Atomics.notify(view, RELEASES);
    return true;
}

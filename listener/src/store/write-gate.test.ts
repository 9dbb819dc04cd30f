import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { openWriteGate, releaseWriteGateOf, WRITE_GATE_BYTES, WriteGateTimeoutError } from './write-gate.ts';

/** Resolves to the order in which the given acquisitions completed. */
function track(acquisitions: Record<string, Promise<void>>, order: string[]): Promise<unknown> {
    return Promise.all(Object.entries(acquisitions).map(([name, done]) => done.then(() => order.push(name))));
}

describe('write gate', () => {
    it('lets one writer in at a time and wakes the next one at the release', async () => {
        const buffer = new SharedArrayBuffer(WRITE_GATE_BYTES);
        const edge = openWriteGate(buffer, { first: true });
        const engine = openWriteGate(buffer, { first: false });
        await edge.acquire(1000);
        const order: string[] = [];
        const waiting = track({ engine: engine.acquire(5000) }, order);
        await new Promise((resolve) => setTimeout(resolve, 30));
        expect(order).toEqual([]);
        edge.release();
        await waiting;
        expect(order).toEqual(['engine']);
        engine.release();
    });

    it('lets the edge in before an engine write that was waiting longer', async () => {
        const buffer = new SharedArrayBuffer(WRITE_GATE_BYTES);
        const holder = openWriteGate(buffer, { first: false });
        const engine = openWriteGate(buffer, { first: false });
        const edge = openWriteGate(buffer, { first: true });
        await holder.acquire(1000);
        const order: string[] = [];
        const engineTurn = engine.acquire(5000).then(() => {
            order.push('engine');
            engine.release();
        });
        await new Promise((resolve) => setTimeout(resolve, 10));
        const edgeTurn = edge.acquire(5000).then(() => {
            order.push('edge');
            edge.release();
        });
        await new Promise((resolve) => setTimeout(resolve, 10));
        holder.release();
        await Promise.all([engineTurn, edgeTurn]);
        expect(order).toEqual(['edge', 'engine']);
    });

    it('gives up after the timeout with an error saying the store stayed locked', async () => {
        const buffer = new SharedArrayBuffer(WRITE_GATE_BYTES);
        const edge = openWriteGate(buffer, { first: true });
        await openWriteGate(buffer, { first: false }).acquire(1000);
        const refused = edge.acquire(60);
        await expect(refused).rejects.toBeInstanceOf(WriteGateTimeoutError);
        await expect(refused).rejects.toThrow(/stayed locked/);
    });

    it('is freed when the thread holding it ends, and only then', async () => {
        const buffer = new SharedArrayBuffer(WRITE_GATE_BYTES);
        const moduleUrl = new URL('./write-gate.ts', import.meta.url).href;
        const worker = new Worker(
            `const { parentPort, workerData } = require('node:worker_threads');
             import(${JSON.stringify(moduleUrl)}).then(async ({ openWriteGate }) => {
                 await openWriteGate(workerData, { first: false }).acquire(1000);
                 parentPort.postMessage('held');
             });`,
            { eval: true, workerData: buffer }
        );
        await new Promise((resolve) => worker.once('message', resolve));
        const threadOfWorker = worker.threadId;
        expect(releaseWriteGateOf(buffer, threadOfWorker + 1)).toBe(false);
        await worker.terminate();
        const edge = openWriteGate(buffer, { first: true });
        await expect(edge.acquire(60)).rejects.toBeInstanceOf(WriteGateTimeoutError);
        expect(releaseWriteGateOf(buffer, threadOfWorker)).toBe(true);
        await edge.acquire(1000);
        edge.release();
    });
});

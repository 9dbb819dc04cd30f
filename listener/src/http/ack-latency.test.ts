// The acknowledgement path against the real embedded store: every delivery is committed with synchronous=FULL
// before its 202, and the time that takes is what Livestorm waits for.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../store/sqlite.ts';
import type { Store } from '../store/store.ts';
import { createTestApp, postWebhook, registeredPayload } from '../../test/test-app.ts';

const DELIVERIES = 2_000;

function percentile(sorted: number[], p: number): number {
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

describe('acknowledgement latency with the sqlite store', () => {
    let dir: string;
    let store: Store;

    beforeAll(async () => {
        dir = mkdtempSync(join(tmpdir(), 'ack-latency-'));
        store = await createSqliteStore({ dataDir: dir });
    });

    afterAll(async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
    });

    it(
        `stores and acknowledges ${DELIVERIES} sequential deliveries quickly`,
        { timeout: 120_000 },
        async () => {
            const { app } = createTestApp({ store, env: { LOG_LEVEL: 'info' } });
            const timings: number[] = [];
            for (let i = 0; i < DELIVERIES; i++) {
                const body = registeredPayload(`person-${i}`, `person-${i}@example.com`);
                const started = performance.now();
                const res = await postWebhook(app, body);
                timings.push(performance.now() - started);
                expect(res.status).toBe(202);
            }
            const sorted = timings.slice().sort((a, b) => a - b);
            const p50 = percentile(sorted, 50);
            const p99 = percentile(sorted, 99);
            console.info(
                `ack latency over ${DELIVERIES} deliveries: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${sorted.at(-1)?.toFixed(2)} ms`
            );
            expect((await store.countDeliveries()).pending).toBe(DELIVERIES);
            // The target is p99 < 10 ms on an idle machine; these bounds absorb a loaded CI host and shared disks while
            // still catching anything slow (a network call, a lock) creeping into the acknowledgement path.
            expect(p50).toBeLessThan(10);
            expect(p99).toBeLessThan(100);
        }
    );
});

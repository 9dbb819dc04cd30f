// The acknowledgement path against the real embedded store, opened as the listener opens its HTTP edge's connection:
// every delivery is committed and on disk before its 202. How long that takes is a figure of the benchmark
// (`npm run bench`, ackP99Ms), not of this test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../store/sqlite.ts';
import type { Store } from '../store/store.ts';
import { createTestApp, postWebhook, registeredPayload } from '../../test/test-app.ts';

const DELIVERIES = 2_000;

describe('acknowledgement with the sqlite store', () => {
    let dir: string;
    let store: Store;

    beforeAll(async () => {
        dir = mkdtempSync(join(tmpdir(), 'ack-latency-'));
        store = await createSqliteStore({ dataDir: dir, syncOffThread: true });
    });

    afterAll(async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
    });

    it(
        `commits each of ${DELIVERIES} sequential deliveries before its 202`,
        { timeout: 120_000 },
        async () => {
            const { app } = createTestApp({ store, env: { LOG_LEVEL: 'info' } });
            for (let i = 0; i < DELIVERIES; i++) {
                const res = await postWebhook(
                    app,
                    registeredPayload(`person-${i}`, `person-${i}@example.com`)
                );
                expect(res.status).toBe(202);
                expect((await store.countDeliveries()).pending).toBe(i + 1);
            }
        }
    );
});

// A small heap and a large backlog: the listener starts under LISTENER_MAX_OLD_SPACE_MB=64 (as `npm start` applies
// it) with 10,000 deliveries already pending in its store (1,000 in npm test). It must work through them without
// restarting or running out of memory and end with the exact state; its memory figures are reported, not asserted.
import { readFileSync } from 'node:fs';
import { describe, expect, it, afterAll } from 'vitest';
import { storeDelivery } from '../../listener/src/inbox/receive.ts';
import { createSqliteStore } from '../../listener/src/store/sqlite.ts';
import { webhookBody } from '../emulators/livestorm/webhooks.ts';
import { exactlyOnce, hoursFromNow, report, scaled, startRig } from './harness.ts';
import type { Rig } from './harness.ts';

const BACKLOG = Number(process.env.SMALL_HEAP_BACKLOG ?? scaled(1_000, 10_000));
const SESSIONS = 10;
const HEAP_MB = 64;

let rig: Rig | undefined;
afterAll(async () => {
    await rig?.close();
}, 60_000);

/** Resident set size now and at its peak (kB), from /proc. */
function memoryOf(pid: number): { rssKb: number; peakKb: number } {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
    return { rssKb: field('VmRSS'), peakKb: field('VmHWM') };
}

describe(`a ${BACKLOG}-delivery backlog under a ${HEAP_MB} MB old generation`, () => {
    it('is worked through without a restart or running out of memory, to the exact state', async () => {
        rig = await startRig();
        const current = rig;
        const { simulator } = current;
        // The backlog, written to the store as the webhook route would have stored it, before the listener starts.
        const store = await createSqliteStore({ dataDir: current.dataDir });
        const expected = new Map<string, string[]>();
        const event = simulator.state.createEvent({ title: 'Backlog' });
        const receivedAt = Date.now();
        await storeDelivery(store, webhookBody('event.created', event), receivedAt);
        const perSession = Math.ceil(BACKLOG / SESSIONS);
        let stored = 1;
        for (let s = 0; s < SESSIONS; s++) {
            const session = simulator.state.createSession(event.id, { startsAt: hoursFromNow(24 + s) });
            await storeDelivery(store, webhookBody('session.created', session), receivedAt);
            stored++;
            const emails: string[] = [];
            for (let p = 0; p < perSession && stored < BACKLOG; p++) {
                const email = `heap.${s}.${p}@example.com`;
                const person = simulator.state.register(session.id, {
                    firstName: 'Heap',
                    lastName: `${s}-${p}`,
                    email,
                    fields: [{ id: 'company', value: `Company ${p % 50}` }]
                });
                await storeDelivery(store, webhookBody('people.registered', person), receivedAt);
                emails.push(email);
                stored++;
            }
            expected.set(session.id, emails);
        }
        await store.close();

        const started = Date.now();
        const listener = await current.start({ LISTENER_MAX_OLD_SPACE_MB: String(HEAP_MB) });
        const pid = listener.pid;
        let peakKb = 0;
        const settled = () =>
            [...expected].every(([sessionId, emails]) => {
                const result = exactlyOnce(current.emulator, sessionId, emails);
                return result.lost === 0;
            });
        await expect
            .poll(
                () => {
                    expect(listener.child.exitCode, listener.output().slice(-2000)).toBeNull();
                    peakKb = Math.max(peakKb, memoryOf(pid).peakKb);
                    return settled();
                },
                { timeout: 840_000, interval: 500 }
            )
            .toBe(true);
        const drainSeconds = Math.round((Date.now() - started) / 100) / 10;
        let duplicates = 0;
        for (const [sessionId, emails] of expected) {
            const result = exactlyOnce(current.emulator, sessionId, emails);
            expect(result).toEqual({ lost: 0, duplicates: 0, wrongStatus: 0, campaigns: 1 });
            duplicates += result.duplicates;
        }
        const memory = memoryOf(pid);
        expect(listener.child.exitCode).toBeNull();
        expect(listener.pid).toBe(pid);
        expect(listener.output()).not.toMatch(/heap out of memory|FATAL ERROR/i);
        report('small heap', {
            'old generation MB': HEAP_MB,
            'pending deliveries': stored,
            sessions: SESSIONS,
            'drained in s': drainSeconds,
            'peak RSS MB': Math.round(Math.max(peakKb, memory.peakKb) / 1024),
            'RSS after MB': Math.round(memory.rssKb / 1024),
            restarts: 0,
            lost: 0,
            duplicates
        });
    }, 900_000);
});

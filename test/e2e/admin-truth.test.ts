// What an admin reads on the Health page, /healthz and /metrics must be true: the last write to Salesforce is not
// forgotten at a restart, every session with people not yet written is counted whatever they wait for, and a
// Salesforce that stops answering leaves "connected" once the request timeout is over.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkAndClose, endsUnsettled } from '../support/invariant.ts';
import { campaignOf, deliverRegistrations, deliverSession, leadsByEmail, membersOf } from '../support/org.ts';
import { startStack } from '../support/stack.ts';
import type { Stack } from '../support/stack.ts';

let stack: Stack | undefined;
let dataDir: string | undefined;
afterEach(async () => {
    await checkAndClose(stack);
    stack = undefined;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    dataDir = undefined;
});

const session = (current: Stack, title = 'Admin truth') => deliverSession(current, title, 3);
const register = (current: Stack, sessionId: string, count: number, prefix: string) =>
    deliverRegistrations(current, sessionId, count, prefix, 'Person');

/** The value of one unlabelled gauge of /metrics. */
async function gauge(current: Stack, name: string): Promise<number> {
    const text = await (await fetch(`${current.listenerUrl}/metrics`)).text();
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (!match) throw new Error(`/metrics has no ${name}`);
    return Number(match[1]);
}

describe('the last write to Salesforce', () => {
    it('is still known after a restart, in the health and the /metrics gauge', async () => {
        dataDir = await mkdtemp(join(tmpdir(), 'lsf-truth-'));
        stack = await startStack({ dataDir });
        const created = await session(stack);
        await register(stack, created.id, 3, 'before');
        await stack.engine.whenIdle();
        const written = stack.engine.health().lastSyncAt;
        expect(written).not.toBeNull();
        const passes = (await stack.store.listSyncLog(10)).length;
        await stack.close();

        stack = await startStack({ dataDir });
        // Nothing is dirty: the new listener writes nothing, yet the last write is the one before the restart.
        await stack.engine.whenIdle();
        expect((await stack.store.listSyncLog(10)).length).toBe(passes);
        expect(stack.engine.health().lastSyncAt).toBe(written);
        expect(await gauge(stack, 'livestorm_sf_last_sync_timestamp_seconds')).toBe(written! / 1000);
    });

    it('is not moved by a pass that wrote nothing to Salesforce', async () => {
        stack = await startStack();
        const created = await session(stack);
        await register(stack, created.id, 1, 'written');
        await stack.engine.whenIdle();
        const written = stack.engine.health().lastSyncAt;
        expect(written).not.toBeNull();
        const callsBefore = stack.emulator.inspect.callCount();
        // A host of the session: team members are not synced (syncTeamMembers is false), so its pass settles the
        // person without any API call.
        const host = stack.simulator.state.register(created.id, {
            firstName: 'Host',
            lastName: 'Person',
            email: 'host@example.com',
            role: 'team_member'
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
        await stack.sender.deliver('people.registered', host);
        await stack.engine.whenIdle();
        expect((await stack.store.getPeople(created.id)).map((person) => person.state.role).sort()).toEqual([
            'participant',
            'team_member'
        ]);
        expect(stack.emulator.inspect.callCount()).toBe(callsBefore);
        expect(stack.engine.health().lastSyncAt).toBe(written);
    });
});

describe('sessions with changes not yet written', () => {
    it('are counted while Salesforce refuses the credentials, from the start', async () => {
        stack = await startStack({ salesforce: { faults: { expireTokens: true } } });
        endsUnsettled(stack);
        const first = await session(stack, 'First');
        const second = await session(stack, 'Second');
        await register(stack, first.id, 2, 'first');
        await register(stack, second.id, 3, 'second');
        await expect
            .poll(() => stack!.engine.health().salesforce.state, { timeout: 10_000 })
            .toBe('refused_credentials');
        await expect
            .poll(async () => (await stack!.store.countPendingDeliveries()) === 0, { timeout: 10_000 })
            .toBe(true);
        await expect.poll(() => stack!.engine.health().dirtySessions, { timeout: 5_000 }).toBe(2);
        expect(await gauge(stack, 'livestorm_sf_dirty_sessions')).toBe(2);
    });

    it('are counted while their people wait for a retry later', async () => {
        // The engine's clock can be stopped: then a retry time in the future never comes.
        let stoppedAt: number | null = null;
        stack = await startStack({ engineClock: () => stoppedAt ?? Date.now() });
        const created = await session(stack);
        await stack.engine.whenIdle();
        expect(stack.engine.health().dirtySessions).toBe(0);
        // Every member write on the Campaign fails UNABLE_TO_LOCK_ROW: the people wait for their retry time.
        stack.emulator.inspect.setFaults({ injectLockErrors: 1_000 });
        await register(stack, created.id, 2, 'locked');
        await expect
            .poll(
                async () =>
                    (await stack!.store.getPeople(created.id)).filter((p) => p.failure !== null).length,
                { timeout: 10_000 }
            )
            .toBe(2);
        stoppedAt = Date.now();
        const retryLater = async () =>
            (await stack!.store.getPeople(created.id)).every(
                (person) => person.failure !== null && person.failure.nextAttemptAt > stoppedAt!
            );
        await expect.poll(retryLater, { timeout: 10_000 }).toBe(true);
        // Several polls of the engine (50 ms each) run meanwhile; nobody is due, everybody waits.
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(await stack.store.dirtySessionIds(stoppedAt)).toEqual([]);
        expect(stack.engine.health().dirtySessions).toBe(1);
        expect(await gauge(stack, 'livestorm_sf_dirty_sessions')).toBe(1);
        stoppedAt = null;
        stack.emulator.inspect.setFaults({ injectLockErrors: 0 });
        // whenIdle waits for due work only: the retries come at their time.
        await expect
            .poll(() => membersOf(stack!, String(campaignOf(stack!, created.id).Id)).length, {
                timeout: 30_000
            })
            .toBe(2);
        await stack.engine.whenIdle();
        await expect.poll(() => stack!.engine.health().dirtySessions, { timeout: 5_000 }).toBe(0);
    });
});

describe('a Salesforce that stops answering', () => {
    it('leaves "connected" once a call has waited the request timeout, saying what happened and what to do', async () => {
        stack = await startStack({ salesforceTimeoutMs: 1_000 });
        const created = await session(stack);
        await stack.engine.whenIdle();
        const healthz = async () =>
            (await (await fetch(`${stack!.listenerUrl}/healthz`)).json()) as {
                status: string;
                salesforce: { state: string; reason: string | null; fix: string | null };
            };
        expect((await healthz()).salesforce.state).toBe('connected');
        // The org takes every call but answers each one only after 3 s: three times the listener's timeout.
        stack.emulator.inspect.setLatency(3_000);
        await register(stack, created.id, 2, 'hung');
        await expect
            .poll(async () => (await healthz()).salesforce.state, { timeout: 5_000 })
            .toBe('retrying');
        const health = await healthz();
        expect(health.status).toBe('degraded');
        expect(health.salesforce.reason).toMatch(
            /^Salesforce did not answer POST \S+ within 1 s \(the listener's request timeout\)/
        );
        expect(health.salesforce.reason).toMatch(/nothing is lost/);
        expect(health.salesforce.fix).toMatch(/status\.salesforce\.com/);
        // Answering again: the writes the org finished after the listener stopped waiting are found, none doubled.
        stack.emulator.inspect.setLatency(0);
        await stack.engine.whenIdle(30_000);
        expect((await healthz()).salesforce.state).toBe('connected');
        expect(membersOf(stack, String(campaignOf(stack, created.id).Id))).toHaveLength(2);
        for (const index of [0, 1]) expect(leadsByEmail(stack, `hung${index}@example.com`)).toHaveLength(1);
    });
});

// REQUEST_LIMIT_EXCEEDED read by its message (DESIGN "Rules that are easy to get wrong"), the health model that shows
// which case holds, the admin's resume, and the outage with a backlog: every person ends synced, and while Salesforce
// is away every one of them is waiting with a reason and a next attempt.
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINE_HEALTH_SETTING } from '../../listener/src/sync/engine-port.ts';
import type { PersistedEngineSides } from '../../listener/src/sync/engine-port.ts';
import type { HealthBody } from '../../listener/src/http/health.ts';
import { startFaultProxy } from '../reliability/fault-proxy.ts';
import type { FaultProxy } from '../reliability/fault-proxy.ts';
import { checkAndClose, expectNoneSilentlyStuck } from '../support/invariant.ts';
import { campaignOf, deliverRegistrations, deliverSession, membersOf } from '../support/org.ts';
import { startStack } from '../support/stack.ts';
import type { Stack } from '../support/stack.ts';

const ADMIN_TOKEN = 'limits-admin-token-0123456789';

let stack: Stack | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
    try {
        await checkAndClose(stack);
    } finally {
        stack = undefined;
        await proxy?.close();
        proxy = undefined;
    }
});

const session = (current: Stack, title = 'Limits webinar') => deliverSession(current, title, 5);
const register = (current: Stack, sessionId: string, count: number, prefix: string) =>
    deliverRegistrations(current, sessionId, count, prefix, 'Limited');

/** Every Salesforce/Livestorm side the engine saves in the store (what the command line reads), in order. */
function recordSides(current: Stack): PersistedEngineSides[] {
    const seen: PersistedEngineSides[] = [];
    const store = current.store;
    const original = store.setSetting.bind(store);
    store.setSetting = async (key, value) => {
        if (key === ENGINE_HEALTH_SETTING) seen.push(structuredClone(value as PersistedEngineSides));
        return original(key, value);
    };
    return seen;
}

async function healthz(current: Stack): Promise<{ status: number; body: HealthBody }> {
    const response = await fetch(`${current.listenerUrl}/healthz`);
    return { status: response.status, body: (await response.json()) as HealthBody };
}

const limitsCalls = (current: Stack) =>
    current.emulator.inspect.calls().log.filter((entry) => entry.kind === 'limits');

describe('REQUEST_LIMIT_EXCEEDED and the health model', () => {
    it('ConcurrentPerOrgLongTxn for a while is a concurrency limit: retried within the backoff cap, never a pause for the day', async () => {
        // The daily probe interval stays at its 5 minutes: a daily-limit pause would not end within this test.
        stack = await startStack({ backoffCapMs: 200 });
        const created = await session(stack);
        await stack.engine.whenIdle();
        const sides = recordSides(stack);
        const windowMs = 1_500;
        stack.emulator.inspect.setFaults({
            requestLimit: { kind: 'ConcurrentPerOrgLongTxn', untilMs: Date.now() + windowMs }
        });
        await register(stack, created.id, 20, 'longtxn');
        await expect
            .poll(async () => (await healthz(stack!)).body.salesforce.state, {
                timeout: 10_000,
                interval: 20
            })
            .toBe('retrying');
        const during = await healthz(stack);
        expect(during.status).toBe(200);
        expect(during.body.status).toBe('degraded');
        expect(during.body.salesforce.reason).toMatch(/concurrent requests .*ConcurrentPerOrgLongTxn/);
        await stack.engine.whenIdle(20_000);

        expect(membersOf(stack, String(campaignOf(stack, created.id).Id))).toHaveLength(20);
        expect(stack.engine.health().salesforce.state).toBe('connected');
        const retrying = sides.filter((entry) => entry.salesforce.state === 'retrying');
        expect(retrying.length).toBeGreaterThan(0);
        for (const entry of retrying) {
            expect(entry.salesforceNextAttemptAt! - entry.updatedAt).toBeLessThanOrEqual(200);
        }
        expect(sides.map((entry) => entry.salesforce.state)).not.toContain('paused_daily_limit');
        // A concurrency limit is never mistaken for the daily allocation: /limits was never probed.
        expect(limitsCalls(stack)).toHaveLength(0);
    });

    it('ConcurrentRequests (Concurrent API Requests) is a concurrency limit too', async () => {
        stack = await startStack({ backoffCapMs: 200 });
        const created = await session(stack);
        await stack.engine.whenIdle();
        const sides = recordSides(stack);
        stack.emulator.inspect.setFaults({ requestLimit: { kind: 'ConcurrentRequests', count: 3 } });
        await register(stack, created.id, 5, 'concurrent');
        await stack.engine.whenIdle(20_000);
        expect(membersOf(stack, String(campaignOf(stack, created.id).Id))).toHaveLength(5);
        const states = sides.map((entry) => entry.salesforce.state);
        expect(states).toContain('retrying');
        expect(states.filter((state) => state.startsWith('paused'))).toEqual([]);
        expect(limitsCalls(stack)).toHaveLength(0);
    });

    it('TotalRequests pauses for the daily allocation, probes one GET /limits per interval, and resumes under the budget', async () => {
        stack = await startStack({ limitProbeIntervalMs: 400 });
        const created = await session(stack);
        await stack.engine.whenIdle();
        const sides = recordSides(stack);
        const callsBefore = stack.emulator.inspect.calls().log.length;
        stack.emulator.inspect.setFaults({ exhaustLimit: true });
        await register(stack, created.id, 5, 'daily');
        await expect
            .poll(() => stack!.engine.health().salesforce.state, { timeout: 10_000 })
            .toBe('paused_daily_limit');

        const paused = await healthz(stack);
        expect(paused.status).toBe(200);
        expect(paused.body.status).toBe('degraded');
        expect(paused.body.salesforce).toMatchObject({
            state: 'paused_daily_limit',
            reason: expect.stringMatching(/TotalRequests/),
            fix: expect.stringMatching(/GET \/limits.*apiBudgetShare.*Resume Salesforce/s),
            since: expect.any(String)
        });
        // Meanwhile each person waits with the reason and the next probe.
        const waiting = await expectNoneSilentlyStuck(stack, { settled: false });
        expect(waiting.filter((status) => status.state === 'waiting')).toHaveLength(5);
        for (const status of waiting.filter((entry) => entry.state === 'waiting'))
            expect(status.reason).toMatch(/TotalRequests/);
        // The settled check does fail on them: the helper is not a rubber stamp.
        await expect(expectNoneSilentlyStuck(stack)).rejects.toThrow(/silently stuck/);

        await expect.poll(() => limitsCalls(stack!).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
        // While paused, the only calls are the probes, and each pause is exactly one interval.
        const sincePause = stack.emulator.inspect.calls().log.slice(callsBefore);
        const firstRefusal = sincePause.findIndex((entry) => entry.status === 403);
        expect(sincePause.slice(firstRefusal + 1).every((entry) => entry.kind === 'limits')).toBe(true);
        for (const entry of sides.filter((side) => side.salesforce.state === 'paused_daily_limit')) {
            // updatedAt is read a moment after the pause is scheduled.
            expect(entry.salesforceNextAttemptAt! - entry.updatedAt).toBeLessThanOrEqual(400);
            expect(entry.salesforceNextAttemptAt! - entry.updatedAt).toBeGreaterThan(0);
        }

        stack.emulator.inspect.setFaults({ exhaustLimit: false });
        await stack.engine.whenIdle(20_000);
        expect(membersOf(stack, String(campaignOf(stack, created.id).Id))).toHaveLength(5);
        expect((await healthz(stack)).body).toMatchObject({
            status: 'ok',
            salesforce: { state: 'connected' }
        });
    });

    it('over the API budget: paused_budget, and POST /admin/api/salesforce/resume resumes at once (202)', async () => {
        stack = await startStack({
            adminToken: ADMIN_TOKEN,
            salesforce: { dailyApiLimit: 200 },
            settings: { apiBudgetShare: 0.5 }
        });
        const created = await session(stack);
        await register(stack, created.id, 3, 'early');
        await stack.engine.whenIdle();
        // Another integration spends the org's calls: past half of the allocation.
        const limitsUrl = `${stack.emulator.instanceUrl}/services/data/v${stack.salesforce.apiVersion}/limits`;
        for (let call = 0; call < 100; call++) {
            await fetch(limitsUrl, { headers: { Authorization: `Bearer ${stack.emulator.accessToken}` } });
        }
        // One pass still goes out on the last usage the listener saw, and reads the new one: then it pauses.
        await register(stack, created.id, 2, 'reader');
        await expect
            .poll(() => stack!.engine.health().salesforce.state, { timeout: 10_000 })
            .toBe('paused_budget');
        const paused = await healthz(stack);
        expect(paused.status).toBe(200);
        expect(paused.body.salesforce.reason).toMatch(/apiBudgetShare/);
        // Registrations during the pause are stored, not written.
        const campaignId = String(campaignOf(stack, created.id).Id);
        const before = membersOf(stack, campaignId).length;
        await register(stack, created.id, 4, 'budget');
        await expect
            .poll(async () => (await stack!.store.countDeliveries()).pending, { timeout: 10_000 })
            .toBe(0);
        expect(membersOf(stack, campaignId)).toHaveLength(before);

        const refused = await fetch(`${stack.listenerUrl}/admin/api/salesforce/resume`, { method: 'POST' });
        expect(refused.status).toBe(401);
        const resumed = await fetch(`${stack.listenerUrl}/admin/api/salesforce/resume`, {
            method: 'POST',
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` }
        });
        expect(resumed.status).toBe(202);
        // The probe interval is 5 minutes: only the resume can have written these before whenIdle gives up.
        await stack.engine.whenIdle(20_000);
        expect(membersOf(stack, campaignId)).toHaveLength(9);
    });
});

describe('dry-run mode', () => {
    it('shows Salesforce as dry_run, the listener ok, and each person not written with the reason', async () => {
        stack = await startStack({ settings: { dryRun: true } });
        const created = await session(stack);
        await register(stack, created.id, 3, 'dry');
        // Nothing is ever written in dry run, so the engine is never idle: wait for the people to be folded.
        await expect.poll(async () => (await stack!.store.getPeople(created.id)).length).toBe(3);
        const health = await healthz(stack);
        expect(health.status).toBe(200);
        expect(health.body).toMatchObject({ status: 'ok', salesforce: { state: 'dry_run' } });
        expect(stack.emulator.inspect.records('Campaign')).toHaveLength(0);
        const statuses = await expectNoneSilentlyStuck(stack);
        expect(statuses.map((status) => status.state)).toEqual(['disabled', 'disabled', 'disabled']);
        expect(statuses[0]!.reason).toMatch(/Dry-run mode/);
    });
});

describe('an outage with a backlog', () => {
    it('Salesforce unreachable while 2,000 registrations arrive for ten sessions, then back: every person ends synced', async () => {
        proxy = await startFaultProxy();
        const active = proxy;
        stack = await startStack({
            backoffCapMs: 1_000,
            salesforceUrl: (emulator) => {
                active.retarget(emulator.instanceUrl);
                return active.url;
            },
            sender: { retryDelaysMs: [], concurrency: 16 }
        });
        const sessions = [];
        for (let index = 0; index < 10; index++)
            sessions.push(await session(stack, `Outage webinar ${index}`));
        await stack.engine.whenIdle();

        await active.set({ kind: 'refuse' });
        for (const [index, created] of sessions.entries())
            await register(stack, created.id, 200, `outage${index}.`);
        await expect
            .poll(() => stack!.engine.health().salesforce.state, { timeout: 10_000 })
            .toBe('retrying');
        expect((await healthz(stack)).status).toBe(200);
        // Deliveries are folded while Salesforce is away.
        await expect
            .poll(async () => (await stack!.store.countDeliveries()).pending, { timeout: 20_000 })
            .toBe(0);
        // During the outage: all 2,000 explained, none silently stuck.
        const during = await expectNoneSilentlyStuck(stack, { settled: false });
        expect(during.filter((status) => status.state === 'waiting')).toHaveLength(2000);
        expect(during[0]!.reason).toMatch(/cannot be reached/);

        await active.set({ kind: 'pass' });
        await stack.engine.whenIdle(40_000);
        for (const created of sessions)
            expect(membersOf(stack, String(campaignOf(stack, created.id).Id))).toHaveLength(200);
        const after = await expectNoneSilentlyStuck(stack);
        expect(after.filter((status) => status.state === 'synced')).toHaveLength(2000);
    });
});

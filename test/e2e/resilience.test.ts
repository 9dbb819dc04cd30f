// What goes wrong in production, end to end: Salesforce 5xx storms, expired sessions, the daily limit, row locks,
// records Salesforce rejects, duplicate rules, missing per-person webhooks. Nothing acknowledged is lost.
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '../support/postgres.ts';
import { startStack } from '../support/stack.ts';
import { checkAndClose, endsUnsettled } from '../support/invariant.ts';
import type { Stack } from '../support/stack.ts';
import {
    campaignOf,
    deliverRegistrations,
    deliverSession,
    leadsByEmail,
    memberByEmail,
    membersOf
} from '../support/org.ts';

let stack: Stack | undefined;
afterEach(async () => {
    // Every scenario ends with the invariant: no person silently stuck.
    await checkAndClose(stack);
    stack = undefined;
});

const session = (current: Stack, title = 'Resilience') => deliverSession(current, title, 3);
const register = (current: Stack, sessionId: string, count: number, prefix: string, lastName = 'Person') =>
    deliverRegistrations(current, sessionId, count, prefix, lastName);

describe('resilience', () => {
    it('a storm of 5xx answers delays the sync but loses nothing', async () => {
        stack = await startStack();
        const created = await session(stack);
        await stack.engine.whenIdle();
        stack.emulator.inspect.setFaults({ serverErrors: { count: 4, status: 503 } });
        await register(stack, created.id, 20, 'storm');
        await stack.engine.whenIdle(30_000);
        expect(membersOf(stack, String(campaignOf(stack, created.id).Id))).toHaveLength(20);
    });

    it('an expired session is refreshed transparently with the client credentials flow', async () => {
        stack = await startStack({ salesforceAuth: 'client_credentials' });
        const created = await session(stack);
        await stack.engine.whenIdle();
        const tokensBefore = stack.emulator.inspect.tokens();
        stack.emulator.inspect.setFaults({ expireTokens: true });
        await register(stack, created.id, 3, 'expired');
        await stack.engine.whenIdle();
        expect(stack.emulator.inspect.tokens()).toBe(tokensBefore + 1);
        expect(membersOf(stack, String(campaignOf(stack, created.id).Id))).toHaveLength(3);
    });

    it('the JWT bearer flow signs an assertion the org verifies with the certificate', async () => {
        const { generateKeyPairSync } = await import('node:crypto');
        const { writeFile, mkdtemp, rm } = await import('node:fs/promises');
        const { tmpdir } = await import('node:os');
        const { join } = await import('node:path');
        const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        const keyDir = await mkdtemp(join(tmpdir(), 'lsf-jwt-'));
        onTestFinished(() => rm(keyDir, { recursive: true, force: true }));
        const keyFile = join(keyDir, 'server.key');
        await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
        stack = await startStack({
            salesforce: { jwtPublicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
            salesforceAuth: { mode: 'jwt', username: 'integration@acme.example.com', jwtKeyFile: keyFile }
        });
        const created = await session(stack, 'JWT');
        await register(stack, created.id, 2, 'jwt');
        await stack.engine.whenIdle();
        expect(stack.emulator.inspect.tokens()).toBeGreaterThanOrEqual(1);
        expect(membersOf(stack, String(campaignOf(stack, created.id).Id))).toHaveLength(2);
    });

    it('client credentials Salesforce refuses are reported as refused credentials, with what to check', async () => {
        // The org's External Client App has another secret than the listener's SF_CLIENT_SECRET.
        stack = await startStack({
            salesforceAuth: 'client_credentials',
            salesforce: { clientSecret: 'rotated-secret' }
        });
        endsUnsettled(stack);
        const created = await session(stack);
        await register(stack, created.id, 2, 'refused');
        await expect
            .poll(() => stack!.engine.health().salesforce.state, { timeout: 10_000 })
            .toBe('refused_credentials');
        const side = stack.engine.health().salesforce;
        expect(side.reason).toContain(
            'The client credentials flow (SF_CLIENT_ID / SF_CLIENT_SECRET) was refused by Salesforce: invalid client credentials'
        );
        expect(side.fix).toMatch(/SF_CLIENT_SECRET/);
        await expect
            .poll(async () => (await stack!.store.getPeople(created.id)).length, { timeout: 5_000 })
            .toBe(2);
    });

    it('a token endpoint that cannot be reached is an outage being retried, not refused credentials', async () => {
        // Nothing listens where the listener asks for its token (SF_LOGIN_URL).
        const nobody = `http://127.0.0.1:${await freePort()}`;
        stack = await startStack({ salesforceAuth: 'client_credentials', salesforceUrl: () => nobody });
        endsUnsettled(stack);
        const created = await session(stack);
        await register(stack, created.id, 1, 'unreachable');
        await expect
            .poll(() => stack!.engine.health().salesforce.state, { timeout: 10_000 })
            .toBe('retrying');
        expect(stack.engine.health().salesforce.reason).toMatch(
            /^Salesforce cannot be reached right now \(The client credentials flow \(SF_CLIENT_ID \/ SF_CLIENT_SECRET\): Salesforce's token endpoint at http:\/\/127\.0\.0\.1:\d+ cannot be reached \(/
        );
    });

    it('a refused static token is reported in the health, and deliveries are kept', async () => {
        stack = await startStack();
        endsUnsettled(stack);
        stack.emulator.inspect.setFaults({ expireTokens: true });
        const created = await session(stack);
        await register(stack, created.id, 2, 'kept');
        await expect
            .poll(() => stack!.engine.health().salesforce.state, { timeout: 10_000 })
            .toBe('refused_credentials');
        const side = stack.engine.health().salesforce;
        expect(`${side.reason} ${side.fix}`).toMatch(/SF_ACCESS_TOKEN/);
        await expect
            .poll(async () => (await stack!.store.getPeople(created.id)).length, { timeout: 5_000 })
            .toBe(2);
        const health = await fetch(`${stack.listenerUrl}/healthz`);
        expect(health.status).toBe(200);
        expect(await health.json()).toMatchObject({
            status: 'degraded',
            salesforce: { state: 'refused_credentials' },
            store: { state: 'ok' }
        });
    });

    it('REQUEST_LIMIT_EXCEEDED (TotalRequests) pauses the engine; it resumes and writes everything', async () => {
        stack = await startStack({ limitProbeIntervalMs: 300 });
        const created = await session(stack);
        await stack.engine.whenIdle();
        stack.emulator.inspect.setFaults({ exhaustLimit: true });
        await register(stack, created.id, 5, 'limited');
        await expect
            .poll(() => stack!.engine.health().salesforce.state, { timeout: 10_000 })
            .toBe('paused_daily_limit');
        expect(stack.engine.health().salesforce.reason).toMatch(/REQUEST_LIMIT_EXCEEDED: TotalRequests/);
        stack.emulator.inspect.setFaults({ exhaustLimit: false });
        await stack.engine.whenIdle(20_000);
        expect(membersOf(stack, String(campaignOf(stack, created.id).Id))).toHaveLength(5);
    });

    it('rows that hit UNABLE_TO_LOCK_ROW are retried alone until written', async () => {
        stack = await startStack();
        const created = await session(stack);
        await stack.engine.whenIdle();
        stack.emulator.inspect.setFaults({ injectLockErrors: 3 });
        await register(stack, created.id, 10, 'locked');
        await stack.engine.whenIdle();
        await expect
            .poll(() => membersOf(stack!, String(campaignOf(stack!, created.id).Id)).length, {
                timeout: 20_000,
                interval: 200
            })
            .toBe(10);
        // The store records the success right after Salesforce answers.
        await expect
            .poll(async () => (await stack!.store.listFailures(10)).length, { timeout: 5_000 })
            .toBe(0);
    });

    it('a record Salesforce rejects is kept with its error, never blocks the others, and syncs after a retry', async () => {
        stack = await startStack();
        const created = await session(stack);
        await stack.engine.whenIdle();
        stack.emulator.inspect.setFaults({
            recordErrors: (sobject: string, record: Record<string, unknown>) =>
                sobject === 'Lead' && record.LastName === 'Rejected'
                    ? {
                          statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
                          message: 'Leads from this domain are not accepted',
                          fields: []
                      }
                    : undefined
        });
        await register(stack, created.id, 5, 'fine');
        await register(stack, created.id, 1, 'rejected', 'Rejected');
        await stack.engine.whenIdle();
        const campaignId = String(campaignOf(stack, created.id).Id);
        expect(membersOf(stack, campaignId)).toHaveLength(5);
        const [failure] = await stack.store.listFailures(10);
        expect(failure?.failure).toMatchObject({
            code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
            message: 'Leads from this domain are not accepted'
        });

        stack.emulator.inspect.setFaults({ recordErrors: undefined });
        expect(await stack.engine.retryFailures()).toBe(1);
        await stack.engine.whenIdle();
        expect(membersOf(stack, campaignId)).toHaveLength(6);
        expect(await stack.store.listFailures(10)).toHaveLength(0);
    });

    it('"Alert" duplicate rules are passed with the allowSave header; "Block" rules keep the record with its error', async () => {
        // A second "Twin" of "Same Co" matches the rule on LastName + Company (the e-mail differs).
        const registerTwin = async (action: 'alert' | 'block') => {
            stack = await startStack({
                salesforce: { duplicateRules: [{ sobject: 'Lead', fields: ['LastName', 'Company'], action }] }
            });
            const created = await session(stack);
            stack.emulator.inspect.insert('Lead', {
                LastName: 'Twin',
                Company: 'Same Co',
                Email: 'first.twin@example.com'
            });
            await stack.sender.deliver(
                'people.registered',
                stack.simulator.state.register(created.id, {
                    firstName: 'Second',
                    lastName: 'Twin',
                    email: 'second.twin@example.com',
                    fields: [{ id: 'company', value: 'Same Co', custom: true }]
                })
            );
            await stack.engine.whenIdle();
            return stack;
        };
        const alerted = await registerTwin('alert');
        expect(leadsByEmail(alerted, 'second.twin@example.com')).toHaveLength(1);
        await alerted.close();

        const blocked = await registerTwin('block');
        expect(leadsByEmail(blocked, 'second.twin@example.com')).toHaveLength(0);
        const [failure] = await blocked.store.listFailures(10);
        expect(failure?.failure?.code).toBe('DUPLICATES_DETECTED');
    });

    it('session.ended without per-person webhooks: attendance is read from Livestorm', async () => {
        stack = await startStack({ settings: { attendanceReconcileSeconds: 0 } });
        const created = await session(stack);
        const people = await register(stack, created.id, 4, 'quiet');
        await stack.engine.whenIdle();
        stack.simulator.state.startSession(created.id);
        stack.simulator.state.endSession(created.id, {
            attendance: {
                [people[0]!.id]: { attended: true, durationSec: 1200 },
                [people[1]!.id]: { attended: true, durationSec: 60 }
            }
        });
        await stack.sender.deliver('session.ended', stack.simulator.state.getSession(created.id));
        const campaignId = String(campaignOf(stack, created.id).Id);
        await expect
            .poll(() => memberByEmail(stack!, campaignId, 'quiet0@example.com')?.Status, {
                timeout: 15_000,
                interval: 100
            })
            .toBe('Attended');
        await stack.engine.whenIdle();
        expect(memberByEmail(stack, campaignId, 'quiet1@example.com')).toMatchObject({
            Status: 'Attended',
            Livestorm_Attendance_Duration__c: 60
        });
        expect(memberByEmail(stack, campaignId, 'quiet2@example.com')?.Status).toBe('Did not attend');
        expect(stack.simulator.calls().byPath['/v1/sessions/:id/people']).toBe(1);
    });

    it('signed webhooks are verified and synced', async () => {
        stack = await startStack({ webhookSecret: 'livestorm-signing-secret' });
        const created = await session(stack, 'Signed');
        await register(stack, created.id, 2, 'signed');
        await stack.engine.whenIdle();
        expect(membersOf(stack, String(campaignOf(stack, created.id).Id))).toHaveLength(2);
        const unsigned = await fetch(stack.webhookUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{}'
        });
        expect(unsigned.status).toBe(401);
    });
});

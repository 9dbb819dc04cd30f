// Durability of the real process: every acknowledged delivery survives `kill -9` and is synced after a restart, on the
// embedded store and on PostgreSQL.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator } from '../emulators/salesforce/index.ts';
import type { SalesforceEmulator } from '../emulators/salesforce/index.ts';
import { startLivestormSimulator } from '../emulators/livestorm/index.ts';
import type { LivestormSimulator } from '../emulators/livestorm/index.ts';
import { createWebhookSender } from '../emulators/livestorm/webhooks.ts';
import { defaultSettings } from '../../listener/src/config/settings.ts';
import { openStore } from '../../listener/src/store/open.ts';
import { expectStoreNoneSilentlyStuck } from '../support/invariant.ts';
import { startListenerProcess } from '../support/listener-process.ts';
import type { ListenerProcess } from '../support/listener-process.ts';
import { postgresBinary, startTestPostgres } from '../support/postgres.ts';
import type { TestPostgres } from '../support/postgres.ts';

const TOKEN = 'durability-webhook-token-0123456789';

describe('durability of acknowledged deliveries', () => {
    let emulator: SalesforceEmulator;
    let simulator: LivestormSimulator;
    let postgres: TestPostgres | undefined;
    let listener: ListenerProcess | undefined;
    let dataDir = '';

    beforeAll(async () => {
        if (await postgresBinary()) postgres = await startTestPostgres({ durable: true });
    }, 120_000);
    afterAll(async () => {
        await postgres?.stop();
    }, 60_000);
    afterEach(async () => {
        await listener?.stop();
        await emulator?.close();
        await simulator?.close();
        if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    /** Starts the emulated org and Livestorm and a fresh data directory; the listener's environment for them. */
    async function stack(salesforceLatencyMs: number): Promise<Record<string, string>> {
        emulator = await startSalesforceEmulator({ latencyMs: salesforceLatencyMs });
        simulator = await startLivestormSimulator();
        dataDir = await mkdtemp(join(tmpdir(), 'lsf-durability-'));
        return {
            SF_INSTANCE_URL: emulator.instanceUrl,
            SF_ACCESS_TOKEN: emulator.accessToken,
            LIVESTORM_API_URL: simulator.apiUrl,
            LIVESTORM_API_TOKEN: simulator.token,
            LIVESTORM_WEBHOOK_TOKEN: TOKEN,
            DATA_DIR: dataDir
        };
    }

    async function killedMidBurstThenRestarted(extraEnv: Record<string, string>) {
        const env = { ...(await stack(20)), ...extraEnv };
        listener = await startListenerProcess(env);
        const sender = createWebhookSender({
            url: `${listener.url}/webhooks/livestorm/${TOKEN}`,
            retryDelaysMs: [],
            concurrency: 16
        });
        const event = simulator.state.createEvent({ title: 'Durability' });
        const session = simulator.state.createSession(event.id, {
            startsAt: Math.floor(Date.now() / 1000) + 7200
        });
        await sender.deliver('session.created', session);
        const people = Array.from({ length: 300 }, (_, index) =>
            simulator.state.register(session.id, {
                firstName: 'K',
                lastName: `${index}`,
                email: `kill${index}@example.com`
            })
        );
        const acknowledged = new Set<string>();
        let killed = false;
        await Promise.all(
            people.map(async (person) => {
                const outcome = await sender.deliver('people.registered', person);
                if (!outcome.delivered || killed) return;
                acknowledged.add(person.attributes.email);
                // Killed in the middle of the burst: deliveries in flight are lost to Livestorm's retries, never ours.
                if (acknowledged.size === 120) {
                    killed = true;
                    await listener!.kill9();
                }
            })
        );
        expect(acknowledged.size).toBeGreaterThan(20);
        listener = await startListenerProcess(env);
        const campaignMembers = () => {
            const campaign = emulator.inspect
                .records('Campaign')
                .find((row: Record<string, unknown>) => row.Livestorm_Session_Id__c === session.id);
            if (!campaign) return new Set<string>();
            const leads = new Map(
                emulator.inspect
                    .records('Lead')
                    .map((lead: Record<string, unknown>) => [lead.Id, String(lead.Email)])
            );
            return new Set(
                emulator.inspect
                    .records('CampaignMember')
                    .filter((member: Record<string, unknown>) => member.CampaignId === campaign.Id)
                    .map((member: Record<string, unknown>) => leads.get(member.LeadId))
            );
        };
        await expect
            .poll(() => [...acknowledged].every((email) => campaignMembers().has(email)), {
                timeout: 30_000,
                interval: 250
            })
            .toBe(true);
        const emails = emulator.inspect
            .records('Lead')
            .map((lead: Record<string, unknown>) => String(lead.Email));
        expect(new Set(emails).size).toBe(emails.length);
        // The scenario ends with the invariant, read from the store as the command line reads it while the listener
        // process still runs: everyone synced or explained with a reason and a next attempt.
        const store = await openStore({
            dataDir,
            ...(extraEnv.DATABASE_URL ? { databaseUrl: extraEnv.DATABASE_URL } : {})
        });
        try {
            await expectStoreNoneSilentlyStuck(
                {
                    store,
                    settings: defaultSettings(),
                    livestormConfigured: true,
                    instanceUrl: () => emulator!.instanceUrl
                },
                { settled: false }
            );
        } finally {
            await store.close();
        }
    }

    it('embedded store: acknowledged deliveries survive kill -9 and are synced after restart', async () => {
        await killedMidBurstThenRestarted({});
    });

    it('embedded store: a second listener on the same DATA_DIR is refused, naming the first', async () => {
        const env = await stack(0);
        listener = await startListenerProcess({ ...env, INSTANCE_ID: 'first-listener' });
        const second = await startListenerProcess({ ...env, INSTANCE_ID: 'second-listener' }).then(
            (started) => started.stop().then(() => null),
            (error: Error) => error.message
        );
        if (second === null)
            throw new Error('the second listener started on a data directory another one holds');
        expect(second).toContain('the listener exited with 1');
        // It waited for the first to stop (a restart overlapping the previous process's shutdown would have gone on).
        expect(second).toContain(
            `Another listener is running on the data directory ${dataDir} (instance first-listener, process ${listener.pid} on `
        );
        expect(second).toContain('): waiting up to 15 s for it to stop.');
        // Said when the wait begins, before the refusal that ends it.
        expect(second.indexOf('waiting up to 15 s')).toBeLessThan(
            second.indexOf('Another listener is already running')
        );
        expect(second).toContain(
            `Another listener is already running on the data directory ${dataDir} (instance first-listener, process ${listener.pid}`
        );
        // The first one is untouched, and its data directory is free again as soon as it is gone, even by kill -9.
        expect((await fetch(`${listener.url}/healthz`)).status).toBe(200);
        await listener.kill9();
        listener = await startListenerProcess({ ...env, INSTANCE_ID: 'second-listener' });
    });

    it('PostgreSQL store: acknowledged deliveries survive kill -9 and are synced after restart', async (context) => {
        if (!postgres) context.skip();
        await killedMidBurstThenRestarted({ DATABASE_URL: await postgres!.newDatabase() });
    });
});

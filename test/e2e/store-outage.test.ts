// Back-pressure: with PostgreSQL out of reach, the listener refuses deliveries with 503 (Livestorm retries them) and
// never acknowledges one it did not commit; /healthz says the store is failing with 503, so a load balancer sends the
// traffic to another instance; once the database answers again, everything recovers without a restart.
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startSalesforceEmulator } from '../emulators/salesforce/index.ts';
import type { SalesforceEmulator } from '../emulators/salesforce/index.ts';
import { startLivestormSimulator } from '../emulators/livestorm/index.ts';
import type { LivestormSimulator } from '../emulators/livestorm/index.ts';
import { createWebhookSender } from '../emulators/livestorm/webhooks.ts';
import { startListenerProcess } from '../support/listener-process.ts';
import type { ListenerProcess } from '../support/listener-process.ts';
import { freePort, postgresBinary, startTestPostgres } from '../support/postgres.ts';
import type { TestPostgres } from '../support/postgres.ts';

const TOKEN = 'outage-webhook-token-0123456789abcdef';

/** A TCP relay to the database that can be cut (every connection dropped, new ones refused) and restored. */
async function startRelay(target: { host: string; port: number }) {
    const port = await freePort();
    const sockets = new Set<Socket>();
    let server: Server | undefined;
    const listen = () =>
        new Promise<void>((resolve) => {
            server = createServer((client) => {
                const upstream = connect(target.port, target.host);
                for (const socket of [client, upstream]) {
                    sockets.add(socket);
                    socket.on('close', () => sockets.delete(socket));
                    socket.on('error', () => socket.destroy());
                }
                client.pipe(upstream).pipe(client);
            });
            server.listen(port, '127.0.0.1', () => resolve());
        });
    await listen();
    return {
        port,
        async cut() {
            await new Promise<void>((resolve) => {
                server!.close(() => resolve());
                for (const socket of sockets) socket.destroy();
            });
        },
        restore: listen,
        async close() {
            for (const socket of sockets) socket.destroy();
            await new Promise<void>((resolve) =>
                server?.listening ? server.close(() => resolve()) : resolve()
            );
        }
    };
}

/** The HTTP status the listener answered (the sender makes one attempt here). */
const statusOf = (outcome: { attempts: { status: number | null }[] }) =>
    outcome.attempts.at(-1)?.status ?? null;

const binary = await postgresBinary();

describe.skipIf(binary === undefined)('PostgreSQL out of reach', () => {
    let postgres: TestPostgres;
    let emulator: SalesforceEmulator;
    let simulator: LivestormSimulator;
    let listener: ListenerProcess | undefined;
    let relay: Awaited<ReturnType<typeof startRelay>> | undefined;

    beforeAll(async () => {
        postgres = await startTestPostgres();
    }, 120_000);
    afterAll(async () => {
        await listener?.stop();
        await relay?.close();
        await emulator?.close();
        await simulator?.close();
        await postgres?.stop();
    }, 60_000);

    it('answers 503 to deliveries and /healthz while the database is unreachable, and recovers by itself', async () => {
        emulator = await startSalesforceEmulator();
        simulator = await startLivestormSimulator();
        const direct = new URL(await postgres.newDatabase());
        relay = await startRelay({ host: direct.hostname, port: Number(direct.port) });
        const viaRelay = new URL(direct);
        viaRelay.port = String(relay.port);
        listener = await startListenerProcess({
            SF_INSTANCE_URL: emulator.instanceUrl,
            SF_ACCESS_TOKEN: emulator.accessToken,
            LIVESTORM_WEBHOOK_TOKEN: TOKEN,
            DATABASE_URL: viaRelay.toString(),
            DATABASE_STATEMENT_TIMEOUT_MS: '2000'
        });
        const sender = createWebhookSender({
            url: `${listener.url}/webhooks/livestorm/${TOKEN}`,
            retryDelaysMs: []
        });
        const event = simulator.state.createEvent({ title: 'Outage' });
        const session = simulator.state.createSession(event.id, {
            startsAt: Math.floor(Date.now() / 1000) + 3600
        });
        const people = Array.from({ length: 6 }, (_, index) =>
            simulator.state.register(session.id, {
                firstName: 'O',
                lastName: `${index}`,
                email: `o${index}@example.com`
            })
        );
        expect(statusOf(await sender.deliver('session.created', session))).toBe(202);
        expect(statusOf(await sender.deliver('people.registered', people[0]!))).toBe(202);

        await relay.cut();
        const refused = await Promise.all(
            people.slice(1, 4).map((person) => sender.deliver('people.registered', person))
        );
        expect(refused.map(statusOf)).toEqual([503, 503, 503]);
        const health = await fetch(`${listener.url}/healthz`);
        expect(health.status).toBe(503);
        const body = (await health.json()) as { status: string; store: { state: string; reason: string } };
        expect(body.status).toBe('unavailable');
        expect(body.store.state).toBe('failing');

        await relay.restore();
        // Livestorm's retries of the refused deliveries, and a new one, are stored once the database answers.
        await expect
            .poll(async () => (await fetch(`${listener!.url}/healthz`)).status, {
                timeout: 20_000,
                interval: 200
            })
            .toBe(200);
        // (The simulator, like Livestorm, stops sending to a subscription whose deliveries ran out of retries: the
        // retries of the refused deliveries are sent by a fresh subscription.)
        const retries = createWebhookSender({
            url: `${listener.url}/webhooks/livestorm/${TOKEN}`,
            retryDelaysMs: []
        });
        for (const person of people.slice(1)) {
            expect(statusOf(await retries.deliver('people.registered', person))).toBe(202);
        }
        const client = new pg.Client({ connectionString: direct.toString() });
        await client.connect();
        try {
            // Exactly the acknowledged deliveries are stored: the 503s left nothing behind.
            const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM deliveries');
            expect(Number(rows[0]?.n)).toBe(1 + people.length);
        } finally {
            await client.end();
        }
        await expect
            .poll(
                () =>
                    emulator.inspect
                        .records('Lead')
                        .filter((lead: Record<string, unknown>) => String(lead.Email).startsWith('o')).length,
                { timeout: 30_000, interval: 250 }
            )
            .toBe(people.length);
    }, 90_000);
});

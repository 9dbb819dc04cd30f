// Three listener processes on one PostgreSQL database, as a load balancer would run them: deliveries spread over the
// three, every delivery also sent to a second instance, one new e-mail registering to three sessions at all three
// instances at once; one instance killed with SIGKILL in the middle of the registration burst, another in the middle
// of a session end while it writes that session. The org must end exactly as one listener would have left it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startSalesforceEmulator } from '../emulators/salesforce/index.ts';
import type { SalesforceEmulator } from '../emulators/salesforce/index.ts';
import { startLivestormSimulator } from '../emulators/livestorm/index.ts';
import type { LivestormSimulator } from '../emulators/livestorm/index.ts';
import { createWebhookSender } from '../emulators/livestorm/webhooks.ts';
import { startListenerProcess } from '../support/listener-process.ts';
import type { ListenerProcess } from '../support/listener-process.ts';
import { postgresBinary, startTestPostgres } from '../support/postgres.ts';
import type { TestPostgres } from '../support/postgres.ts';

const TOKEN = 'fleet-webhook-token-0123456789abcdef';
const PEOPLE_PER_SESSION = 60;
const LEASE_TTL_MS = 3000;
const SHARED_EMAIL = 'one.person@fleet.example.com';

type Row = Record<string, unknown>;

const binary = await postgresBinary();

describe.skipIf(binary === undefined)('three listeners on one PostgreSQL', () => {
    let postgres: TestPostgres;
    let emulator: SalesforceEmulator;
    let simulator: LivestormSimulator;
    const listeners: ListenerProcess[] = [];

    beforeAll(async () => {
        postgres = await startTestPostgres();
    }, 120_000);

    afterAll(async () => {
        for (const listener of listeners) await listener.stop().catch(() => {});
        await emulator?.close();
        await simulator?.close();
        await postgres?.stop();
    }, 60_000);

    it('ends with one Campaign per session, one record per e-mail, one member per person, nothing lost', async () => {
        emulator = await startSalesforceEmulator({ latencyMs: 30 });
        simulator = await startLivestormSimulator();
        const databaseUrl = await postgres.newDatabase();
        const env = (instance: string) => ({
            SF_INSTANCE_URL: emulator.instanceUrl,
            SF_ACCESS_TOKEN: emulator.accessToken,
            LIVESTORM_API_URL: simulator.apiUrl,
            LIVESTORM_API_TOKEN: simulator.token,
            LIVESTORM_WEBHOOK_TOKEN: TOKEN,
            DATABASE_URL: databaseUrl,
            INSTANCE_ID: instance,
            LEASE_TTL_MS: String(LEASE_TTL_MS)
        });
        // Started together: the three migrate the empty database at the same time.
        listeners.push(
            ...(await Promise.all(
                ['fleet-a', 'fleet-b', 'fleet-c'].map((id) => startListenerProcess(env(id)))
            ))
        );
        const [a, b, c] = listeners as [ListenerProcess, ListenerProcess, ListenerProcess];
        const senders = listeners.map((listener) =>
            createWebhookSender({
                url: `${listener.url}/webhooks/livestorm/${TOKEN}`,
                retryDelaysMs: [],
                concurrency: 8
            })
        );
        const figures = { deliveries: 0, duplicatesSent: 0, acknowledged: 0 };
        /** Sends to instance `first` and the same delivery to `second`; acknowledged when either answered 2xx. */
        const deliverTwice = async (
            first: number,
            second: number,
            event: Parameters<(typeof senders)[0]['deliver']>[0],
            resource: Parameters<(typeof senders)[0]['deliver']>[1]
        ) => {
            figures.deliveries += 1;
            figures.duplicatesSent += 1;
            const outcomes = await Promise.all([
                senders[first]!.deliver(event, resource),
                senders[second]!.deliver(event, resource)
            ]);
            const acknowledged = outcomes.some((outcome) => outcome.delivered);
            if (acknowledged) figures.acknowledged += 1;
            return acknowledged;
        };

        const event = simulator.state.createEvent({ title: 'Fleet webinar' });
        const sessions = [0, 1, 2].map((day) =>
            simulator.state.createSession(event.id, {
                startsAt: Math.floor(Date.now() / 1000) + 3600 + day * 86_400
            })
        );
        await Promise.all(
            sessions.map((session, index) => deliverTwice(index, (index + 1) % 3, 'session.created', session))
        );

        // ---- registrations: spread over the three, each also to the next one; C is killed mid-burst
        const registrations = sessions.flatMap((session, sessionIndex) =>
            Array.from({ length: PEOPLE_PER_SESSION }, (_, index) =>
                simulator.state.register(session.id, {
                    firstName: 'Fleet',
                    lastName: `${sessionIndex}-${index}`,
                    email: `fleet${sessionIndex}-${index}@fleet.example.com`
                })
            )
        );
        const shared = sessions.map((session) =>
            simulator.state.register(session.id, {
                firstName: 'One',
                lastName: 'Person',
                email: SHARED_EMAIL
            })
        );
        const acknowledgedRegistrations = new Set<string>();
        let killedC = false;
        let sent = 0;
        await Promise.all([
            // The one new e-mail, in three sessions, at the three instances at once.
            ...shared.map(async (person, index) => {
                if (await deliverTwice(index, (index + 1) % 3, 'people.registered', person))
                    acknowledgedRegistrations.add(
                        `${person.attributes.registrant_detail.session_id}/${person.id}`
                    );
            }),
            ...registrations.map(async (person, index) => {
                const first = killedC ? index % 2 : index % 3;
                const second = killedC ? (first + 1) % 2 : (first + 1) % 3;
                if (await deliverTwice(first, second, 'people.registered', person))
                    acknowledgedRegistrations.add(
                        `${person.attributes.registrant_detail.session_id}/${person.id}`
                    );
                sent += 1;
                if (sent === Math.floor(registrations.length / 2) && !killedC) {
                    killedC = true;
                    await c.kill9();
                }
            })
        ]);
        expect(killedC).toBe(true);

        const campaignOf = (sessionId: string) =>
            emulator.inspect
                .records('Campaign')
                .filter((row: Row) => row.Livestorm_Session_Id__c === sessionId);
        const personOfMember = (member: Row): string => {
            const [record] = [
                ...emulator.inspect.records('Lead').filter((lead: Row) => lead.Id === member.LeadId),
                ...emulator.inspect
                    .records('Contact')
                    .filter((contact: Row) => contact.Id === member.ContactId)
            ];
            return String(record?.Email ?? '').toLowerCase();
        };
        const statusesBySession = () => {
            const result = new Map<string, Map<string, string>>();
            for (const session of sessions) {
                const [campaign] = campaignOf(session.id);
                const members = new Map<string, string>();
                if (campaign) {
                    for (const member of emulator.inspect
                        .records('CampaignMember')
                        .filter((row: Row) => row.CampaignId === campaign.Id))
                        members.set(personOfMember(member), String(member.Status));
                }
                result.set(session.id, members);
            }
            return result;
        };
        const emailOf = new Map<string, string>(
            [...registrations, ...shared].map((person) => [
                `${person.attributes.registrant_detail.session_id}/${person.id}`,
                String(person.attributes.email).toLowerCase()
            ])
        );
        const everyAcknowledgedIs = (expected: (key: string) => string) => () => {
            const statuses = statusesBySession();
            return [...acknowledgedRegistrations].filter((key) => {
                const [sessionId] = key.split('/');
                return statuses.get(sessionId!)?.get(emailOf.get(key)!) !== expected(key);
            }).length;
        };
        await expect
            .poll(
                everyAcknowledgedIs(() => 'Registered'),
                { timeout: 60_000, interval: 250 }
            )
            .toBe(0);

        // ---- session end of the first session, delivered to B; B is killed while it writes the session
        const ended = sessions[0]!;
        const endedPeople = [...registrations, ...shared].filter(
            (person) => person.attributes.registrant_detail.session_id === ended.id
        );
        const attended = (personId: string) =>
            personId === shared[0]!.id || endedPeople.findIndex((person) => person.id === personId) % 2 === 0;
        simulator.state.startSession(ended.id);
        simulator.state.endSession(ended.id, {
            attendance: Object.fromEntries(
                endedPeople.map((person) => [
                    person.id,
                    attended(person.id) ? { attended: true, durationSec: 600, rate: 50 } : { attended: false }
                ])
            )
        });
        const database = new pg.Client({ connectionString: databaseUrl });
        await database.connect();
        try {
            const leaseOf = async (sessionId: string) =>
                (
                    await database.query(
                        'SELECT owner, released, expires_at FROM session_leases WHERE session_id = $1',
                        [sessionId]
                    )
                ).rows[0] as { owner: string; released: boolean; expires_at: string } | undefined;
            type Delivery = Parameters<(typeof senders)[0]['deliver']>;
            const endDeliveries: [Delivery[0], Delivery[1]][] = [
                ['session.ended', simulator.state.getSession(ended.id)],
                ...endedPeople.map((person): [Delivery[0], Delivery[1]] => [
                    attended(person.id) ? 'people.attended' : 'people.not_attended',
                    simulator.state.getPerson(person.id, ended.id)
                ])
            ];
            // Salesforce answers slowly during the session end, so the instance writing it is caught holding the
            // session's lease whatever the machine's load (its pass lasts at least one slow call).
            emulator.inspect.setLatency(3_000);
            const acknowledgedFirst = await Promise.all(
                endDeliveries.map(([name, resource]) =>
                    senders[1]!.deliver(name, resource).then((outcome) => outcome.delivered)
                )
            );
            figures.deliveries += endDeliveries.length;
            // B stored them; whichever live instance (A or B) takes the session's lease for the pass is killed while
            // it holds it.
            const live = new Map([
                ['fleet-a', { listener: a, sender: senders[0]! }],
                ['fleet-b', { listener: b, sender: senders[1]! }]
            ]);
            const heldUntil = Date.now() + 15_000;
            let lease = await leaseOf(ended.id);
            while (!(lease && live.has(lease.owner) && !lease.released) && Date.now() < heldUntil) {
                await new Promise((resolve) => setTimeout(resolve, 20));
                lease = await leaseOf(ended.id);
            }
            const holder = lease && !lease.released ? lease.owner : undefined;
            const heldTheLease = holder !== undefined && live.has(holder);
            const killedAt = Date.now();
            const killedId = heldTheLease ? holder : 'fleet-b';
            await live.get(killedId)!.listener.kill9();
            emulator.inspect.setLatency(30);
            const [survivorId, survivor] = [...live].find(([id]) => id !== killedId)!;
            // Livestorm's retries (and the load balancer) now reach the survivor with the same deliveries.
            const acknowledgedAgain = await Promise.all(
                endDeliveries.map(([name, resource]) =>
                    survivor.sender.deliver(name, resource).then((outcome) => outcome.delivered)
                )
            );
            figures.duplicatesSent += endDeliveries.length;
            figures.acknowledged += acknowledgedFirst.filter(
                (ok, index) => ok || acknowledgedAgain[index]
            ).length;
            let takeoverMs: number | null = null;
            if (heldTheLease) {
                await expect
                    .poll(async () => (await leaseOf(ended.id))?.owner, { timeout: 30_000, interval: 20 })
                    .toBe(survivorId);
                takeoverMs = Date.now() - killedAt;
            }

            await expect
                .poll(
                    everyAcknowledgedIs((key) => {
                        const [sessionId, personId] = key.split('/');
                        if (sessionId !== ended.id) return 'Registered';
                        return attended(personId!) ? 'Attended' : 'Did not attend';
                    }),
                    { timeout: 60_000, interval: 250 }
                )
                .toBe(0);

            // ---- the org, as one listener would have left it
            const campaignsPerSession = sessions.map((session) => campaignOf(session.id).length);
            const emails = [
                ...emulator.inspect.records('Lead').map((row: Row) => String(row.Email).toLowerCase()),
                ...emulator.inspect.records('Contact').map((row: Row) => String(row.Email).toLowerCase())
            ];
            const duplicateRecords = emails.length - new Set(emails).size;
            const memberKeys = emulator.inspect
                .records('CampaignMember')
                .map((row: Row) => `${String(row.CampaignId)}/${personOfMember(row)}`);
            const duplicateMembers = memberKeys.length - new Set(memberKeys).size;
            const lost = everyAcknowledgedIs((key) => {
                const [sessionId, personId] = key.split('/');
                if (sessionId !== ended.id) return 'Registered';
                return attended(personId!) ? 'Attended' : 'Did not attend';
            })();
            const lockErrors = emulator.inspect.calls().lockErrors;
            const { rows: takeovers } = await database.query(
                'SELECT count(*) AS n FROM session_leases WHERE taken_over_from IS NOT NULL'
            );
            console.info(
                [
                    'fleet test (3 listeners, one PostgreSQL):',
                    `deliveries ${figures.deliveries}, duplicates sent ${figures.duplicatesSent}, acknowledged ${figures.acknowledged}`,
                    `lost ${lost}, duplicate records ${duplicateRecords}, duplicate members ${duplicateMembers}, lock errors ${lockErrors}`,
                    `Campaigns per session ${campaignsPerSession.join('/')}, lease take-overs ${String(takeovers[0]?.n)}`,
                    `take-over after SIGKILL of ${killedId} ${takeoverMs === null ? 'n/a (it held no lease when killed)' : `${takeoverMs} ms`} (LEASE_TTL_MS ${LEASE_TTL_MS})`
                ].join('\n  ')
            );
            expect(campaignsPerSession).toEqual([1, 1, 1]);
            expect(duplicateRecords).toBe(0);
            expect(emails.filter((email) => email === SHARED_EMAIL)).toHaveLength(1);
            expect(duplicateMembers).toBe(0);
            expect(lost).toBe(0);
            expect(lockErrors).toBe(0);
            expect(acknowledgedRegistrations.size).toBeGreaterThan(registrations.length / 2);
            expect(heldTheLease).toBe(true);
            expect(takeoverMs).toBeGreaterThan(0);
            // Every figure is in the store too: the survivor still answers for the whole fleet.
            expect((await fetch(`${survivor.listener.url}/healthz`)).status).toBe(200);
        } finally {
            await database.end();
        }
    }, 180_000);
});

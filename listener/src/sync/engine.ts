// The sync engine: drains the inbox into folded state, then runs one sync pass per dirty session — sessions in
// parallel, each session serialized (one writer per Campaign), each pass gathering everything that arrived during
// the batch window. Salesforce outages, expired sessions and the API budget pause the engine; nothing is dropped:
// the state stays dirty in the store until a pass writes it.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { eventEnablement } from '../config/event-enablement.ts';
import type { Settings } from '../config/settings.ts';
import { applyFoldItems, foldPendingDeliveries } from '../fold/folder.ts';
import type { FoldItem } from '../fold/folder.ts';
import { isPlaceholderSession } from '../fold/fold-session.ts';
import type { LivestormClient, LivestormSession } from '../livestorm/client.ts';
import { personAttributesSchema, sessionAttributesSchema } from '../livestorm/webhook-schema.ts';
import { LivestormApiError } from '../livestorm/client.ts';
import { SalesforceError } from '../salesforce/connection.ts';
import type { SalesforceConnection } from '../salesforce/connection.ts';
import type { EventRow, SessionRow, Store } from '../store/store.ts';
import { backoffDelayMs, BACKOFF_CAP_MS } from './backoff.ts';
import { ENGINE_HEALTH_SETTING } from './engine-port.ts';
import type {
    EngineHealth,
    EngineSides,
    HealthSide,
    LivestormState,
    PersistedEngineSides,
    SalesforceState,
    SyncEngine
} from './engine-port.ts';
import { leadAssignmentProblem, loadOrgMetadata } from './org-metadata.ts';
import type { OrgMetadata } from './org-metadata.ts';
import { addToBurst, batchDelay as adaptiveBatchDelay } from './batch-window.ts';
import type { PendingBurst } from './batch-window.ts';
import type { SessionSyncDeps } from './session-sync.ts';
import { EVENT_ENABLED_AT_SETTING_PREFIX, setAsideReason } from './past-sessions.ts';
import {
    claimOwner,
    EmailClaims,
    PEOPLE_PER_PASS,
    syncSession,
    UNTITLED_CAMPAIGN_NAME_PREFIX,
    yieldToEventLoop
} from './session-sync.ts';

export interface SyncEngineDeps {
    store: Store;
    salesforce: SalesforceConnection;
    livestorm?: LivestormClient;
    settings: Settings;
    logger: Logger;
    /** Sessions synced in parallel (each one still has a single writer). Default 4. */
    concurrency?: number;
    /** How often the store is polled for retries that became due. Default 1 s. */
    pollIntervalMs?: number;
    /**
     * While paused for the org's daily allocation (REQUEST_LIMIT_EXCEEDED TotalRequests) or the API budget, the engine
     * probes `GET /limits` once per this interval and resumes once usage is under apiBudgetShare. Default 5 min.
     */
    limitProbeIntervalMs?: number;
    /** The cap of the outage and concurrency-limit backoff. Default 60 s (BACKOFF_CAP_MS). */
    backoffCapMs?: number;
    /** First delay of that backoff. Default 500 ms. */
    backoffBaseMs?: number;
    /** Jitter source in [0, 1); Math.random when omitted. */
    random?: () => number;
    /** First wait before reading an event title again after Livestorm failed to give it (doubling, ≤ 10 min). Default 5 s. */
    titleRetryMs?: number;
    now?: () => number;
    /** This instance's name in session leases and e-mail claims (INSTANCE_ID). Default hostname-pid. */
    instanceId?: string;
    /** How long a session lease lasts without renewal (LEASE_TTL_MS); renewed every third of it. Default 30 s. */
    leaseTtlMs?: number;
}

export interface RunningSyncEngine extends SyncEngine {
    /** Resolves once nothing is pending, dirty and due, or in flight (or rejects after timeoutMs). */
    whenIdle(timeoutMs?: number): Promise<void>;
    /** Lists and folds the event's upcoming sessions from Livestorm (never past ones). */
    discoverEvent(eventId: string, options?: { includePast?: boolean }): Promise<number>;
    /** Re-reads upcoming sessions from Livestorm (reschedules, cancellations); runs every refreshIntervalMinutes. */
    refreshUpcoming(): Promise<void>;
    /** Sessions a pass is writing or whose changes wait for their batch window (the others' activity is idle). */
    activeSessionIds(): string[];
}

const ACTIVE_STATUSES = new Set(['upcoming', 'live', 'on_demand', 'draft']);
const FOLD_ROUND = 100;

/** Setting: 'to discover' from the first start until the sessions then upcoming in Livestorm were read, 'discovered'. */
const EXISTING_SESSIONS_SETTING = 'existingSessions';

/**
 * Setting: when the listener last wrote to Salesforce (ms since epoch; EngineHealth.lastSyncAt), read at start so a
 * restart does not forget it. Saved at most once per LAST_WRITE_SAVE_INTERVAL_MS, and at stop.
 */
export const LAST_WRITE_SETTING = 'lastSalesforceWriteAt';
/** The last write is saved to the store at most this often (ms): a busy engine writes many passes a second. */
const LAST_WRITE_SAVE_INTERVAL_MS = 5_000;
/** The ticks count the sessions waiting to be written at most this often (ms); a pass's end counts them at once. */
const WAITING_COUNT_INTERVAL_MS = 1_000;

/** People of a session read from the Livestorm API are folded this many at a time. */
const RECONCILE_FOLD_SIZE = 500;
/** Sessions read per page when the engine walks all of them. */
const SESSION_PAGE = 500;
/** Livestorm calls the periodic refresh may spend per day (of 10,000 per 30 days). */
const REFRESH_CALLS_PER_DAY = 100;
/** Below this many remaining monthly calls, the refresh stops. */
const LIVESTORM_QUOTA_RESERVE = 1000;
/** Sessions a backfill asked for (written by `livestorm-sf backfill`): the past-session rule does not apply to them. */
export const BACKFILLED_SESSIONS_SETTING = 'backfilledSessionIds';

/** The lease row that decides which instance refreshes upcoming sessions this interval (no session has this id). */
export const REFRESH_TURN_LEASE = 'job:refresh-upcoming';

/** The claim owners of a pipeline's passes: two passes of one session at most run at once (engine.ts runPipeline). */
const PIPELINE_PASS_KEYS = ['', '/next'] as const;

/**
 * A pass is started beside the previous one only for this many people or more: building a large pass takes a share of
 * a second worth hiding behind the call in flight, while a small one (a trickle of registrations, each needing its
 * lookup) is better started after the previous pass, taking everyone who arrived meanwhile.
 */
const PIPELINE_MIN_PEOPLE = 200;

/** What a pass of a pipeline (runPipeline) is given: the session-sync hooks that let the next one overlap it. */
type PipelinedPass = Pick<SessionSyncDeps, 'exclude' | 'writeTurn' | 'onTaken' | 'onLastWrite' | 'passKey'>;

/** A pass lost its session's lease (not renewed in time, or taken over): it stops before writing again. */
export class LeaseLostError extends Error {
    constructor(sessionId: string) {
        super(
            `The pass over session ${sessionId} stopped: its lease could not be renewed in time, so another instance may write the session now.`
        );
        this.name = 'LeaseLostError';
    }
}

interface HeldLease {
    stop(): void;
    /** `target` whose every method first checks that the lease is still held (throws LeaseLostError otherwise). */
    guard<T extends object>(target: T): T;
}

/** A 4xx other than a refused token (401/403) or the rate limit (429): Livestorm answered about what was asked. */
function isAnswerAboutTheResource(status: number): boolean {
    return status >= 400 && status < 500 && ![401, 403, 429].includes(status);
}

export function createSyncEngine(deps: SyncEngineDeps): RunningSyncEngine {
    const { store, salesforce, livestorm, settings, logger } = deps;
    const now = deps.now ?? Date.now;
    const concurrency = deps.concurrency ?? 4;
    const pollIntervalMs = deps.pollIntervalMs ?? 1000;
    const limitProbeIntervalMs = deps.limitProbeIntervalMs ?? 5 * 60_000;
    const backoffOptions = {
        capMs: deps.backoffCapMs ?? BACKOFF_CAP_MS,
        baseMs: deps.backoffBaseMs ?? 500,
        random: deps.random ?? Math.random
    };
    const instanceId = deps.instanceId ?? `${hostname()}-${process.pid}`;
    const leaseTtlMs = deps.leaseTtlMs ?? 30_000;
    /** Leases this engine took over from an instance that stopped renewing them (for /metrics). */
    let leaseTakeovers = 0;
    const claims = new EmailClaims(store, instanceId, leaseTtlMs);
    /** Sessions another instance is writing: not asked for again before this time. */
    const leasedElsewhere = new Map<string, number>();
    const inFlight = new Map<string, Promise<void>>();
    /** Events whose title could not be read: how many times, and when to try again. */
    const titleFailures = new Map<string, { count: number; retryAt: number }>();
    const titleRetryMs = deps.titleRetryMs ?? 5000;
    const reconcileAt = new Map<string, number>();
    let metadata: OrgMetadata | null = null;
    let running = false;
    let started = false;
    let timer: NodeJS.Timeout | undefined;
    let timerAt = Infinity;
    let ticking: Promise<void> | undefined;
    let tickRequested = false;
    let pausedUntil = 0;
    let outageAttempts = 0;
    /** After an admin's resume from a budget pause: the budget check is skipped until then (ms). */
    let budgetIgnoredUntil = 0;
    const sides: EngineSides = {
        salesforce: settings.dryRun
            ? side<SalesforceState>(
                  'dry_run',
                  'Dry-run mode: changes are computed and logged, nothing is written to Salesforce.',
                  'Set "dryRun": false in the config file (or the admin page settings) to start writing.'
              )
            : side<SalesforceState>('connecting', 'Connecting to Salesforce.', null),
        salesforceNextAttemptAt: null,
        livestorm: livestorm
            ? side<LivestormState>('ok', null, null)
            : side<LivestormState>(
                  'not_configured',
                  'No Livestorm API token: event titles, reschedules and missing attendance cannot be read.',
                  'Set LIVESTORM_API_TOKEN (Livestorm: Account settings → Integrations → Public API).'
              ),
        livestormNextAttemptAt: null
    };
    let persistedSides = '';
    /** EngineHealth.lastSyncAt: the end of the last pass Salesforce accepted a write of a person or a Campaign in. */
    let lastSyncAt: number | null = null;
    /** When (Date.now) lastSyncAt was last saved; the timer of the next save, while one is due; the save running. */
    let lastWriteSavedAt = -Infinity;
    let lastWriteTimer: NodeJS.Timeout | undefined;
    let lastWriteSaving: Promise<void> = Promise.resolve();
    let pendingDeliveries = 0;
    let dirtySessions = 0;
    /** When (Date.now) dirtySessions was last counted. */
    let waitingCountedAt = -Infinity;
    let lastRefreshAt = now();
    let activatedAt = 0;
    /** When the discovery of the sessions upcoming at the first start runs next; null: done, or running. */
    let existingSessionsAt: number | null = null;
    let existingSessionsAttempts = 0;
    let refreshCursor = 0;
    const knownEnabled = new Map<string, boolean>();
    /** Per session: the changes folded since its last pass started (the adaptive batch window, batch-window.ts). */
    const changes = new Map<string, PendingBurst>();

    function noteChanges(changedPeople: Record<string, number>) {
        const at = now();
        for (const [sessionId, people] of Object.entries(changedPeople))
            changes.set(sessionId, addToBurst(changes.get(sessionId), people, at));
    }

    /**
     * A pass took `taken` dirty people of the burst that started it (a pass takes at most PEOPLE_PER_PASS): the rest
     * of that burst counts in the session's next one, so a backlog of thousands is written in whole passes at once
     * instead of waiting for new deliveries to fill the window again.
     */
    function returnLeftover(sessionId: string, burst: PendingBurst | undefined, taken: number) {
        if (!burst || burst.people <= taken) return;
        const rest = burst.people - taken;
        const current = changes.get(sessionId);
        changes.set(
            sessionId,
            current
                ? { ...current, people: current.people + rest }
                : { first: now(), last: now(), people: rest }
        );
    }

    /** Milliseconds until the session's next pass may start. */
    function batchDelay(sessionId: string): number {
        return adaptiveBatchDelay(changes.get(sessionId), now(), settings, PEOPLE_PER_PASS);
    }

    /**
     * Work a tick starts and does not wait for. Its Livestorm failures are handled inside it; what is left (the store
     * failing, or closed at shutdown) is logged instead of ending the engine's thread, and `retry` puts it back on the
     * schedule.
     */
    function inBackground(
        what: string,
        work: Promise<unknown>,
        context: Record<string, string> = {},
        retry: () => void = () => {}
    ) {
        work.catch((error: unknown) => {
            logger.warn({ ...context, err: error }, `${what} failed; it is tried again on a later pass`);
            retry();
        });
    }

    function schedule(delayMs: number) {
        if (!running) return;
        const at = now() + Math.max(0, delayMs);
        if (timer && timerAt <= at) return;
        if (timer) clearTimeout(timer);
        timerAt = at;
        timer = setTimeout(
            () => {
                timer = undefined;
                timerAt = Infinity;
                void runTick();
            },
            Math.max(0, delayMs)
        );
        timer.unref?.();
    }

    async function runTick() {
        if (ticking) {
            tickRequested = true;
            return ticking;
        }
        // The count after the tick, whichever step ended it (Salesforce paused, backing off or not connected yet:
        // people wait then too), off the path of the passes it starts.
        ticking = tick()
            .finally(() => recountWaitingSessions(false))
            .catch((error: unknown) => logger.error({ err: error }, 'sync engine cycle failed'))
            .finally(() => {
                ticking = undefined;
                if (tickRequested) {
                    tickRequested = false;
                    schedule(0);
                } else schedule(pollIntervalMs);
            });
        return ticking;
    }

    function side<S extends string>(state: S, reason: string | null, fix: string | null): HealthSide<S> {
        return { state, reason, since: new Date(now()).toISOString(), fix };
    }

    /** The command line runs in another process: it reads the sides from the store (ENGINE_HEALTH_SETTING). */
    function persistSides() {
        const snapshot = JSON.stringify(sides);
        if (snapshot === persistedSides) return;
        persistedSides = snapshot;
        const value: PersistedEngineSides = { ...sides, updatedAt: now() };
        store.setSetting(ENGINE_HEALTH_SETTING, value).catch((error: unknown) => {
            persistedSides = '';
            logger.warn(
                { err: error },
                'the health of Salesforce and Livestorm could not be saved in the store'
            );
        });
    }

    function saveLastWrite(): Promise<void> {
        if (lastWriteTimer) clearTimeout(lastWriteTimer);
        lastWriteTimer = undefined;
        lastWriteSavedAt = Date.now();
        const value = lastSyncAt;
        lastWriteSaving = lastWriteSaving.then(() =>
            store
                .setSetting(LAST_WRITE_SETTING, value)
                .catch((error: unknown) =>
                    logger.warn(
                        { err: error },
                        'the time of the last write to Salesforce could not be saved in the store'
                    )
                )
        );
        return lastWriteSaving;
    }

    /**
     * A pass wrote to Salesforce: the health says so at once, the store within LAST_WRITE_SAVE_INTERVAL_MS (one
     * setting write for any number of passes meanwhile).
     */
    function noteWrite() {
        lastSyncAt = now();
        if (lastWriteTimer) return;
        const wait = lastWriteSavedAt + LAST_WRITE_SAVE_INTERVAL_MS - Date.now();
        if (wait <= 0) {
            void saveLastWrite();
            return;
        }
        lastWriteTimer = setTimeout(() => void saveLastWrite(), wait);
        lastWriteTimer.unref?.();
    }

    /**
     * EngineHealth.dirtySessions from the store: the sessions of enabled events with people or Campaign changes not
     * yet written, whatever they wait for — Salesforce paused or unreachable, a retry time still to come, another
     * instance's lease, the batch window, the event title. One grouped COUNT, then the events' switches.
     */
    async function countWaitingSessions() {
        const byEvent = await store.waitingSessionsByEvent();
        if (byEvent.length === 0) {
            dirtySessions = 0;
            return;
        }
        const events = new Map((await store.listEvents()).map((event) => [event.eventId, event]));
        dirtySessions = byEvent.reduce(
            (total, { eventId, sessions }) =>
                effectiveEnabled(events.get(eventId), eventId) ? total + sessions : total,
            0
        );
    }

    /**
     * countWaitingSessions, errors logged: when `force`d (at start, after a pass), else at most once per
     * WAITING_COUNT_INTERVAL_MS — the ticks run every poll (and every 50 ms while a pipeline waits for its next pass).
     */
    async function recountWaitingSessions(force: boolean) {
        if (!force && Date.now() - waitingCountedAt < WAITING_COUNT_INTERVAL_MS) return;
        waitingCountedAt = Date.now();
        await countWaitingSessions().catch((error: unknown) =>
            logger.warn({ err: error }, 'the sessions waiting to be written could not be counted')
        );
    }

    /** The last write saved by an earlier run (or another instance on the same database), unless one is newer here. */
    async function loadLastWrite() {
        const stored = await store.getSetting<number>(LAST_WRITE_SETTING);
        if (typeof stored === 'number' && (lastSyncAt === null || stored > lastSyncAt)) lastSyncAt = stored;
    }

    function setSalesforce(
        state: SalesforceState,
        reason: string | null,
        fix: string | null,
        nextAttemptAt: number | null
    ) {
        const previous = sides.salesforce;
        const since =
            previous.state === state && previous.since !== null
                ? previous.since
                : new Date(now()).toISOString();
        sides.salesforce = { state, reason, since, fix };
        sides.salesforceNextAttemptAt = nextAttemptAt;
        persistSides();
    }

    function setLivestorm(
        state: LivestormState,
        reason: string | null,
        fix: string | null,
        nextAttemptAt: number | null
    ) {
        const previous = sides.livestorm;
        if (
            previous.state === state &&
            previous.reason === reason &&
            sides.livestormNextAttemptAt === nextAttemptAt
        )
            return;
        const since =
            previous.state === state && previous.since !== null
                ? previous.since
                : new Date(now()).toISOString();
        sides.livestorm = { state, reason, since, fix };
        sides.livestormNextAttemptAt = nextAttemptAt;
        persistSides();
    }

    /** A Livestorm call answered: the quota reads low under LIVESTORM_QUOTA_RESERVE, else the API is fine. */
    function livestormAnswered() {
        if (!livestorm) return;
        const remaining = livestorm.usage().lastRemaining;
        if (remaining !== undefined && remaining < LIVESTORM_QUOTA_RESERVE) {
            setLivestorm(
                'quota_low',
                `Only ${remaining} Livestorm API calls are left this month: the refresh of upcoming sessions is skipped to keep them for event titles.`,
                'Nothing is lost: webhooks keep arriving. The quota (10,000 calls per 30 days) renews on its own; ask Livestorm for more if this recurs.',
                null
            );
        } else setLivestorm('ok', null, null, null);
    }

    /**
     * A Livestorm call failed: which side state, and when the engine tries again. An answer about the thing asked for
     * (404 an event or session Livestorm does not know, 422) says the API works: the side stays as answered, and the
     * caller keeps its own retry of that one read.
     */
    function livestormFailed(error: unknown) {
        if (!livestorm) return;
        const retryAt = now() + pollIntervalMs;
        if (error instanceof LivestormApiError && (error.status === 401 || error.status === 403)) {
            setLivestorm(
                'refused_token',
                `Livestorm refused the API token (HTTP ${error.status}): event titles and attendance cannot be read.`,
                'Create a new token in Livestorm (Account settings → Integrations → Public API) and set LIVESTORM_API_TOKEN.',
                retryAt
            );
        } else if (error instanceof LivestormApiError && isAnswerAboutTheResource(error.status)) {
            livestormAnswered();
        } else if (error instanceof LivestormApiError && error.status === 429) {
            setLivestorm(
                'rate_limited',
                'Livestorm is rate-limiting the API (HTTP 429): reads of titles and sessions wait for their turn.',
                'Nothing to do: the listener honours Retry-After; if it lasts, another integration shares the same token.',
                now() + Math.max(pollIntervalMs, (error.retryAfterSec ?? 1) * 1000)
            );
        } else {
            setLivestorm(
                'unreachable',
                `The Livestorm API cannot be reached (${error instanceof Error ? error.message : String(error)}).`,
                'Nothing is lost: webhooks are still stored. Check LIVESTORM_API_URL and the network if it lasts (status.livestorm.co).',
                retryAt
            );
        }
    }

    function pause(error: unknown) {
        outageAttempts += 1;
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof SalesforceError && error.kind === 'daily_limit') {
            pauseForLimits(
                'paused_daily_limit',
                `The org's daily API allocation is used up (REQUEST_LIMIT_EXCEEDED: TotalRequests): syncing is paused; deliveries are stored and nothing is lost.`
            );
            return;
        }
        // Refused: a 401 a new session did not cure, or a token request Salesforce refused (auth.ts).
        const refused = error instanceof SalesforceError && error.kind === 'auth';
        const delay = backoffDelayMs(
            outageAttempts,
            refused ? { ...backoffOptions, capMs: 5 * 60_000 } : backoffOptions
        );
        pausedUntil = now() + delay;
        const inSeconds = `${Math.ceil(delay / 1000)} s`;
        if (refused) {
            setSalesforce(
                'refused_credentials',
                `${message}. Deliveries keep being stored and will be synced once Salesforce accepts the credentials.`,
                `Check the Salesforce credentials (${salesforce.authDescription}) and the integration user; the listener retries on its own, or resume it from the admin page once fixed.`,
                pausedUntil
            );
        } else if (error instanceof SalesforceError && error.errorCode === 'REQUEST_TIMEOUT') {
            setSalesforce(
                'retrying',
                `${message} Retrying in ${inSeconds}; nothing is lost: the people of that call wait and are written again, and what Salesforce finished after the listener stopped waiting is found, not created twice.`,
                "Nothing to do during a Salesforce outage or slowdown (status.salesforce.com): syncing resumes on its own once calls are answered. If it lasts while Salesforce is up, check the network between the listener and the org (proxy, firewall) and the org's triggers and flows on Lead, Contact and CampaignMember, which can make writes slow.",
                pausedUntil
            );
        } else if (error instanceof SalesforceError && error.kind === 'concurrency') {
            setSalesforce(
                'retrying',
                `Salesforce is limiting concurrent requests (${message}): this clears within seconds; retrying in ${inSeconds}, nothing is lost.`,
                "Nothing to do. If it lasts, other integrations or slow triggers and flows hold the org's long-running request slots.",
                pausedUntil
            );
        } else {
            setSalesforce(
                'retrying',
                `Salesforce cannot be reached right now (${message}); retrying in ${inSeconds}, nothing is lost.`,
                'Nothing to do during a Salesforce outage (status.salesforce.com): syncing resumes within a minute of its end. Otherwise check SF_INSTANCE_URL / SF_LOGIN_URL and the network.',
                pausedUntil
            );
        }
        logger.warn(
            { until: new Date(pausedUntil).toISOString() },
            sides.salesforce.reason ?? 'Salesforce paused'
        );
    }

    function pauseForLimits(state: 'paused_daily_limit' | 'paused_budget', reason: string) {
        pausedUntil = now() + limitProbeIntervalMs;
        const minutes = Math.max(1, Math.round(limitProbeIntervalMs / 60_000));
        setSalesforce(
            state,
            reason,
            `Nothing to do: the listener checks the org's API usage every ${minutes} minute${minutes === 1 ? '' : 's'} (one GET /limits) and resumes once it is under ${Math.round(settings.apiBudgetShare * 100)}% (apiBudgetShare). To resume now, use "Resume Salesforce" on the admin page (POST /admin/api/salesforce/resume).`,
            pausedUntil
        );
        logger.warn({ until: new Date(pausedUntil).toISOString() }, reason);
    }

    function connected() {
        outageAttempts = 0;
        pausedUntil = 0;
        const state = settings.dryRun ? 'dry_run' : 'connected';
        if (sides.salesforce.state === state) return;
        if (state === 'dry_run')
            setSalesforce(
                'dry_run',
                'Dry-run mode: changes are computed and logged, nothing is written to Salesforce.',
                'Set "dryRun": false in the config file (or the admin page settings) to start writing.',
                null
            );
        else setSalesforce('connected', null, null, null);
    }

    function overBudget(used: number, limit: number): boolean {
        return limit > 0 && used >= settings.apiBudgetShare * limit;
    }

    function budgetExceeded(): boolean {
        if (budgetIgnoredUntil > now()) return false;
        const usage = salesforce.apiUsage();
        if (!usage || !overBudget(usage.used, usage.limit)) return false;
        pauseForLimits(
            'paused_budget',
            `The org has used ${usage.used} of its ${usage.limit} daily API calls, over the ${Math.round(settings.apiBudgetShare * 100)}% share this listener may use (apiBudgetShare): syncing is paused; deliveries are stored and nothing is lost.`
        );
        return true;
    }

    /**
     * One `GET /limits` while paused for the daily allocation or the budget.
     * @returns true when usage is under apiBudgetShare again (resume), false to stay paused
     */
    async function limitsAllowResume(): Promise<boolean> {
        try {
            const limits = await salesforce.request<{
                DailyApiRequests?: { Max?: number; Remaining?: number };
            }>('GET', 'limits');
            const max = limits.DailyApiRequests?.Max ?? 0;
            const used = max - (limits.DailyApiRequests?.Remaining ?? 0);
            const under = max > 0 && !overBudget(used, max);
            logger.info({ used, max, resume: under }, 'org API usage checked while paused');
            return under;
        } catch (error) {
            if (error instanceof SalesforceError && error.kind === 'daily_limit') return false;
            throw error;
        }
    }

    const effectiveEnabled = (event: EventRow | undefined, eventId: string): boolean =>
        eventEnablement({ eventId, enabled: event?.enabled ?? null }, settings).enabled;

    /** Campaigns are named without the title only after this many failed reads of it. */
    const TITLE_ATTEMPTS_BEFORE_UNTITLED = 3;
    const waitingForTitle = (eventId: string): boolean =>
        !!livestorm && (titleFailures.get(eventId)?.count ?? 0) < TITLE_ATTEMPTS_BEFORE_UNTITLED;

    /** Reads of event details in flight, one per event: passes and the periodic retry share it, never pile up. */
    const eventReads = new Map<string, Promise<EventRow | undefined>>();

    /** Reads an event's title and kind from Livestorm into the store; a failure is counted for the retry schedule. */
    async function readEvent(eventId: string, known: EventRow | undefined): Promise<EventRow | undefined> {
        const failed = titleFailures.get(eventId);
        try {
            const fetched = await livestorm!.getEvent(eventId);
            const event: EventRow = {
                eventId,
                title: fetched.title,
                onDemand: fetched.onDemand,
                registrationLink: fetched.registrationLink,
                enabled: known?.enabled ?? null,
                fetchedAt: now()
            };
            await store.putEvent(event);
            livestormAnswered();
            titleFailures.delete(eventId);
            if (failed) await titleKnown(eventId);
            return event;
        } catch (error) {
            livestormFailed(error);
            const count = (failed?.count ?? 0) + 1;
            const wait = Math.min(10 * 60_000, titleRetryMs * 2 ** (count - 1));
            titleFailures.set(eventId, { count, retryAt: now() + wait });
            logger.warn({ eventId, err: error }, 'the event title could not be read from Livestorm');
            return known;
        }
    }

    async function eventDetails(eventId: string): Promise<EventRow | undefined> {
        let event = await store.getEvent(eventId);
        const failed = titleFailures.get(eventId);
        if (livestorm && (!event || event.title === null) && (!failed || failed.retryAt <= now())) {
            let read = eventReads.get(eventId);
            if (!read) {
                read = readEvent(eventId, event).finally(() => eventReads.delete(eventId));
                eventReads.set(eventId, read);
            }
            event = await read;
        }
        // Without the title a new Campaign gets a stand-in Name: wait for a few attempts first.
        if (!event?.title && waitingForTitle(eventId)) return undefined;
        return event;
    }

    /** The title of an event arrived after failures: its Campaigns named without it get their Name in their next pass. */
    async function titleKnown(eventId: string) {
        for (const row of await store.listSessions({ eventId })) {
            if (!row.campaignId) continue;
            const untitled = await store.getSetting<string | null>(
                `${UNTITLED_CAMPAIGN_NAME_PREFIX}${row.sessionId}`
            );
            if (untitled) await store.saveSyncedSession({ ...row, syncedVersion: 0 });
        }
        schedule(0);
    }

    function sessionItem(session: LivestormSession): FoldItem | undefined {
        const parsed = sessionAttributesSchema.safeParse(session.raw.attributes);
        if (!parsed.success) return undefined;
        return { kind: 'session', source: 'api', sessionId: session.id, attributes: parsed.data };
    }

    /**
     * The event's details and its sessions (upcoming ones unless includePast) read from Livestorm and folded.
     * @param readFailure what a failed read does after updating the Livestorm side state: logged (0 sessions), or
     *   thrown for a caller that tries again
     * @returns the sessions folded
     * @throws the read's error when readFailure is 'throw'; the store's error when folding fails
     */
    async function discoverEvent(
        eventId: string,
        options: { includePast?: boolean } = {},
        readFailure: 'log' | 'throw' = 'log'
    ): Promise<number> {
        if (!livestorm) return 0;
        const items: FoldItem[] = [];
        try {
            const event = await livestorm.getEvent(eventId);
            const existing = await store.getEvent(eventId);
            await store.putEvent({
                eventId,
                title: event.title,
                onDemand: event.onDemand,
                registrationLink: event.registrationLink,
                enabled: existing?.enabled ?? null,
                fetchedAt: now()
            });
            for await (const session of livestorm.listEventSessions(eventId)) {
                if (!options.includePast && !ACTIVE_STATUSES.has(session.status)) continue;
                const item = sessionItem(session);
                if (item) items.push(item);
            }
            livestormAnswered();
        } catch (error) {
            livestormFailed(error);
            if (readFailure === 'throw') throw error;
            logger.warn(
                { eventId, err: error },
                'the sessions of the event could not be listed from Livestorm'
            );
            return 0;
        }
        if (items.length) await applyFoldItems(store, items);
        if (options.includePast) {
            for (const item of items) {
                if (item.kind !== 'session') continue;
                const [row] = await store.getSessions([item.sessionId]);
                if (row?.setAside) await store.saveSyncedSession({ ...row, setAside: null });
            }
        }
        schedule(0);
        return items.length;
    }

    async function fetchPlaceholder(row: SessionRow) {
        if (!livestorm || !isPlaceholderSession(row.state)) return row;
        try {
            const session = await livestorm.getSession(row.sessionId);
            const item = sessionItem(session);
            livestormAnswered();
            if (item) await applyFoldItems(store, [item]);
            return (await store.getSessions([row.sessionId]))[0] ?? row;
        } catch (error) {
            livestormFailed(error);
            logger.warn(
                { sessionId: row.sessionId, err: error },
                'the session could not be read from Livestorm'
            );
            return row;
        }
    }

    async function reconcileAttendance(sessionId: string) {
        if (!livestorm) return;
        // Counted, not loaded: a session can have tens of thousands of people.
        const counts = await store.sessionCounts(sessionId);
        if (counts.registrants - counts.attendees - counts.noShows <= 0) return;
        // Folded page by page as Livestorm lists them: a session of 50,000 people is never held at once.
        let items: FoldItem[] = [];
        let folded = 0;
        const foldItems = async () => {
            if (items.length === 0) return;
            await applyFoldItems(store, items);
            folded += items.length;
            items = [];
        };
        try {
            for await (const resource of livestorm.listSessionPeople(sessionId)) {
                const parsed = personAttributesSchema.safeParse(resource.attributes);
                if (!parsed.success) continue;
                const event = parsed.data.registrant_detail.attended
                    ? 'people.attended'
                    : 'people.not_attended';
                items.push({ kind: 'person', event, personId: resource.id, attributes: parsed.data });
                if (items.length >= RECONCILE_FOLD_SIZE) await foldItems();
            }
            livestormAnswered();
        } catch (error) {
            livestormFailed(error);
            logger.warn({ sessionId, err: error }, 'attendance could not be read from Livestorm');
        }
        await foldItems();
        if (folded > 0) {
            logger.info(
                { sessionId, people: folded },
                'attendance completed from the Livestorm API (per-person webhooks were missing)'
            );
        }
    }

    async function refreshUpcoming() {
        if (!livestorm) return;
        // Livestorm allows 10,000 calls per 30 days: the refresh takes at most ~100 a day, events in turn, and stops
        // when Livestorm reports the quota running low (webhooks and titles need the rest).
        const remaining = livestorm.usage().lastRemaining;
        if (remaining !== undefined && remaining < LIVESTORM_QUOTA_RESERVE) {
            logger.warn(
                { remaining },
                'Livestorm API quota running low: the refresh of upcoming sessions is skipped'
            );
            return;
        }
        // The events of sessions still to come, read in pages of sessions (only the event ids are kept).
        const upcomingEvents = new Set<string>();
        for (let after: string | undefined; ;) {
            const page = await store.listSessions({ limit: SESSION_PAGE, ...(after ? { after } : {}) });
            for (const row of page)
                if (row.campaignId && ['upcoming', 'draft', 'live'].includes(row.state.status))
                    upcomingEvents.add(row.eventId);
            if (page.length < SESSION_PAGE) break;
            after = page[page.length - 1]!.sessionId;
        }
        const eventIds = [...upcomingEvents].sort();
        const perCycle = Math.max(
            1,
            Math.floor(REFRESH_CALLS_PER_DAY / ((24 * 60) / settings.refreshIntervalMinutes))
        );
        const start = eventIds.length ? refreshCursor % eventIds.length : 0;
        const turn = [...eventIds.slice(start), ...eventIds.slice(0, start)].slice(0, perCycle);
        refreshCursor = start + turn.length;
        for (const eventId of turn) {
            const items: FoldItem[] = [];
            try {
                for await (const session of livestorm.listEventSessions(eventId)) {
                    const item = sessionItem(session);
                    if (item) items.push(item);
                }
            } catch (error) {
                logger.warn({ eventId, err: error }, 'upcoming sessions could not be refreshed');
                continue;
            }
            // Only sessions already known are refreshed (new ones arrive by webhook or discovery).
            const known = new Set(
                (
                    await store.getSessions(
                        items.map((item) => (item.kind === 'session' ? item.sessionId : ''))
                    )
                ).map((row) => row.sessionId)
            );
            const refreshed = items.filter((item) => item.kind === 'session' && known.has(item.sessionId));
            if (refreshed.length) await applyFoldItems(store, refreshed);
        }
    }

    /**
     * The periodic refresh runs on one instance per interval: several instances on one database would otherwise each
     * spend the refresh's share of the Livestorm quota. The turn is a lease held for the interval, never released.
     */
    async function refreshTurn(): Promise<void> {
        const grant = await store
            .acquireSessionLease(
                REFRESH_TURN_LEASE,
                instanceId,
                Math.max(1000, settings.refreshIntervalMinutes * 60_000 - pollIntervalMs)
            )
            .catch(() => ({ acquired: false }));
        if (grant.acquired) await refreshUpcoming();
    }

    /**
     * One pass under the session's lease: skipped while another instance holds it, the lease renewed every third of
     * its TTL while the pass runs and given back at the end. A pass that loses its lease (it could not renew in time,
     * another instance took it over) stops before its next Salesforce call.
     */
    async function runLeasedSession(sessionId: string, burst: PendingBurst | undefined): Promise<void> {
        const grant = await store.acquireSessionLease(sessionId, instanceId, leaseTtlMs);
        if (!grant.acquired) {
            leasedElsewhere.set(sessionId, now() + pollIntervalMs);
            return;
        }
        leasedElsewhere.delete(sessionId);
        if (grant.takenOverFrom) {
            leaseTakeovers += 1;
            logger.warn(
                { sessionId, from: grant.takenOverFrom, instance: instanceId },
                'took over the session from an instance that stopped renewing its lease'
            );
        }
        const lease = holdLease(sessionId);
        try {
            await runPipeline(sessionId, lease, burst);
        } finally {
            lease.stop();
            await store
                .releaseSessionLease(sessionId, instanceId)
                .catch((error: unknown) =>
                    logger.warn(
                        { sessionId, err: error },
                        'the session lease could not be released; it expires by itself'
                    )
                );
        }
    }

    /**
     * The session's passes under one lease, pipelined: once a pass has sent its last write (up to 1,000 people, about
     * latency + 1,000 records of the org's time), the next pass — if the batch window says one is due — reads and
     * builds its own while that call is in flight, leaving the people being written to it, and sends as soon as the
     * call has answered: one call at a time on the Campaign (its row lock), none of the listener's own work between
     * them. A long session end is so written in passes of 1,000 while its deliveries still arrive, and ends about one
     * call after the last one. The pipeline ends when no pass is due by the time the current one ends; the next tick
     * starts a new one.
     */
    async function runPipeline(sessionId: string, lease: HeldLease, burst: PendingBurst | undefined) {
        let turn: Promise<void> = Promise.resolve();
        const writeTurn = async () => {
            let release!: () => void;
            const previous = turn;
            turn = new Promise<void>((resolve) => (release = resolve));
            await previous;
            return release;
        };
        const start = (exclude: ReadonlySet<string>, passKey: string, taken: PendingBurst | undefined) => {
            let reportLastWrite!: (personIds: ReadonlySet<string> | null) => void;
            const lastWrite = new Promise<ReadonlySet<string> | null>(
                (resolve) => (reportLastWrite = resolve)
            );
            const done = runSession(sessionId, lease, {
                exclude,
                passKey,
                writeTurn,
                onTaken: (people) => returnLeftover(sessionId, taken, people),
                onLastWrite: (personIds) => reportLastWrite(personIds)
            }).finally(() => reportLastWrite(null));
            // Awaited below; marked handled so a failure while the next pass is being decided is not reported twice.
            done.catch(() => undefined);
            return { done, lastWrite };
        };
        let current = start(new Set(), '', burst);
        for (let index = 1; ; index += 1) {
            const writing = await current.lastWrite;
            const due = writing ? await nextPassDue(sessionId, current.done) : null;
            if (!writing || !due) {
                await current.done;
                return;
            }
            const next = start(writing, PIPELINE_PASS_KEYS[index % 2]!, due);
            try {
                await current.done;
            } catch (error) {
                await next.done.catch(() => undefined);
                throw error;
            }
            current = next;
        }
    }

    /**
     * While a pass's last write is in flight: resolves once the batch window says the session's next pass is due and it
     * has PIPELINE_MIN_PEOPLE people or more (what it takes of the burst), or null when the pass ended first (the tick
     * takes over) or the engine stops.
     */
    async function nextPassDue(sessionId: string, done: Promise<void>): Promise<PendingBurst | null> {
        let ended = false;
        const settled = done.then(
            () => (ended = true),
            () => (ended = true)
        );
        for (;;) {
            // Fold what has arrived first: the window judges a burst by when its deliveries were folded.
            await runTick();
            if (!running || ended) return null;
            const burst = changes.get(sessionId);
            if (burst && burst.people >= PIPELINE_MIN_PEOPLE && batchDelay(sessionId) === 0) {
                changes.delete(sessionId);
                return burst;
            }
            // Not due yet (or due but small: it waits for the current pass to end): look again shortly.
            const delay = burst ? batchDelay(sessionId) : 0;
            const wait = delay > 0 ? Math.min(delay, 50) : 50;
            await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, wait))]);
        }
    }

    function holdLease(sessionId: string): HeldLease {
        let heldUntil = Date.now() + leaseTtlMs;
        let lost = false;
        const renew = async () => {
            const startedAt = Date.now();
            try {
                if (await store.renewSessionLease(sessionId, instanceId, leaseTtlMs)) {
                    heldUntil = startedAt + leaseTtlMs;
                    for (const passKey of PIPELINE_PASS_KEYS)
                        await claims.renew(claimOwner(sessionId, passKey));
                } else lost = true;
            } catch (error) {
                logger.warn({ sessionId, err: error }, 'the session lease could not be renewed');
            }
        };
        const timer = setInterval(() => void renew(), Math.max(100, Math.floor(leaseTtlMs / 3)));
        timer.unref?.();
        const assertHeld = () => {
            if (lost || Date.now() >= heldUntil) throw new LeaseLostError(sessionId);
        };
        return {
            stop: () => clearInterval(timer),
            guard: <T extends object>(target: T): T =>
                new Proxy(target, {
                    get(object, property, receiver) {
                        const value: unknown = Reflect.get(object, property, receiver);
                        if (typeof value !== 'function') return value;
                        return (...args: unknown[]) => {
                            assertHeld();
                            return (value as (...a: unknown[]) => unknown).apply(object, args);
                        };
                    }
                })
        };
    }

    async function runSession(sessionId: string, lease: HeldLease, pass: PipelinedPass = {}) {
        const [loaded] = await store.getSessions([sessionId]);
        if (!loaded) return;
        const row = await fetchPlaceholder(loaded);
        const event = await eventDetails(row.eventId);
        if (!effectiveEnabled(event, row.eventId)) return;
        if (!settings.syncPastSessions && !row.campaignId && !row.setAside) {
            // Judged here, after every delivery stored so far was folded (each cycle folds before it syncs), on
            // when the session was over — a session created before the first start but ended after it is synced.
            const enabledAt =
                (await store.getSetting<number>(`${EVENT_ENABLED_AT_SETTING_PREFIX}${row.eventId}`)) ?? 0;
            const reason = setAsideReason(
                row.state,
                Math.max(activatedAt, enabledAt),
                enabledAt > activatedAt
            );
            if (
                reason &&
                !(await store.getSetting<string[]>(BACKFILLED_SESSIONS_SETTING))?.includes(sessionId)
            ) {
                await store.saveSyncedSession({ ...row, setAside: { reason, at: now() } });
                logger.info({ sessionId, eventId: row.eventId }, 'session set aside: %s', reason);
                await store.appendSyncLog({
                    at: now(),
                    sessionId,
                    kind: 'set-aside',
                    apiCalls: 0,
                    ok: 0,
                    failed: 0,
                    message: reason
                });
                return;
            }
        }
        if (!event?.title && waitingForTitle(row.eventId)) return;
        if (row.state.status === 'past' && row.state.endedAt > 0 && !reconcileAt.has(sessionId)) {
            reconcileAt.set(sessionId, now() + settings.attendanceReconcileSeconds * 1000);
        }
        if (settings.dryRun) {
            const people = await store.dirtyPeople(sessionId, now(), 1000);
            logger.info({ sessionId, people: people.length }, 'dry run: would sync this session');
            return;
        }
        const result = await syncSession(
            {
                store,
                salesforce: lease.guard(salesforce),
                settings,
                metadata: metadata!,
                logger,
                claims,
                now,
                ...pass
            },
            sessionId,
            event
        );
        connected();
        // A pass that called Salesforce without any write accepted (lookups only, every record refused) or needed no
        // call at all (a team member settled, nothing left to write) is not a write.
        if (result.synced > 0 || result.campaignWritten) noteWrite();
        if (result.apiCalls > 0) {
            await store.appendSyncLog({
                at: now(),
                sessionId,
                kind: result.campaignRecreated
                    ? 'campaign-recreated'
                    : result.campaignCreated
                      ? 'campaign-created'
                      : 'sync',
                apiCalls: result.apiCalls,
                ok: result.synced,
                failed: result.failed,
                message: `${result.synced} synced, ${result.failed} kept with an error, ${result.apiCalls} API call${result.apiCalls === 1 ? '' : 's'}`
            });
        }
        if (result.more) schedule(0);
    }

    async function tick() {
        // 1. inbox → folded state
        // Small rounds, the event loop released between them: node:sqlite is synchronous, and webhook
        // acknowledgements must not wait behind one long transaction.
        for (let round = 0; round < 200; round += 1) {
            const outcome = await foldPendingDeliveries(store, FOLD_ROUND);
            noteChanges(outcome.changedPeople);
            for (const eventId of outcome.publishedEventIds)
                inBackground('discovering the sessions of a published event', discoverEvent(eventId), {
                    eventId
                });
            if (outcome.deliveries < FOLD_ROUND) break;
            await yieldToEventLoop();
        }
        pendingDeliveries = await store.countPendingDeliveries();
        if (!running) return;

        // 2. Salesforce: paused (the daily allocation or the budget: probe /limits once per interval), backing off, or
        // metadata not read yet
        if (pausedUntil > now()) return;
        const pausedState = sides.salesforce.state;
        if (pausedState === 'paused_daily_limit' || pausedState === 'paused_budget') {
            try {
                if (!(await limitsAllowResume())) {
                    pauseForLimits(
                        pausedState,
                        sides.salesforce.reason ?? 'Salesforce API usage over budget'
                    );
                    return;
                }
            } catch (error) {
                pause(error);
                return;
            }
            logger.info('the org API usage is under budget again: syncing resumes');
            connected();
        } else if (pausedState === 'connecting' && metadata) {
            // Resumed by an admin: one cheap call says whether Salesforce takes requests again.
            try {
                await salesforce.request('GET', 'limits');
                connected();
            } catch (error) {
                pause(error);
                return;
            }
        }
        if (!metadata) {
            try {
                const loaded = await loadOrgMetadata(salesforce);
                loaded.warnings.forEach((warning) => logger.warn(warning));
                metadata = loaded;
                connected();
                logger.info(
                    {
                        apiVersion: salesforce.apiVersion,
                        statuses: loaded.statuses.map((status) => status.label)
                    },
                    'connected to Salesforce'
                );
            } catch (error) {
                pause(error);
                return;
            }
        }
        // A leadAssignment rule Id the org does not have: nothing is written (Leads would be created with a rule
        // Salesforce refuses); the settings are live, and the org's rules are read again every 5 minutes.
        const assignmentProblem = leadAssignmentProblem(
            settings.leadAssignment,
            metadata.leadAssignmentRules
        );
        if (assignmentProblem) {
            if (sides.salesforce.reason !== assignmentProblem) logger.error(assignmentProblem);
            metadata = null;
            pausedUntil = now() + 5 * 60_000;
            setSalesforce(
                'retrying',
                assignmentProblem,
                'Correct leadAssignment in the config file (or the admin page settings): "org-rules", "none" or the Id of one of this org\'s Lead assignment rules (Setup › Lead Assignment Rules, active or not); the org is read again every 5 minutes.',
                pausedUntil
            );
            return;
        }
        if (budgetExceeded()) return;

        // 3. events switched on from elsewhere (the command line writes the store): note when, before any of their
        // sessions is judged, and discover their upcoming sessions
        for (const event of await store.listEvents()) {
            const enabled = effectiveEnabled(event, event.eventId);
            const before = knownEnabled.get(event.eventId);
            knownEnabled.set(event.eventId, enabled);
            if (enabled && before === false) {
                await noteEnabled(event.eventId);
                inBackground('discovering the sessions of an enabled event', discoverEvent(event.eventId), {
                    eventId: event.eventId
                });
            }
        }

        // 4. dirty sessions, in parallel across sessions, one pass per session at a time
        const dirty = await store.dirtySessionIds(now());
        for (const sessionId of dirty) {
            if (inFlight.size >= concurrency) break;
            if (inFlight.has(sessionId)) continue;
            const elsewhereUntil = leasedElsewhere.get(sessionId) ?? 0;
            if (elsewhereUntil > now()) {
                schedule(elsewhereUntil - now());
                continue;
            }
            const wait = batchDelay(sessionId);
            if (wait > 0) {
                schedule(wait);
                continue;
            }
            const burst = changes.get(sessionId);
            changes.delete(sessionId);
            const run = runLeasedSession(sessionId, burst)
                .catch((error: unknown) => {
                    if (error instanceof SalesforceError && error.kind !== 'request') pause(error);
                    else if (error instanceof LeaseLostError) logger.warn({ sessionId }, error.message);
                    else logger.error({ sessionId, err: error }, 'session sync failed');
                })
                .finally(() => {
                    inFlight.delete(sessionId);
                    schedule(leasedElsewhere.has(sessionId) ? pollIntervalMs : 0);
                    // The pass wrote (or not) what the count was taken before: counted again now.
                    return recountWaitingSessions(true);
                });
            inFlight.set(sessionId, run);
        }

        // 5. periodic work against Livestorm, within its quota: titles that could not be read, attendance, refresh
        for (const [eventId, failed] of titleFailures) {
            // About an hour of attempts on their own; after that only a pass of one of its sessions tries again.
            if (failed.retryAt <= now() && failed.count < 12)
                inBackground(
                    'reading an event title again',
                    eventDetails(eventId).then(() => schedule(0)),
                    { eventId }
                );
        }
        for (const [sessionId, dueAt] of reconcileAt) {
            if (dueAt > now()) continue;
            reconcileAt.set(sessionId, Infinity);
            inBackground(
                'completing attendance from the Livestorm API',
                reconcileAttendance(sessionId).then(() => schedule(0)),
                { sessionId },
                () => reconcileAt.set(sessionId, now() + pollIntervalMs)
            );
        }
        if (existingSessionsAt !== null && existingSessionsAt <= now()) {
            inBackground(
                'discovering the sessions already upcoming in Livestorm',
                discoverExistingSessions().then(() => schedule(0))
            );
        }
        if (now() - lastRefreshAt >= settings.refreshIntervalMinutes * 60_000) {
            lastRefreshAt = now();
            inBackground(
                'refreshing upcoming sessions from Livestorm',
                refreshTurn().then(() => schedule(0))
            );
        }
    }

    /** An event enabled after the first start: its sessions over before now are set aside (past-sessions.ts). */
    async function noteEnabled(eventId: string) {
        await store.setSetting(`${EVENT_ENABLED_AT_SETTING_PREFIX}${eventId}`, now());
        logger.info({ eventId }, 'event enabled: its sessions are synced from now on');
    }

    /**
     * The first start: the activation time is recorded, and the sessions upcoming in Livestorm at that moment get
     * their Campaigns (discoverExistingSessions). Later starts read the recorded time.
     */
    async function firstStart() {
        const stored = await store.getSetting<number>('activatedAt');
        if (stored) {
            activatedAt = stored;
        } else {
            activatedAt = now();
            // Recorded before the time, so that a stop in between still leaves the discovery to do.
            if (livestorm) await store.setSetting(EXISTING_SESSIONS_SETTING, 'to discover');
            await store.setSetting('activatedAt', activatedAt);
        }
        if ((await store.getSetting<string>(EXISTING_SESSIONS_SETTING)) === 'to discover')
            existingSessionsAt = now();
    }

    /**
     * Enabling the integration creates Campaigns for the sessions upcoming (or on demand) right now. Until every
     * enabled event has been read, the discovery is tried again (backoff from pollIntervalMs up to an hour, and at the
     * next start): a Livestorm API that cannot be reached at the first start must not leave those sessions without
     * Campaigns for good. Sessions read twice are folded twice, to the same state.
     */
    async function discoverExistingSessions(): Promise<void> {
        if (!livestorm) return;
        existingSessionsAt = null;
        try {
            let discovered = 0;
            for await (const event of livestorm.listEvents()) {
                const row = await store.getEvent(event.id);
                if (!effectiveEnabled(row, event.id)) continue;
                discovered += await discoverEvent(event.id, {}, 'throw');
            }
            await store.setSetting(EXISTING_SESSIONS_SETTING, 'discovered');
            existingSessionsAttempts = 0;
            logger.info({ sessions: discovered }, 'existing upcoming sessions discovered');
        } catch (error) {
            // A failed listing of the events (the sessions' reads have told the side state already).
            if (error instanceof LivestormApiError) livestormFailed(error);
            existingSessionsAttempts += 1;
            const delayMs = backoffDelayMs(existingSessionsAttempts, {
                baseMs: pollIntervalMs,
                capMs: 3_600_000
            });
            existingSessionsAt = now() + delayMs;
            logger.warn(
                { err: error, retryInSeconds: Math.round(delayMs / 1000) },
                'the sessions already upcoming in Livestorm could not all be read: Campaigns for them are created once they are (tried again on its own)'
            );
        }
    }

    return {
        async start() {
            running = true;
            started = true;
            persistSides();
            await loadLastWrite().catch((error: unknown) =>
                logger.warn(
                    { err: error },
                    'the time of the last write to Salesforce could not be read from the store'
                )
            );
            await firstStart().catch((error: unknown) =>
                logger.warn({ err: error }, 'the first start could not be read from or recorded in the store')
            );
            // Known from the start, not from the first tick that reaches Salesforce.
            await recountWaitingSessions(true);
            // Before the first pass, as at every start while it is left to do; its retries are the ticks' work.
            if (existingSessionsAt !== null) await discoverExistingSessions();
            schedule(0);
        },
        async stop() {
            running = false;
            if (timer) clearTimeout(timer);
            timer = undefined;
            await ticking;
            await Promise.allSettled([...inFlight.values()]);
            // A save still waiting for its interval is done now: the next start reads the last write.
            if (lastWriteTimer) await saveLastWrite();
            await lastWriteSaving;
        },
        notify() {
            schedule(Math.min(settings.batchWindowMs, 50));
        },
        health(): EngineHealth {
            return {
                ready: started,
                ...sides,
                salesforce: { ...sides.salesforce },
                livestorm: { ...sides.livestorm },
                lastSyncAt,
                apiUsage: salesforce.apiUsage(),
                pendingDeliveries,
                dirtySessions,
                leaseTakeovers
            };
        },
        resumeSalesforce() {
            const state = sides.salesforce.state;
            if (state === 'dry_run' || state === 'connected') {
                schedule(0);
                return;
            }
            // An explicit resume wins over the budget until the next probe would have run.
            if (state === 'paused_budget') budgetIgnoredUntil = now() + limitProbeIntervalMs;
            pausedUntil = 0;
            outageAttempts = 0;
            logger.info({ from: state }, 'Salesforce sync resumed by an admin');
            setSalesforce('connecting', 'Resumed by an admin: trying Salesforce now.', null, now());
            schedule(0);
        },
        sessionActivity(sessionId) {
            if (inFlight.has(sessionId)) return { writing: true, nextPassAt: now() };
            const delay = changes.has(sessionId) ? batchDelay(sessionId) : 0;
            return {
                writing: false,
                nextPassAt: Math.max(now() + delay, Math.min(timerAt, now() + pollIntervalMs))
            };
        },
        async eventEnabled(eventId) {
            if (knownEnabled.get(eventId) === false) {
                knownEnabled.set(eventId, true);
                await noteEnabled(eventId);
            }
            await discoverEvent(eventId);
            schedule(0);
        },
        async retryFailures(sessionId) {
            // In pages of 500: a retried row leaves the failure list; rows of other sessions stay and are stepped over.
            let retried = 0;
            let others = 0;
            for (;;) {
                const page = await store.listFailures(others + 500);
                const due = page.filter((row) => !sessionId || row.sessionId === sessionId);
                if (due.length === 0) break;
                await store.saveSyncedPeople(due.map((row) => ({ ...row, syncedVersion: 0, failure: null })));
                retried += due.length;
                others = page.length - due.length;
                if (page.length < others + 500) break;
            }
            schedule(0);
            return retried;
        },
        async retryPerson(sessionId, personId) {
            const [row] = await store.getPeople(sessionId, [personId]);
            if (!row) return false;
            await store.saveSyncedPeople([{ ...row, syncedVersion: 0, failure: null }]);
            schedule(0);
            return true;
        },
        discoverEvent,
        activeSessionIds: () => [...new Set([...inFlight.keys(), ...changes.keys()])],
        async refreshUpcoming() {
            await refreshUpcoming();
            schedule(0);
        },
        async whenIdle(timeoutMs = 30_000) {
            const deadline = now() + timeoutMs;
            for (;;) {
                await runTick();
                await Promise.allSettled([...inFlight.values()]);
                const pending = await store.countPendingDeliveries();
                const dirty = await store.dirtySessionIds(now());
                const enabledDirty: string[] = [];
                for (const sessionId of dirty) {
                    const [row] = await store.getSessions([sessionId]);
                    if (row && effectiveEnabled(await store.getEvent(row.eventId), row.eventId))
                        enabledDirty.push(sessionId);
                }
                if (pending === 0 && enabledDirty.length === 0 && inFlight.size === 0 && pausedUntil <= now())
                    return;
                if (now() > deadline)
                    throw new Error(
                        `the sync engine is not idle after ${timeoutMs} ms (${pending} pending deliveries, ${enabledDirty.length} dirty sessions; Salesforce: ${sides.salesforce.state}${sides.salesforce.reason ? `, ${sides.salesforce.reason}` : ''})`
                    );
                await new Promise((resolve) => setTimeout(resolve, 25));
            }
        }
    };
}

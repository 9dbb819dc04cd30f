// What the admin page and the admin API show, read from the store and the engine. Nothing here returns a secret: the
// config is reduced to what an admin needs (which auth mode, which URLs).
import type { Config } from '../config/env.ts';
import type { StoreHealth } from '../http/health.ts';
import type { Settings } from '../config/settings.ts';
import type {
    Delivery,
    DeliveryState,
    EventRow,
    PersonRow,
    SessionCursor,
    SessionLease,
    SessionRow,
    SessionCounts,
    Store,
    SyncLogEntry
} from '../store/store.ts';
import type { SyncEngine } from '../sync/engine-port.ts';
import { leaseLeftByStoppedListener } from '../store/store.ts';
import type { RunningListener } from '../store/store.ts';
import {
    InvalidCursorError,
    searchPersonStatuses,
    sessionStateToken,
    salesforceHold,
    statusContext
} from '../sync/person-status.ts';
import type { PersonStatus, PersonStatusDeps, SessionStateToken } from '../sync/person-status.ts';
import { eventEnablement } from '../config/event-enablement.ts';
import type { EnablementSource } from '../config/event-enablement.ts';

export interface AdminContext {
    config: Config;
    store: Store;
    engine: SyncEngine;
    settings: Settings;
    /** The org's instance URL once known (links to Campaigns), null before. */
    instanceUrl: () => string | null;
    /** The store side of the health model (the one /healthz reports); "ok" when absent. */
    storeHealth?: StoreHealth;
}

/** One dependency's health, as DESIGN's /healthz model has it. */
export interface HealthSideView {
    state: string;
    reason: string | null;
    since: string | null;
    fix: string | null;
}

export interface HealthView {
    status: 'ok' | 'degraded' | 'unavailable';
    salesforce: HealthSideView;
    livestorm: HealthSideView;
    store: HealthSideView;
    deliveries: Record<DeliveryState, number>;
    dirtySessions: number;
    lastSyncAt: number | null;
    apiUsage: { used: number; limit: number } | null;
    salesforceAuth: Config['salesforce']['mode'];
    apiVersion: string;
    livestormApi: { url: string; tokenConfigured: boolean };
    webhookSignatures: boolean;
}

export interface SessionView {
    sessionId: string;
    eventId: string;
    eventTitle: string | null;
    sessionName: string | null;
    /** Livestorm's status of the session (upcoming, live, past, canceled…). */
    status: string;
    /** ISO 8601 start (actual, else estimated), null when unknown. */
    startsAt: string | null;
    campaign: {
        id: string | null;
        /** The Name as the listener last wrote or read it. */
        name: string | null;
        /** `<instance URL>/lightning/r/Campaign/<Id>/view`, null before the Campaign or the instance URL is known. */
        url: string | null;
    };
    /** What Livestorm reports for the session's registrants (team members left out). */
    counts: SessionCounts;
    /** The Campaign's members by the Status the listener last wrote, e.g. { Registered: 12, Attended: 30 }. */
    members: Record<string, number>;
    /** DESIGN's session state token, first match wins. */
    state: SessionStateToken;
    /** Why, in an admin's words. */
    reason: string;
    /** People refused by Salesforce, and people not written yet. */
    failedPeople: number;
    waitingPeople: number;
    /**
     * The listener instance (INSTANCE_ID) writing the session now (`writing`), else the one that wrote it last; null
     * before its first pass. Several instances on one PostgreSQL share the sessions, one writer each.
     */
    writer: {
        instance: string;
        writing: boolean;
        /**
         * Embedded store: the instance is a listener that stopped during a pass (only one runs on a DATA_DIR) and its
         * lease keeps the session until this time (ISO 8601), so that a write it had in flight is not repeated; else
         * null.
         */
        stoppedUntil: string | null;
    } | null;
}

export interface SessionsPage {
    sessions: SessionView[];
    nextCursor: string | null;
}

export const DEFAULT_SESSIONS_LIMIT = 50;
export const MAX_SESSIONS_LIMIT = 200;

export interface EventView {
    eventId: string;
    title: string | null;
    onDemand: boolean;
    enabled: boolean;
    source: EnablementSource;
    because: string;
}

export interface DeliveryView {
    id: number;
    receivedAt: string;
    event: string | null;
    state: DeliveryState;
    error: string | null;
    /** The first characters of the body, enough to recognise it. */
    preview: string;
    size: number;
}

export interface FailureView {
    sessionId: string;
    personId: string;
    email: string | null;
    code: string;
    message: string;
    fields: string[];
    attempts: number;
    at: string;
    nextAttemptAt: string;
}

export interface SyncLogView extends Omit<SyncLogEntry, 'at'> {
    at: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function campaignUrl(instanceUrl: string | null, campaignId: string | null): string | null {
    if (instanceUrl === null || campaignId === null) return null;
    return `${instanceUrl.replace(/\/+$/, '')}/lightning/r/Campaign/${encodeURIComponent(campaignId)}/view`;
}

/** The instance URL known from the config alone (token mode; My Domain login URLs for the OAuth flows). */
export function configuredInstanceUrl(config: Pick<Config, 'salesforce'>): string | null {
    const salesforce = config.salesforce;
    if (salesforce.mode === 'token') return salesforce.instanceUrl;
    if (salesforce.mode === 'client_credentials' || salesforce.mode === 'jwt') {
        // login.salesforce.com / test.salesforce.com are not an org: no link until the connection reports one.
        return /\/\/(login|test)\.salesforce\.com/i.test(salesforce.loginUrl) ? null : salesforce.loginUrl;
    }
    return null;
}

export async function healthView(ctx: AdminContext): Promise<HealthView> {
    const engine = ctx.engine.health();
    const tokenConfigured = ctx.config.livestorm.apiToken !== null;
    const salesforceFine = engine.salesforce.state === 'connected' || engine.salesforce.state === 'dry_run';
    const livestormFine = engine.livestorm.state === 'ok' || engine.livestorm.state === 'not_configured';
    const store = ctx.storeHealth?.side() ?? { state: 'ok' as const, reason: null, since: null, fix: null };
    return {
        status:
            !engine.ready || store.state === 'failing'
                ? 'unavailable'
                : salesforceFine && livestormFine
                  ? 'ok'
                  : 'degraded',
        salesforce: engine.salesforce,
        livestorm: engine.livestorm,
        store,
        deliveries: await ctx.store.countDeliveries(),
        dirtySessions: engine.dirtySessions,
        lastSyncAt: engine.lastSyncAt,
        apiUsage: engine.apiUsage,
        salesforceAuth: ctx.config.salesforce.mode,
        apiVersion: ctx.config.salesforce.apiVersion,
        livestormApi: { url: ctx.config.livestorm.apiUrl, tokenConfigured },
        webhookSignatures: ctx.config.livestorm.webhookSecret !== null
    };
}

/** What person-status.ts needs from the admin context. */
export function personStatusDeps(ctx: AdminContext): PersonStatusDeps {
    return {
        store: ctx.store,
        settings: ctx.settings,
        engine: ctx.engine,
        instanceUrl: ctx.instanceUrl,
        livestormConfigured: ctx.config.livestorm.apiToken !== null
    };
}

function encodeSessionCursor(cursor: SessionCursor): string {
    return Buffer.from(JSON.stringify([cursor.startsAt, cursor.sessionId]), 'utf8').toString('base64url');
}

function decodeSessionCursor(value: string): SessionCursor {
    try {
        const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
        if (Array.isArray(parsed) && typeof parsed[0] === 'number' && typeof parsed[1] === 'string') {
            return { startsAt: parsed[0], sessionId: parsed[1] };
        }
    } catch {
        // fall through
    }
    throw new InvalidCursorError('cursor is not one this listener produced: start again without a cursor');
}

/** A waiting session's reason when the command line finds no listener running on the embedded store. */
const NO_LISTENER_REASON =
    'No listener is running on this store: what waits is written once it is started again (npm start).';

/**
 * A session's reason, for its state token. A waiting session says first what holds every change of it: no listener
 * running on the store (read by the command line), the lease of a listener that stopped while writing it, Salesforce
 * not connected (`hold.salesforce`, person-status.ts salesforceHold); then its own failure or the next batch.
 */
function sessionReason(
    state: SessionStateToken,
    session: SessionRow,
    event: EventRow | undefined,
    progress: { dirty: number; failed: number },
    settings: Settings,
    hold: { noListener: boolean; writer: SessionView['writer']; salesforce: string | null }
): string {
    switch (state) {
        case 'disabled':
            return `Its event is not synced (${eventEnablement({ eventId: session.eventId, enabled: event?.enabled ?? null }, settings).because}): deliveries are stored, nothing is written.`;
        case 'set_aside':
            return session.setAside?.reason ?? session.failure?.message ?? 'Set aside: not synced.';
        case 'failed':
            return `${progress.failed} ${progress.failed === 1 ? 'person was' : 'people were'} refused by Salesforce: see why and retry them in People.`;
        case 'writing':
            return 'Being written to Salesforce now.';
        case 'waiting':
            if (hold.noListener) return NO_LISTENER_REASON;
            if (hold.writer?.stoppedUntil)
                return `The listener ${hold.writer.instance} stopped while writing this session; it is written again once that listener's lease ends at ${hold.writer.stoppedUntil} (a write it had in flight is not repeated).`;
            if (hold.salesforce) return hold.salesforce;
            if (session.failure)
                return `The Campaign could not be written yet (${session.failure.code}: ${session.failure.message}); retried automatically.`;
            if (session.campaignId === null) return 'The Campaign is created with the next batch.';
            return `${progress.dirty} ${progress.dirty === 1 ? 'change waits' : 'changes wait'} for the next batch.`;
        case 'synced':
            return 'Everything Livestorm reported is in Salesforce.';
    }
}

function writerOf(lease: SessionLease | undefined, running: RunningListener): SessionView['writer'] {
    if (!lease) return null;
    const nowMs = Date.now();
    if (leaseLeftByStoppedListener(lease, running, nowMs)) {
        return {
            instance: lease.owner,
            writing: false,
            stoppedUntil: new Date(lease.expiresAt).toISOString()
        };
    }
    return { instance: lease.owner, writing: !lease.released && lease.expiresAt > nowMs, stoppedUntil: null };
}

export interface SessionsQuery {
    /** Case-insensitive substring of the session id, the session's name, the Campaign's Name or the event's title. */
    q?: string;
    eventId?: string;
    /** Default DEFAULT_SESSIONS_LIMIT, clamped to 1…MAX_SESSIONS_LIMIT. */
    limit?: number;
    /** `nextCursor` of the previous page. */
    cursor?: string | null;
}

/**
 * One page of sessions, newest first, with their Campaign, counts and DESIGN's session state: what the sessions view
 * and `GET /admin/api/sessions` show (see readSessions).
 * @throws InvalidCursorError for a cursor this listener did not produce
 */
export async function sessionsView(ctx: AdminContext, query: SessionsQuery = {}): Promise<SessionsPage> {
    return readSessions(
        {
            ...personStatusDeps(ctx),
            running: { embedded: !ctx.config.databaseUrl, instanceId: ctx.config.database.instanceId }
        },
        query
    );
}

/**
 * One page of sessions, newest first, as `{ sessions: SessionView[], nextCursor }`: the one computation behind the
 * sessions view, `GET /admin/api/sessions` and `livestorm-sf sessions list`. Reads one bounded page from the store,
 * then a few rows per session. Without an engine in this process (the command line), a session counts as `writing`
 * while a listener instance holds its unexpired write lease in the store (what `writer.writing` says); Campaign links
 * need `deps.instanceUrl`, else `campaign.url` is null.
 * @param deps the store and settings; `engine` when the listener runs in this process; `running`, the listener running
 *   on the store as far as this process knows (a lease left by a stopped listener is shown as such: leaseLeftByStoppedListener)
 * @returns the page and the cursor of the next one (null on the last page)
 * @throws InvalidCursorError for a cursor this listener did not produce
 * @example const { sessions, nextCursor } = await readSessions(deps, { q: 'launch', limit: 50 });
 */
export async function readSessions(
    deps: PersonStatusDeps & { running: RunningListener },
    query: SessionsQuery = {}
): Promise<SessionsPage> {
    const limit = Math.min(
        Math.max(Math.trunc(query.limit ?? DEFAULT_SESSIONS_LIMIT), 1),
        MAX_SESSIONS_LIMIT
    );
    const after = query.cursor ? decodeSessionCursor(query.cursor) : undefined;
    const rows = await deps.store.searchSessions({
        limit: limit + 1,
        ...(query.q ? { q: query.q } : {}),
        ...(query.eventId ? { eventId: query.eventId } : {}),
        ...(after ? { after } : {})
    });
    const page = rows.slice(0, limit);
    const events = new Map<string, EventRow | undefined>();
    for (const eventId of new Set(page.map((row) => row.eventId))) {
        events.set(eventId, await deps.store.getEvent(eventId));
    }
    const instanceUrl = deps.instanceUrl?.() ?? null;
    const leases = new Map(
        (await deps.store.listSessionLeases(page.map((row) => row.sessionId))).map((lease) => [
            lease.sessionId,
            lease
        ])
    );
    const engineStatus = await statusContext(deps);
    // Read by the command line: on the embedded store, no listener holds the data directory.
    const noListener = !deps.engine && deps.running.embedded && deps.running.instanceId === null;
    const status = deps.engine
        ? engineStatus
        : {
              ...engineStatus,
              activity: (sessionId: string) => ({
                  writing: writerOf(leases.get(sessionId), deps.running)?.writing ?? false,
                  nextPassAt: null
              })
          };
    const sessions = await Promise.all(
        page.map(async (session): Promise<SessionView> => {
            const [counts, members, progress] = await Promise.all([
                deps.store.sessionCounts(session.sessionId),
                deps.store.memberStatusCounts(session.sessionId),
                deps.store.sessionProgress(session.sessionId)
            ]);
            const event = events.get(session.eventId);
            const state = sessionStateToken(session, event, progress, status);
            const writer = writerOf(leases.get(session.sessionId), deps.running);
            const seconds = session.state.startedAt || session.state.estimatedStartedAt;
            return {
                sessionId: session.sessionId,
                eventId: session.eventId,
                eventTitle: event?.title ?? null,
                sessionName: session.state.name,
                status: session.state.status,
                startsAt: seconds > 0 ? new Date(seconds * 1000).toISOString() : null,
                campaign: {
                    id: session.campaignId,
                    name: session.campaignName,
                    url: campaignUrl(instanceUrl, session.campaignId)
                },
                counts,
                members,
                state,
                reason: sessionReason(state, session, event, progress, deps.settings, {
                    noListener,
                    writer,
                    salesforce: salesforceHold(engineStatus)
                }),
                failedPeople: progress.failed,
                waitingPeople: progress.dirty,
                writer
            };
        })
    );
    const last = page.at(-1);
    const nextCursor =
        rows.length > limit && last
            ? encodeSessionCursor({
                  startsAt: last.state.startedAt || last.state.estimatedStartedAt || 0,
                  sessionId: last.sessionId
              })
            : null;
    return { sessions, nextCursor };
}

/** One page of people with their statuses (DESIGN's `GET /admin/api/people`). */
export async function peopleView(
    ctx: AdminContext,
    query: { q?: string; sessionId?: string; limit?: number; cursor?: string | null }
): Promise<{ people: PersonStatus[]; nextCursor: string | null }> {
    return searchPersonStatuses(personStatusDeps(ctx), {
        ...(query.q !== undefined ? { q: query.q } : {}),
        ...(query.sessionId !== undefined ? { sessionId: query.sessionId } : {}),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
        cursor: query.cursor ?? null
    });
}

export function eventView(event: EventRow, settings: Settings): EventView {
    return {
        eventId: event.eventId,
        title: event.title,
        onDemand: event.onDemand,
        ...eventEnablement(event, settings)
    };
}

export async function eventsView(ctx: AdminContext): Promise<EventView[]> {
    const events = await ctx.store.listEvents();
    return events.map((event) => eventView(event, ctx.settings));
}

export function deliveryView(delivery: Delivery): DeliveryView {
    return {
        id: delivery.id,
        receivedAt: iso(delivery.receivedAt),
        event: delivery.event,
        state: delivery.state,
        error: delivery.error,
        preview: delivery.body.slice(0, 200),
        size: delivery.body.length
    };
}

export async function deliveriesView(
    ctx: AdminContext,
    filter: { state?: DeliveryState; limit: number; offset?: number }
): Promise<DeliveryView[]> {
    return (await ctx.store.listDeliveries(filter)).map(deliveryView);
}

export function failureView(person: PersonRow): FailureView | null {
    if (person.failure === null) return null;
    return {
        sessionId: person.sessionId,
        personId: person.personId,
        email: person.state.email,
        code: person.failure.code,
        message: person.failure.message,
        fields: person.failure.fields,
        attempts: person.failure.attempts,
        at: iso(person.failure.at),
        nextAttemptAt: iso(person.failure.nextAttemptAt)
    };
}

export async function failuresView(ctx: AdminContext, limit: number): Promise<FailureView[]> {
    return (await ctx.store.listFailures(limit)).map(failureView).filter((view) => view !== null);
}

export async function syncLogView(ctx: AdminContext, limit: number): Promise<SyncLogView[]> {
    return (await ctx.store.listSyncLog(limit)).map((entry) => ({ ...entry, at: iso(entry.at) }));
}

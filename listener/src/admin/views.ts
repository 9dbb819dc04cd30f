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
    SessionCounts,
    Store,
    SyncLogEntry
} from '../store/store.ts';
import type { SyncEngine } from '../sync/engine-port.ts';
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
    status: string;
    /** Unix seconds of the (estimated) start, 0 when unknown. */
    startsAt: number;
    campaignId: string | null;
    campaignUrl: string | null;
    counts: SessionCounts;
    inSync: boolean;
    failure: string | null;
}

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
export function configuredInstanceUrl(config: Config): string | null {
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

export async function sessionsView(ctx: AdminContext): Promise<SessionView[]> {
    const [sessions, events] = await Promise.all([ctx.store.listSessions(), ctx.store.listEvents()]);
    const titles = new Map(events.map((event) => [event.eventId, event.title]));
    const instanceUrl = ctx.instanceUrl();
    const views = await Promise.all(
        sessions.map(async (session): Promise<SessionView> => ({
            sessionId: session.sessionId,
            eventId: session.eventId,
            eventTitle: titles.get(session.eventId) ?? null,
            sessionName: session.state.name,
            status: session.state.status,
            startsAt: session.state.startedAt || session.state.estimatedStartedAt,
            campaignId: session.campaignId,
            campaignUrl: campaignUrl(instanceUrl, session.campaignId),
            counts: await ctx.store.sessionCounts(session.sessionId),
            inSync: session.syncedVersion >= session.version,
            failure: session.failure ? `${session.failure.code}: ${session.failure.message}` : null
        }))
    );
    return views.sort((a, b) => b.startsAt - a.startsAt);
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

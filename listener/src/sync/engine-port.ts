// What the HTTP layer and the command line need from the running sync engine, and the health model of DESIGN
// ("Shared models"): one Side per dependency with the exact state tokens /healthz, the admin page and the command line
// show.

/** Salesforce, as the engine last found it. */
export type SalesforceState =
    | 'connecting'
    | 'connected'
    | 'retrying'
    | 'paused_daily_limit'
    | 'paused_budget'
    | 'refused_credentials'
    | 'dry_run';

/** The Livestorm REST API, as the engine last found it (webhooks are received whatever this says). */
export type LivestormState =
    'ok' | 'rate_limited' | 'refused_token' | 'quota_low' | 'unreachable' | 'not_configured';

/** Whether deliveries can be committed. */
export type StoreState = 'ok' | 'failing';

/** One dependency's health. `since` is ISO 8601; `reason` and `fix` are one sentence each, in an admin's words. */
export interface HealthSide<S extends string> {
    state: S;
    reason: string | null;
    since: string | null;
    fix: string | null;
}

export const SALESFORCE_STATES: readonly SalesforceState[] = [
    'connecting',
    'connected',
    'retrying',
    'paused_daily_limit',
    'paused_budget',
    'refused_credentials',
    'dry_run'
];

export const LIVESTORM_STATES: readonly LivestormState[] = [
    'ok',
    'rate_limited',
    'refused_token',
    'quota_low',
    'unreachable',
    'not_configured'
];

/**
 * The two sides the engine owns, with when it tries each again. The engine writes this to the store setting
 * ENGINE_HEALTH_SETTING whenever a side changes, so the command line (another process) reads the same picture.
 */
export interface EngineSides {
    salesforce: HealthSide<SalesforceState>;
    /** When the engine next tries Salesforce (ms since epoch); null when it is not waiting for Salesforce. */
    salesforceNextAttemptAt: number | null;
    livestorm: HealthSide<LivestormState>;
    /** When the engine next tries the Livestorm API (ms since epoch); null when it is not waiting for it. */
    livestormNextAttemptAt: number | null;
}

/** Store setting key of the persisted EngineSides (plus `updatedAt`, ms). */
export const ENGINE_HEALTH_SETTING = 'engineHealth';

export interface PersistedEngineSides extends EngineSides {
    /** When the engine wrote this (ms since epoch). */
    updatedAt: number;
}

export interface EngineHealth extends EngineSides {
    /** The store is open and the engine loop runs (Salesforce may still be retrying). */
    ready: boolean;
    /**
     * When the listener last wrote to Salesforce (ms since epoch): the end of the last sync pass in which Salesforce
     * accepted a person (Lead/Contact and CampaignMember) or the session's Campaign. Passes that wrote nothing — no call
     * needed, lookups only, every record refused, dry run — do not move it. Kept in the store across restarts (saved at
     * most every 5 s, and at stop); null when nothing was ever written.
     */
    lastSyncAt: number | null;
    apiUsage: { used: number; limit: number } | null;
    pendingDeliveries: number;
    /**
     * Sessions of enabled events with people (or Campaign changes) not yet written to Salesforce, whatever they wait
     * for: Salesforce paused or unreachable, a retry time still to come, another instance's lease, the batch window.
     * Sessions set aside and people kept with an error (nothing newer to write) are not counted. Counted from the store
     * at start, after every pass, and at least once a second otherwise.
     */
    dirtySessions: number;
    /** Session leases this engine took over after another instance stopped renewing them (it died or stalled). */
    leaseTakeovers?: number;
}

/** What the engine is doing with one session right now. */
export interface SessionActivity {
    /** A pass is writing this session to Salesforce. */
    writing: boolean;
    /** When its next pass may start (ms since epoch): the batch window, or the next poll; null when unknown. */
    nextPassAt: number | null;
}

export interface SyncEngine {
    start(): Promise<void>;
    /** Finishes the batch in flight, then stops. */
    stop(): Promise<void>;
    /** A delivery was stored: fold it and sync soon. */
    notify(): void;
    health(): EngineHealth;
    /** Ends a Salesforce pause or backoff now (paused for the daily limit or the budget, retrying) and syncs. */
    resumeSalesforce(): void;
    /** Whether a pass is writing the session now and when its next pass may start. */
    sessionActivity(sessionId: string): SessionActivity;
    /** Re-reads upcoming sessions of an event from Livestorm and syncs it (after it was enabled). */
    eventEnabled(eventId: string): Promise<void>;
    /** Retries now every failed record of a session, or of all sessions. */
    retryFailures(sessionId?: string): Promise<number>;
    /**
     * Writes one person again now (their error, if any, is forgotten; the next pass of their session writes them).
     * @returns false when the store holds no such person
     */
    retryPerson(sessionId: string, personId: string): Promise<boolean>;
}

// What the HTTP layer and the command line need from the running sync engine.

export type SalesforceHealth = 'connecting' | 'connected' | 'retrying' | 'paused' | 'dry-run';

export interface EngineHealth {
    /** The store is open and the engine loop runs (Salesforce may still be retrying). */
    ready: boolean;
    salesforce: SalesforceHealth;
    /** One sentence when Salesforce is not connected: why, and what to check. */
    detail: string | null;
    lastSyncAt: number | null;
    apiUsage: { used: number; limit: number } | null;
    pendingDeliveries: number;
    dirtySessions: number;
}

export interface SyncEngine {
    start(): Promise<void>;
    /** Finishes the batch in flight, then stops. */
    stop(): Promise<void>;
    /** A delivery was stored: fold it and sync soon. */
    notify(): void;
    health(): EngineHealth;
    /** Re-reads upcoming sessions of an event from Livestorm and syncs it (after it was enabled). */
    eventEnabled(eventId: string): Promise<void>;
    /** Retries now every failed record of a session, or of all sessions. */
    retryFailures(sessionId?: string): Promise<number>;
}

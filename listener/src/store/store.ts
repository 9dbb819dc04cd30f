// The one persistence contract of the listener. The embedded node:sqlite store and the PostgreSQL store implement it;
// a shared contract suite (listener/test/store-contract.ts) runs against both. Every method is async so a networked database fits.
import type { PersonState, SessionState } from './state.ts';

export type DeliveryState = 'pending' | 'done' | 'quarantined';

export interface NewDelivery {
    /** Milliseconds since epoch. */
    receivedAt: number;
    /** `data.meta.webhook.event` when it could be read, else null. */
    event: string | null;
    /** The raw request body exactly as received. */
    body: string;
    /** sha256 hex of the body: an exact re-delivery is stored once and reported as a duplicate. */
    bodyHash: string;
    /** When set the delivery is stored directly as quarantined with this reason. */
    quarantineReason?: string;
}

export interface Delivery {
    id: number;
    receivedAt: number;
    event: string | null;
    body: string;
    state: DeliveryState;
    /** Why it is quarantined (or the last processing error). */
    error: string | null;
}

/** A Salesforce error kept on a record until it is retried successfully. */
export interface SyncFailure {
    code: string;
    message: string;
    fields: string[];
    attempts: number;
    /** Milliseconds since epoch; the row is not retried before. */
    nextAttemptAt: number;
    /** Milliseconds since epoch of the last failure. */
    at: number;
}

export interface EventRow {
    eventId: string;
    title: string | null;
    onDemand: boolean;
    registrationLink: string | null;
    /** null = follow the "enabled by default for new events" setting. */
    enabled: boolean | null;
    /** When the details were last read from the Livestorm API (ms), null if never. */
    fetchedAt: number | null;
}

export interface SessionRow {
    sessionId: string;
    eventId: string;
    state: SessionState;
    /** Bumped by every fold that changed `state`. */
    version: number;
    /** The version last written to Salesforce (0 = never). */
    syncedVersion: number;
    campaignId: string | null;
    /** True when the listener created the Campaign (then the Sent/Responded statuses are ours to remove). */
    campaignCreatedByUs: boolean;
    /**
     * The Campaign's Name as the listener last wrote or read it (admins rename Campaigns), for the admin page; null
     * before the Campaign is known. Written by saveSyncedSession.
     */
    campaignName: string | null;
    /** True once the Livestorm statuses exist on the Campaign. */
    statusesReady: boolean;
    failure: SyncFailure | null;
    /**
     * Set when the session is deliberately not synced (e.g. it ended before the listener was first started): the
     * session and its people are then never selected as dirty (dirtySessionIds) until it is cleared (a backfill).
     * Written by saveSyncedSession; shown as the session/person state `set_aside` with this reason.
     */
    setAside: SetAside | null;
}

/** Why a session is not synced, in an admin's words (e.g. "ended before the integration was enabled"). */
export interface SetAside {
    reason: string;
    /** Milliseconds since epoch when the session was set aside. */
    at: number;
}

export interface PersonRow {
    sessionId: string;
    personId: string;
    eventId: string;
    state: PersonState;
    version: number;
    syncedVersion: number;
    sfObject: 'Lead' | 'Contact' | null;
    sfId: string | null;
    memberId: string | null;
    failure: SyncFailure | null;
    /**
     * Values left out of the last write of this person, in an admin's words (e.g. a country the org does not list).
     * Written by the sync and replaced on each write of the person.
     */
    warnings: string[];
    /** The CampaignMember Status label last written for this person, null before the first member write. */
    memberStatus: string | null;
    /** When the person's record and CampaignMember were last written to Salesforce (ms since epoch), null if never. */
    writtenAt: number | null;
}

/** Where a page of searchPeople ends; pass it back as `after` for the next page. */
export interface PeopleCursor {
    /** The person's e-mail, lower-cased ('' when none). */
    email: string;
    sessionId: string;
    personId: string;
}

export interface PeopleQuery {
    /** Case-insensitive substring of the e-mail or of "first last" name; empty or absent matches everyone. */
    q?: string;
    sessionId?: string;
    /** At most this many rows (the caller bounds it). */
    limit: number;
    /** Rows strictly after this position, in (lower-cased e-mail, sessionId, personId) order. */
    after?: PeopleCursor;
}

/** Where a page of searchSessions ends; pass it back as `after` for the next page. */
export interface SessionCursor {
    /** Unix seconds of the session's start (actual, else estimated; 0 when unknown). */
    startsAt: number;
    sessionId: string;
}

export interface SessionQuery {
    /**
     * Case-insensitive substring of the session id, the session's name, the Campaign's Name or the event's title;
     * empty or absent matches every session.
     */
    q?: string;
    eventId?: string;
    /** At most this many rows (the caller bounds it). */
    limit: number;
    /** Rows strictly after this position, in (start descending, sessionId) order. */
    after?: SessionCursor;
}

export interface SessionCounts {
    registrants: number;
    attendees: number;
    noShows: number;
    replayViewers: number;
}

export interface FoldCommit {
    sessions: SessionRow[];
    people: PersonRow[];
    /** Rows to insert if absent (existing rows keep their title/enabled). */
    events: EventRow[];
    doneDeliveryIds: number[];
    quarantined: { id: number; reason: string }[];
}

export interface SyncLogEntry {
    at: number;
    sessionId: string | null;
    kind: string;
    apiCalls: number;
    ok: number;
    failed: number;
    message: string;
}

/** Rows and locks of one fold, all in one transaction (see Store.foldTransaction). */
export interface FoldTransaction {
    /**
     * Oldest pending deliveries first, at most `limit`, held by this transaction: another instance folding at the same
     * time skips them (PostgreSQL: FOR UPDATE SKIP LOCKED), and they stay pending if the transaction fails.
     */
    claimPendingDeliveries(limit: number): Promise<Delivery[]>;
    /** Waits until no other fold holds these sessions, then holds them until the transaction ends. */
    lockSessions(sessionIds: string[]): Promise<void>;
    getSessions(sessionIds: string[]): Promise<SessionRow[]>;
    getPeople(sessionId: string, personIds: string[]): Promise<PersonRow[]>;
    /** Writes the fold (as Store.commitFold) in this transaction. */
    commit(commit: FoldCommit): Promise<void>;
}

/** Who writes a session to Salesforce right now: one instance at a time, until `expiresAt`. */
export interface SessionLease {
    sessionId: string;
    /** The instance (INSTANCE_ID) holding, or that last held, the lease. */
    owner: string;
    /** Milliseconds since epoch (the database's clock). */
    acquiredAt: number;
    expiresAt: number;
    /** The owner gave it back at the end of its pass. */
    released: boolean;
}

/** The listener running on a store, as far as this process can know it. */
export interface RunningListener {
    /** The embedded store: one listener at most runs on it (data-dir-lock.ts). */
    embedded: boolean;
    /**
     * Embedded store: INSTANCE_ID of the listener running on the data directory (this process's own, or the holder
     * of the data directory's lock read by the command line), null when none runs. PostgreSQL: this process's.
     */
    instanceId: string | null;
}

/**
 * Whether `lease` is held (unreleased, unexpired at `nowMs`) by a listener that no longer runs. Only the embedded store
 * can know it: one listener runs on its DATA_DIR (data-dir-lock.ts), so a held lease that is not the running
 * listener's (or any held lease, when none runs) was left by one that stopped during a pass (killed, or its stop
 * outlasted the shutdown grace). It still keeps the session until it expires, so that a write the stopped listener had
 * in flight is never repeated by the next. On PostgreSQL the holder may be another live instance: always false there.
 */
export function leaseLeftByStoppedListener(
    lease: SessionLease,
    running: RunningListener,
    nowMs: number
): boolean {
    return (
        running.embedded && !lease.released && lease.expiresAt > nowMs && lease.owner !== running.instanceId
    );
}

export interface LeaseGrant {
    /** False: another instance holds a lease that has not expired. */
    acquired: boolean;
    /** The instance whose expired lease was taken over (it stopped renewing: it died or stalled), else null. */
    takenOverFrom: string | null;
}

export interface Store {
    // ---- inbox: a delivery is committed durably before the webhook is acknowledged
    appendDelivery(delivery: NewDelivery): Promise<{ id: number; duplicate: boolean }>;
    /** Oldest pending deliveries first. */
    pendingDeliveries(limit: number): Promise<Delivery[]>;
    listDeliveries(filter: { state?: DeliveryState; limit: number; offset?: number }): Promise<Delivery[]>;
    countDeliveries(): Promise<Record<DeliveryState, number>>;
    /** Pending deliveries only: reads the pending part of the state index, not every delivery ever received. */
    countPendingDeliveries(): Promise<number>;
    /** Quarantined (or done) → pending again, for replay. Returns false when the id does not exist. */
    requeueDelivery(id: number): Promise<boolean>;

    // ---- folded state, written with the deliveries it consumed in one transaction
    /**
     * New rows are inserted whole; existing rows get their state and version only — their sync columns belong to the
     * sync (a pass that saved ids while the fold ran keeps them).
     */
    commitFold(commit: FoldCommit): Promise<void>;
    getSessions(sessionIds: string[]): Promise<SessionRow[]>;
    /**
     * Sessions in session id order, optionally of one event; a page of at most `limit` rows strictly after the session
     * id `after` when given (the engine reads them in pages: a store can hold any number of sessions).
     */
    listSessions(filter?: { eventId?: string; after?: string; limit?: number }): Promise<SessionRow[]>;
    /**
     * Sessions matching a search, newest start first (then by session id): one page of the admin page's sessions
     * view, read with a LIMIT whatever the number of sessions.
     */
    searchSessions(query: SessionQuery): Promise<SessionRow[]>;
    getPeople(sessionId: string, personIds?: string[]): Promise<PersonRow[]>;
    /**
     * People of a session linked to any of these Salesforce Lead/Contact ids (several Livestorm registrants can be one
     * Salesforce person: one CampaignMember carries the best state of them all).
     */
    peopleLinkedTo(sessionId: string, sfIds: string[]): Promise<PersonRow[]>;
    /**
     * Sessions with work to do at `now`: the session row is dirty (version > syncedVersion) or at least one of its
     * people is, and its failure (if any) is due (nextAttemptAt <= now). A session set aside is never selected.
     */
    dirtySessionIds(now: number): Promise<string[]>;
    /**
     * Sessions with changes not yet written to Salesforce — the session row or at least one person dirty — whatever
     * they wait for (a retry time still to come included), counted per event; sessions set aside are left out.
     * Computed with COUNTs over the dirty indexes, never by loading the rows: one entry per event that has any.
     * @returns `{ eventId, sessions }` per event, in no particular order
     */
    waitingSessionsByEvent(): Promise<{ eventId: string; sessions: number }[]>;
    /** People of a session that are dirty and due, at most `limit`, oldest registration first. */
    dirtyPeople(sessionId: string, now: number, limit: number): Promise<PersonRow[]>;
    /**
     * People matching a search, ordered by (lower-cased e-mail, sessionId, personId): one person's sessions come
     * together. Reads an index of the lower-cased e-mail and name, so a page stays fast with 100,000 people.
     */
    searchPeople(query: PeopleQuery): Promise<PersonRow[]>;
    /**
     * Writes the sync columns (syncedVersion, sf ids, failure, warnings, memberStatus, writtenAt) of people;
     * `state`/`version` are left untouched.
     */
    saveSyncedPeople(rows: PersonRow[]): Promise<void>;
    /** Writes the sync columns (syncedVersion, campaign fields, failure, setAside) of a session. */
    saveSyncedSession(row: SessionRow): Promise<void>;
    /**
     * Marks every person of the session dirty again and forgets their member ids and member statuses (the Campaign
     * was recreated).
     */
    resetSessionMembers(sessionId: string): Promise<void>;
    sessionCounts(sessionId: string): Promise<SessionCounts>;
    /**
     * The Campaign members of the session by the Status label last written for them (people never written are not
     * counted), e.g. { Registered: 120, Attended: 80 }: the sessions view's members by status.
     */
    memberStatusCounts(sessionId: string): Promise<Record<string, number>>;
    /**
     * How many people of the session are not written yet (dirty) and how many are kept with an error (a failure and
     * nothing newer to write): what the session state token needs.
     */
    sessionProgress(sessionId: string): Promise<{ dirty: number; failed: number }>;

    // ---- events and settings
    getEvent(eventId: string): Promise<EventRow | undefined>;
    putEvent(row: EventRow): Promise<void>;
    listEvents(): Promise<EventRow[]>;
    setEventEnabled(eventId: string, enabled: boolean | null): Promise<void>;
    getSetting<T>(key: string): Promise<T | undefined>;
    setSetting(key: string, value: unknown): Promise<void>;

    // ---- what happened, for the admin page
    appendSyncLog(entry: SyncLogEntry): Promise<void>;
    listSyncLog(limit: number): Promise<SyncLogEntry[]>;
    /** People whose last sync failed, newest first. */
    listFailures(limit: number): Promise<PersonRow[]>;

    // ---- several instances on one database: claims and leases (the embedded store serves its one process the same way)
    /**
     * Runs one fold as one transaction: the deliveries it claims, the sessions it locks, the rows it reads and what it
     * commits. Rejects (and writes nothing) when `work` or the database fails.
     */
    foldTransaction<T>(work: (tx: FoldTransaction) => Promise<T>): Promise<T>;
    /**
     * Takes the write lease of a session for `owner` until ttlMs from now, or renews it when `owner` already holds it.
     * Refused while another owner's lease has not expired and was not released.
     */
    acquireSessionLease(sessionId: string, owner: string, ttlMs: number): Promise<LeaseGrant>;
    /** Extends the lease by ttlMs from now; false when `owner` no longer holds it (taken over after expiry). */
    renewSessionLease(sessionId: string, owner: string, ttlMs: number): Promise<boolean>;
    /** Gives the lease back (the row stays, released, to show who wrote the session last). */
    releaseSessionLease(sessionId: string, owner: string): Promise<void>;
    /** Every session's lease row (current or last holder), or those of the given sessions, by session id. */
    listSessionLeases(sessionIds?: string[]): Promise<SessionLease[]>;
    /**
     * Claims e-mail keys (trimmed, lower-cased) for `owner` until ttlMs from now: a key held by another owner whose
     * claim has not expired is not granted. Resolves to the keys `owner` now holds.
     */
    claimEmails(keys: string[], owner: string, ttlMs: number): Promise<string[]>;
    /** Extends every claim of `owner` by ttlMs from now. */
    renewEmailClaims(owner: string, ttlMs: number): Promise<void>;
    releaseEmailClaims(owner: string): Promise<void>;

    close(): Promise<void>;
}

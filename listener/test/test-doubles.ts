// In-memory doubles of the Store and the SyncEngine for the HTTP, admin and command-line tests. The store keeps the
// semantics the HTTP layer relies on (append is visible once resolved, duplicates by body hash, requeue), and the
// engine records what it was asked to do.
import type {
    Delivery,
    DeliveryState,
    EventRow,
    FoldCommit,
    NewDelivery,
    PersonRow,
    SessionCounts,
    SessionLease,
    SessionRow,
    Store,
    SyncLogEntry
} from '../src/store/store.ts';
import { personSearchKeys } from '../src/store/search.ts';
import type { EngineHealth, SyncEngine } from '../src/sync/engine-port.ts';

export interface MemoryStore extends Store {
    deliveries: Delivery[];
    events: Map<string, EventRow>;
    sessions: Map<string, SessionRow>;
    people: PersonRow[];
    syncLog: SyncLogEntry[];
    /** When set, appendDelivery rejects with it (a full disk, a lost database). */
    failWrites: Error | null;
    closed: boolean;
}

export function createMemoryStore(): MemoryStore {
    const hashes = new Map<string, number>();
    const settings = new Map<string, unknown>();
    const leases = new Map<string, SessionLease>();
    const claims = new Map<string, { owner: string; expiresAt: number }>();
    const store: MemoryStore = {
        deliveries: [],
        events: new Map(),
        sessions: new Map(),
        people: [],
        syncLog: [],
        failWrites: null,
        closed: false,

        async appendDelivery(delivery: NewDelivery) {
            if (store.failWrites) throw store.failWrites;
            const existing = hashes.get(delivery.bodyHash);
            if (existing !== undefined) return { id: existing, duplicate: true };
            const id = store.deliveries.length + 1;
            store.deliveries.push({
                id,
                receivedAt: delivery.receivedAt,
                event: delivery.event,
                body: delivery.body,
                state: delivery.quarantineReason === undefined ? 'pending' : 'quarantined',
                error: delivery.quarantineReason ?? null
            });
            hashes.set(delivery.bodyHash, id);
            return { id, duplicate: false };
        },
        async pendingDeliveries(limit) {
            return store.deliveries.filter((d) => d.state === 'pending').slice(0, limit);
        },
        async listDeliveries(filter) {
            const offset = filter.offset ?? 0;
            return store.deliveries
                .filter((d) => filter.state === undefined || d.state === filter.state)
                .slice()
                .reverse()
                .slice(offset, offset + filter.limit);
        },
        async countDeliveries() {
            const counts: Record<DeliveryState, number> = { pending: 0, done: 0, quarantined: 0 };
            for (const delivery of store.deliveries) counts[delivery.state]++;
            return counts;
        },
        async countPendingDeliveries() {
            return store.deliveries.filter((delivery) => delivery.state === 'pending').length;
        },
        async requeueDelivery(id) {
            const delivery = store.deliveries.find((d) => d.id === id);
            if (!delivery) return false;
            delivery.state = 'pending';
            return true;
        },
        async commitFold(commit: FoldCommit) {
            for (const session of commit.sessions) store.sessions.set(session.sessionId, session);
            for (const person of commit.people) {
                store.people = store.people.filter(
                    (p) => !(p.sessionId === person.sessionId && p.personId === person.personId)
                );
                store.people.push(person);
            }
            for (const event of commit.events)
                if (!store.events.has(event.eventId)) store.events.set(event.eventId, event);
        },
        async getSessions(ids) {
            return ids.map((id) => store.sessions.get(id)).filter((s) => s !== undefined);
        },
        async listSessions(filter) {
            return [...store.sessions.values()]
                .filter((s) => !filter?.eventId || s.eventId === filter.eventId)
                .filter((s) => filter?.after === undefined || s.sessionId > filter.after)
                .sort((a, b) => (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0))
                .slice(0, filter?.limit ?? Infinity);
        },
        async searchSessions(query) {
            const q = (query.q ?? '').trim().toLowerCase();
            const startsAt = (s: SessionRow) => s.state.startedAt || s.state.estimatedStartedAt || 0;
            return [...store.sessions.values()]
                .filter((s) => query.eventId === undefined || s.eventId === query.eventId)
                .filter(
                    (s) =>
                        q === '' ||
                        [s.sessionId, s.campaignName, s.state.name, store.events.get(s.eventId)?.title].some(
                            (text) => (text ?? '').toLowerCase().includes(q)
                        )
                )
                .sort((a, b) => startsAt(b) - startsAt(a) || (a.sessionId < b.sessionId ? -1 : 1))
                .filter(
                    (s) =>
                        !query.after ||
                        startsAt(s) < query.after.startsAt ||
                        (startsAt(s) === query.after.startsAt && s.sessionId > query.after.sessionId)
                )
                .slice(0, query.limit);
        },
        async getPeople(sessionId, personIds) {
            return store.people.filter(
                (p) =>
                    p.sessionId === sessionId && (personIds === undefined || personIds.includes(p.personId))
            );
        },
        async searchPeople(query) {
            const q = (query.q ?? '').trim().toLowerCase();
            const key = (p: PersonRow) => personSearchKeys(p.state);
            const position = (p: PersonRow): [string, string, string] => [
                key(p).search_email,
                p.sessionId,
                p.personId
            ];
            const compare = (a: [string, string, string], b: [string, string, string]) =>
                a[0] < b[0]
                    ? -1
                    : a[0] > b[0]
                      ? 1
                      : a[1] < b[1]
                        ? -1
                        : a[1] > b[1]
                          ? 1
                          : a[2] < b[2]
                            ? -1
                            : a[2] > b[2]
                              ? 1
                              : 0;
            const after = query.after;
            return store.people
                .filter((p) => query.sessionId === undefined || p.sessionId === query.sessionId)
                .filter((p) => q === '' || key(p).search_email.includes(q) || key(p).search_name.includes(q))
                .filter(
                    (p) => !after || compare(position(p), [after.email, after.sessionId, after.personId]) > 0
                )
                .sort((a, b) => compare(position(a), position(b)))
                .slice(0, query.limit);
        },
        async peopleLinkedTo(sessionId, sfIds) {
            return store.people.filter(
                (p) => p.sessionId === sessionId && p.sfId !== null && sfIds.includes(p.sfId)
            );
        },
        async dirtySessionIds() {
            return [];
        },
        async waitingSessionsByEvent() {
            return [];
        },
        async dirtyPeople() {
            return [];
        },
        async saveSyncedPeople() {},
        async saveSyncedSession(row) {
            store.sessions.set(row.sessionId, row);
        },
        async resetSessionMembers() {},
        async sessionCounts(sessionId): Promise<SessionCounts> {
            const people = store.people.filter(
                (p) => p.sessionId === sessionId && p.state.role !== 'team_member'
            );
            return {
                registrants: people.length,
                attendees: people.filter((p) => p.state.attendance === 'attended').length,
                noShows: people.filter((p) => p.state.attendance === 'not_attended').length,
                replayViewers: people.filter((p) => p.state.replayWatched).length
            };
        },
        async memberStatusCounts(sessionId) {
            const counts: Record<string, number> = {};
            for (const p of store.people) {
                if (p.sessionId === sessionId && p.memberStatus !== null)
                    counts[p.memberStatus] = (counts[p.memberStatus] ?? 0) + 1;
            }
            return counts;
        },
        async sessionProgress(sessionId) {
            const people = store.people.filter((p) => p.sessionId === sessionId);
            return {
                dirty: people.filter((p) => p.version > p.syncedVersion).length,
                failed: people.filter((p) => p.failure !== null && p.version <= p.syncedVersion).length
            };
        },
        async getEvent(eventId) {
            return store.events.get(eventId);
        },
        async putEvent(row) {
            store.events.set(row.eventId, row);
        },
        async listEvents() {
            return [...store.events.values()];
        },
        async setEventEnabled(eventId, enabled) {
            const event = store.events.get(eventId) ?? {
                eventId,
                title: null,
                onDemand: false,
                registrationLink: null,
                enabled: null,
                fetchedAt: null
            };
            store.events.set(eventId, { ...event, enabled });
        },
        async getSetting<T>(key: string) {
            return settings.get(key) as T | undefined;
        },
        async setSetting(key, value) {
            settings.set(key, value);
        },
        async appendSyncLog(entry) {
            store.syncLog.push(entry);
        },
        async listSyncLog(limit) {
            return store.syncLog.slice().reverse().slice(0, limit);
        },
        async listFailures(limit) {
            return store.people
                .filter((p) => p.failure !== null)
                .sort((a, b) => (b.failure?.at ?? 0) - (a.failure?.at ?? 0))
                .slice(0, limit);
        },
        // One process, no concurrency to arbitrate: the fold reads and writes this store directly, a lease or claim is
        // granted unless another owner holds it unexpired (Date.now is the clock).
        async foldTransaction(work) {
            return work({
                claimPendingDeliveries: (limit) => store.pendingDeliveries(limit),
                lockSessions: async () => {},
                getSessions: (ids) => store.getSessions(ids),
                getPeople: (sessionId, ids) => store.getPeople(sessionId, ids),
                commit: (commit) => store.commitFold(commit)
            });
        },
        async acquireSessionLease(sessionId, owner, ttlMs) {
            const current = leases.get(sessionId);
            const now = Date.now();
            if (current && current.owner !== owner && !current.released && current.expiresAt >= now)
                return { acquired: false, takenOverFrom: null };
            const takenOverFrom =
                current && current.owner !== owner && !current.released ? current.owner : null;
            leases.set(sessionId, {
                sessionId,
                owner,
                acquiredAt: now,
                expiresAt: now + ttlMs,
                released: false
            });
            return { acquired: true, takenOverFrom };
        },
        async renewSessionLease(sessionId, owner, ttlMs) {
            const current = leases.get(sessionId);
            if (!current || current.owner !== owner || current.released) return false;
            current.expiresAt = Date.now() + ttlMs;
            return true;
        },
        async releaseSessionLease(sessionId, owner) {
            const current = leases.get(sessionId);
            if (current && current.owner === owner)
                Object.assign(current, { released: true, expiresAt: Date.now() });
        },
        async listSessionLeases(sessionIds) {
            return [...leases.values()]
                .filter((lease) => sessionIds === undefined || sessionIds.includes(lease.sessionId))
                .sort((a, b) => (a.sessionId < b.sessionId ? -1 : 1));
        },
        async claimEmails(keys, owner, ttlMs) {
            const now = Date.now();
            return [...new Set(keys)].filter((key) => {
                const current = claims.get(key);
                if (current && current.owner !== owner && current.expiresAt >= now) return false;
                claims.set(key, { owner, expiresAt: now + ttlMs });
                return true;
            });
        },
        async renewEmailClaims(owner, ttlMs) {
            for (const claim of claims.values())
                if (claim.owner === owner) claim.expiresAt = Date.now() + ttlMs;
        },
        async releaseEmailClaims(owner) {
            for (const [key, claim] of claims) if (claim.owner === owner) claims.delete(key);
        },
        async close() {
            store.closed = true;
        }
    };
    return store;
}

export interface RecordingEngine extends SyncEngine {
    notified: number;
    enabledEvents: string[];
    retried: (string | undefined)[];
    /** `sessionId/personId` of each retryPerson call. */
    retriedPeople: string[];
    /** How many times resumeSalesforce was called. */
    resumed: number;
    state: EngineHealth;
}

export function createRecordingEngine(state: Partial<EngineHealth> = {}): RecordingEngine {
    const engine: RecordingEngine = {
        notified: 0,
        enabledEvents: [],
        retried: [],
        retriedPeople: [],
        resumed: 0,
        state: {
            ready: true,
            salesforce: {
                state: 'retrying',
                reason: 'Salesforce cannot be reached right now (connection refused); retrying in 2 s, nothing is lost.',
                since: '2025-01-15T11:59:00.000Z',
                fix: 'Nothing to do during a Salesforce outage.'
            },
            salesforceNextAttemptAt: Date.UTC(2025, 0, 15, 12, 0, 2),
            livestorm: { state: 'ok', reason: null, since: '2025-01-15T11:00:00.000Z', fix: null },
            livestormNextAttemptAt: null,
            lastSyncAt: null,
            apiUsage: null,
            pendingDeliveries: 0,
            dirtySessions: 0,
            ...state
        },
        async start() {},
        async stop() {},
        notify() {
            engine.notified++;
        },
        health() {
            return engine.state;
        },
        resumeSalesforce() {
            engine.resumed++;
        },
        sessionActivity() {
            return { writing: false, nextPassAt: null };
        },
        async eventEnabled(eventId) {
            engine.enabledEvents.push(eventId);
        },
        async retryFailures(sessionId) {
            engine.retried.push(sessionId);
            return 3;
        },
        async retryPerson(sessionId, personId) {
            engine.retriedPeople.push(`${sessionId}/${personId}`);
            return personId !== 'unknown';
        }
    };
    return engine;
}

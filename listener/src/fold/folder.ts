// Drains the inbox: parses pending deliveries, folds them into session and person state, and commits the new state
// together with the deliveries it consumed, so a crash never loses or double-applies a delivery.
import { parseWebhook } from '../livestorm/webhook-schema.ts';
import type { EventAttributes, PersonAttributes, SessionAttributes } from '../livestorm/webhook-schema.ts';
import type { EventRow, FoldTransaction, PersonRow, SessionRow, Store } from '../store/store.ts';
import { foldPerson } from './fold-person.ts';
import type { PersonEventName } from './fold-person.ts';
import { foldSession, placeholderSession } from './fold-session.ts';
import type { SessionSource } from './fold-session.ts';

export type FoldItem =
    | { kind: 'person'; event: PersonEventName; personId: string; attributes: PersonAttributes }
    | { kind: 'session'; source: SessionSource; sessionId: string; attributes: SessionAttributes }
    | {
          kind: 'event';
          event: 'event.created' | 'event.published' | 'api';
          eventId: string;
          attributes: EventAttributes;
      };

export interface FoldOutcome {
    deliveries: number;
    quarantined: number;
    /** Sessions whose state or people changed. */
    sessionIds: string[];
    /** Per session of sessionIds: how many of its people changed (0 when only the session row did). */
    changedPeople: Record<string, number>;
    /** Events that were published in this batch: sessions created before publication must be discovered. */
    publishedEventIds: string[];
}

function sameJson(a: unknown, b: unknown): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
}

function eventRowOf(eventId: string, attributes: EventAttributes | undefined): EventRow {
    return {
        eventId,
        title: attributes?.title ?? null,
        onDemand: attributes?.scheduling_status === 'on_demand',
        registrationLink: attributes?.registration_link ?? null,
        enabled: null,
        fetchedAt: attributes ? Date.now() : null
    };
}

// Folding reads rows, folds, and writes them back: two folds of the same rows interleaved would lose one's changes.
// Each fold is one store transaction that locks the sessions it touches before reading them (other instances on the
// same PostgreSQL wait for them), and the folds of this process also run one after the other.
let foldChain: Promise<unknown> = Promise.resolve();
function serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = foldChain.then(work, work);
    foldChain = next.catch(() => undefined);
    return next;
}

/**
 * Folds items into the store in one commit.
 * @param doneDeliveryIds inbox rows consumed by these items, marked done in the same transaction
 */
export function applyFoldItems(
    store: Store,
    items: readonly FoldItem[],
    doneDeliveryIds: number[] = [],
    quarantined: { id: number; reason: string }[] = []
): Promise<Omit<FoldOutcome, 'deliveries' | 'quarantined'>> {
    return serialized(() =>
        store.foldTransaction((tx) => foldIntoStore(tx, items, doneDeliveryIds, quarantined))
    );
}

async function foldIntoStore(
    store: FoldTransaction,
    items: readonly FoldItem[],
    doneDeliveryIds: number[] = [],
    quarantined: { id: number; reason: string }[] = []
): Promise<Omit<FoldOutcome, 'deliveries' | 'quarantined'>> {
    const sessionIds = new Set<string>();
    for (const item of items) {
        if (item.kind === 'person') sessionIds.add(item.attributes.registrant_detail.session_id);
        if (item.kind === 'session') sessionIds.add(item.sessionId);
    }
    await store.lockSessions([...sessionIds]);
    const sessions = new Map<string, SessionRow>();
    for (const row of await store.getSessions([...sessionIds])) sessions.set(row.sessionId, row);
    const people = new Map<string, PersonRow>();
    const personKey = (sessionId: string, personId: string) => `${sessionId}\u0000${personId}`;
    const personIdsBySession = new Map<string, Set<string>>();
    for (const item of items) {
        if (item.kind !== 'person') continue;
        const sessionId = item.attributes.registrant_detail.session_id;
        const ids = personIdsBySession.get(sessionId) ?? new Set<string>();
        ids.add(item.personId);
        personIdsBySession.set(sessionId, ids);
    }
    for (const [sessionId, ids] of personIdsBySession) {
        for (const row of await store.getPeople(sessionId, [...ids]))
            people.set(personKey(row.sessionId, row.personId), row);
    }

    const changedSessions = new Map<string, SessionRow>();
    const changedPeople = new Map<string, PersonRow>();
    const events = new Map<string, EventRow>();
    const published = new Set<string>();

    const touchSession = (sessionId: string, eventId: string): SessionRow => {
        const existing = sessions.get(sessionId);
        if (existing) return existing;
        const created: SessionRow = {
            sessionId,
            eventId,
            state: placeholderSession(sessionId, eventId),
            version: 1,
            syncedVersion: 0,
            campaignId: null,
            campaignCreatedByUs: false,
            campaignName: null,
            statusesReady: false,
            failure: null,
            setAside: null
        };
        sessions.set(sessionId, created);
        changedSessions.set(sessionId, created);
        return created;
    };

    for (const item of items) {
        if (item.kind === 'event') {
            events.set(item.eventId, eventRowOf(item.eventId, item.attributes));
            if (item.event === 'event.published') published.add(item.eventId);
            continue;
        }
        if (item.kind === 'session') {
            const row = touchSession(item.sessionId, item.attributes.event_id);
            const state = foldSession(row.state, item.source, item.sessionId, item.attributes);
            if (!sameJson(state, row.state)) {
                const next = { ...row, eventId: state.eventId, state, version: row.version + 1 };
                sessions.set(item.sessionId, next);
                changedSessions.set(item.sessionId, next);
            }
            if (!events.has(state.eventId)) events.set(state.eventId, eventRowOf(state.eventId, undefined));
            continue;
        }
        const detail = item.attributes.registrant_detail;
        touchSession(detail.session_id, detail.event_id);
        const key = personKey(detail.session_id, item.personId);
        const row = people.get(key);
        const state = foldPerson(row?.state, item.event, item.personId, item.attributes);
        if (row && sameJson(state, row.state)) continue;
        const next: PersonRow = row
            ? { ...row, state, version: row.version + 1 }
            : {
                  sessionId: detail.session_id,
                  personId: item.personId,
                  eventId: detail.event_id,
                  state,
                  version: 1,
                  syncedVersion: 0,
                  sfObject: null,
                  sfId: null,
                  memberId: null,
                  failure: null,
                  warnings: [],
                  memberStatus: null,
                  writtenAt: null
              };
        people.set(key, next);
        changedPeople.set(key, next);
        if (!events.has(detail.event_id)) events.set(detail.event_id, eventRowOf(detail.event_id, undefined));
    }

    await store.commit({
        sessions: [...changedSessions.values()],
        people: [...changedPeople.values()],
        events: [...events.values()],
        doneDeliveryIds,
        quarantined
    });
    const counts: Record<string, number> = {};
    for (const sessionId of changedSessions.keys()) counts[sessionId] = 0;
    for (const row of changedPeople.values()) counts[row.sessionId] = (counts[row.sessionId] ?? 0) + 1;
    return { sessionIds: Object.keys(counts), changedPeople: counts, publishedEventIds: [...published] };
}

/**
 * Folds up to `limit` pending deliveries. Unusable content (already checked at the edge, but a replayed or older row
 * may still be bad) is quarantined with its reason instead of blocking the inbox.
 */
export function foldPendingDeliveries(store: Store, limit = 1000): Promise<FoldOutcome> {
    return serialized(() => store.foldTransaction((tx) => foldPending(tx, limit)));
}

async function foldPending(store: FoldTransaction, limit: number): Promise<FoldOutcome> {
    const deliveries = await store.claimPendingDeliveries(limit);
    if (deliveries.length === 0)
        return { deliveries: 0, quarantined: 0, sessionIds: [], changedPeople: {}, publishedEventIds: [] };
    const items: FoldItem[] = [];
    const done: number[] = [];
    const quarantined: { id: number; reason: string }[] = [];
    for (const delivery of deliveries) {
        const parsed = parseWebhook(delivery.body);
        if (!parsed.ok) {
            quarantined.push({ id: delivery.id, reason: parsed.reason });
            continue;
        }
        const webhook = parsed.webhook;
        done.push(delivery.id);
        if (webhook.kind === 'person')
            items.push({
                kind: 'person',
                event: webhook.event,
                personId: webhook.personId,
                attributes: webhook.attributes
            });
        else if (webhook.kind === 'session')
            items.push({
                kind: 'session',
                source: webhook.event,
                sessionId: webhook.sessionId,
                attributes: webhook.attributes
            });
        else if (webhook.kind === 'event')
            items.push({
                kind: 'event',
                event: webhook.event,
                eventId: webhook.eventId,
                attributes: webhook.attributes
            });
    }
    const outcome = await foldIntoStore(store, items, done, quarantined);
    return { deliveries: deliveries.length, quarantined: quarantined.length, ...outcome };
}

// The behaviour every Store must have, written once and run against each implementation (sqlite.test.ts,
// postgres.test.ts). Each test gets a fresh, empty store.
//
// Where store.ts leaves a choice open, this suite pins the reading both implementations follow:
// - dirtySessionIds: a session is due when its own failure is due (or absent) and either its row is dirty or one of
//   its dirty people is due; a person whose failure is not due does not make the session due.
// - dirtyPeople: oldest registeredAt first, unknown registration dates last, ties by personId.
// - commitFold rejects (and writes nothing) when a session or person key appears twice or a delivery id is unknown.
//   Events are inserted if absent; an existing event with a null title takes the details of an incoming one with a
//   title but keeps its enabled choice when set; an event with a title is never changed by a fold.
// - Deliveries marked done lose their error; a requeued delivery keeps its last error until it is folded again.
// - listDeliveries and listSyncLog are newest first (write order); listFailures orders by failure.at.
// - resetSessionMembers sets syncedVersion to 0 (dirty for any folded row) and memberId to null; Lead/Contact ids and
//   failures stay.
// - setEventEnabled on an unknown event stores a placeholder row (null title) carrying the choice.
// - setSetting(key, undefined) removes the key.
// - sessionCounts: team members (hosts, speakers) are excluded from all four counts: they are not registrants.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import type { PersonState, SessionState } from '../src/store/state.ts';
import type {
    EventRow,
    FoldCommit,
    NewDelivery,
    PeopleCursor,
    PersonRow,
    SessionRow,
    Store,
    SyncFailure
} from '../src/store/store.ts';

export interface OpenedStore {
    store: Store;
    cleanup(): Promise<void>;
}

export function newDelivery(body: string, extra: Partial<NewDelivery> = {}): NewDelivery {
    return {
        receivedAt: 1_700_000_000_000,
        event: 'people.registered',
        body,
        bodyHash: createHash('sha256').update(body, 'utf8').digest('hex'),
        ...extra
    };
}

export function sessionState(
    sessionId: string,
    eventId: string,
    extra: Partial<SessionState> = {}
): SessionState {
    return {
        sessionId,
        eventId,
        status: 'upcoming',
        timezone: 'Europe/Paris',
        name: null,
        roomLink: `https://app.livestorm.co/p/${sessionId}`,
        estimatedStartedAt: 1_760_000_000,
        startedAt: 0,
        endedAt: 0,
        canceledAt: 0,
        createdAt: 1_750_000_000,
        updatedAt: 1_750_000_000,
        ...extra
    };
}

export function personState(
    sessionId: string,
    personId: string,
    extra: Partial<PersonState> = {}
): PersonState {
    return {
        personId,
        sessionId,
        eventId: 'event-1',
        role: 'participant',
        email: `${personId}@example.com`,
        emailProblem: null,
        firstName: 'Ada',
        lastName: 'Lovelace',
        fields: { email: `${personId}@example.com`, company: 'Analytical Engines', interests: ['a', 'b'] },
        utm: { source: 'newsletter', medium: null, campaign: null, term: null, content: null },
        referrer: null,
        joinLink: null,
        registeredAt: 1_750_000_100,
        attendance: 'registered',
        engagement: {
            durationSeconds: null,
            ratePercent: null,
            messages: null,
            questions: null,
            votes: null,
            upVotes: null
        },
        replayWatched: false,
        replayWatchedAt: null,
        updatedAt: 1_750_000_100,
        ipCity: 'Paris',
        ipCountry: 'FR',
        ...extra
    };
}

export function sessionRow(sessionId: string, extra: Partial<SessionRow> = {}): SessionRow {
    const eventId = extra.eventId ?? 'event-1';
    return {
        sessionId,
        eventId,
        state: sessionState(sessionId, eventId),
        version: 1,
        syncedVersion: 0,
        campaignId: null,
        campaignCreatedByUs: false,
        campaignName: null,
        statusesReady: false,
        failure: null,
        setAside: null,
        ...extra
    };
}

export function personRow(
    sessionId: string,
    personId: string,
    extra: Partial<PersonRow> = {},
    state: Partial<PersonState> = {}
): PersonRow {
    return {
        sessionId,
        personId,
        eventId: 'event-1',
        state: personState(sessionId, personId, state),
        version: 1,
        syncedVersion: 0,
        sfObject: null,
        sfId: null,
        memberId: null,
        failure: null,
        warnings: [],
        memberStatus: null,
        writtenAt: null,
        ...extra
    };
}

export function eventRow(eventId: string, extra: Partial<EventRow> = {}): EventRow {
    return {
        eventId,
        title: null,
        onDemand: false,
        registrationLink: null,
        enabled: null,
        fetchedAt: null,
        ...extra
    };
}

export function failure(nextAttemptAt: number, at: number, extra: Partial<SyncFailure> = {}): SyncFailure {
    return {
        code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
        message: 'Company is required',
        fields: ['Company'],
        attempts: 1,
        nextAttemptAt,
        at,
        ...extra
    };
}

export function foldCommit(parts: Partial<FoldCommit>): FoldCommit {
    return { sessions: [], people: [], events: [], doneDeliveryIds: [], quarantined: [], ...parts };
}

export function storeContract(name: string, open: () => Promise<OpenedStore>): void {
    describe(`Store contract: ${name}`, () => {
        let opened: OpenedStore | undefined;
        let store: Store;

        beforeEach(async () => {
            opened = await open();
            store = opened.store;
        });

        afterEach(async () => {
            await opened?.cleanup();
            opened = undefined;
        });

        async function appendAll(bodies: string[]): Promise<number[]> {
            const ids: number[] = [];
            for (const body of bodies) ids.push((await store.appendDelivery(newDelivery(body))).id);
            return ids;
        }

        describe('inbox', () => {
            it('stores a delivery exactly as received', async () => {
                const body = '{"data":{"id":"p1","attributes":{"first_name":"Zoë ✓"}}}';
                const { id, duplicate } = await store.appendDelivery(
                    newDelivery(body, { receivedAt: 1_700_000_123_456, event: null })
                );
                expect(duplicate).toBe(false);
                expect(await store.listDeliveries({ limit: 10 })).toEqual([
                    { id, receivedAt: 1_700_000_123_456, event: null, body, state: 'pending', error: null }
                ]);
            });

            it('stores an exact re-delivery once and reports it as a duplicate of the first', async () => {
                const first = await store.appendDelivery(newDelivery('{"a":1}', { receivedAt: 1 }));
                const other = await store.appendDelivery(newDelivery('{"a":2}'));
                const again = await store.appendDelivery(newDelivery('{"a":1}', { receivedAt: 2 }));
                expect(again).toEqual({ id: first.id, duplicate: true });
                expect(other.duplicate).toBe(false);
                expect(other.id).not.toBe(first.id);
                expect(await store.countDeliveries()).toEqual({ pending: 2, done: 0, quarantined: 0 });
                const stored = await store.listDeliveries({ limit: 10 });
                expect(stored.find((d) => d.id === first.id)?.receivedAt).toBe(1);
            });

            it('stores deliveries that arrive together once each, the same body twice as one row', async () => {
                const arrivals = await Promise.all([
                    store.appendDelivery(newDelivery('{"n":1}')),
                    store.appendDelivery(newDelivery('{"n":2}')),
                    store.appendDelivery(newDelivery('{"n":1}')),
                    store.appendDelivery(
                        newDelivery('not json', { event: null, quarantineReason: 'invalid JSON' })
                    ),
                    store.appendDelivery(newDelivery('{"n":3}'))
                ]);
                expect(arrivals.map((arrival) => arrival.duplicate)).toEqual([
                    false,
                    false,
                    true,
                    false,
                    false
                ]);
                expect(arrivals[2]!.id).toBe(arrivals[0]!.id);
                expect(new Set(arrivals.map((arrival) => arrival.id)).size).toBe(4);
                expect(await store.countDeliveries()).toEqual({ pending: 3, done: 0, quarantined: 1 });
                const later = await Promise.all([
                    store.appendDelivery(newDelivery('{"n":2}')),
                    store.appendDelivery(newDelivery('{"n":4}'))
                ]);
                expect(later[0]).toEqual({ id: arrivals[1]!.id, duplicate: true });
                expect(later[1]!.duplicate).toBe(false);
                const stored = await store.listDeliveries({ limit: 10 });
                expect(stored.find((delivery) => delivery.id === arrivals[3]!.id)).toMatchObject({
                    state: 'quarantined',
                    error: 'invalid JSON'
                });
            });

            it('stores a delivery with a quarantine reason directly as quarantined', async () => {
                const { id } = await store.appendDelivery(
                    newDelivery('not json', { event: null, quarantineReason: 'invalid JSON' })
                );
                expect(await store.pendingDeliveries(10)).toEqual([]);
                expect(await store.listDeliveries({ state: 'quarantined', limit: 10 })).toEqual([
                    expect.objectContaining({ id, state: 'quarantined', error: 'invalid JSON' })
                ]);
                const again = await store.appendDelivery(
                    newDelivery('not json', { quarantineReason: 'invalid JSON' })
                );
                expect(again).toEqual({ id, duplicate: true });
            });

            it('hands out pending deliveries oldest first, at most limit', async () => {
                const ids = await appendAll(['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
                expect(ids).toEqual([...ids].sort((a, b) => a - b));
                expect((await store.pendingDeliveries(3)).map((d) => d.id)).toEqual(ids.slice(0, 3));
                await store.commitFold(
                    foldCommit({ doneDeliveryIds: [ids[0]!], quarantined: [{ id: ids[2]!, reason: 'x' }] })
                );
                expect((await store.pendingDeliveries(10)).map((d) => d.id)).toEqual([ids[1], ids[3]]);
            });

            it('requeues a quarantined or done delivery in its original place', async () => {
                const ids = await appendAll(['{"n":1}', '{"n":2}', '{"n":3}']);
                await store.commitFold(
                    foldCommit({
                        doneDeliveryIds: [ids[1]!],
                        quarantined: [{ id: ids[0]!, reason: 'unknown event' }]
                    })
                );
                expect(await store.requeueDelivery(ids[0]!)).toBe(true);
                expect(await store.requeueDelivery(ids[1]!)).toBe(true);
                expect((await store.pendingDeliveries(10)).map((d) => d.id)).toEqual(ids);
                expect(await store.countDeliveries()).toEqual({ pending: 3, done: 0, quarantined: 0 });
            });

            it('answers false when requeueing a delivery that does not exist', async () => {
                const [id] = await appendAll(['{"n":1}']);
                expect(await store.requeueDelivery(id! + 1000)).toBe(false);
                expect(await store.countDeliveries()).toEqual({ pending: 1, done: 0, quarantined: 0 });
            });

            it('lists deliveries newest first, filtered by state, with limit and offset', async () => {
                const ids = await appendAll(['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}', '{"n":5}']);
                await store.commitFold(foldCommit({ doneDeliveryIds: [ids[0]!, ids[2]!, ids[3]!] }));
                expect((await store.listDeliveries({ limit: 10 })).map((d) => d.id)).toEqual(
                    [...ids].reverse()
                );
                expect((await store.listDeliveries({ limit: 2, offset: 1 })).map((d) => d.id)).toEqual([
                    ids[3],
                    ids[2]
                ]);
                expect((await store.listDeliveries({ state: 'done', limit: 10 })).map((d) => d.id)).toEqual([
                    ids[3],
                    ids[2],
                    ids[0]
                ]);
                expect(
                    (await store.listDeliveries({ state: 'done', limit: 1, offset: 2 })).map((d) => d.id)
                ).toEqual([ids[0]]);
                expect(await store.listDeliveries({ state: 'quarantined', limit: 10 })).toEqual([]);
            });

            it('counts every delivery state, zero included', async () => {
                expect(await store.countDeliveries()).toEqual({ pending: 0, done: 0, quarantined: 0 });
                const ids = await appendAll(['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
                await store.commitFold(
                    foldCommit({ doneDeliveryIds: [ids[0]!], quarantined: [{ id: ids[1]!, reason: 'bad' }] })
                );
                expect(await store.countDeliveries()).toEqual({ pending: 2, done: 1, quarantined: 1 });
                expect(await store.countPendingDeliveries()).toBe(2);
            });
        });

        describe('commitFold', () => {
            it('writes sessions, people, events and delivery states together', async () => {
                const ids = await appendAll(['{"n":1}', '{"n":2}']);
                const session = sessionRow('s1', {
                    version: 3,
                    syncedVersion: 2,
                    campaignId: '701000000000001AAA',
                    campaignCreatedByUs: true,
                    statusesReady: true,
                    failure: failure(5_000, 4_000)
                });
                const person = personRow(
                    's1',
                    'p1',
                    {
                        version: 4,
                        syncedVersion: 1,
                        sfObject: 'Contact',
                        sfId: '003000000000001AAA',
                        memberId: '00v000000000001AAA',
                        failure: failure(6_000, 5_500, { attempts: 3 })
                    },
                    {
                        attendance: 'attended',
                        engagement: { ...personState('s1', 'p1').engagement, messages: 4 }
                    }
                );
                await store.commitFold(
                    foldCommit({
                        sessions: [session],
                        people: [person],
                        events: [eventRow('event-1', { title: 'Webinar', onDemand: true, fetchedAt: 9 })],
                        doneDeliveryIds: [ids[0]!],
                        quarantined: [{ id: ids[1]!, reason: 'missing session id' }]
                    })
                );
                expect(await store.getSessions(['s1'])).toEqual([session]);
                expect(await store.getPeople('s1')).toEqual([person]);
                expect(await store.getEvent('event-1')).toEqual(
                    eventRow('event-1', { title: 'Webinar', onDemand: true, fetchedAt: 9 })
                );
                expect(await store.listDeliveries({ limit: 10 })).toEqual([
                    expect.objectContaining({
                        id: ids[1],
                        state: 'quarantined',
                        error: 'missing session id'
                    }),
                    expect.objectContaining({ id: ids[0], state: 'done', error: null })
                ]);
            });

            it('replaces state and version of existing rows and keeps their sync columns (the sync owns them)', async () => {
                await store.commitFold(
                    foldCommit({
                        sessions: [sessionRow('s1', { campaignId: 'c-old', statusesReady: true })],
                        people: [
                            personRow('s1', 'p1', { sfId: 'old', memberId: 'm-old', failure: failure(1, 1) })
                        ]
                    })
                );
                // A fold that read the rows before a sync pass saved its ids must not write the stale ids back.
                const session = sessionRow('s1', {
                    version: 2,
                    state: sessionState('s1', 'event-1', { status: 'live', startedAt: 1_760_000_100 })
                });
                const person = personRow('s1', 'p1', { version: 2 }, { attendance: 'attended' });
                await store.commitFold(foldCommit({ sessions: [session], people: [person] }));
                expect(await store.getSessions(['s1'])).toEqual([
                    { ...session, campaignId: 'c-old', statusesReady: true }
                ]);
                expect(await store.getPeople('s1')).toEqual([
                    { ...person, sfId: 'old', memberId: 'm-old', failure: failure(1, 1) }
                ]);
            });

            it('commits nothing when a person key appears twice', async () => {
                const [id] = await appendAll(['{"n":1}']);
                await expect(
                    store.commitFold(
                        foldCommit({
                            sessions: [sessionRow('s1')],
                            people: [
                                personRow('s1', 'p1'),
                                personRow('s1', 'p2'),
                                personRow('s1', 'p1', { version: 2 })
                            ],
                            events: [eventRow('event-1')],
                            doneDeliveryIds: [id!]
                        })
                    )
                ).rejects.toThrow();
                await expectNothingCommitted(id!);
            });

            it('commits nothing when a session key appears twice', async () => {
                const [id] = await appendAll(['{"n":1}']);
                await expect(
                    store.commitFold(
                        foldCommit({ sessions: [sessionRow('s1'), sessionRow('s1')], doneDeliveryIds: [id!] })
                    )
                ).rejects.toThrow();
                await expectNothingCommitted(id!);
            });

            it('commits nothing when serialising a row fails midway', async () => {
                const [id] = await appendAll(['{"n":1}']);
                const unserialisable = personRow('s1', 'p2');
                unserialisable.state = Object.assign({}, unserialisable.state, {
                    toJSON(): never {
                        throw new Error('injected serialisation failure');
                    }
                });
                await expect(
                    store.commitFold(
                        foldCommit({
                            sessions: [sessionRow('s1')],
                            people: [personRow('s1', 'p1'), unserialisable],
                            doneDeliveryIds: [id!]
                        })
                    )
                ).rejects.toThrow('injected serialisation failure');
                await expectNothingCommitted(id!);
            });

            it('commits nothing when the database rejects a row', async () => {
                const [id] = await appendAll(['{"n":1}']);
                await expect(
                    store.commitFold(
                        foldCommit({
                            sessions: [sessionRow('s1')],
                            people: [personRow('s1', 'p1', { sfObject: 'Account' as PersonRow['sfObject'] })],
                            doneDeliveryIds: [id!]
                        })
                    )
                ).rejects.toThrow();
                await expectNothingCommitted(id!);
            });

            it('commits nothing when a consumed delivery does not exist', async () => {
                const [id] = await appendAll(['{"n":1}']);
                await expect(
                    store.commitFold(
                        foldCommit({
                            sessions: [sessionRow('s1')],
                            people: [personRow('s1', 'p1')],
                            events: [eventRow('event-1')],
                            doneDeliveryIds: [id!, id! + 1000]
                        })
                    )
                ).rejects.toThrow();
                await expectNothingCommitted(id!);
                await expect(
                    store.commitFold(foldCommit({ quarantined: [{ id: id! + 1000, reason: 'x' }] }))
                ).rejects.toThrow();
            });

            async function expectNothingCommitted(deliveryId: number): Promise<void> {
                expect(await store.listSessions()).toEqual([]);
                expect(await store.getPeople('s1')).toEqual([]);
                expect(await store.listEvents()).toEqual([]);
                expect((await store.pendingDeliveries(10)).map((d) => d.id)).toEqual([deliveryId]);
                // The store is still usable after the rollback.
                await store.commitFold(
                    foldCommit({ sessions: [sessionRow('s1')], doneDeliveryIds: [deliveryId] })
                );
                expect((await store.listSessions()).map((s) => s.sessionId)).toEqual(['s1']);
                expect(await store.countDeliveries()).toEqual({ pending: 0, done: 1, quarantined: 0 });
            }
        });

        describe('reading folded state', () => {
            it('gets sessions by id, ignoring unknown ids', async () => {
                await store.commitFold(
                    foldCommit({ sessions: [sessionRow('s1'), sessionRow('s2'), sessionRow('s3')] })
                );
                const found = await store.getSessions(['s3', 'missing', 's1']);
                expect(found.map((s) => s.sessionId).sort()).toEqual(['s1', 's3']);
                expect(await store.getSessions([])).toEqual([]);
            });

            it('lists sessions, optionally of one event', async () => {
                await store.commitFold(
                    foldCommit({
                        sessions: [
                            sessionRow('s1'),
                            sessionRow('s2', { eventId: 'event-2' }),
                            sessionRow('s3')
                        ]
                    })
                );
                expect((await store.listSessions()).map((s) => s.sessionId).sort()).toEqual([
                    's1',
                    's2',
                    's3'
                ]);
                expect(
                    (await store.listSessions({ eventId: 'event-1' })).map((s) => s.sessionId).sort()
                ).toEqual(['s1', 's3']);
                expect(await store.listSessions({ eventId: 'event-9' })).toEqual([]);
                // In pages, in session id order.
                expect((await store.listSessions({ limit: 2 })).map((s) => s.sessionId)).toEqual([
                    's1',
                    's2'
                ]);
                expect((await store.listSessions({ after: 's2', limit: 2 })).map((s) => s.sessionId)).toEqual(
                    ['s3']
                );
                expect(
                    (await store.listSessions({ eventId: 'event-1', after: 's1' })).map((s) => s.sessionId)
                ).toEqual(['s3']);
            });

            it('gets the people of a session, all or by id', async () => {
                await store.commitFold(
                    foldCommit({
                        people: [
                            personRow('s1', 'p1'),
                            personRow('s1', 'p2'),
                            personRow('s1', 'p3'),
                            personRow('s2', 'p1')
                        ]
                    })
                );
                expect((await store.getPeople('s1')).map((p) => p.personId).sort()).toEqual([
                    'p1',
                    'p2',
                    'p3'
                ]);
                const some = await store.getPeople('s1', ['p3', 'p1', 'nobody']);
                expect(some.map((p) => `${p.sessionId}/${p.personId}`).sort()).toEqual(['s1/p1', 's1/p3']);
                expect(await store.getPeople('s1', [])).toEqual([]);
                expect(await store.getPeople('s9')).toEqual([]);
            });

            it('finds the people of a session linked to Salesforce records', async () => {
                await store.commitFold(
                    foldCommit({
                        people: [
                            personRow('s1', 'p1'),
                            personRow('s1', 'p2'),
                            personRow('s1', 'p3'),
                            personRow('s2', 'p1')
                        ]
                    })
                );
                const linked = (personId: string, sessionId = 's1'): PersonRow => ({
                    ...personRow(sessionId, personId),
                    sfObject: 'Lead',
                    sfId: '00Q000000000001AAA'
                });
                await store.saveSyncedPeople([linked('p1'), linked('p3'), linked('p1', 's2')]);
                const found = await store.peopleLinkedTo('s1', ['00Q000000000001AAA', '00Q000000000009AAA']);
                expect(found.map((p) => `${p.sessionId}/${p.personId}`)).toEqual(['s1/p1', 's1/p3']);
                expect(await store.peopleLinkedTo('s1', [])).toEqual([]);
            });
        });

        describe('sync bookkeeping', () => {
            it('saves the sync columns of people without touching state or version', async () => {
                const read = personRow('s1', 'p1', { version: 1 });
                await store.commitFold(foldCommit({ people: [read, personRow('s1', 'p2')] }));
                // A fold lands while the sync is writing version 1 to Salesforce.
                const folded = personRow('s1', 'p1', { version: 2 }, { attendance: 'attended' });
                await store.commitFold(foldCommit({ people: [folded] }));
                const synced: PersonRow = {
                    ...read,
                    syncedVersion: 1,
                    sfObject: 'Lead',
                    sfId: '00Q000000000001AAA',
                    memberId: '00v000000000001AAA',
                    warnings: ['Country "Atlantis" left out: the org does not list it'],
                    memberStatus: 'Registered',
                    writtenAt: 1_760_000_000_123
                };
                const failed: PersonRow = { ...personRow('s1', 'p2'), failure: failure(10, 5) };
                await store.saveSyncedPeople([synced, failed]);
                const [p1, p2] = await store
                    .getPeople('s1', ['p1', 'p2'])
                    .then((rows) => rows.sort((a, b) => a.personId.localeCompare(b.personId)));
                expect(p1).toEqual({
                    ...folded,
                    syncedVersion: 1,
                    sfObject: 'Lead',
                    sfId: synced.sfId,
                    memberId: synced.memberId,
                    warnings: synced.warnings,
                    memberStatus: 'Registered',
                    writtenAt: 1_760_000_000_123
                });
                // The next write replaces the warnings; a later fold keeps them (they belong to the sync).
                await store.saveSyncedPeople([{ ...p1!, warnings: [] }]);
                await store.commitFold(foldCommit({ people: [{ ...folded, version: 3, warnings: ['x'] }] }));
                expect((await store.getPeople('s1', ['p1']))[0]).toMatchObject({
                    version: 3,
                    warnings: [],
                    memberStatus: 'Registered'
                });
                expect(p2).toEqual(failed);
                expect((await store.dirtyPeople('s1', 0, 10)).map((p) => p.personId)).toEqual(['p1']);
            });

            it('saves the sync columns of a whole pass of people, however many', async () => {
                const ids = Array.from({ length: 250 }, (_, index) => `p${String(index).padStart(3, '0')}`);
                await store.commitFold(foldCommit({ people: ids.map((id) => personRow('s1', id)) }));
                const read = await store.getPeople('s1', ids);
                await store.saveSyncedPeople(
                    read.map((row, index) => ({ ...row, syncedVersion: row.version, sfId: `00Q${index}` }))
                );
                const saved = await store.getPeople('s1', ids);
                expect(saved).toHaveLength(250);
                expect(
                    saved.every((row) => row.syncedVersion === row.version && row.sfId?.startsWith('00Q'))
                ).toBe(true);
                expect(await store.dirtyPeople('s1', 0, 300)).toEqual([]);
            });

            it('ignores synced rows of people that do not exist', async () => {
                await store.saveSyncedPeople([personRow('s1', 'ghost', { syncedVersion: 1 })]);
                await store.saveSyncedPeople([]);
                expect(await store.getPeople('s1')).toEqual([]);
            });

            it('saves the sync columns of a session without touching state or version', async () => {
                const read = sessionRow('s1');
                await store.commitFold(foldCommit({ sessions: [read] }));
                const folded = sessionRow('s1', {
                    version: 2,
                    state: sessionState('s1', 'event-1', { status: 'live' })
                });
                await store.commitFold(foldCommit({ sessions: [folded] }));
                await store.saveSyncedSession({
                    ...read,
                    syncedVersion: 1,
                    campaignId: '701000000000001AAA',
                    campaignCreatedByUs: true,
                    statusesReady: true,
                    failure: failure(50, 40)
                });
                expect(await store.getSessions(['s1'])).toEqual([
                    {
                        ...folded,
                        syncedVersion: 1,
                        campaignId: '701000000000001AAA',
                        campaignCreatedByUs: true,
                        statusesReady: true,
                        failure: failure(50, 40)
                    }
                ]);
                await store.saveSyncedSession({
                    ...folded,
                    syncedVersion: 2,
                    campaignId: '701000000000001AAA'
                });
                expect((await store.getSessions(['s1']))[0]).toMatchObject({
                    syncedVersion: 2,
                    failure: null
                });
            });

            it('selects sessions with dirty rows whose failures are due', async () => {
                await store.commitFold(
                    foldCommit({
                        sessions: [
                            sessionRow('dirty-session', { version: 2, syncedVersion: 1 }),
                            sessionRow('clean', { version: 2, syncedVersion: 2 }),
                            sessionRow('clean-with-dirty-person', { version: 1, syncedVersion: 1 }),
                            sessionRow('failed-not-due', {
                                version: 2,
                                syncedVersion: 1,
                                failure: failure(2_000, 900)
                            }),
                            sessionRow('failed-due', {
                                version: 2,
                                syncedVersion: 1,
                                failure: failure(1_000, 900)
                            }),
                            sessionRow('blocked-by-session', {
                                version: 1,
                                syncedVersion: 1,
                                failure: failure(1_500, 900)
                            }),
                            sessionRow('person-not-due', { version: 1, syncedVersion: 1 }),
                            sessionRow('person-due', { version: 1, syncedVersion: 1 }),
                            sessionRow('clean-failed', {
                                version: 1,
                                syncedVersion: 1,
                                failure: failure(500, 400)
                            })
                        ],
                        people: [
                            personRow('clean', 'synced', { version: 3, syncedVersion: 3 }),
                            personRow('clean-with-dirty-person', 'p1', { version: 1, syncedVersion: 0 }),
                            personRow('blocked-by-session', 'p1', { version: 1, syncedVersion: 0 }),
                            personRow('person-not-due', 'p1', {
                                version: 1,
                                syncedVersion: 0,
                                failure: failure(1_001, 1)
                            }),
                            personRow('person-due', 'p1', {
                                version: 1,
                                syncedVersion: 0,
                                failure: failure(1_000, 1)
                            }),
                            personRow('no-session-row', 'p1', { version: 1, syncedVersion: 0 })
                        ]
                    })
                );
                const dirty = await store.dirtySessionIds(1_000);
                expect([...dirty].sort()).toEqual(
                    [
                        'clean-with-dirty-person',
                        'dirty-session',
                        'failed-due',
                        'no-session-row',
                        'person-due'
                    ].sort()
                );
                expect(new Set(dirty).size).toBe(dirty.length);
                const later = await store.dirtySessionIds(2_000);
                expect([...later].sort()).toEqual(
                    [
                        'blocked-by-session',
                        'clean-with-dirty-person',
                        'dirty-session',
                        'failed-due',
                        'failed-not-due',
                        'no-session-row',
                        'person-due',
                        'person-not-due'
                    ].sort()
                );
            });

            it('counts, by event, every session with changes not yet written, due or not, set aside excepted', async () => {
                await store.commitFold(
                    foldCommit({
                        sessions: [
                            sessionRow('campaign-change', { version: 2, syncedVersion: 1 }),
                            sessionRow('campaign-retry-later', {
                                version: 2,
                                syncedVersion: 1,
                                failure: failure(9_000, 900)
                            }),
                            sessionRow('person-retry-later', { version: 1, syncedVersion: 1 }),
                            sessionRow('blocked-by-session', {
                                version: 1,
                                syncedVersion: 1,
                                failure: failure(9_000, 900)
                            }),
                            sessionRow('both-dirty', { eventId: 'event-2', version: 3, syncedVersion: 1 }),
                            sessionRow('synced', { version: 2, syncedVersion: 2 }),
                            sessionRow('only-failed', { version: 1, syncedVersion: 1 }),
                            sessionRow('set-aside', { version: 2, syncedVersion: 0 })
                        ],
                        people: [
                            personRow('person-retry-later', 'p1', {
                                version: 1,
                                syncedVersion: 0,
                                failure: failure(9_000, 1)
                            }),
                            personRow('person-retry-later', 'p2', {
                                version: 2,
                                syncedVersion: 0,
                                failure: failure(9_500, 1)
                            }),
                            personRow('blocked-by-session', 'p1', { version: 1, syncedVersion: 0 }),
                            personRow('both-dirty', 'p1', {
                                eventId: 'event-2',
                                version: 1,
                                syncedVersion: 0
                            }),
                            personRow('synced', 'p1', { version: 2, syncedVersion: 2 }),
                            personRow('only-failed', 'p1', {
                                version: 1,
                                syncedVersion: 1,
                                failure: failure(9, 8)
                            }),
                            personRow('set-aside', 'p1', { version: 1, syncedVersion: 0 }),
                            personRow('no-session-row', 'p1', {
                                eventId: 'event-3',
                                version: 1,
                                syncedVersion: 0
                            })
                        ]
                    })
                );
                const [aside] = await store.getSessions(['set-aside']);
                await store.saveSyncedSession({ ...aside!, setAside: { reason: 'ended before', at: 1 } });
                const byEvent = await store.waitingSessionsByEvent();
                expect([...byEvent].sort((a, b) => a.eventId.localeCompare(b.eventId))).toEqual([
                    { eventId: 'event-1', sessions: 4 },
                    { eventId: 'event-2', sessions: 1 },
                    { eventId: 'event-3', sessions: 1 }
                ]);
                // The dirty selection at the same time leaves out what is not due: the count does not.
                expect(await store.dirtySessionIds(1_000)).toEqual([
                    'both-dirty',
                    'campaign-change',
                    'no-session-row'
                ]);
            });

            it('keeps a session set aside, with its reason, out of the dirty selection until it is cleared', async () => {
                await store.commitFold(
                    foldCommit({
                        sessions: [sessionRow('past'), sessionRow('current')],
                        people: [personRow('past', 'p1'), personRow('current', 'p1')]
                    })
                );
                const [past] = await store.getSessions(['past']);
                const setAside = { reason: 'This session ended before the integration was enabled.', at: 42 };
                await store.saveSyncedSession({ ...past!, setAside });
                expect((await store.getSessions(['past']))[0]!.setAside).toEqual(setAside);
                expect(await store.dirtySessionIds(0)).toEqual(['current']);
                // A fold keeps the choice (the sync owns it); a backfill clears it.
                await store.commitFold(foldCommit({ sessions: [sessionRow('past', { version: 2 })] }));
                expect(await store.dirtySessionIds(0)).toEqual(['current']);
                const [folded] = await store.getSessions(['past']);
                expect(folded!.setAside).toEqual(setAside);
                await store.saveSyncedSession({ ...folded!, setAside: null });
                expect(await store.dirtySessionIds(0)).toEqual(['current', 'past']);
            });

            it('counts the people of a session not written yet and those kept with an error', async () => {
                await store.commitFold(
                    foldCommit({
                        people: [
                            personRow('s1', 'dirty', { version: 2, syncedVersion: 1 }),
                            personRow('s1', 'retrying', {
                                version: 2,
                                syncedVersion: 1,
                                failure: failure(9, 8)
                            }),
                            personRow('s1', 'failed', {
                                version: 1,
                                syncedVersion: 1,
                                failure: failure(9, 8)
                            }),
                            personRow('s1', 'synced', { version: 1, syncedVersion: 1 }),
                            personRow('s2', 'failed', {
                                version: 1,
                                syncedVersion: 1,
                                failure: failure(9, 8)
                            })
                        ]
                    })
                );
                expect(await store.sessionProgress('s1')).toEqual({ dirty: 2, failed: 1 });
                expect(await store.sessionProgress('none')).toEqual({ dirty: 0, failed: 0 });
            });

            it('selects the dirty, due people of a session, oldest registration first', async () => {
                await store.commitFold(
                    foldCommit({
                        people: [
                            personRow('s1', 'late', {}, { registeredAt: 300 }),
                            personRow('s1', 'unknown-date', {}, { registeredAt: null }),
                            personRow('s1', 'early', {}, { registeredAt: 100 }),
                            personRow('s1', 'b-same', {}, { registeredAt: 200 }),
                            personRow('s1', 'a-same', {}, { registeredAt: 200 }),
                            personRow('s1', 'synced', { version: 2, syncedVersion: 2 }, { registeredAt: 50 }),
                            personRow('s1', 'not-due', { failure: failure(5_001, 1) }, { registeredAt: 60 }),
                            personRow('s1', 'due', { failure: failure(5_000, 1) }, { registeredAt: 400 }),
                            personRow('s2', 'other-session', {}, { registeredAt: 1 })
                        ]
                    })
                );
                const order = ['early', 'a-same', 'b-same', 'late', 'due', 'unknown-date'];
                expect((await store.dirtyPeople('s1', 5_000, 100)).map((p) => p.personId)).toEqual(order);
                expect((await store.dirtyPeople('s1', 5_000, 2)).map((p) => p.personId)).toEqual(
                    order.slice(0, 2)
                );
                expect((await store.dirtyPeople('s1', 6_000, 100)).map((p) => p.personId)).toEqual([
                    'not-due',
                    ...order
                ]);
                const [first] = await store.dirtyPeople('s1', 5_000, 1);
                expect(first).toEqual(personRow('s1', 'early', {}, { registeredAt: 100 }));
            });

            it('marks every person of a session dirty again and forgets their member ids', async () => {
                await store.commitFold(
                    foldCommit({
                        people: [
                            personRow('s1', 'p1', {
                                version: 3,
                                syncedVersion: 3,
                                sfObject: 'Lead',
                                sfId: 'L1',
                                memberId: 'M1',
                                memberStatus: 'Attended',
                                writtenAt: 5
                            }),
                            personRow('s1', 'p2', {
                                version: 2,
                                syncedVersion: 1,
                                sfId: 'C2',
                                memberId: 'M2'
                            }),
                            personRow('s2', 'p1', {
                                version: 1,
                                syncedVersion: 1,
                                sfId: 'L9',
                                memberId: 'M9'
                            })
                        ]
                    })
                );
                await store.resetSessionMembers('s1');
                const people = (await store.getPeople('s1')).sort((a, b) =>
                    a.personId.localeCompare(b.personId)
                );
                expect(
                    people.map((p) => [p.personId, p.version, p.memberId, p.memberStatus, p.sfId, p.sfObject])
                ).toEqual([
                    ['p1', 3, null, null, 'L1', 'Lead'],
                    ['p2', 2, null, null, 'C2', null]
                ]);
                expect((await store.dirtyPeople('s1', 0, 10)).map((p) => p.personId).sort()).toEqual([
                    'p1',
                    'p2'
                ]);
                expect(await store.dirtySessionIds(0)).toEqual(['s1']);
                expect(await store.getPeople('s2')).toEqual([
                    personRow('s2', 'p1', { version: 1, syncedVersion: 1, sfId: 'L9', memberId: 'M9' })
                ]);
            });

            it('counts registrants, attendees, no-shows and replay viewers of a session', async () => {
                expect(await store.sessionCounts('s1')).toEqual({
                    registrants: 0,
                    attendees: 0,
                    noShows: 0,
                    replayViewers: 0
                });
                await store.commitFold(
                    foldCommit({
                        people: [
                            personRow('s1', 'p1', {}, { attendance: 'attended' }),
                            personRow('s1', 'p2', {}, { attendance: 'attended', replayWatched: true }),
                            personRow('s1', 'p3', {}, { attendance: 'not_attended', replayWatched: true }),
                            personRow('s1', 'p4', {}, { attendance: 'registered' }),
                            personRow('s1', 'host', {}, { role: 'team_member', attendance: 'attended' }),
                            personRow('s2', 'p1', {}, { attendance: 'attended', replayWatched: true })
                        ]
                    })
                );
                expect(await store.sessionCounts('s1')).toEqual({
                    registrants: 4,
                    attendees: 2,
                    noShows: 1,
                    replayViewers: 2
                });
                // Counts follow the state a later fold writes.
                await store.commitFold(
                    foldCommit({
                        people: [personRow('s1', 'p4', { version: 2 }, { attendance: 'not_attended' })]
                    })
                );
                expect(await store.sessionCounts('s1')).toMatchObject({ noShows: 2, attendees: 2 });
            });

            it('lists people whose last sync failed, newest failure first', async () => {
                await store.commitFold(
                    foldCommit({
                        people: [
                            personRow('s1', 'old', { failure: failure(0, 100) }),
                            personRow('s1', 'ok'),
                            personRow('s2', 'newest', { failure: failure(0, 300) }),
                            personRow('s1', 'middle', { failure: failure(0, 200) })
                        ]
                    })
                );
                expect((await store.listFailures(10)).map((p) => p.personId)).toEqual([
                    'newest',
                    'middle',
                    'old'
                ]);
                expect((await store.listFailures(2)).map((p) => p.personId)).toEqual(['newest', 'middle']);
                await store.saveSyncedPeople([personRow('s2', 'newest', { syncedVersion: 1 })]);
                const remaining = await store.listFailures(10);
                expect(remaining.map((p) => p.personId)).toEqual(['middle', 'old']);
                expect(remaining[0]).toEqual(personRow('s1', 'middle', { failure: failure(0, 200) }));
            });
        });

        describe('people search', () => {
            const people = [
                personRow(
                    's2',
                    'p1',
                    {},
                    { email: 'Sam.Twice@Example.com', firstName: 'Sam', lastName: 'Twice' }
                ),
                personRow(
                    's1',
                    'p1',
                    {},
                    { email: 'sam.twice@example.com', firstName: 'Sam', lastName: 'Twice' }
                ),
                personRow(
                    's1',
                    'p2',
                    {},
                    { email: 'elodie@example.org', firstName: 'Élodie', lastName: 'Durand' }
                ),
                personRow(
                    's1',
                    'p3',
                    {},
                    { email: 'ada@example.net', firstName: 'Ada', lastName: 'Lovelace' }
                ),
                personRow('s1', 'p4', {}, { email: null, firstName: 'No', lastName: 'Mail' })
            ];
            const ids = (rows: PersonRow[]) => rows.map((row) => `${row.sessionId}/${row.personId}`);

            it('matches a case-insensitive substring of the e-mail or of the name, in e-mail order', async () => {
                await store.commitFold(foldCommit({ people }));
                expect(ids(await store.searchPeople({ limit: 10 }))).toEqual([
                    's1/p4',
                    's1/p3',
                    's1/p2',
                    's1/p1',
                    's2/p1'
                ]);
                expect(ids(await store.searchPeople({ q: 'SAM.TWICE@', limit: 10 }))).toEqual([
                    's1/p1',
                    's2/p1'
                ]);
                expect(ids(await store.searchPeople({ q: 'élodie', limit: 10 }))).toEqual(['s1/p2']);
                expect(ids(await store.searchPeople({ q: 'ada lovelace', limit: 10 }))).toEqual(['s1/p3']);
                expect(ids(await store.searchPeople({ q: 'no mail', limit: 10 }))).toEqual(['s1/p4']);
                expect(ids(await store.searchPeople({ q: "o'brien%_", limit: 10 }))).toEqual([]);
                expect(ids(await store.searchPeople({ q: 'twice', sessionId: 's2', limit: 10 }))).toEqual([
                    's2/p1'
                ]);
                const [found] = await store.searchPeople({ q: 'lovelace', limit: 1 });
                expect(found).toEqual(people[3]);
            });

            it('pages with a cursor after the last row, without repeats or gaps', async () => {
                await store.commitFold(foldCommit({ people }));
                const seen: string[] = [];
                let after: PeopleCursor | undefined;
                for (let page = 0; page < 5; page++) {
                    const rows = await store.searchPeople({ limit: 2, ...(after ? { after } : {}) });
                    seen.push(...ids(rows));
                    if (rows.length < 2) break;
                    const last = rows.at(-1)!;
                    after = {
                        email: (last.state.email ?? '').toLowerCase(),
                        sessionId: last.sessionId,
                        personId: last.personId
                    };
                }
                expect(seen).toEqual(['s1/p4', 's1/p3', 's1/p2', 's1/p1', 's2/p1']);
                expect(
                    ids(
                        await store.searchPeople({
                            q: 'twice',
                            limit: 10,
                            after: { email: 'sam.twice@example.com', sessionId: 's1', personId: 'p1' }
                        })
                    )
                ).toEqual(['s2/p1']);
            });

            it('follows a changed e-mail or name after a fold', async () => {
                await store.commitFold(foldCommit({ people: [people[3]!] }));
                await store.commitFold(
                    foldCommit({
                        people: [personRow('s1', 'p3', { version: 2 }, { email: 'countess@example.net' })]
                    })
                );
                expect(ids(await store.searchPeople({ q: 'countess', limit: 10 }))).toEqual(['s1/p3']);
                expect(ids(await store.searchPeople({ q: 'ada@example.net', limit: 10 }))).toEqual([]);
            });
        });

        describe('sessions search', () => {
            const sessions = [
                sessionRow('s-old', {
                    state: sessionState('s-old', 'event-1', { estimatedStartedAt: 1_700_000_000 })
                }),
                sessionRow('s-live', {
                    eventId: 'event-2',
                    state: sessionState('s-live', 'event-2', {
                        estimatedStartedAt: 1_700_000_000,
                        startedAt: 1_800_000_000,
                        name: 'Morning run'
                    })
                }),
                sessionRow('s-b', {
                    state: sessionState('s-b', 'event-1', { estimatedStartedAt: 1_760_000_000 })
                }),
                sessionRow('s-a', {
                    state: sessionState('s-a', 'event-1', { estimatedStartedAt: 1_760_000_000 })
                })
            ];
            const ids = (rows: SessionRow[]) => rows.map((row) => row.sessionId);

            it('lists newest start first, matches the id, session name, Campaign Name or event title, and pages', async () => {
                await store.commitFold(
                    foldCommit({
                        sessions,
                        events: [
                            eventRow('event-1', { title: 'Quarterly Review' }),
                            eventRow('event-2', { title: 'Onboarding' })
                        ]
                    })
                );
                await store.saveSyncedSession({
                    ...sessions[2]!,
                    campaignId: '701000000000001AAA',
                    campaignName: 'Renamed by Sales'
                });
                expect(ids(await store.searchSessions({ limit: 10 }))).toEqual([
                    's-live',
                    's-a',
                    's-b',
                    's-old'
                ]);
                expect(ids(await store.searchSessions({ q: 'QUARTERLY', limit: 10 }))).toEqual([
                    's-a',
                    's-b',
                    's-old'
                ]);
                expect(ids(await store.searchSessions({ q: 'renamed by', limit: 10 }))).toEqual(['s-b']);
                expect(ids(await store.searchSessions({ q: 'morning', limit: 10 }))).toEqual(['s-live']);
                expect(ids(await store.searchSessions({ q: 's-ol', limit: 10 }))).toEqual(['s-old']);
                expect(ids(await store.searchSessions({ q: "%_'", limit: 10 }))).toEqual([]);
                expect(ids(await store.searchSessions({ eventId: 'event-2', limit: 10 }))).toEqual([
                    's-live'
                ]);
                const first = await store.searchSessions({ limit: 2 });
                const last = first.at(-1)!;
                const next = await store.searchSessions({
                    limit: 2,
                    after: {
                        startsAt: last.state.startedAt || last.state.estimatedStartedAt,
                        sessionId: last.sessionId
                    }
                });
                expect([...ids(first), ...ids(next)]).toEqual(['s-live', 's-a', 's-b', 's-old']);
                expect(await store.memberStatusCounts('s-a')).toEqual({});
                const [renamed] = await store.getSessions(['s-b']);
                expect(renamed?.campaignName).toBe('Renamed by Sales');
            });
        });

        describe('member status counts', () => {
            it('counts the members of a session by the Status last written, leaving out people never written', async () => {
                await store.commitFold(
                    foldCommit({
                        people: [
                            personRow('s1', 'p1'),
                            personRow('s1', 'p2'),
                            personRow('s1', 'p3'),
                            personRow('s1', 'p4'),
                            personRow('s2', 'p5')
                        ]
                    })
                );
                const written = (personId: string, memberStatus: string, sessionId = 's1') =>
                    personRow(sessionId, personId, { syncedVersion: 1, memberStatus, writtenAt: 1 });
                await store.saveSyncedPeople([
                    written('p1', 'Attended'),
                    written('p2', 'Attended'),
                    written('p3', 'Did not attend'),
                    written('p5', 'Registered', 's2')
                ]);
                expect(await store.memberStatusCounts('s1')).toEqual({ Attended: 2, 'Did not attend': 1 });
                expect(await store.memberStatusCounts('s2')).toEqual({ Registered: 1 });
                expect(await store.memberStatusCounts('nowhere')).toEqual({});
            });
        });

        describe('events and settings', () => {
            it('inserts events from a fold only when absent', async () => {
                await store.putEvent(
                    eventRow('known', {
                        title: 'From the API',
                        registrationLink: 'https://x',
                        enabled: false,
                        fetchedAt: 7
                    })
                );
                await store.commitFold(
                    foldCommit({
                        events: [
                            eventRow('known', {
                                title: 'From a webhook',
                                onDemand: true,
                                enabled: true,
                                fetchedAt: 99
                            }),
                            eventRow('new', { title: 'New event', fetchedAt: 5 })
                        ]
                    })
                );
                expect(await store.getEvent('known')).toEqual(
                    eventRow('known', {
                        title: 'From the API',
                        registrationLink: 'https://x',
                        enabled: false,
                        fetchedAt: 7
                    })
                );
                expect(await store.getEvent('new')).toEqual(
                    eventRow('new', { title: 'New event', fetchedAt: 5 })
                );
            });

            it('fills a placeholder event with the first details a fold brings, keeping the enabled choice', async () => {
                await store.commitFold(foldCommit({ events: [eventRow('e1'), eventRow('e2')] }));
                await store.setEventEnabled('e1', false);
                await store.commitFold(foldCommit({ events: [eventRow('e1'), eventRow('e2')] }));
                expect(await store.getEvent('e1')).toEqual(eventRow('e1', { enabled: false }));
                const details = {
                    title: 'Webinar',
                    onDemand: true,
                    registrationLink: 'https://r',
                    fetchedAt: 42
                };
                await store.commitFold(
                    foldCommit({
                        events: [eventRow('e1', details), eventRow('e2', { ...details, enabled: true })]
                    })
                );
                expect(await store.getEvent('e1')).toEqual(eventRow('e1', { ...details, enabled: false }));
                expect(await store.getEvent('e2')).toEqual(eventRow('e2', { ...details, enabled: true }));
                await store.commitFold(
                    foldCommit({ events: [eventRow('e1', { title: 'Renamed', fetchedAt: 50 })] })
                );
                expect((await store.getEvent('e1'))?.title).toBe('Webinar');
            });

            it('puts, gets and lists events', async () => {
                expect(await store.getEvent('e1')).toBeUndefined();
                const first = eventRow('e1', {
                    title: 'One',
                    onDemand: true,
                    registrationLink: 'https://1',
                    fetchedAt: 1
                });
                await store.putEvent(first);
                await store.putEvent(eventRow('e2', { title: 'Two', enabled: true }));
                const replaced = eventRow('e1', { title: 'One, renamed', enabled: false, fetchedAt: 2 });
                await store.putEvent(replaced);
                expect(await store.getEvent('e1')).toEqual(replaced);
                const listed = await store.listEvents();
                expect(listed.sort((a, b) => a.eventId.localeCompare(b.eventId))).toEqual([
                    replaced,
                    eventRow('e2', { title: 'Two', enabled: true })
                ]);
            });

            it('sets the enabled flag of an event, known or not yet known', async () => {
                const known = eventRow('e1', { title: 'One', fetchedAt: 3 });
                await store.putEvent(known);
                await store.setEventEnabled('e1', true);
                expect(await store.getEvent('e1')).toEqual({ ...known, enabled: true });
                await store.setEventEnabled('e1', null);
                expect(await store.getEvent('e1')).toEqual(known);
                await store.setEventEnabled('later', false);
                expect(await store.getEvent('later')).toEqual(eventRow('later', { enabled: false }));
            });

            it('round-trips settings as JSON values', async () => {
                expect(await store.getSetting('mapping')).toBeUndefined();
                const mapping = {
                    lead: { Company: 'company', Title: 'job_title' },
                    createContacts: false,
                    share: 0.5
                };
                await store.setSetting('mapping', mapping);
                await store.setSetting('list', ['a', 1, null, true]);
                await store.setSetting('flag', false);
                await store.setSetting('nothing', null);
                await store.setSetting('text', 'héllo');
                expect(await store.getSetting('mapping')).toEqual(mapping);
                expect(await store.getSetting('list')).toEqual(['a', 1, null, true]);
                expect(await store.getSetting('flag')).toBe(false);
                expect(await store.getSetting('nothing')).toBeNull();
                expect(await store.getSetting('text')).toBe('héllo');
                await store.setSetting('mapping', { lead: {} });
                expect(await store.getSetting('mapping')).toEqual({ lead: {} });
                await store.setSetting('text', undefined);
                expect(await store.getSetting('text')).toBeUndefined();
            });
        });

        describe('sync log', () => {
            it('lists entries newest first, at most limit', async () => {
                const entries = [1, 2, 3, 4].map((n) => ({
                    at: 1_000 + n,
                    sessionId: n === 2 ? null : `s${n}`,
                    kind: n === 2 ? 'budget' : 'session',
                    apiCalls: n,
                    ok: n * 10,
                    failed: n - 1,
                    message: `entry ${n}`
                }));
                for (const entry of entries) await store.appendSyncLog(entry);
                expect(await store.listSyncLog(10)).toEqual([...entries].reverse());
                expect(await store.listSyncLog(2)).toEqual([entries[3], entries[2]]);
            });

            it('keeps the order in which entries were written when their times are equal', async () => {
                for (const message of ['first', 'second', 'third']) {
                    await store.appendSyncLog({
                        at: 5,
                        sessionId: null,
                        kind: 'k',
                        apiCalls: 0,
                        ok: 0,
                        failed: 0,
                        message
                    });
                }
                expect((await store.listSyncLog(10)).map((e) => e.message)).toEqual([
                    'third',
                    'second',
                    'first'
                ]);
            });
        });

        describe('folds, leases and claims', () => {
            it('folds in one transaction: claimed deliveries, rows read and written, all or nothing', async () => {
                const ids = await appendAll(['{"n":1}', '{"n":2}', '{"n":3}']);
                await store.commitFold(foldCommit({ people: [personRow('s1', 'p1')] }));
                await expect(
                    store.foldTransaction(async (tx) => {
                        expect((await tx.claimPendingDeliveries(2)).map((d) => d.id)).toEqual(
                            ids.slice(0, 2)
                        );
                        await tx.commit(
                            foldCommit({ sessions: [sessionRow('s9')], doneDeliveryIds: ids.slice(0, 2) })
                        );
                        throw new Error('injected fold failure');
                    })
                ).rejects.toThrow('injected fold failure');
                expect(await store.listSessions()).toEqual([]);
                expect(await store.countDeliveries()).toEqual({ pending: 3, done: 0, quarantined: 0 });

                const folded = await store.foldTransaction(async (tx) => {
                    const claimed = await tx.claimPendingDeliveries(10);
                    await tx.lockSessions(['s1', 's1']);
                    const [person] = await tx.getPeople('s1', ['p1', 'nobody']);
                    expect(await tx.getSessions(['s1'])).toEqual([]);
                    await tx.commit(
                        foldCommit({
                            sessions: [sessionRow('s1')],
                            people: [{ ...person!, version: 2 }],
                            doneDeliveryIds: claimed.map((d) => d.id)
                        })
                    );
                    return claimed.length;
                });
                expect(folded).toBe(3);
                expect((await store.getPeople('s1'))[0]?.version).toBe(2);
                expect(await store.countDeliveries()).toEqual({ pending: 0, done: 3, quarantined: 0 });
            });

            it('grants a session lease to one owner at a time, renews it, and lets it go', async () => {
                expect(await store.acquireSessionLease('s1', 'a', 60_000)).toEqual({
                    acquired: true,
                    takenOverFrom: null
                });
                expect(await store.acquireSessionLease('s1', 'b', 60_000)).toEqual({
                    acquired: false,
                    takenOverFrom: null
                });
                expect(await store.acquireSessionLease('s1', 'a', 60_000)).toEqual({
                    acquired: true,
                    takenOverFrom: null
                });
                expect(await store.renewSessionLease('s1', 'a', 60_000)).toBe(true);
                expect(await store.renewSessionLease('s1', 'b', 60_000)).toBe(false);
                const [held] = await store.listSessionLeases();
                expect(held).toMatchObject({ sessionId: 's1', owner: 'a', released: false });
                expect(held!.expiresAt - held!.acquiredAt).toBeGreaterThanOrEqual(60_000);

                await store.releaseSessionLease('s1', 'b');
                expect((await store.listSessionLeases())[0]?.released).toBe(false);
                await store.releaseSessionLease('s1', 'a');
                expect(await store.renewSessionLease('s1', 'a', 60_000)).toBe(false);
                // A released lease is not a take-over.
                expect(await store.acquireSessionLease('s1', 'b', 60_000)).toEqual({
                    acquired: true,
                    takenOverFrom: null
                });
                expect(await store.listSessionLeases()).toMatchObject([
                    { sessionId: 's1', owner: 'b', released: false }
                ]);
            });

            it('takes over a lease its owner stopped renewing, and the old owner can no longer renew it', async () => {
                expect((await store.acquireSessionLease('s1', 'a', 1)).acquired).toBe(true);
                await new Promise((resolve) => setTimeout(resolve, 20));
                expect(await store.acquireSessionLease('s1', 'b', 60_000)).toEqual({
                    acquired: true,
                    takenOverFrom: 'a'
                });
                expect(await store.renewSessionLease('s1', 'a', 60_000)).toBe(false);
                expect((await store.acquireSessionLease('s1', 'a', 60_000)).acquired).toBe(false);
            });

            it('claims each e-mail for one owner until released or expired', async () => {
                expect(
                    (await store.claimEmails(['x@e.com', 'y@e.com', 'x@e.com'], 'a', 60_000)).sort()
                ).toEqual(['x@e.com', 'y@e.com']);
                expect(await store.claimEmails(['y@e.com', 'z@e.com'], 'b', 60_000)).toEqual(['z@e.com']);
                expect((await store.claimEmails(['y@e.com'], 'a', 60_000)).sort()).toEqual(['y@e.com']);
                await store.releaseEmailClaims('a');
                expect((await store.claimEmails(['x@e.com', 'y@e.com'], 'b', 1)).sort()).toEqual([
                    'x@e.com',
                    'y@e.com'
                ]);
                await new Promise((resolve) => setTimeout(resolve, 20));
                expect(await store.claimEmails(['x@e.com'], 'c', 60_000)).toEqual(['x@e.com']);
                await store.renewEmailClaims('b', 60_000);
                expect(await store.claimEmails(['x@e.com', 'y@e.com', 'z@e.com'], 'd', 60_000)).toEqual([]);
                expect(await store.claimEmails([], 'd', 60_000)).toEqual([]);
            });
        });
    });
}

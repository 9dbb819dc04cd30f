// Property tests of the folds: Livestorm delivers each webhook at least once, in no guaranteed order, and
// retries re-send the same body minutes later. Whatever the order and multiplicity of the deliveries about one
// person, the folded state must be the same, and the attendance status must never move backwards on the way.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { personAttributesSchema } from '../livestorm/webhook-schema.ts';
import type { PersonAttributes } from '../livestorm/webhook-schema.ts';
import { sessionAttributesSchema } from '../livestorm/webhook-schema.ts';
import { foldPerson } from './fold-person.ts';
import { foldSession } from './fold-session.ts';
import type { SessionSource } from './fold-session.ts';
import type { PersonEventName } from './fold-person.ts';
import { ATTENDANCE_RANK } from '../store/state.ts';
import type { PersonState } from '../store/state.ts';

const EVENTS: readonly PersonEventName[] = [
    'people.registered',
    'people.attended',
    'people.not_attended',
    'people.watched_replay'
];
const PLACEHOLDER = '1720628126+528d3ec6@unknown.livestorm.co';

/** One version of the person's Livestorm record: what any delivery sent after `updatedAt` carries. */
interface Version {
    updatedAt: number;
    firstName: string | null;
    lastName: string | null;
    email: string;
    customEmail: string | null;
    company: string | null;
    jobTitle: string | null;
    utmSource: string | null;
    city: string | null;
    attended: boolean;
    rate: number | null;
    duration: number | null;
    messages: number | null;
    votes: number | null;
    viewedReplay: boolean;
    watchedAt: number | null;
}

// Values are drawn from small pools so that deliveries disagree often; quotes, accents and RTL marks ride along.
const name = fc.constantFrom('Jane', 'Zoë', "O'Brien", 'مريم', '\u202eevil', 'Renée  ', 'A_%b');
const address = fc.constantFrom(
    'jane@example.com',
    'zoe@example.org',
    "o'brien@example.com",
    'j_%@example.io'
);
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: null, freq: 3 });

/** A change between two versions: a value is set or changed, never cleared (a registrant cannot blank an answer). */
const change = fc.record({
    gap: fc.integer({ min: 1, max: 600 }),
    firstName: optional(name),
    lastName: optional(name),
    email: optional(fc.oneof(address, fc.constant(PLACEHOLDER))),
    customEmail: optional(address),
    company: optional(fc.constantFrom('Acme', 'Ünïcode GmbH', 'Back\\slash', '')),
    jobTitle: optional(fc.constantFrom('CTO', 'Head of "Growth"')),
    utmSource: optional(fc.constantFrom('linkedin', 'newsletter')),
    city: optional(fc.constantFrom('Paris', 'Montréal')),
    attends: fc.boolean(),
    rate: optional(fc.integer({ min: 0, max: 100 })),
    duration: optional(fc.integer({ min: 0, max: 7200 })),
    messages: optional(fc.integer({ min: 0, max: 50 })),
    votes: optional(fc.integer({ min: 0, max: 9 })),
    watches: fc.boolean(),
    watchedAt: optional(fc.integer({ min: 1_720_700_000, max: 1_720_800_000 }))
});

const monotone = (previous: number | null, next: number | null) =>
    previous === null ? next : next === null ? previous : Math.max(previous, next);

type Change = typeof change extends fc.Arbitrary<infer T> ? T : never;

function versionsFrom(changes: Change[]): Version[] {
    const versions: Version[] = [];
    let current: Version = {
        updatedAt: 1_720_628_127,
        firstName: null,
        lastName: null,
        email: 'jane@example.com',
        customEmail: null,
        company: null,
        jobTitle: null,
        utmSource: null,
        city: null,
        attended: false,
        rate: null,
        duration: null,
        messages: null,
        votes: null,
        viewedReplay: false,
        watchedAt: null
    };
    for (const step of changes) {
        current = {
            updatedAt: current.updatedAt + step.gap,
            firstName: step.firstName ?? current.firstName,
            lastName: step.lastName ?? current.lastName,
            email: step.email ?? current.email,
            customEmail: step.customEmail ?? current.customEmail,
            company: step.company ?? current.company,
            jobTitle: step.jobTitle ?? current.jobTitle,
            utmSource: step.utmSource ?? current.utmSource,
            city: step.city ?? current.city,
            attended: current.attended || step.attends,
            // Livestorm's figures only grow as the session goes on.
            rate: monotone(current.rate, step.rate),
            duration: monotone(current.duration, step.duration),
            messages: monotone(current.messages, step.messages),
            votes: monotone(current.votes, step.votes),
            viewedReplay: current.viewedReplay || step.watches,
            watchedAt: current.watchedAt ?? (step.watches ? step.watchedAt : null)
        };
        versions.push(current);
    }
    return versions;
}

function attributesOf(version: Version): PersonAttributes {
    const fields: Record<string, unknown>[] = [{ id: 'email', type: 'text', value: version.email }];
    if (version.customEmail !== null)
        fields.push({ id: 'custom_email', type: 'email', value: version.customEmail, custom: true });
    if (version.company !== null) fields.push({ id: 'company', type: 'text', value: version.company });
    if (version.jobTitle !== null) fields.push({ id: 'job_title', type: 'text', value: version.jobTitle });
    return personAttributesSchema.parse({
        role: 'participant',
        created_at: 1_720_628_127,
        updated_at: version.updatedAt,
        first_name: version.firstName,
        last_name: version.lastName,
        email: version.email,
        registrant_detail: {
            event_id: 'event-1',
            session_id: 'session-1',
            created_at: 1_720_628_127,
            updated_at: version.updatedAt,
            fields,
            utm_source: version.utmSource,
            ip_city: version.city,
            attended: version.attended,
            attendance_rate: version.rate,
            attendance_duration: version.duration,
            has_viewed_replay: version.viewedReplay
        },
        messages_count: version.messages,
        votes_count: version.votes,
        replay_view_detail: version.watchedAt === null ? null : { watched_at: version.watchedAt }
    });
}

interface Delivery {
    event: PersonEventName;
    attributes: PersonAttributes;
}

/** A timeline of versions and the deliveries Livestorm sent about them (any event about any version). */
const scenario = fc
    .array(change, { minLength: 1, maxLength: 5 })
    .map(versionsFrom)
    .chain((versions) =>
        fc
            .array(
                fc.record({
                    event: fc.constantFrom(...EVENTS),
                    version: fc.integer({ min: 0, max: versions.length - 1 })
                }),
                { minLength: 1, maxLength: 8 }
            )
            .map((picks) => ({
                versions,
                deliveries: picks.map((pick): Delivery => ({
                    event: pick.event,
                    attributes: attributesOf(versions[pick.version]!)
                }))
            }))
    );

/** The same deliveries again, each possibly repeated (retries), in any order. */
function redelivered(deliveries: Delivery[]): fc.Arbitrary<Delivery[]> {
    return fc.array(fc.integer({ min: 0, max: deliveries.length - 1 }), { maxLength: 6 }).chain((repeats) =>
        fc.shuffledSubarray([...deliveries, ...repeats.map((index) => deliveries[index]!)], {
            minLength: deliveries.length + repeats.length
        })
    );
}

/** JSON with sorted keys: the order in which registration fields were first seen is not part of the state. */
function canonical(value: unknown): string {
    return JSON.stringify(value, (_key, inner: unknown) =>
        inner && typeof inner === 'object' && !Array.isArray(inner)
            ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b)))
            : inner
    );
}

function foldAll(
    deliveries: Delivery[],
    onStep?: (before: PersonState | undefined, after: PersonState) => void
) {
    let state: PersonState | undefined;
    for (const delivery of deliveries) {
        const next = foldPerson(state, delivery.event, 'person-1', delivery.attributes);
        onStep?.(state, next);
        state = next;
    }
    return state!;
}

// `npm run test:reliability` raises the number of runs; the time limit is for that larger count.
const runs = Number(process.env.FOLD_PROPERTY_RUNS ?? 300);
const timeout = 120_000;

describe('foldPerson, any order and multiplicity of deliveries', () => {
    it(
        'converges to the same state',
        () => {
            fc.assert(
                fc.property(
                    scenario.chain(({ deliveries }) =>
                        redelivered(deliveries).map((shuffled) => ({ deliveries, shuffled }))
                    ),
                    ({ deliveries, shuffled }) => {
                        expect(canonical(foldAll(shuffled))).toBe(canonical(foldAll(deliveries)));
                    }
                ),
                { numRuns: runs }
            );
        },
        timeout
    );

    it(
        'ends with the newest delivered version of the identity and the highest attendance delivered',
        () => {
            fc.assert(
                fc.property(scenario, ({ deliveries }) => {
                    const state = foldAll(deliveries);
                    const newest = deliveries.reduce((a, b) =>
                        b.attributes.updated_at > a.attributes.updated_at ? b : a
                    ).attributes;
                    const customEmail = newest.registrant_detail.fields?.find(
                        (field) => field.id === 'custom_email'
                    );
                    const expectedEmail =
                        newest.email !== PLACEHOLDER
                            ? newest.email
                            : ((customEmail?.value as string | undefined) ?? null);
                    // An unusable newest address keeps the last usable one, so only a usable newest one is exact.
                    if (expectedEmail !== null) expect(state.email).toBe(expectedEmail);
                    if (newest.first_name?.trim()) expect(state.firstName).toBe(newest.first_name.trim());
                    const expectedRank = Math.max(
                        ...deliveries.map((delivery) =>
                            delivery.event === 'people.attended' ||
                            delivery.attributes.registrant_detail.attended
                                ? ATTENDANCE_RANK.attended
                                : delivery.event === 'people.not_attended'
                                  ? ATTENDANCE_RANK.not_attended
                                  : ATTENDANCE_RANK.registered
                        )
                    );
                    expect(ATTENDANCE_RANK[state.attendance]).toBe(expectedRank);
                }),
                { numRuns: runs }
            );
        },
        timeout
    );

    it(
        'never moves the status, the replay flag or a figure backwards',
        () => {
            fc.assert(
                fc.property(
                    scenario.chain(({ deliveries }) => redelivered(deliveries)),
                    (deliveries) => {
                        foldAll(deliveries, (before, after) => {
                            if (!before) return;
                            expect(ATTENDANCE_RANK[after.attendance]).toBeGreaterThanOrEqual(
                                ATTENDANCE_RANK[before.attendance]
                            );
                            if (before.replayWatched) expect(after.replayWatched).toBe(true);
                            for (const key of Object.keys(
                                before.engagement
                            ) as (keyof PersonState['engagement'])[]) {
                                const previous = before.engagement[key];
                                if (previous !== null)
                                    expect(after.engagement[key]).toBeGreaterThanOrEqual(previous);
                            }
                            expect(after.updatedAt).toBeGreaterThanOrEqual(before.updatedAt);
                        });
                    }
                ),
                { numRuns: runs }
            );
        },
        timeout
    );
});

describe('foldSession, webhooks in any order', () => {
    const lifecycle = ['upcoming', 'live', 'past', 'canceled'];
    const delivery = fc.record({
        source: fc.constantFrom<SessionSource>('session.created', 'session.started', 'session.ended'),
        status: fc.constantFrom('draft', 'upcoming', 'live', 'past', 'past_not_started', 'on_demand'),
        updatedAt: fc.integer({ min: 1_768_950_000, max: 1_768_960_000 }),
        startedAt: fc.constantFrom(0, 1_768_953_720),
        endedAt: fc.constantFrom(0, 1_768_957_320),
        canceled: fc.boolean()
    });
    const rank = (status: string) => {
        if (status === 'past_not_started') return lifecycle.indexOf('past');
        if (status === 'draft') return -1;
        if (status === 'on_demand') return 0;
        return lifecycle.indexOf(status);
    };

    it(
        'never moves the lifecycle back, and a canceled session stays canceled',
        () => {
            fc.assert(
                fc.property(fc.array(delivery, { minLength: 1, maxLength: 10 }), (deliveries) => {
                    let state: ReturnType<typeof foldSession> | undefined;
                    for (const item of deliveries) {
                        const attributes = sessionAttributesSchema.parse({
                            event_id: 'event-1',
                            status: item.status,
                            updated_at: item.updatedAt,
                            estimated_started_at: 1_768_953_600,
                            started_at: item.startedAt,
                            ended_at: item.endedAt,
                            canceled_at: item.canceled ? item.updatedAt : 0,
                            created_at: 1_768_900_000
                        });
                        const next = foldSession(state, item.source, 'session-1', attributes);
                        if (state) {
                            expect(rank(next.status)).toBeGreaterThanOrEqual(rank(state.status));
                            if (state.status === 'canceled') expect(next.status).toBe('canceled');
                            if (state.endedAt > 0) expect(next.endedAt).toBeGreaterThan(0);
                        }
                        state = next;
                    }
                }),
                { numRuns: runs }
            );
        },
        timeout
    );
});

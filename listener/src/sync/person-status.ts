// The one computation of DESIGN's person status and session state ("Shared models"), from the store rows, the event
// enablement and the engine's current health. The engine, the admin API, the admin page and `livestorm-sf people show`
// all read people through here, so they never disagree. Invariant it upholds: a person of an enabled session that is
// not written yet always has a `reason` and a `nextAttemptAt`.
import { eventEnablement } from '../config/event-enablement.ts';
import type { Settings } from '../config/settings.ts';
import type { AttendanceState } from '../store/state.ts';
import type { EventRow, PeopleCursor, PersonRow, SessionRow, Store, SyncFailure } from '../store/store.ts';
import { personSearchKeys } from '../store/search.ts';
import { ENGINE_HEALTH_SETTING } from './engine-port.ts';
import type { EngineSides, PersistedEngineSides, SessionActivity, SyncEngine } from './engine-port.ts';

export type PersonState = 'synced' | 'waiting' | 'failed' | 'disabled' | 'set_aside';

/** Session state tokens, first match wins: disabled, set_aside, failed, writing, waiting, synced. */
export type SessionStateToken = 'disabled' | 'set_aside' | 'failed' | 'writing' | 'waiting' | 'synced';

/** One registrant in one session, as DESIGN's PersonStatus defines it (times are ISO 8601). */
export interface PersonStatus {
    sessionId: string;
    personId: string;
    email: string | null;
    name: string | null;
    eventId: string;
    eventTitle: string | null;
    sessionStart: string | null;
    livestorm: { attendance: AttendanceState; replayWatched: boolean };
    salesforce: {
        object: 'Lead' | 'Contact' | null;
        id: string | null;
        url: string | null;
        memberId: string | null;
        memberStatus: string | null;
        writtenAt: string | null;
    };
    state: PersonState;
    /** Why waiting, set aside, disabled or failed, in an admin's words; null when synced. */
    reason: string | null;
    /** Set whenever state is "waiting" (and for a failure the listener retries on its own). */
    nextAttemptAt: string | null;
    error: { code: string; message: string; fix: string } | null;
    warnings: string[];
}

/** Everything person statuses are computed from, besides the rows themselves. */
export interface StatusContext {
    settings: Settings;
    /** Milliseconds since epoch. */
    now: number;
    /** The org's instance URL (record links), null when not known. */
    instanceUrl: string | null;
    /** The Livestorm API token is configured (event titles can be read). */
    livestormConfigured: boolean;
    /** Salesforce and Livestorm health: the live engine's, or the last one it saved in the store; null if never. */
    sides: EngineSides | null;
    /** What the live engine is doing with a session; absent when no engine runs in this process. */
    activity?: (sessionId: string) => SessionActivity;
}

export interface PersonStatusDeps {
    store: Store;
    settings: Settings;
    /** The running engine, when there is one in this process (the listener); else its health is read from the store. */
    engine?: Pick<SyncEngine, 'health' | 'sessionActivity'>;
    instanceUrl?: () => string | null;
    livestormConfigured: boolean;
    now?: () => number;
}

export interface PeopleSearch {
    /** Case-insensitive substring of the e-mail or the name. */
    q?: string;
    sessionId?: string;
    /** Default 50, at most 500. */
    limit?: number;
    /** `nextCursor` of the previous page. */
    cursor?: string | null;
}

export const DEFAULT_PEOPLE_LIMIT = 50;
export const MAX_PEOPLE_LIMIT = 500;

/** When the listener expects to look again at a session that only waits for its turn (the poll), in ms. */
const SOON_MS = 5_000;

/** Thrown for a cursor that this module did not produce. */
export class InvalidCursorError extends Error {
    override name = 'InvalidCursorError';
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** `<instance URL>/lightning/r/<Lead|Contact>/<Id>/view`, or null without an instance URL or a record. */
export function recordUrl(
    instanceUrl: string | null,
    object: 'Lead' | 'Contact' | null,
    id: string | null
): string | null {
    if (instanceUrl === null || object === null || id === null) return null;
    return `${instanceUrl.replace(/\/+$/, '')}/lightning/r/${object}/${encodeURIComponent(id)}/view`;
}

/**
 * What an admin can do about a Salesforce error, by its code (Salesforce "Core Data Types Used in API Calls" →
 * StatusCode; reference/salesforce.md §10).
 */
export function fixFor(failure: Pick<SyncFailure, 'code' | 'fields'>): string {
    const fields = failure.fields.length ? failure.fields.join(', ') : 'the field Salesforce names';
    switch (failure.code) {
        case 'NO_USABLE_EMAIL':
            return 'Correct the e-mail in Livestorm (or collect it in a registration field of e-mail type); the person is synced at their next change.';
        case 'REQUIRED_FIELD_MISSING':
            return `Give ${fields} a value: map a registration field to it or set a fallback in the config file (fallbacks), then retry.`;
        case 'FIELD_CUSTOM_VALIDATION_EXCEPTION':
            return 'A validation rule of the org refused the record: relax the rule for the integration user or change the mapped values, then retry.';
        case 'DUPLICATES_DETECTED':
            return 'A duplicate rule blocks the record: set its action to "Alert" (the listener then saves with duplicateRuleAllowSave) or merge the duplicates, then retry.';
        case 'INVALID_EMAIL_ADDRESS':
            return 'Salesforce refuses this address (non-ASCII addresses need "Email Address Internationalization"): correct it in Livestorm or enable the setting, then retry.';
        case 'FIELD_INTEGRITY_EXCEPTION':
        case 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST':
            return `The org does not accept the value of ${fields}: add the value to the picklist or change the field mapping, then retry.`;
        case 'STRING_TOO_LONG':
            return `A value is longer than ${fields} allows: lengthen the field or map a shorter value, then retry.`;
        case 'INSUFFICIENT_ACCESS_OR_READONLY':
        case 'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY':
        case 'INVALID_FIELD_FOR_INSERT_UPDATE':
            return 'The integration user lacks access: assign the Livestorm_Integration permission set (and Marketing User), run `livestorm-sf doctor`, then retry.';
        case 'CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY':
            return 'A trigger or flow of the org failed on this record: read its message, correct the automation, then retry.';
        default:
            return 'Correct what Salesforce names in the message (the record or an org setting), then retry the person from the admin page.';
    }
}

function name(person: PersonRow): string | null {
    const parts = [person.state.firstName, person.state.lastName].filter(
        (part): part is string => typeof part === 'string' && part.trim() !== ''
    );
    return parts.length ? parts.join(' ') : null;
}

function sessionStartIso(session: SessionRow | undefined): string | null {
    if (!session) return null;
    const seconds = session.state.startedAt || session.state.estimatedStartedAt;
    return seconds > 0 ? new Date(seconds * 1000).toISOString() : null;
}

function isDirty(row: { version: number; syncedVersion: number }): boolean {
    return row.version > row.syncedVersion;
}

interface Verdict {
    state: PersonState;
    reason: string | null;
    nextAttemptAt: number | null;
    error: PersonStatus['error'];
}

/**
 * Why nothing is written to Salesforce now, in an admin's words, when the Salesforce side is not connected (paused,
 * retrying, refused credentials, still connecting); null when it is connected or its state was never saved.
 */
export function salesforceHold(ctx: Pick<StatusContext, 'sides'>): string | null {
    const sf = ctx.sides?.salesforce;
    if (!sf || sf.state === 'connected') return null;
    if (sf.state === 'connecting') return 'Waiting to connect to Salesforce.';
    return sf.reason ?? `Salesforce is ${sf.state.replace(/_/g, ' ')}.`;
}

/** Why a dirty person waits and when the listener looks again; never without both. */
function waiting(
    person: PersonRow,
    session: SessionRow | undefined,
    event: EventRow | undefined,
    ctx: StatusContext
): Verdict {
    const soon = ctx.now + SOON_MS;
    const sides = ctx.sides;
    const salesforce = salesforceHold(ctx);
    if (salesforce) {
        const at = Math.max(sides?.salesforceNextAttemptAt ?? soon, ctx.now);
        return { state: 'waiting', reason: salesforce, nextAttemptAt: at, error: null };
    }
    if (session?.failure) {
        const failure = session.failure;
        return {
            state: 'waiting',
            reason: `The session's Campaign could not be written yet (${failure.code}: ${failure.message}); retried automatically.`,
            nextAttemptAt: Math.max(failure.nextAttemptAt, ctx.now),
            error: { code: failure.code, message: failure.message, fix: fixFor(failure) }
        };
    }
    if (person.failure) {
        const failure = person.failure;
        return {
            state: 'waiting',
            reason: `Salesforce answered ${failure.code} (${failure.message}); retried automatically (attempt ${failure.attempts}).`,
            nextAttemptAt: Math.max(failure.nextAttemptAt, ctx.now),
            error: { code: failure.code, message: failure.message, fix: fixFor(failure) }
        };
    }
    const livestorm = sides?.livestorm;
    const titleUnknown = ctx.livestormConfigured && (!event || event.title === null);
    if (titleUnknown) {
        const blocked = livestorm && livestorm.state !== 'ok' && livestorm.state !== 'quota_low';
        return {
            state: 'waiting',
            reason: blocked
                ? `Waiting for the event title from Livestorm: ${livestorm.reason ?? livestorm.state}`
                : 'Waiting for the event title from Livestorm (the Campaign is named after it).',
            nextAttemptAt: Math.max(sides?.livestormNextAttemptAt ?? soon, ctx.now),
            error: null
        };
    }
    if (!session) {
        return {
            state: 'waiting',
            reason: 'Waiting for the session details from Livestorm.',
            nextAttemptAt: Math.max(sides?.livestormNextAttemptAt ?? soon, ctx.now),
            error: null
        };
    }
    const activity = ctx.activity?.(person.sessionId);
    if (activity?.writing) {
        return {
            state: 'waiting',
            reason: 'Being written to Salesforce now.',
            nextAttemptAt: activity.nextPassAt ?? soon,
            error: null
        };
    }
    return {
        state: 'waiting',
        reason:
            session.campaignId === null
                ? 'Being written: the Campaign is created with the next batch.'
                : 'Being written: changes are gathered for a moment and sent in one batch.',
        nextAttemptAt: Math.max(activity?.nextPassAt ?? soon, ctx.now),
        error: null
    };
}

function verdict(
    person: PersonRow,
    session: SessionRow | undefined,
    event: EventRow | undefined,
    ctx: StatusContext
): Verdict {
    const enablement = eventEnablement(
        { eventId: person.eventId, enabled: event?.enabled ?? null },
        ctx.settings
    );
    if (!enablement.enabled) {
        return {
            state: 'disabled',
            reason: `The event is not synced (${enablement.because}); enable it on the admin page or with \`livestorm-sf events enable ${person.eventId}\`.`,
            nextAttemptAt: null,
            error: null
        };
    }
    if (session?.setAside) {
        return { state: 'set_aside', reason: session.setAside.reason, nextAttemptAt: null, error: null };
    }
    if (person.state.role === 'team_member' && !ctx.settings.syncTeamMembers) {
        return {
            state: 'disabled',
            reason: 'Team members (hosts, speakers) are not synced: turn on syncTeamMembers to add them to Campaigns.',
            nextAttemptAt: null,
            error: null
        };
    }
    if (ctx.sides?.salesforce.state === 'dry_run' && (isDirty(person) || person.writtenAt === null)) {
        return {
            state: 'disabled',
            reason:
                ctx.sides.salesforce.reason ??
                'Dry-run mode: nothing is written to Salesforce; set "dryRun": false to write.',
            nextAttemptAt: null,
            error: null
        };
    }
    if (isDirty(person)) return waiting(person, session, event, ctx);
    if (person.failure) {
        const failure = person.failure;
        return {
            state: 'failed',
            reason: `Salesforce refused this person: ${failure.message}`,
            nextAttemptAt: null,
            error: { code: failure.code, message: failure.message, fix: fixFor(failure) }
        };
    }
    return { state: 'synced', reason: null, nextAttemptAt: null, error: null };
}

/**
 * The status of one person.
 * @param session the person's session row (undefined when not folded yet)
 * @param event the session's event row (undefined when not known yet)
 */
export function personStatus(
    person: PersonRow,
    session: SessionRow | undefined,
    event: EventRow | undefined,
    ctx: StatusContext
): PersonStatus {
    const result = verdict(person, session, event, ctx);
    return {
        sessionId: person.sessionId,
        personId: person.personId,
        email: person.state.email,
        name: name(person),
        eventId: person.eventId,
        eventTitle: event?.title ?? null,
        sessionStart: sessionStartIso(session),
        livestorm: { attendance: person.state.attendance, replayWatched: person.state.replayWatched },
        salesforce: {
            object: person.sfObject,
            id: person.sfId,
            url: recordUrl(ctx.instanceUrl, person.sfObject, person.sfId),
            memberId: person.memberId,
            memberStatus: person.memberStatus,
            writtenAt: iso(person.writtenAt)
        },
        state: result.state,
        reason: result.reason,
        nextAttemptAt: iso(result.nextAttemptAt),
        error: result.error,
        warnings: person.warnings
    };
}

/**
 * The session state token, first match wins: `disabled` (its event is not synced), `set_aside`, `failed` (some
 * people were refused), `writing` (a pass is in flight), `waiting` (something is not written yet), `synced`.
 * @param progress how many of its people are dirty and how many are kept with an error (Store.sessionProgress)
 */
export function sessionStateToken(
    session: SessionRow,
    event: EventRow | undefined,
    progress: { dirty: number; failed: number },
    ctx: Pick<StatusContext, 'settings' | 'activity'>
): SessionStateToken {
    if (!eventEnablement({ eventId: session.eventId, enabled: event?.enabled ?? null }, ctx.settings).enabled)
        return 'disabled';
    if (session.setAside) return 'set_aside';
    if (progress.failed > 0) return 'failed';
    if (ctx.activity?.(session.sessionId).writing) return 'writing';
    if (isDirty(session) || progress.dirty > 0 || session.campaignId === null) return 'waiting';
    return 'synced';
}

/** The state token of one session, read from the store (its progress counts) and the engine. */
export async function sessionState(
    deps: PersonStatusDeps,
    sessionId: string
): Promise<SessionStateToken | null> {
    const [session] = await deps.store.getSessions([sessionId]);
    if (!session) return null;
    const [event, progress, ctx] = await Promise.all([
        deps.store.getEvent(session.eventId),
        deps.store.sessionProgress(sessionId),
        statusContext(deps)
    ]);
    return sessionStateToken(session, event, progress, ctx);
}

/** Reads the engine's sides: the live engine's when there is one, else the last ones it saved in the store. */
export async function loadSides(
    deps: Pick<PersonStatusDeps, 'store' | 'engine'>
): Promise<EngineSides | null> {
    if (deps.engine) {
        const health = deps.engine.health();
        return {
            salesforce: health.salesforce,
            salesforceNextAttemptAt: health.salesforceNextAttemptAt,
            livestorm: health.livestorm,
            livestormNextAttemptAt: health.livestormNextAttemptAt
        };
    }
    return (await deps.store.getSetting<PersistedEngineSides>(ENGINE_HEALTH_SETTING)) ?? null;
}

/** The context of a batch of statuses (one health reading for all of them). */
export async function statusContext(deps: PersonStatusDeps): Promise<StatusContext> {
    const engine = deps.engine;
    return {
        settings: deps.settings,
        now: (deps.now ?? Date.now)(),
        instanceUrl: deps.instanceUrl?.() ?? null,
        livestormConfigured: deps.livestormConfigured,
        sides: await loadSides(deps),
        ...(engine ? { activity: (sessionId: string) => engine.sessionActivity(sessionId) } : {})
    };
}

function encodeCursor(cursor: PeopleCursor): string {
    return Buffer.from(JSON.stringify([cursor.email, cursor.sessionId, cursor.personId]), 'utf8').toString(
        'base64url'
    );
}

function decodeCursor(value: string): PeopleCursor {
    try {
        const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
        if (
            Array.isArray(parsed) &&
            parsed.length === 3 &&
            parsed.every((part): part is string => typeof part === 'string')
        ) {
            return { email: parsed[0]!, sessionId: parsed[1]!, personId: parsed[2]! };
        }
    } catch {
        // fall through
    }
    throw new InvalidCursorError('cursor is not one this listener produced: start again without a cursor');
}

/**
 * Searches people and computes their statuses: what `GET /admin/api/people` and `livestorm-sf people show` return.
 * Ordered by e-mail (lower-cased), then session and person, so one person's sessions come together.
 * @param query.q case-insensitive substring of the e-mail or name; absent or blank matches everyone
 * @param query.limit default 50, clamped to 1…500
 * @param query.cursor the `nextCursor` of the previous page
 * @returns the page and the cursor of the next one (null on the last page)
 * @throws InvalidCursorError when the cursor was not produced here
 * @example
 * const { people, nextCursor } = await searchPersonStatuses(deps, { q: 'sam.twice@', limit: 50 });
 */
export async function searchPersonStatuses(
    deps: PersonStatusDeps,
    query: PeopleSearch = {}
): Promise<{ people: PersonStatus[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(Math.trunc(query.limit ?? DEFAULT_PEOPLE_LIMIT), 1), MAX_PEOPLE_LIMIT);
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    // One row more than asked says whether another page exists.
    const rows = await deps.store.searchPeople({
        limit: limit + 1,
        ...(query.q !== undefined ? { q: query.q } : {}),
        ...(query.sessionId !== undefined ? { sessionId: query.sessionId } : {}),
        ...(after ? { after } : {})
    });
    const page = rows.slice(0, limit);
    const ctx = await statusContext(deps);
    const sessionIds = [...new Set(page.map((row) => row.sessionId))];
    const sessions = new Map((await deps.store.getSessions(sessionIds)).map((row) => [row.sessionId, row]));
    const events = new Map<string, EventRow | undefined>();
    for (const eventId of new Set(page.map((row) => sessions.get(row.sessionId)?.eventId ?? row.eventId))) {
        events.set(eventId, await deps.store.getEvent(eventId));
    }
    const people = page.map((row) => {
        const session = sessions.get(row.sessionId);
        return personStatus(row, session, events.get(session?.eventId ?? row.eventId), ctx);
    });
    const last = page.at(-1);
    const nextCursor =
        rows.length > limit && last
            ? encodeCursor({
                  email: personSearchKeys(last.state).search_email,
                  sessionId: last.sessionId,
                  personId: last.personId
              })
            : null;
    return { people, nextCursor };
}

/**
 * Every person of the given sessions (or of all sessions), with their statuses: for checks over a whole store such as
 * the end-to-end invariant, and `people show` without a query. Reads page by page.
 */
export async function allPersonStatuses(
    deps: PersonStatusDeps,
    filter: { sessionId?: string } = {}
): Promise<PersonStatus[]> {
    const all: PersonStatus[] = [];
    let cursor: string | null = null;
    do {
        const page: { people: PersonStatus[]; nextCursor: string | null } = await searchPersonStatuses(deps, {
            limit: MAX_PEOPLE_LIMIT,
            ...(filter.sessionId !== undefined ? { sessionId: filter.sessionId } : {}),
            cursor
        });
        all.push(...page.people);
        cursor = page.nextCursor;
    } while (cursor !== null);
    return all;
}

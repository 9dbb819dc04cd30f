// The one mapping between the store's rows and their columns, for both dialects: readers accept what either driver
// hands back (see SqlRow), writers produce parameters both accept (JSON as text, booleans as booleans).
import { personSearchKeys } from './search.ts';
import type { SqlRow, SqlValue } from './sql.ts';
import type { PersonState, SessionState } from './state.ts';
import type {
    Delivery,
    DeliveryState,
    EventRow,
    PersonRow,
    SessionRow,
    SetAside,
    SyncFailure,
    SyncLogEntry
} from './store.ts';

/** A registration with no known date sorts after every dated one (an integer column indexes well, NULLS LAST does not). */
export const UNKNOWN_REGISTRATION_ORDER = Number.MAX_SAFE_INTEGER;

export function text(value: unknown): string {
    if (typeof value !== 'string') throw new Error(`expected a text column, got ${typeof value}`);
    return value;
}

export function textOrNull(value: unknown): string | null {
    return value === null || value === undefined ? null : text(value);
}

/** INTEGER/BIGINT columns and counts: numbers in SQLite, decimal strings for PostgreSQL's BIGINT and count(*). */
export function num(value: unknown): number {
    if (typeof value === 'number') return value;
    if (typeof value === 'bigint') return Number(value);
    if (typeof value === 'string' && value !== '') return Number(value);
    throw new Error(`expected a numeric column, got ${typeof value}`);
}

export function numOrNull(value: unknown): number | null {
    return value === null || value === undefined ? null : num(value);
}

/** BOOLEAN in PostgreSQL, 0/1 in SQLite. */
export function bool(value: unknown): boolean {
    if (typeof value === 'boolean') return value;
    if (value === 0 || value === 1) return value === 1;
    throw new Error(`expected a boolean column, got ${typeof value}`);
}

export function boolOrNull(value: unknown): boolean | null {
    return value === null || value === undefined ? null : bool(value);
}

/** JSONB arrives parsed from PostgreSQL, as text from SQLite. */
export function json<T>(value: unknown): T {
    if (typeof value === 'string') return JSON.parse(value) as T;
    if (value === null || value === undefined) throw new Error('expected a JSON column, got null');
    return value as T;
}

export function jsonOrNull<T>(value: unknown): T | null {
    return value === null || value === undefined ? null : json<T>(value);
}

/** A JSON column's parameter: its JSON text (PostgreSQL parses it into the JSONB column). */
export function jsonParam(value: unknown): string | null {
    return value === null || value === undefined ? null : JSON.stringify(value);
}

export function deliveryOf(row: SqlRow): Delivery {
    return {
        id: num(row.id),
        receivedAt: num(row.received_at),
        event: textOrNull(row.event),
        body: text(row.body),
        state: text(row.state) as DeliveryState,
        error: textOrNull(row.error)
    };
}

export function eventOf(row: SqlRow): EventRow {
    return {
        eventId: text(row.event_id),
        title: textOrNull(row.title),
        onDemand: bool(row.on_demand),
        registrationLink: textOrNull(row.registration_link),
        enabled: boolOrNull(row.enabled),
        fetchedAt: numOrNull(row.fetched_at)
    };
}

export function sessionOf(row: SqlRow): SessionRow {
    return {
        sessionId: text(row.session_id),
        eventId: text(row.event_id),
        state: json<SessionState>(row.state),
        version: num(row.version),
        syncedVersion: num(row.synced_version),
        campaignId: textOrNull(row.campaign_id),
        campaignCreatedByUs: bool(row.campaign_created_by_us),
        campaignName: textOrNull(row.campaign_name),
        statusesReady: bool(row.statuses_ready),
        failure: jsonOrNull<SyncFailure>(row.failure),
        setAside: jsonOrNull<SetAside>(row.set_aside)
    };
}

export function personOf(row: SqlRow): PersonRow {
    return {
        sessionId: text(row.session_id),
        personId: text(row.person_id),
        eventId: text(row.event_id),
        state: json<PersonState>(row.state),
        version: num(row.version),
        syncedVersion: num(row.synced_version),
        sfObject: textOrNull(row.sf_object) as PersonRow['sfObject'],
        sfId: textOrNull(row.sf_id),
        memberId: textOrNull(row.member_id),
        failure: jsonOrNull<SyncFailure>(row.failure),
        warnings: json<string[]>(row.warnings),
        memberStatus: textOrNull(row.member_status),
        writtenAt: numOrNull(row.written_at)
    };
}

export function syncLogEntryOf(row: SqlRow): SyncLogEntry {
    return {
        at: num(row.at),
        sessionId: textOrNull(row.session_id),
        kind: text(row.kind),
        apiCalls: num(row.api_calls),
        ok: num(row.ok),
        failed: num(row.failed),
        message: text(row.message)
    };
}

/** Column name → parameter, in the order the columns are listed. */
export type Columns = Record<string, SqlValue>;

function failureColumns(failure: SyncFailure | null) {
    return {
        failure: jsonParam(failure),
        next_attempt_at: failure === null ? null : failure.nextAttemptAt,
        failed_at: failure === null ? null : failure.at
    };
}

/** The columns the sync owns on a person (written by saveSyncedPeople, never by a fold of an existing row). */
export function personSyncColumns(row: PersonRow): Columns {
    return {
        session_id: row.sessionId,
        person_id: row.personId,
        synced_version: row.syncedVersion,
        sf_object: row.sfObject,
        sf_id: row.sfId,
        member_id: row.memberId,
        ...failureColumns(row.failure),
        warnings: jsonParam(row.warnings),
        member_status: row.memberStatus,
        written_at: row.writtenAt
    };
}

export function personColumns(row: PersonRow): Columns {
    return {
        ...personSyncColumns(row),
        ...personSearchKeys(row.state),
        event_id: row.eventId,
        state: jsonParam(row.state),
        version: row.version,
        role: row.state.role,
        attendance: row.state.attendance,
        replay_watched: row.state.replayWatched,
        registration_order: row.state.registeredAt ?? UNKNOWN_REGISTRATION_ORDER
    };
}

/** The columns the sync owns on a session (written by saveSyncedSession). */
export function sessionSyncColumns(row: SessionRow): Columns {
    const { failure, next_attempt_at } = failureColumns(row.failure);
    return {
        session_id: row.sessionId,
        synced_version: row.syncedVersion,
        campaign_id: row.campaignId,
        campaign_created_by_us: row.campaignCreatedByUs,
        campaign_name: row.campaignName,
        statuses_ready: row.statusesReady,
        failure,
        next_attempt_at,
        set_aside: jsonParam(row.setAside)
    };
}

export function sessionColumns(row: SessionRow): Columns {
    return {
        ...sessionSyncColumns(row),
        event_id: row.eventId,
        state: jsonParam(row.state),
        version: row.version
    };
}

export function eventColumns(row: EventRow): Columns {
    return {
        event_id: row.eventId,
        title: row.title,
        on_demand: row.onDemand,
        registration_link: row.registrationLink,
        enabled: row.enabled,
        fetched_at: row.fetchedAt
    };
}

// The PostgreSQL store: the same contract as the embedded one, for several listener instances sharing one database.
// Writes of many rows are one statement over a JSON array (jsonb_to_recordset) instead of one round trip per row.
import pg from 'pg';
import type { PoolClient } from 'pg';
import type { PersonState, SessionState } from './state.ts';
import { personSearchKeys } from './search.ts';
import type {
    Delivery,
    DeliveryState,
    EventRow,
    FoldCommit,
    PersonRow,
    SessionRow,
    SetAside,
    Store,
    SyncFailure,
    SyncLogEntry
} from './store.ts';

/** A registration with no known date sorts after every dated one. */
const UNKNOWN_REGISTRATION_ORDER = Number.MAX_SAFE_INTEGER;

/** Rows per multi-row statement: keeps one JSON parameter well under a few MB. */
const ROWS_PER_STATEMENT = 500;

/** Serialises schema changes of instances starting at the same time (an arbitrary, fixed advisory lock key). */
const MIGRATION_LOCK_KEY = 7_351_902_114;

// Each entry moves the schema one version forward; an applied entry is never edited, a change is a new entry.
// Identifiers use the "C" collation: byte order like SQLite's, and cheaper btree comparisons. No foreign keys: a
// registration can be folded before its session or event is known. The partial indexes hold only rows with sync work
// to do; role/attendance/replay_watched are copies of `state` fields so sessionCounts reads an index.
const MIGRATIONS: readonly string[] = [
    `
    CREATE TABLE deliveries (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        received_at BIGINT NOT NULL,
        event TEXT,
        body TEXT NOT NULL,
        body_hash TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'quarantined')),
        error TEXT
    );
    CREATE INDEX deliveries_by_state ON deliveries (state, id);

    CREATE TABLE events (
        event_id TEXT COLLATE "C" PRIMARY KEY,
        title TEXT,
        on_demand BOOLEAN NOT NULL,
        registration_link TEXT,
        enabled BOOLEAN,
        fetched_at BIGINT
    );

    CREATE TABLE sessions (
        session_id TEXT COLLATE "C" PRIMARY KEY,
        event_id TEXT COLLATE "C" NOT NULL,
        state JSONB NOT NULL,
        version INTEGER NOT NULL,
        synced_version INTEGER NOT NULL,
        campaign_id TEXT,
        campaign_created_by_us BOOLEAN NOT NULL,
        statuses_ready BOOLEAN NOT NULL,
        failure JSONB,
        next_attempt_at BIGINT
    );
    CREATE INDEX sessions_by_event ON sessions (event_id);
    CREATE INDEX sessions_dirty ON sessions (session_id, next_attempt_at) WHERE version > synced_version;

    CREATE TABLE people (
        session_id TEXT COLLATE "C" NOT NULL,
        person_id TEXT COLLATE "C" NOT NULL,
        event_id TEXT COLLATE "C" NOT NULL,
        state JSONB NOT NULL,
        version INTEGER NOT NULL,
        synced_version INTEGER NOT NULL,
        sf_object TEXT CHECK (sf_object IN ('Lead', 'Contact')),
        sf_id TEXT,
        member_id TEXT,
        failure JSONB,
        next_attempt_at BIGINT,
        failed_at BIGINT,
        role TEXT NOT NULL,
        attendance TEXT NOT NULL,
        replay_watched BOOLEAN NOT NULL,
        registration_order BIGINT NOT NULL,
        PRIMARY KEY (session_id, person_id)
    );
    CREATE INDEX people_dirty ON people (session_id, registration_order, person_id, next_attempt_at)
        WHERE version > synced_version;
    CREATE INDEX people_failed ON people (failed_at) WHERE failure IS NOT NULL;
    CREATE INDEX people_counts ON people (session_id, role, attendance, replay_watched);

    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value JSONB NOT NULL
    );

    CREATE TABLE sync_log (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at BIGINT NOT NULL,
        session_id TEXT,
        kind TEXT NOT NULL,
        api_calls INTEGER NOT NULL,
        ok INTEGER NOT NULL,
        failed INTEGER NOT NULL,
        message TEXT NOT NULL
    );
    `,
    // The person status: warnings, the member status last written and when; sessions set aside with their reason;
    // the people search reads (search_email, session_id, person_id) in order and filters on the lower-cased e-mail
    // and name held in the same index, so a page never reads the rows it skips.
    `
    ALTER TABLE people ADD COLUMN warnings JSONB NOT NULL DEFAULT '[]';
    ALTER TABLE people ADD COLUMN member_status TEXT;
    ALTER TABLE people ADD COLUMN written_at BIGINT;
    ALTER TABLE people ADD COLUMN search_email TEXT COLLATE "C" NOT NULL DEFAULT '';
    ALTER TABLE people ADD COLUMN search_name TEXT COLLATE "C" NOT NULL DEFAULT '';
    UPDATE people SET
        search_email = lower(coalesce(state->>'email', '')),
        search_name = lower(trim(coalesce(state->>'firstName', '') || ' ' || coalesce(state->>'lastName', '')));
    CREATE INDEX people_search ON people (search_email, session_id, person_id, search_name);
    ALTER TABLE sessions ADD COLUMN set_aside JSONB;
    `
];

// What pg hands back: BIGINT as a decimal string, JSONB already parsed.
type PgValue = string | number | boolean | null | object;
type PgRow = Record<string, PgValue>;

function text(value: PgValue | undefined): string {
    if (typeof value !== 'string') throw new Error(`expected a text column, got ${typeof value}`);
    return value;
}

function textOrNull(value: PgValue | undefined): string | null {
    return value === null || value === undefined ? null : text(value);
}

function num(value: PgValue | undefined): number {
    if (typeof value === 'number') return value;
    if (typeof value === 'string' && value !== '') return Number(value);
    throw new Error(`expected a numeric column, got ${typeof value}`);
}

function numOrNull(value: PgValue | undefined): number | null {
    return value === null || value === undefined ? null : num(value);
}

function bool(value: PgValue | undefined): boolean {
    if (typeof value !== 'boolean') throw new Error(`expected a boolean column, got ${typeof value}`);
    return value;
}

function deliveryOf(row: PgRow): Delivery {
    return {
        id: num(row.id),
        receivedAt: num(row.received_at),
        event: textOrNull(row.event),
        body: text(row.body),
        state: text(row.state) as DeliveryState,
        error: textOrNull(row.error)
    };
}

function eventOf(row: PgRow): EventRow {
    return {
        eventId: text(row.event_id),
        title: textOrNull(row.title),
        onDemand: bool(row.on_demand),
        registrationLink: textOrNull(row.registration_link),
        enabled: row.enabled === null ? null : bool(row.enabled),
        fetchedAt: numOrNull(row.fetched_at)
    };
}

function sessionOf(row: PgRow): SessionRow {
    return {
        sessionId: text(row.session_id),
        eventId: text(row.event_id),
        state: row.state as SessionState,
        version: num(row.version),
        syncedVersion: num(row.synced_version),
        campaignId: textOrNull(row.campaign_id),
        campaignCreatedByUs: bool(row.campaign_created_by_us),
        statusesReady: bool(row.statuses_ready),
        failure: (row.failure ?? null) as SyncFailure | null,
        setAside: (row.set_aside ?? null) as SetAside | null
    };
}

function personOf(row: PgRow): PersonRow {
    return {
        sessionId: text(row.session_id),
        personId: text(row.person_id),
        eventId: text(row.event_id),
        state: row.state as PersonState,
        version: num(row.version),
        syncedVersion: num(row.synced_version),
        sfObject: textOrNull(row.sf_object) as PersonRow['sfObject'],
        sfId: textOrNull(row.sf_id),
        memberId: textOrNull(row.member_id),
        failure: (row.failure ?? null) as SyncFailure | null,
        warnings: row.warnings as string[],
        memberStatus: textOrNull(row.member_status),
        writtenAt: numOrNull(row.written_at)
    };
}

function syncLogEntryOf(row: PgRow): SyncLogEntry {
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

function failureColumns(failure: SyncFailure | null) {
    return {
        failure,
        next_attempt_at: failure === null ? null : failure.nextAttemptAt,
        failed_at: failure === null ? null : failure.at
    };
}

function personSyncColumns(row: PersonRow) {
    return {
        session_id: row.sessionId,
        person_id: row.personId,
        synced_version: row.syncedVersion,
        sf_object: row.sfObject,
        sf_id: row.sfId,
        member_id: row.memberId,
        ...failureColumns(row.failure),
        warnings: row.warnings,
        member_status: row.memberStatus,
        written_at: row.writtenAt
    };
}

function sessionSyncColumns(row: SessionRow) {
    const { failure, next_attempt_at } = failureColumns(row.failure);
    return {
        session_id: row.sessionId,
        synced_version: row.syncedVersion,
        campaign_id: row.campaignId,
        campaign_created_by_us: row.campaignCreatedByUs,
        statuses_ready: row.statusesReady,
        failure,
        next_attempt_at,
        set_aside: row.setAside
    };
}

function chunks<T>(rows: readonly T[]): T[][] {
    const result: T[][] = [];
    for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
        result.push(rows.slice(start, start + ROWS_PER_STATEMENT));
    }
    return result;
}

function assertUniqueKeys<T>(rows: readonly T[], what: string, keyOf: (row: T) => string): void {
    const seen = new Set<string>();
    for (const row of rows) {
        const key = keyOf(row);
        if (seen.has(key)) throw new Error(`commitFold: ${what} ${key} appears twice in one commit`);
        seen.add(key);
    }
}

const SESSION_RECORD = `session_id text, event_id text, state jsonb, version integer, synced_version integer,
    campaign_id text, campaign_created_by_us boolean, statuses_ready boolean, failure jsonb, next_attempt_at bigint,
    set_aside jsonb`;

const PERSON_RECORD = `session_id text, person_id text, event_id text, state jsonb, version integer,
    synced_version integer, sf_object text, sf_id text, member_id text, failure jsonb, next_attempt_at bigint,
    failed_at bigint, warnings jsonb, member_status text, written_at bigint, role text, attendance text,
    replay_watched boolean, registration_order bigint, search_email text, search_name text`;

const PERSON_SYNC_RECORD = `session_id text, person_id text, synced_version integer, sf_object text, sf_id text,
    member_id text, failure jsonb, next_attempt_at bigint, failed_at bigint, warnings jsonb, member_status text,
    written_at bigint`;

async function migrate(pool: pg.Pool): Promise<void> {
    const client = await pool.connect();
    try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
        await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
        const { rows } = await client.query<PgRow>('SELECT max(version) AS version FROM schema_version');
        const current = numOrNull(rows[0]?.version) ?? 0;
        if (current > MIGRATIONS.length) {
            throw new Error(
                `database schema version ${current} is newer than this listener (${MIGRATIONS.length})`
            );
        }
        for (let version = current + 1; version <= MIGRATIONS.length; version++) {
            await client.query(MIGRATIONS[version - 1]!);
        }
        if (current < MIGRATIONS.length) {
            await client.query('DELETE FROM schema_version');
            await client.query('INSERT INTO schema_version (version) VALUES ($1)', [MIGRATIONS.length]);
        }
        await client.query('COMMIT');
    } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
    } finally {
        client.release();
    }
}

export async function createPostgresStore(options: { connectionString: string }): Promise<Store> {
    const pool = new pg.Pool({ connectionString: options.connectionString });
    // An idle connection dropped by the server must not crash the process: the next query reports the problem.
    pool.on('error', () => undefined);
    try {
        await migrate(pool);
    } catch (error) {
        await pool.end();
        throw error;
    }

    const query = async (sql: string, params: unknown[] = []): Promise<PgRow[]> =>
        (await pool.query<PgRow>(sql, params)).rows;

    const transaction = async <T>(work: (client: PoolClient) => Promise<T>): Promise<T> => {
        const client = await pool.connect();
        try {
            await client.query('BEGIN');
            const result = await work(client);
            await client.query('COMMIT');
            client.release();
            return result;
        } catch (error) {
            try {
                await client.query('ROLLBACK');
                client.release();
            } catch (rollbackError) {
                client.release(rollbackError instanceof Error ? rollbackError : true);
            }
            throw error;
        }
    };

    const upsertSessions = async (client: PoolClient, rows: SessionRow[]): Promise<void> => {
        for (const chunk of chunks(rows)) {
            const records = chunk.map((row) => ({
                ...sessionSyncColumns(row),
                event_id: row.eventId,
                state: row.state,
                version: row.version
            }));
            await client.query(
                `INSERT INTO sessions (session_id, event_id, state, version, synced_version, campaign_id,
                    campaign_created_by_us, statuses_ready, failure, next_attempt_at, set_aside)
                 SELECT session_id, event_id, state, version, synced_version, campaign_id, campaign_created_by_us,
                    statuses_ready, failure, next_attempt_at, set_aside
                 FROM jsonb_to_recordset($1::jsonb) AS r(${SESSION_RECORD})
                 ON CONFLICT (session_id) DO UPDATE SET
                    event_id = excluded.event_id, state = excluded.state, version = excluded.version`,
                [JSON.stringify(records)]
            );
        }
    };

    const upsertPeople = async (client: PoolClient, rows: PersonRow[]): Promise<void> => {
        for (const chunk of chunks(rows)) {
            const records = chunk.map((row) => ({
                ...personSyncColumns(row),
                ...personSearchKeys(row.state),
                event_id: row.eventId,
                state: row.state,
                version: row.version,
                role: row.state.role,
                attendance: row.state.attendance,
                replay_watched: row.state.replayWatched,
                registration_order: row.state.registeredAt ?? UNKNOWN_REGISTRATION_ORDER
            }));
            await client.query(
                `INSERT INTO people (session_id, person_id, event_id, state, version, synced_version, sf_object,
                    sf_id, member_id, failure, next_attempt_at, failed_at, warnings, member_status, written_at, role,
                    attendance, replay_watched, registration_order, search_email, search_name)
                 SELECT session_id, person_id, event_id, state, version, synced_version, sf_object, sf_id,
                    member_id, failure, next_attempt_at, failed_at, warnings, member_status, written_at, role,
                    attendance, replay_watched, registration_order, search_email, search_name
                 FROM jsonb_to_recordset($1::jsonb) AS r(${PERSON_RECORD})
                 ON CONFLICT (session_id, person_id) DO UPDATE SET
                    event_id = excluded.event_id, state = excluded.state, version = excluded.version,
                    role = excluded.role, attendance = excluded.attendance, replay_watched = excluded.replay_watched,
                    registration_order = excluded.registration_order, search_email = excluded.search_email,
                    search_name = excluded.search_name`,
                [JSON.stringify(records)]
            );
        }
    };

    // A row known only as a placeholder (no title yet) takes the details of a row that has them; the admin's
    // enabled choice survives that, and a row with a title is never touched by a fold.
    const insertEventsIfAbsent = async (client: PoolClient, rows: EventRow[]): Promise<void> => {
        for (const row of rows) {
            await client.query(
                `INSERT INTO events (event_id, title, on_demand, registration_link, enabled, fetched_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (event_id) DO UPDATE SET
                    title = excluded.title, on_demand = excluded.on_demand,
                    registration_link = excluded.registration_link, fetched_at = excluded.fetched_at,
                    enabled = coalesce(events.enabled, excluded.enabled)
                 WHERE events.title IS NULL AND excluded.title IS NOT NULL`,
                eventParams(row)
            );
        }
    };

    const setDeliveryStates = async (client: PoolClient, commit: FoldCommit): Promise<void> => {
        const doneIds = [...new Set(commit.doneDeliveryIds)];
        if (doneIds.length > 0) {
            const done = await client.query(
                `UPDATE deliveries SET state = 'done', error = NULL WHERE id = ANY($1::bigint[])`,
                [doneIds]
            );
            if (done.rowCount !== doneIds.length)
                throw new Error('commitFold: a consumed delivery does not exist');
        }
        for (const { id, reason } of commit.quarantined) {
            const quarantined = await client.query(
                `UPDATE deliveries SET state = 'quarantined', error = $2 WHERE id = $1`,
                [id, reason]
            );
            if (quarantined.rowCount === 0) throw new Error(`commitFold: no delivery ${id}`);
        }
    };

    const store: Store = {
        async appendDelivery(delivery) {
            const inserted = await query(
                `INSERT INTO deliveries (received_at, event, body, body_hash, state, error)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (body_hash) DO NOTHING
                 RETURNING id`,
                [
                    delivery.receivedAt,
                    delivery.event,
                    delivery.body,
                    delivery.bodyHash,
                    delivery.quarantineReason === undefined ? 'pending' : 'quarantined',
                    delivery.quarantineReason ?? null
                ]
            );
            if (inserted[0]) return { id: num(inserted[0].id), duplicate: false };
            const existing = await query('SELECT id FROM deliveries WHERE body_hash = $1', [
                delivery.bodyHash
            ]);
            if (!existing[0]) throw new Error('appendDelivery: a conflicting delivery vanished');
            return { id: num(existing[0].id), duplicate: true };
        },

        // Plain read: one folder per database today. Several folders would claim rows with FOR UPDATE SKIP LOCKED
        // inside their commit transaction instead.
        async pendingDeliveries(limit) {
            const rows = await query(
                `SELECT * FROM deliveries WHERE state = 'pending' ORDER BY id LIMIT $1`,
                [limit]
            );
            return rows.map(deliveryOf);
        },

        // Newest first: this feeds the admin page.
        async listDeliveries(filter) {
            const offset = filter.offset ?? 0;
            const rows =
                filter.state === undefined
                    ? await query('SELECT * FROM deliveries ORDER BY id DESC LIMIT $1 OFFSET $2', [
                          filter.limit,
                          offset
                      ])
                    : await query(
                          'SELECT * FROM deliveries WHERE state = $1 ORDER BY id DESC LIMIT $2 OFFSET $3',
                          [filter.state, filter.limit, offset]
                      );
            return rows.map(deliveryOf);
        },

        async countDeliveries() {
            const counts: Record<DeliveryState, number> = { pending: 0, done: 0, quarantined: 0 };
            for (const row of await query('SELECT state, count(*) AS n FROM deliveries GROUP BY state')) {
                counts[text(row.state) as DeliveryState] = num(row.n);
            }
            return counts;
        },

        // The error stays as the last known reason until the delivery is folded again.
        async requeueDelivery(id) {
            const result = await pool.query(`UPDATE deliveries SET state = 'pending' WHERE id = $1`, [id]);
            return (result.rowCount ?? 0) > 0;
        },

        async commitFold(commit) {
            await transaction(async (client) => {
                assertUniqueKeys(commit.sessions, 'session', (row) => row.sessionId);
                await upsertSessions(client, commit.sessions);
                assertUniqueKeys(commit.people, 'person', (row) => `${row.sessionId}/${row.personId}`);
                await upsertPeople(client, commit.people);
                await insertEventsIfAbsent(client, commit.events);
                await setDeliveryStates(client, commit);
            });
        },

        async getSessions(sessionIds) {
            if (sessionIds.length === 0) return [];
            const rows = await query(
                'SELECT * FROM sessions WHERE session_id = ANY($1::text[]) ORDER BY session_id',
                [sessionIds]
            );
            return rows.map(sessionOf);
        },

        async listSessions(filter) {
            const rows =
                filter?.eventId === undefined
                    ? await query('SELECT * FROM sessions ORDER BY session_id')
                    : await query('SELECT * FROM sessions WHERE event_id = $1 ORDER BY session_id', [
                          filter.eventId
                      ]);
            return rows.map(sessionOf);
        },

        async getPeople(sessionId, personIds) {
            if (personIds === undefined) {
                const rows = await query('SELECT * FROM people WHERE session_id = $1 ORDER BY person_id', [
                    sessionId
                ]);
                return rows.map(personOf);
            }
            if (personIds.length === 0) return [];
            const rows = await query(
                'SELECT * FROM people WHERE session_id = $1 AND person_id = ANY($2::text[]) ORDER BY person_id',
                [sessionId, personIds]
            );
            return rows.map(personOf);
        },

        async peopleLinkedTo(sessionId, sfIds) {
            if (sfIds.length === 0) return [];
            const rows = await query(
                'SELECT * FROM people WHERE session_id = $1 AND sf_id = ANY($2::text[]) ORDER BY person_id',
                [sessionId, sfIds]
            );
            return rows.map(personOf);
        },

        // A session whose own failure is not due waits as a whole (its people need its Campaign); people whose
        // failure is not due do not make their session due on their own. The candidates are the distinct sessions of
        // dirty people, found by jumping from one session to the next in people_dirty (a loose index scan) instead of
        // reading every dirty person: after a large registration burst that is 200 index seeks, not 100,000 rows.
        async dirtySessionIds(now) {
            const rows = await query(
                `WITH RECURSIVE candidates (session_id) AS (
                     SELECT (SELECT min(session_id) FROM people WHERE version > synced_version)
                     UNION ALL
                     SELECT (
                         SELECT min(session_id) FROM people
                         WHERE version > synced_version AND session_id > candidates.session_id
                     )
                     FROM candidates WHERE candidates.session_id IS NOT NULL
                 )
                 SELECT session_id FROM sessions
                 WHERE version > synced_version AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
                   AND set_aside IS NULL
                 UNION
                 SELECT c.session_id FROM candidates c
                 WHERE c.session_id IS NOT NULL
                   AND EXISTS (
                       SELECT 1 FROM people p
                       WHERE p.session_id = c.session_id AND p.version > p.synced_version
                         AND (p.next_attempt_at IS NULL OR p.next_attempt_at <= $1)
                   )
                   AND NOT EXISTS (
                       SELECT 1 FROM sessions s
                       WHERE s.session_id = c.session_id AND (s.next_attempt_at > $1 OR s.set_aside IS NOT NULL)
                   )
                 ORDER BY session_id`,
                [now]
            );
            return rows.map((row) => text(row.session_id));
        },

        async dirtyPeople(sessionId, now, limit) {
            const rows = await query(
                `SELECT * FROM people
                 WHERE session_id = $1 AND version > synced_version
                   AND (next_attempt_at IS NULL OR next_attempt_at <= $2)
                 ORDER BY registration_order, person_id
                 LIMIT $3`,
                [sessionId, now, limit]
            );
            return rows.map(personOf);
        },

        // The SQL is built from which filters are present, so every variant reads the people_search index in order
        // from the cursor on and stops at the limit.
        async searchPeople(search) {
            const q = (search.q ?? '').trim().toLowerCase();
            const conditions: string[] = [];
            const params: unknown[] = [];
            if (search.after) {
                params.push(search.after.email, search.after.sessionId, search.after.personId);
                conditions.push(`(search_email, session_id, person_id) > ($1, $2, $3)`);
            }
            if (search.sessionId !== undefined) {
                params.push(search.sessionId);
                conditions.push(`session_id = $${params.length}`);
            }
            if (q !== '') {
                params.push(q);
                conditions.push(
                    `(strpos(search_email, $${params.length}) > 0 OR strpos(search_name, $${params.length}) > 0)`
                );
            }
            params.push(search.limit);
            const rows = await query(
                `SELECT * FROM people ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
                 ORDER BY search_email, session_id, person_id LIMIT $${params.length}`,
                params
            );
            return rows.map(personOf);
        },

        async saveSyncedPeople(rows) {
            if (rows.length === 0) return;
            await transaction(async (client) => {
                for (const chunk of chunks(rows)) {
                    await client.query(
                        `UPDATE people p SET synced_version = r.synced_version, sf_object = r.sf_object,
                            sf_id = r.sf_id, member_id = r.member_id, failure = r.failure,
                            next_attempt_at = r.next_attempt_at, failed_at = r.failed_at, warnings = r.warnings,
                            member_status = r.member_status, written_at = r.written_at
                         FROM jsonb_to_recordset($1::jsonb) AS r(${PERSON_SYNC_RECORD})
                         WHERE p.session_id = r.session_id AND p.person_id = r.person_id`,
                        [JSON.stringify(chunk.map(personSyncColumns))]
                    );
                }
            });
        },

        async saveSyncedSession(row) {
            const columns = sessionSyncColumns(row);
            await query(
                `UPDATE sessions SET synced_version = $2, campaign_id = $3, campaign_created_by_us = $4,
                    statuses_ready = $5, failure = $6::jsonb, next_attempt_at = $7, set_aside = $8::jsonb
                 WHERE session_id = $1`,
                [
                    columns.session_id,
                    columns.synced_version,
                    columns.campaign_id,
                    columns.campaign_created_by_us,
                    columns.statuses_ready,
                    columns.failure === null ? null : JSON.stringify(columns.failure),
                    columns.next_attempt_at,
                    columns.set_aside === null ? null : JSON.stringify(columns.set_aside)
                ]
            );
        },

        // least(0, version - 1) is "never synced" for every folded row (version >= 1) and still dirty for a row at 0.
        async resetSessionMembers(sessionId) {
            await query(
                `UPDATE people SET synced_version = least(0, version - 1), member_id = NULL, member_status = NULL
                 WHERE session_id = $1`,
                [sessionId]
            );
        },

        async sessionCounts(sessionId) {
            const rows = await query(
                `SELECT count(*) FILTER (WHERE role <> 'team_member') AS registrants,
                        count(*) FILTER (WHERE attendance = 'attended' AND role <> 'team_member') AS attendees,
                        count(*) FILTER (WHERE attendance = 'not_attended' AND role <> 'team_member') AS no_shows,
                        count(*) FILTER (WHERE replay_watched AND role <> 'team_member') AS replay_viewers
                 FROM people WHERE session_id = $1`,
                [sessionId]
            );
            const row = rows[0];
            return {
                registrants: num(row?.registrants),
                attendees: num(row?.attendees),
                noShows: num(row?.no_shows),
                replayViewers: num(row?.replay_viewers)
            };
        },

        async getEvent(eventId) {
            const [row] = await query('SELECT * FROM events WHERE event_id = $1', [eventId]);
            return row ? eventOf(row) : undefined;
        },

        async putEvent(row) {
            await query(
                `INSERT INTO events (event_id, title, on_demand, registration_link, enabled, fetched_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (event_id) DO UPDATE SET
                    title = excluded.title, on_demand = excluded.on_demand,
                    registration_link = excluded.registration_link, enabled = excluded.enabled,
                    fetched_at = excluded.fetched_at`,
                eventParams(row)
            );
        },

        async listEvents() {
            return (await query('SELECT * FROM events ORDER BY event_id')).map(eventOf);
        },

        // An event not seen yet gets a placeholder row so the choice is kept until its details arrive.
        async setEventEnabled(eventId, enabled) {
            await query(
                `INSERT INTO events (event_id, title, on_demand, registration_link, enabled, fetched_at)
                 VALUES ($1, NULL, false, NULL, $2, NULL)
                 ON CONFLICT (event_id) DO UPDATE SET enabled = excluded.enabled`,
                [eventId, enabled]
            );
        },

        async getSetting<T>(key: string) {
            const [row] = await query('SELECT value FROM settings WHERE key = $1', [key]);
            return row ? (row.value as T) : undefined;
        },

        // undefined has no JSON form: storing it removes the key, so getSetting answers undefined again.
        async setSetting(key, value) {
            if (value === undefined) {
                await query('DELETE FROM settings WHERE key = $1', [key]);
                return;
            }
            await query(
                `INSERT INTO settings (key, value) VALUES ($1, $2::jsonb)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
                [key, JSON.stringify(value)]
            );
        },

        async appendSyncLog(entry) {
            await query(
                `INSERT INTO sync_log (at, session_id, kind, api_calls, ok, failed, message)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
                [entry.at, entry.sessionId, entry.kind, entry.apiCalls, entry.ok, entry.failed, entry.message]
            );
        },

        // Newest first, in the order the entries were written.
        async listSyncLog(limit) {
            return (await query('SELECT * FROM sync_log ORDER BY id DESC LIMIT $1', [limit])).map(
                syncLogEntryOf
            );
        },

        async listFailures(limit) {
            const rows = await query(
                `SELECT * FROM people WHERE failure IS NOT NULL
                 ORDER BY failed_at DESC, session_id, person_id LIMIT $1`,
                [limit]
            );
            return rows.map(personOf);
        },

        async close() {
            if (!pool.ended) await pool.end();
        }
    };
    return store;
}

function eventParams(row: EventRow): unknown[] {
    return [row.eventId, row.title, row.onDemand, row.registrationLink, row.enabled, row.fetchedAt];
}

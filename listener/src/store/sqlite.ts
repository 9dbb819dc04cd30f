// The embedded store: one node:sqlite file, WAL with synchronous=FULL, so a delivery is on disk when appendDelivery
// resolves. DatabaseSync is synchronous: no statement of one call can interleave with another call's transaction in
// this process; BEGIN IMMEDIATE and busy_timeout cover a second process (a CLI) opening the same file.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { SQLInputValue, SQLOutputValue, StatementSync } from 'node:sqlite';
import type { PersonState, SessionState } from './state.ts';
import { personSearchKeys } from './search.ts';
import type {
    Delivery,
    DeliveryState,
    EventRow,
    FoldCommit,
    NewDelivery,
    PersonRow,
    SessionCounts,
    SessionRow,
    SetAside,
    Store,
    SyncFailure,
    SyncLogEntry
} from './store.ts';

export const SQLITE_FILE_NAME = 'livestorm-sf.sqlite';

/** A registration with no known date sorts after every dated one (an integer column indexes well, NULLS LAST does not). */
const UNKNOWN_REGISTRATION_ORDER = Number.MAX_SAFE_INTEGER;

// Each entry moves the schema one version forward; an applied entry is never edited, a change is a new entry.
//
// No foreign keys between people, sessions and events on purpose: a registration can be folded before its session or
// event is known, and the row must be storable then.
//
// A plain INTEGER PRIMARY KEY could only hand out an id again after the newest row is deleted, and deliveries are never
// deleted; AUTOINCREMENT would cost one more page write (sqlite_sequence) in every durable append.
//
// Dirty selection runs every few hundred ms: the partial indexes on `version > synced_version` hold only rows with
// work to do, ordered the way dirtyPeople reads them. The role/attendance/replay columns are copies of fields of
// `state` so sessionCounts is a covering-index scan instead of JSON parsing.
const MIGRATIONS: readonly string[] = [
    `
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        received_at INTEGER NOT NULL,
        event TEXT,
        body TEXT NOT NULL,
        body_hash TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'quarantined')),
        error TEXT
    );
    CREATE INDEX deliveries_by_state ON deliveries (state, id);

    CREATE TABLE events (
        event_id TEXT PRIMARY KEY,
        title TEXT,
        on_demand INTEGER NOT NULL,
        registration_link TEXT,
        enabled INTEGER,
        fetched_at INTEGER
    );

    CREATE TABLE sessions (
        session_id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL,
        state TEXT NOT NULL,
        version INTEGER NOT NULL,
        synced_version INTEGER NOT NULL,
        campaign_id TEXT,
        campaign_created_by_us INTEGER NOT NULL,
        statuses_ready INTEGER NOT NULL,
        failure TEXT,
        next_attempt_at INTEGER
    );
    CREATE INDEX sessions_by_event ON sessions (event_id);
    CREATE INDEX sessions_dirty ON sessions (session_id, next_attempt_at) WHERE version > synced_version;

    CREATE TABLE people (
        session_id TEXT NOT NULL,
        person_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        state TEXT NOT NULL,
        version INTEGER NOT NULL,
        synced_version INTEGER NOT NULL,
        sf_object TEXT CHECK (sf_object IN ('Lead', 'Contact')),
        sf_id TEXT,
        member_id TEXT,
        failure TEXT,
        next_attempt_at INTEGER,
        failed_at INTEGER,
        role TEXT NOT NULL,
        attendance TEXT NOT NULL,
        replay_watched INTEGER NOT NULL,
        registration_order INTEGER NOT NULL,
        PRIMARY KEY (session_id, person_id)
    );
    CREATE INDEX people_dirty ON people (session_id, registration_order, person_id, next_attempt_at)
        WHERE version > synced_version;
    CREATE INDEX people_failed ON people (failed_at) WHERE failure IS NOT NULL;
    CREATE INDEX people_counts ON people (session_id, role, attendance, replay_watched);

    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );

    CREATE TABLE sync_log (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
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
    ALTER TABLE people ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE people ADD COLUMN member_status TEXT;
    ALTER TABLE people ADD COLUMN written_at INTEGER;
    ALTER TABLE people ADD COLUMN search_email TEXT NOT NULL DEFAULT '';
    ALTER TABLE people ADD COLUMN search_name TEXT NOT NULL DEFAULT '';
    UPDATE people SET
        search_email = lower(coalesce(json_extract(state, '$.email'), '')),
        search_name = lower(trim(coalesce(json_extract(state, '$.firstName'), '') || ' ' ||
            coalesce(json_extract(state, '$.lastName'), '')));
    CREATE INDEX people_search ON people (search_email, session_id, person_id, search_name);
    ALTER TABLE sessions ADD COLUMN set_aside TEXT;
    `
];

type SqlRow = Record<string, SQLOutputValue>;
type SqlParams = Record<string, SQLInputValue>;

function text(value: SQLOutputValue | undefined): string {
    if (typeof value !== 'string') throw new Error(`expected a text column, got ${typeof value}`);
    return value;
}

function textOrNull(value: SQLOutputValue | undefined): string | null {
    return value === null || value === undefined ? null : text(value);
}

function int(value: SQLOutputValue | undefined): number {
    if (typeof value !== 'number') throw new Error(`expected an integer column, got ${typeof value}`);
    return value;
}

function intOrNull(value: SQLOutputValue | undefined): number | null {
    return value === null || value === undefined ? null : int(value);
}

function flag(value: boolean): number {
    return value ? 1 : 0;
}

function failureOf(value: SQLOutputValue | undefined): SyncFailure | null {
    const json = textOrNull(value);
    return json === null ? null : (JSON.parse(json) as SyncFailure);
}

function setAsideOf(value: SQLOutputValue | undefined): SetAside | null {
    const json = textOrNull(value);
    return json === null ? null : (JSON.parse(json) as SetAside);
}

function deliveryOf(row: SqlRow): Delivery {
    return {
        id: int(row.id),
        receivedAt: int(row.received_at),
        event: textOrNull(row.event),
        body: text(row.body),
        state: text(row.state) as DeliveryState,
        error: textOrNull(row.error)
    };
}

function eventOf(row: SqlRow): EventRow {
    const enabled = intOrNull(row.enabled);
    return {
        eventId: text(row.event_id),
        title: textOrNull(row.title),
        onDemand: int(row.on_demand) === 1,
        registrationLink: textOrNull(row.registration_link),
        enabled: enabled === null ? null : enabled === 1,
        fetchedAt: intOrNull(row.fetched_at)
    };
}

function sessionOf(row: SqlRow): SessionRow {
    return {
        sessionId: text(row.session_id),
        eventId: text(row.event_id),
        state: JSON.parse(text(row.state)) as SessionState,
        version: int(row.version),
        syncedVersion: int(row.synced_version),
        campaignId: textOrNull(row.campaign_id),
        campaignCreatedByUs: int(row.campaign_created_by_us) === 1,
        statusesReady: int(row.statuses_ready) === 1,
        failure: failureOf(row.failure),
        setAside: setAsideOf(row.set_aside)
    };
}

function personOf(row: SqlRow): PersonRow {
    return {
        sessionId: text(row.session_id),
        personId: text(row.person_id),
        eventId: text(row.event_id),
        state: JSON.parse(text(row.state)) as PersonState,
        version: int(row.version),
        syncedVersion: int(row.synced_version),
        sfObject: textOrNull(row.sf_object) as PersonRow['sfObject'],
        sfId: textOrNull(row.sf_id),
        memberId: textOrNull(row.member_id),
        failure: failureOf(row.failure),
        warnings: JSON.parse(text(row.warnings)) as string[],
        memberStatus: textOrNull(row.member_status),
        writtenAt: intOrNull(row.written_at)
    };
}

function syncLogEntryOf(row: SqlRow): SyncLogEntry {
    return {
        at: int(row.at),
        sessionId: textOrNull(row.session_id),
        kind: text(row.kind),
        apiCalls: int(row.api_calls),
        ok: int(row.ok),
        failed: int(row.failed),
        message: text(row.message)
    };
}

function failureColumns(failure: SyncFailure | null): {
    failure: string | null;
    next_attempt_at: number | null;
    failed_at: number | null;
} {
    return {
        failure: failure === null ? null : JSON.stringify(failure),
        next_attempt_at: failure === null ? null : failure.nextAttemptAt,
        failed_at: failure === null ? null : failure.at
    };
}

function personSyncColumns(row: PersonRow): SqlParams {
    return {
        session_id: row.sessionId,
        person_id: row.personId,
        synced_version: row.syncedVersion,
        sf_object: row.sfObject,
        sf_id: row.sfId,
        member_id: row.memberId,
        ...failureColumns(row.failure),
        warnings: JSON.stringify(row.warnings),
        member_status: row.memberStatus,
        written_at: row.writtenAt
    };
}

function sessionSyncColumns(row: SessionRow): SqlParams {
    const { failure, next_attempt_at } = failureColumns(row.failure);
    return {
        session_id: row.sessionId,
        synced_version: row.syncedVersion,
        campaign_id: row.campaignId,
        campaign_created_by_us: flag(row.campaignCreatedByUs),
        statuses_ready: flag(row.statusesReady),
        failure,
        next_attempt_at,
        set_aside: row.setAside === null ? null : JSON.stringify(row.setAside)
    };
}

function duplicateKeyGuard(what: string): (key: string) => void {
    const seen = new Set<string>();
    return (key) => {
        if (seen.has(key)) throw new Error(`commitFold: ${what} ${key} appears twice in one commit`);
        seen.add(key);
    };
}

function migrate(db: DatabaseSync): void {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    db.exec('BEGIN IMMEDIATE');
    try {
        // Read inside the write lock: a second process opening the file at the same time migrates nothing twice.
        const row = db.prepare('SELECT max(version) AS version FROM schema_version').get();
        const current = intOrNull(row?.version) ?? 0;
        if (current > MIGRATIONS.length) {
            throw new Error(
                `database schema version ${current} is newer than this listener (${MIGRATIONS.length})`
            );
        }
        for (let version = current + 1; version <= MIGRATIONS.length; version++) {
            db.exec(MIGRATIONS[version - 1]!);
        }
        if (current < MIGRATIONS.length) {
            db.prepare('DELETE FROM schema_version').run();
            db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(MIGRATIONS.length);
        }
        db.exec('COMMIT');
    } catch (error) {
        db.exec('ROLLBACK');
        throw error;
    }
}

export async function createSqliteStore(options: { dataDir: string }): Promise<Store> {
    mkdirSync(options.dataDir, { recursive: true });
    const db = new DatabaseSync(path.join(options.dataDir, SQLITE_FILE_NAME));
    try {
        db.exec('PRAGMA journal_mode = WAL');
        db.exec('PRAGMA synchronous = FULL');
        db.exec('PRAGMA busy_timeout = 5000');
        db.exec('PRAGMA foreign_keys = ON');
        migrate(db);
    } catch (error) {
        db.close();
        throw error;
    }

    const statements = new Map<string, StatementSync>();
    const statement = (sql: string): StatementSync => {
        let prepared = statements.get(sql);
        if (!prepared) {
            prepared = db.prepare(sql);
            statements.set(sql, prepared);
        }
        return prepared;
    };

    const transaction = <T>(work: () => T): T => {
        db.exec('BEGIN IMMEDIATE');
        try {
            const result = work();
            db.exec('COMMIT');
            return result;
        } catch (error) {
            if (db.isTransaction) db.exec('ROLLBACK');
            throw error;
        }
    };

    const upsertSession = (row: SessionRow): void => {
        statement(
            `INSERT INTO sessions (session_id, event_id, state, version, synced_version, campaign_id,
                campaign_created_by_us, statuses_ready, failure, next_attempt_at, set_aside)
             VALUES (:session_id, :event_id, :state, :version, :synced_version, :campaign_id,
                :campaign_created_by_us, :statuses_ready, :failure, :next_attempt_at, :set_aside)
             ON CONFLICT (session_id) DO UPDATE SET
                event_id = excluded.event_id, state = excluded.state, version = excluded.version`
        ).run({
            ...sessionSyncColumns(row),
            event_id: row.eventId,
            state: JSON.stringify(row.state),
            version: row.version
        });
    };

    const upsertPerson = (row: PersonRow): void => {
        statement(
            `INSERT INTO people (session_id, person_id, event_id, state, version, synced_version, sf_object, sf_id,
                member_id, failure, next_attempt_at, failed_at, warnings, member_status, written_at, role, attendance,
                replay_watched, registration_order, search_email, search_name)
             VALUES (:session_id, :person_id, :event_id, :state, :version, :synced_version, :sf_object, :sf_id,
                :member_id, :failure, :next_attempt_at, :failed_at, :warnings, :member_status, :written_at, :role,
                :attendance, :replay_watched, :registration_order, :search_email, :search_name)
             ON CONFLICT (session_id, person_id) DO UPDATE SET
                event_id = excluded.event_id, state = excluded.state, version = excluded.version,
                role = excluded.role, attendance = excluded.attendance, replay_watched = excluded.replay_watched,
                registration_order = excluded.registration_order, search_email = excluded.search_email,
                search_name = excluded.search_name`
        ).run({
            ...personSyncColumns(row),
            ...personSearchKeys(row.state),
            event_id: row.eventId,
            state: JSON.stringify(row.state),
            version: row.version,
            role: row.state.role,
            attendance: row.state.attendance,
            replay_watched: flag(row.state.replayWatched),
            registration_order: row.state.registeredAt ?? UNKNOWN_REGISTRATION_ORDER
        });
    };

    // A row known only as a placeholder (no title yet) takes the details of a row that has them; the admin's
    // enabled choice survives that, and a row with a title is never touched by a fold.
    const insertEventIfAbsent = (row: EventRow): void => {
        statement(
            `INSERT INTO events (event_id, title, on_demand, registration_link, enabled, fetched_at)
             VALUES (:event_id, :title, :on_demand, :registration_link, :enabled, :fetched_at)
             ON CONFLICT (event_id) DO UPDATE SET
                title = excluded.title, on_demand = excluded.on_demand,
                registration_link = excluded.registration_link, fetched_at = excluded.fetched_at,
                enabled = coalesce(events.enabled, excluded.enabled)
             WHERE events.title IS NULL AND excluded.title IS NOT NULL`
        ).run(eventColumns(row));
    };

    const insertDelivery = (delivery: NewDelivery): { id: number; duplicate: boolean } => {
        const inserted = statement(
            `INSERT INTO deliveries (received_at, event, body, body_hash, state, error)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (body_hash) DO NOTHING
             RETURNING id`
        ).get(
            delivery.receivedAt,
            delivery.event,
            delivery.body,
            delivery.bodyHash,
            delivery.quarantineReason === undefined ? 'pending' : 'quarantined',
            delivery.quarantineReason ?? null
        );
        if (inserted) return { id: int(inserted.id), duplicate: false };
        const existing = statement('SELECT id FROM deliveries WHERE body_hash = ?').get(delivery.bodyHash);
        if (!existing) throw new Error('appendDelivery: a conflicting delivery vanished');
        return { id: int(existing.id), duplicate: true };
    };

    // Group commit: deliveries that arrive while the event loop is busy share one transaction, hence one fsync.
    // Each promise still resolves only after its row is committed; under load this multiplies durable throughput.
    type PendingAppend = {
        delivery: NewDelivery;
        resolve: (value: { id: number; duplicate: boolean }) => void;
        reject: (error: unknown) => void;
    };
    let appendQueue: PendingAppend[] = [];
    const flushAppends = () => {
        const batch = appendQueue;
        appendQueue = [];
        try {
            const results = transaction(() => batch.map((entry) => insertDelivery(entry.delivery)));
            batch.forEach((entry, index) => entry.resolve(results[index]!));
        } catch (error) {
            batch.forEach((entry) => entry.reject(error));
        }
    };

    const store: Store = {
        appendDelivery(delivery) {
            return new Promise((resolve, reject) => {
                appendQueue.push({ delivery, resolve, reject });
                if (appendQueue.length === 1) setImmediate(flushAppends);
            });
        },

        async pendingDeliveries(limit) {
            return statement(`SELECT * FROM deliveries WHERE state = 'pending' ORDER BY id LIMIT ?`)
                .all(limit)
                .map(deliveryOf);
        },

        // Newest first: this feeds the admin page.
        async listDeliveries(filter) {
            const offset = filter.offset ?? 0;
            const rows =
                filter.state === undefined
                    ? statement('SELECT * FROM deliveries ORDER BY id DESC LIMIT ? OFFSET ?').all(
                          filter.limit,
                          offset
                      )
                    : statement(
                          'SELECT * FROM deliveries WHERE state = ? ORDER BY id DESC LIMIT ? OFFSET ?'
                      ).all(filter.state, filter.limit, offset);
            return rows.map(deliveryOf);
        },

        async countDeliveries() {
            const counts: Record<DeliveryState, number> = { pending: 0, done: 0, quarantined: 0 };
            for (const row of statement('SELECT state, count(*) AS n FROM deliveries GROUP BY state').all()) {
                counts[text(row.state) as DeliveryState] = int(row.n);
            }
            return counts;
        },

        // The error stays as the last known reason until the delivery is folded again.
        async requeueDelivery(id) {
            return statement(`UPDATE deliveries SET state = 'pending' WHERE id = ?`).run(id).changes > 0;
        },

        async commitFold(commit: FoldCommit) {
            transaction(() => {
                const sessionSeen = duplicateKeyGuard('session');
                for (const row of commit.sessions) {
                    sessionSeen(row.sessionId);
                    upsertSession(row);
                }
                const personSeen = duplicateKeyGuard('person');
                for (const row of commit.people) {
                    personSeen(`${row.sessionId}/${row.personId}`);
                    upsertPerson(row);
                }
                for (const row of commit.events) insertEventIfAbsent(row);
                const markDone = statement(`UPDATE deliveries SET state = 'done', error = NULL WHERE id = ?`);
                for (const id of commit.doneDeliveryIds) {
                    if (markDone.run(id).changes === 0) throw new Error(`commitFold: no delivery ${id}`);
                }
                const quarantine = statement(
                    `UPDATE deliveries SET state = 'quarantined', error = ? WHERE id = ?`
                );
                for (const { id, reason } of commit.quarantined) {
                    if (quarantine.run(reason, id).changes === 0)
                        throw new Error(`commitFold: no delivery ${id}`);
                }
            });
        },

        async getSessions(sessionIds) {
            if (sessionIds.length === 0) return [];
            return statement(
                'SELECT * FROM sessions WHERE session_id IN (SELECT value FROM json_each(?)) ORDER BY session_id'
            )
                .all(JSON.stringify(sessionIds))
                .map(sessionOf);
        },

        async listSessions(filter) {
            const rows =
                filter?.eventId === undefined
                    ? statement('SELECT * FROM sessions ORDER BY session_id').all()
                    : statement('SELECT * FROM sessions WHERE event_id = ? ORDER BY session_id').all(
                          filter.eventId
                      );
            return rows.map(sessionOf);
        },

        async getPeople(sessionId, personIds) {
            if (personIds === undefined) {
                return statement('SELECT * FROM people WHERE session_id = ? ORDER BY person_id')
                    .all(sessionId)
                    .map(personOf);
            }
            if (personIds.length === 0) return [];
            return statement(
                `SELECT * FROM people WHERE session_id = ? AND person_id IN (SELECT value FROM json_each(?))
                 ORDER BY person_id`
            )
                .all(sessionId, JSON.stringify(personIds))
                .map(personOf);
        },

        async peopleLinkedTo(sessionId, sfIds) {
            if (sfIds.length === 0) return [];
            return statement(
                `SELECT * FROM people WHERE session_id = ? AND sf_id IN (SELECT value FROM json_each(?))
                 ORDER BY person_id`
            )
                .all(sessionId, JSON.stringify(sfIds))
                .map(personOf);
        },

        // A session whose own failure is not due waits as a whole (its people need its Campaign); people whose
        // failure is not due do not make their session due on their own. The candidates are the distinct sessions of
        // dirty people, found by jumping from one session to the next in people_dirty (a loose index scan) instead of
        // reading every dirty person: after a large registration burst that is 200 index seeks, not 100,000 rows.
        async dirtySessionIds(now) {
            return statement(
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
                 WHERE version > synced_version AND (next_attempt_at IS NULL OR next_attempt_at <= :now)
                   AND set_aside IS NULL
                 UNION
                 SELECT c.session_id FROM candidates c
                 WHERE c.session_id IS NOT NULL
                   AND EXISTS (
                       SELECT 1 FROM people p
                       WHERE p.session_id = c.session_id AND p.version > p.synced_version
                         AND (p.next_attempt_at IS NULL OR p.next_attempt_at <= :now)
                   )
                   AND NOT EXISTS (
                       SELECT 1 FROM sessions s
                       WHERE s.session_id = c.session_id AND (s.next_attempt_at > :now OR s.set_aside IS NOT NULL)
                   )
                 ORDER BY session_id`
            )
                .all({ now })
                .map((row) => text(row.session_id));
        },

        async dirtyPeople(sessionId, now, limit) {
            return statement(
                `SELECT * FROM people
                 WHERE session_id = ? AND version > synced_version AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
                 ORDER BY registration_order, person_id
                 LIMIT ?`
            )
                .all(sessionId, now, limit)
                .map(personOf);
        },

        // The SQL is built from which filters are present (each variant prepared once), so every variant reads the
        // people_search index in order from the cursor on and stops at the limit.
        async searchPeople(query) {
            const q = (query.q ?? '').trim().toLowerCase();
            const conditions: string[] = [];
            const params: SqlParams = { limit: query.limit };
            if (query.after) {
                conditions.push(
                    '(search_email, session_id, person_id) > (:after_email, :after_session, :after_person)'
                );
                params.after_email = query.after.email;
                params.after_session = query.after.sessionId;
                params.after_person = query.after.personId;
            }
            if (query.sessionId !== undefined) {
                conditions.push('session_id = :session_id');
                params.session_id = query.sessionId;
            }
            if (q !== '') {
                conditions.push('(instr(search_email, :q) > 0 OR instr(search_name, :q) > 0)');
                params.q = q;
            }
            return statement(
                `SELECT * FROM people ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
                 ORDER BY search_email, session_id, person_id LIMIT :limit`
            )
                .all(params)
                .map(personOf);
        },

        async saveSyncedPeople(rows) {
            const update = statement(
                `UPDATE people SET synced_version = :synced_version, sf_object = :sf_object, sf_id = :sf_id,
                    member_id = :member_id, failure = :failure, next_attempt_at = :next_attempt_at,
                    failed_at = :failed_at, warnings = :warnings, member_status = :member_status,
                    written_at = :written_at
                 WHERE session_id = :session_id AND person_id = :person_id`
            );
            transaction(() => {
                for (const row of rows) update.run(personSyncColumns(row));
            });
        },

        async saveSyncedSession(row) {
            statement(
                `UPDATE sessions SET synced_version = :synced_version, campaign_id = :campaign_id,
                    campaign_created_by_us = :campaign_created_by_us, statuses_ready = :statuses_ready,
                    failure = :failure, next_attempt_at = :next_attempt_at, set_aside = :set_aside
                 WHERE session_id = :session_id`
            ).run(sessionSyncColumns(row));
        },

        // min(0, version - 1) is "never synced" for every folded row (version >= 1) and still dirty for a row at 0.
        async resetSessionMembers(sessionId) {
            statement(
                `UPDATE people SET synced_version = min(0, version - 1), member_id = NULL, member_status = NULL
                 WHERE session_id = ?`
            ).run(sessionId);
        },

        async sessionCounts(sessionId): Promise<SessionCounts> {
            const row = statement(
                `SELECT coalesce(sum(role <> 'team_member'), 0) AS registrants,
                        coalesce(sum(attendance = 'attended' AND role <> 'team_member'), 0) AS attendees,
                        coalesce(sum(attendance = 'not_attended' AND role <> 'team_member'), 0) AS no_shows,
                        coalesce(sum(replay_watched AND role <> 'team_member'), 0) AS replay_viewers
                 FROM people WHERE session_id = ?`
            ).get(sessionId);
            return {
                registrants: int(row?.registrants),
                attendees: int(row?.attendees),
                noShows: int(row?.no_shows),
                replayViewers: int(row?.replay_viewers)
            };
        },

        async getEvent(eventId) {
            const row = statement('SELECT * FROM events WHERE event_id = ?').get(eventId);
            return row ? eventOf(row) : undefined;
        },

        async putEvent(row) {
            statement(
                `INSERT INTO events (event_id, title, on_demand, registration_link, enabled, fetched_at)
                 VALUES (:event_id, :title, :on_demand, :registration_link, :enabled, :fetched_at)
                 ON CONFLICT (event_id) DO UPDATE SET
                    title = excluded.title, on_demand = excluded.on_demand,
                    registration_link = excluded.registration_link, enabled = excluded.enabled,
                    fetched_at = excluded.fetched_at`
            ).run(eventColumns(row));
        },

        async listEvents() {
            return statement('SELECT * FROM events ORDER BY event_id').all().map(eventOf);
        },

        // An event not seen yet gets a placeholder row so the choice is kept until its details arrive.
        async setEventEnabled(eventId, enabled) {
            statement(
                `INSERT INTO events (event_id, title, on_demand, registration_link, enabled, fetched_at)
                 VALUES (?, NULL, 0, NULL, ?, NULL)
                 ON CONFLICT (event_id) DO UPDATE SET enabled = excluded.enabled`
            ).run(eventId, enabled === null ? null : flag(enabled));
        },

        async getSetting<T>(key: string) {
            const row = statement('SELECT value FROM settings WHERE key = ?').get(key);
            return row ? (JSON.parse(text(row.value)) as T) : undefined;
        },

        // undefined has no JSON form: storing it removes the key, so getSetting answers undefined again.
        async setSetting(key, value) {
            if (value === undefined) {
                statement('DELETE FROM settings WHERE key = ?').run(key);
                return;
            }
            statement(
                'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'
            ).run(key, JSON.stringify(value));
        },

        async appendSyncLog(entry) {
            statement(
                `INSERT INTO sync_log (at, session_id, kind, api_calls, ok, failed, message)
                 VALUES (?, ?, ?, ?, ?, ?, ?)`
            ).run(
                entry.at,
                entry.sessionId,
                entry.kind,
                entry.apiCalls,
                entry.ok,
                entry.failed,
                entry.message
            );
        },

        // Newest first, in the order the entries were written.
        async listSyncLog(limit) {
            return statement('SELECT * FROM sync_log ORDER BY id DESC LIMIT ?')
                .all(limit)
                .map(syncLogEntryOf);
        },

        async listFailures(limit) {
            return statement(
                `SELECT * FROM people WHERE failure IS NOT NULL
                 ORDER BY failed_at DESC, session_id, person_id LIMIT ?`
            )
                .all(limit)
                .map(personOf);
        },

        async close() {
            statements.clear();
            if (db.isOpen) db.close();
        }
    };
    return store;
}

function eventColumns(row: EventRow): SqlParams {
    return {
        event_id: row.eventId,
        title: row.title,
        on_demand: flag(row.onDemand),
        registration_link: row.registrationLink,
        enabled: row.enabled === null ? null : flag(row.enabled),
        fetched_at: row.fetchedAt
    };
}

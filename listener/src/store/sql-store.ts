// The Store, written once for both databases over a SqlDriver (sqlite.ts, postgres.ts): every query below runs
// unchanged in SQLite 3.45+ and PostgreSQL 13+. Rows and columns are mapped in rows.ts, the schema lives in schema.ts.
// Writes of many rows are multi-row statements (VALUES lists of the driver's rowsPerStatement rows), not a round trip each.
import {
    deliveryOf,
    eventColumns,
    eventOf,
    json,
    num,
    personColumns,
    personOf,
    personSyncColumns,
    sessionColumns,
    sessionOf,
    sessionSyncColumns,
    syncLogEntryOf,
    bool,
    text,
    textOrNull
} from './rows.ts';
import type { Columns } from './rows.ts';
import { COLUMN_TYPES } from './schema.ts';
import type { ColumnTypes } from './schema.ts';
import { placeholders } from './sql.ts';
import type { SqlDriver, SqlExecutor, SqlValue } from './sql.ts';
import type {
    DeliveryState,
    EventRow,
    FoldCommit,
    FoldTransaction,
    NewDelivery,
    PersonRow,
    SessionCounts,
    SessionRow,
    SessionLease,
    Store
} from './store.ts';

/** A fold's rows changed between its reading and its writing (another process folded them). */
class FoldConflictError extends Error {
    override name = 'FoldConflictError';
}

function chunks<T>(rows: readonly T[], size: number): T[][] {
    const result: T[][] = [];
    for (let start = 0; start < rows.length; start += size) result.push(rows.slice(start, start + size));
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

/**
 * `INSERT INTO table (…) VALUES (…), (…) <tail>` for rows with the same columns, in chunks.
 * @returns the rows inserted or updated
 */
export async function insertRows(
    db: SqlExecutor,
    table: string,
    rows: readonly Columns[],
    tail: string
): Promise<number> {
    let changes = 0;
    for (const chunk of chunks(rows, db.rowsPerStatement)) {
        const names = Object.keys(chunk[0]!);
        const params: SqlValue[] = [];
        const values = chunk.map((row) => {
            const first = params.length + 1;
            for (const name of names) params.push(row[name]!);
            return `(${placeholders(names.length, first)})`;
        });
        const result = await db.execute(
            `INSERT INTO ${table} (${names.join(', ')}) VALUES ${values.join(', ')} ${tail}`,
            params
        );
        changes += result.changes;
    }
    return changes;
}

/**
 * Updates rows matched on `keys` from a typed VALUES list (a CTE both databases read; the CASTs give PostgreSQL the
 * column types it cannot infer inside VALUES).
 */
async function updateRows(
    db: SqlExecutor,
    table: string,
    keys: readonly string[],
    types: Record<string, keyof ColumnTypes>,
    columnTypes: ColumnTypes,
    rows: readonly Columns[]
): Promise<void> {
    for (const chunk of chunks(rows, db.rowsPerStatement)) {
        const names = Object.keys(chunk[0]!);
        const params: SqlValue[] = [];
        const values = chunk.map((row) => {
            const cells = names.map((name) => {
                params.push(row[name]!);
                return `CAST($${params.length} AS ${columnTypes[types[name] ?? 'text']})`;
            });
            return `(${cells.join(', ')})`;
        });
        const assignments = names.filter((name) => !keys.includes(name)).map((name) => `${name} = r.${name}`);
        const match = keys.map((key) => `${table}.${key} = r.${key}`).join(' AND ');
        await db.execute(
            `WITH r (${names.join(', ')}) AS (VALUES ${values.join(', ')})
             UPDATE ${table} SET ${assignments.join(', ')} FROM r WHERE ${match}`,
            params
        );
    }
}

/** Column types of the person sync columns, for updateRows (everything else is text). */
const PERSON_SYNC_TYPES: Record<string, keyof ColumnTypes> = {
    synced_version: 'integer',
    failure: 'json',
    next_attempt_at: 'bigint',
    failed_at: 'bigint',
    warnings: 'json',
    written_at: 'bigint'
};

/** The database's clock in ms since epoch: leases and claims of several instances are compared on one clock. */
const NOW_MS = {
    sqlite: `CAST(unixepoch('subsec') * 1000 AS INTEGER)`,
    postgres: `CAST(floor(extract(epoch FROM clock_timestamp()) * 1000) AS BIGINT)`
} as const;

/** People whose sync columns are saved per transaction (saveSyncedPeople). */
const SYNCED_PEOPLE_PER_TRANSACTION = 100;

/**
 * `candidates (session_id)`: the distinct sessions of dirty people, found by jumping from one session to the next in
 * people_dirty (a loose index scan) instead of reading every dirty person: after a large registration burst that is
 * one index seek per session, not one row per person. The last row is a NULL.
 */
const DIRTY_PEOPLE_SESSIONS = `WITH RECURSIVE candidates (session_id) AS (
    SELECT (SELECT min(session_id) FROM people WHERE version > synced_version)
    UNION ALL
    SELECT (
        SELECT min(session_id) FROM people
        WHERE version > synced_version AND session_id > candidates.session_id
    )
    FROM candidates WHERE candidates.session_id IS NOT NULL
)`;

const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const UPSERT_SESSION = `ON CONFLICT (session_id) DO UPDATE SET
    event_id = excluded.event_id, state = excluded.state, version = excluded.version`;

const UPSERT_PERSON = `ON CONFLICT (session_id, person_id) DO UPDATE SET
    event_id = excluded.event_id, state = excluded.state, version = excluded.version,
    role = excluded.role, attendance = excluded.attendance, replay_watched = excluded.replay_watched,
    registration_order = excluded.registration_order, search_email = excluded.search_email,
    search_name = excluded.search_name`;

// A row known only as a placeholder (no title yet) takes the details of a row that has them; the admin's enabled
// choice survives that, and a row with a title is never touched by a fold.
const INSERT_EVENT_IF_ABSENT = `ON CONFLICT (event_id) DO UPDATE SET
    title = excluded.title, on_demand = excluded.on_demand,
    registration_link = excluded.registration_link, fetched_at = excluded.fetched_at,
    enabled = coalesce(events.enabled, excluded.enabled)
    WHERE events.title IS NULL AND excluded.title IS NOT NULL`;

/**
 * Inserts deliveries in multi-row statements; a body stored before (same hash, also earlier in the same list) is not
 * written again.
 * @returns per delivery, in order: its row id and whether its body was already stored
 */
async function insertDeliveries(
    db: SqlExecutor,
    deliveries: readonly NewDelivery[]
): Promise<{ id: number; duplicate: boolean }[]> {
    const ids = new Map<string, number>();
    for (const chunk of chunks(deliveries, db.rowsPerStatement)) {
        const params: SqlValue[] = [];
        const values = chunk.map((delivery) => {
            const first = params.length + 1;
            params.push(
                delivery.receivedAt,
                delivery.event,
                delivery.body,
                delivery.bodyHash,
                delivery.quarantineReason === undefined ? 'pending' : 'quarantined',
                delivery.quarantineReason ?? null
            );
            return `(${placeholders(6, first)})`;
        });
        const inserted = await db.execute(
            `INSERT INTO deliveries (received_at, event, body, body_hash, state, error)
             VALUES ${values.join(', ')}
             ON CONFLICT (body_hash) DO NOTHING
             RETURNING id, body_hash`,
            params
        );
        for (const row of inserted.rows) ids.set(text(row.body_hash), num(row.id));
    }
    const newHashes = new Set(ids.keys());
    const known = [...new Set(deliveries.map((delivery) => delivery.bodyHash))].filter(
        (hash) => !ids.has(hash)
    );
    for (const hashes of chunks(known, db.rowsPerStatement)) {
        const existing = await db.execute(
            `SELECT id, body_hash FROM deliveries WHERE body_hash IN (${placeholders(hashes.length)})`,
            hashes
        );
        for (const row of existing.rows) ids.set(text(row.body_hash), num(row.id));
    }
    return deliveries.map((delivery) => {
        const id = ids.get(delivery.bodyHash);
        if (id === undefined) throw new Error('appendDelivery: a conflicting delivery vanished');
        // The first of several equal bodies in one batch is the one written.
        const duplicate = !newHashes.delete(delivery.bodyHash);
        return { id, duplicate };
    });
}

/** Writes a fold's rows and delivery states on `db` (the caller's transaction). */
export async function writeFold(db: SqlExecutor, commit: FoldCommit): Promise<void> {
    assertUniqueKeys(commit.sessions, 'session', (row) => row.sessionId);
    assertUniqueKeys(commit.people, 'person', (row) => `${row.sessionId}/${row.personId}`);
    // Serialised before the first statement: a row that cannot be written fails the commit before anything is sent.
    // Rows in key order: two transactions writing overlapping rows lock them in the same order (no deadlock).
    const sessions = [...commit.sessions].sort((a, b) => byKey(a.sessionId, b.sessionId)).map(sessionColumns);
    const people = [...commit.people]
        .sort((a, b) => byKey(a.sessionId, b.sessionId) || byKey(a.personId, b.personId))
        .map(personColumns);
    const events = [...new Map(commit.events.map((row) => [row.eventId, row])).values()]
        .sort((a, b) => byKey(a.eventId, b.eventId))
        .map(eventColumns);
    if (sessions.length) await insertRows(db, 'sessions', sessions, UPSERT_SESSION);
    if (people.length) await insertRows(db, 'people', people, UPSERT_PERSON);
    if (events.length) await insertRows(db, 'events', events, INSERT_EVENT_IF_ABSENT);
    const doneIds = [...new Set(commit.doneDeliveryIds)];
    for (const ids of chunks(doneIds, db.rowsPerStatement)) {
        const done = await db.execute(
            `UPDATE deliveries SET state = 'done', error = NULL
             WHERE id IN (${placeholders(ids.length)}) AND state = 'pending'`,
            ids
        );
        if (done.changes !== ids.length)
            throw new FoldConflictError(
                'commitFold: a consumed delivery does not exist or is no longer pending'
            );
    }
    for (const { id, reason } of commit.quarantined) {
        const quarantined = await db.execute(
            `UPDATE deliveries SET state = 'quarantined', error = $2 WHERE id = $1`,
            [id, reason]
        );
        if (quarantined.changes === 0) throw new Error(`commitFold: no delivery ${id}`);
    }
}

/** The reads of a fold, through `db` (a transaction, or the connection itself). */
function foldReads(db: SqlExecutor, dialect: SqlDriver['dialect']) {
    return {
        async claimPendingDeliveries(limit: number) {
            const found = await db.execute(
                `SELECT * FROM deliveries WHERE state = 'pending' ORDER BY id LIMIT $1
                 ${dialect === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : ''}`,
                [limit]
            );
            return found.rows.map(deliveryOf);
        },
        async getSessions(sessionIds: string[]) {
            const ids = [...new Set(sessionIds)];
            if (ids.length === 0) return [];
            const found = await db.execute(
                `SELECT * FROM sessions WHERE session_id IN (${placeholders(ids.length)})`,
                ids
            );
            return found.rows.map(sessionOf);
        },
        async getPeople(sessionId: string, personIds: string[]) {
            const found: PersonRow[] = [];
            for (const ids of chunks([...new Set(personIds)], db.rowsPerStatement)) {
                const page = await db.execute(
                    `SELECT * FROM people WHERE session_id = $1 AND person_id IN (${placeholders(ids.length, 2)})`,
                    [sessionId, ...ids]
                );
                found.push(...page.rows.map(personOf));
            }
            return found;
        }
    };
}

/** The versions a fold read (null: the row did not exist), checked again before its rows are written. */
class ReadVersions {
    readonly sessions = new Map<string, number | null>();
    readonly people = new Map<string, Map<string, number | null>>();

    sawSessions(ids: readonly string[], found: readonly SessionRow[]): void {
        for (const id of ids) this.sessions.set(id, null);
        for (const row of found) this.sessions.set(row.sessionId, row.version);
    }

    sawPeople(sessionId: string, ids: readonly string[], found: readonly PersonRow[]): void {
        const seen = this.people.get(sessionId) ?? new Map<string, number | null>();
        for (const id of ids) seen.set(id, null);
        for (const row of found) seen.set(row.personId, row.version);
        this.people.set(sessionId, seen);
    }

    /** Whether every row read still has the version it had (and an absent one is still absent). */
    async unchanged(db: SqlExecutor): Promise<boolean> {
        /** Whether each id of `seen` still has its version, the current ones read by `versionsOf` a chunk at a time. */
        const stillAsSeen = async (
            seen: Map<string, number | null>,
            versionsOf: (ids: string[]) => Promise<Map<string, number>>
        ) => {
            for (const ids of chunks([...seen.keys()], db.rowsPerStatement)) {
                const now = await versionsOf(ids);
                if (!ids.every((id) => (now.get(id) ?? null) === seen.get(id))) return false;
            }
            return true;
        };
        const sessionsUnchanged = await stillAsSeen(this.sessions, async (ids) => {
            const now = await db.execute(
                `SELECT session_id, version FROM sessions WHERE session_id IN (${placeholders(ids.length)})`,
                ids
            );
            return new Map(now.rows.map((row) => [text(row.session_id), num(row.version)]));
        });
        if (!sessionsUnchanged) return false;
        for (const [sessionId, seen] of this.people) {
            const peopleUnchanged = await stillAsSeen(seen, async (ids) => {
                const now = await db.execute(
                    `SELECT person_id, version FROM people
                     WHERE session_id = $1 AND person_id IN (${placeholders(ids.length, 2)})`,
                    [sessionId, ...ids]
                );
                return new Map(now.rows.map((row) => [text(row.person_id), num(row.version)]));
            });
            if (!peopleUnchanged) return false;
        }
        return true;
    }
}

/**
 * A fold on the embedded store holding the write lock only while it writes. The deliveries and rows are read and
 * folded outside any transaction (the HTTP edge's appends go on meanwhile), then one short transaction checks that
 * every row read still has the version it was read at and that the consumed deliveries are still pending, and writes.
 * This process's folds run one after the other (folder.ts) and the edge only appends new deliveries, so what can
 * change in between is another process folding the same rows (the `backfill` command): then nothing is written and
 * null is returned, for the caller to fold again inside one transaction.
 * @returns work's result once its fold is written, or null when a row read had changed
 */
async function foldOutsideTransaction<T>(
    driver: SqlDriver,
    work: (tx: FoldTransaction) => Promise<T>
): Promise<{ result: T } | null> {
    const reads = foldReads(driver, driver.dialect);
    const versions = new ReadVersions();
    let pending: FoldCommit | null = null;
    const result = await work({
        claimPendingDeliveries: reads.claimPendingDeliveries,
        // The embedded store has one process folding at a time; the versions stand for the locks.
        lockSessions: async () => {},
        async getSessions(sessionIds) {
            const found = await reads.getSessions(sessionIds);
            versions.sawSessions(sessionIds, found);
            return found;
        },
        async getPeople(sessionId, personIds) {
            const found = await reads.getPeople(sessionId, personIds);
            versions.sawPeople(sessionId, personIds, found);
            return found;
        },
        async commit(commit) {
            if (pending) throw new Error('foldTransaction: commit called twice in one fold');
            pending = commit;
        }
    });
    const commit: FoldCommit | null = pending;
    if (commit === null) return { result };
    try {
        await driver.transaction(async (tx) => {
            if (!(await versions.unchanged(tx)))
                throw new FoldConflictError(
                    'foldTransaction: a row read by the fold changed before it was written'
                );
            await writeFold(tx, commit);
        });
        return { result };
    } catch (error) {
        if (error instanceof FoldConflictError) return null;
        throw error;
    }
}

/** The shared Store over a driver. */
export function createSqlStore(driver: SqlDriver): Store {
    const types = COLUMN_TYPES[driver.dialect];
    const nowMs = NOW_MS[driver.dialect];
    const rows = async (sql: string, params: readonly SqlValue[] = []) =>
        (await driver.execute(sql, params)).rows;

    type PendingAppend = {
        delivery: NewDelivery;
        resolve: (value: { id: number; duplicate: boolean }) => void;
        reject: (error: unknown) => void;
    };
    // Group commit: the deliveries that arrive while the previous batch is being written (or while the event loop was
    // busy) are written together, in one transaction and multi-row statements, hence one fsync and, on PostgreSQL, one
    // round trip per statement instead of one per delivery. Each append resolves only once its own row is committed.
    let appendQueue: PendingAppend[] = [];
    const flushAppends = async () => {
        const batch = appendQueue;
        appendQueue = [];
        const deliveries = batch.map((entry) => entry.delivery);
        try {
            // One statement is a transaction of its own: no BEGIN and COMMIT round trips for a batch that fits in one.
            const results =
                deliveries.length <= driver.rowsPerStatement
                    ? await insertDeliveries(driver, deliveries)
                    : await driver.transaction((tx) => insertDeliveries(tx, deliveries));
            batch.forEach((entry, index) => entry.resolve(results[index]!));
        } catch (error) {
            batch.forEach((entry) => entry.reject(error));
        }
    };

    const store: Store = {
        appendDelivery(delivery) {
            return new Promise((resolve, reject) => {
                appendQueue.push({ delivery, resolve, reject });
                if (appendQueue.length === 1) setImmediate(() => void flushAppends());
            });
        },

        async pendingDeliveries(limit) {
            return (
                await rows(`SELECT * FROM deliveries WHERE state = 'pending' ORDER BY id LIMIT $1`, [limit])
            ).map(deliveryOf);
        },

        // Newest first: this feeds the admin page.
        async listDeliveries(filter) {
            const offset = filter.offset ?? 0;
            const found =
                filter.state === undefined
                    ? await rows('SELECT * FROM deliveries ORDER BY id DESC LIMIT $1 OFFSET $2', [
                          filter.limit,
                          offset
                      ])
                    : await rows(
                          'SELECT * FROM deliveries WHERE state = $1 ORDER BY id DESC LIMIT $2 OFFSET $3',
                          [filter.state, filter.limit, offset]
                      );
            return found.map(deliveryOf);
        },

        async countDeliveries() {
            const counts: Record<DeliveryState, number> = { pending: 0, done: 0, quarantined: 0 };
            for (const row of await rows('SELECT state, count(*) AS n FROM deliveries GROUP BY state')) {
                counts[text(row.state) as DeliveryState] = num(row.n);
            }
            return counts;
        },

        async countPendingDeliveries() {
            const [row] = await rows(`SELECT count(*) AS n FROM deliveries WHERE state = 'pending'`);
            return num(row?.n);
        },

        // The error stays as the last known reason until the delivery is folded again.
        async requeueDelivery(id) {
            return (
                (await driver.execute(`UPDATE deliveries SET state = 'pending' WHERE id = $1`, [id]))
                    .changes > 0
            );
        },

        async commitFold(commit) {
            await driver.transaction((tx) => writeFold(tx, commit));
        },

        async getSessions(sessionIds) {
            if (sessionIds.length === 0) return [];
            const ids = [...new Set(sessionIds)];
            return (
                await rows(
                    `SELECT * FROM sessions WHERE session_id IN (${placeholders(ids.length)}) ORDER BY session_id`,
                    ids
                )
            ).map(sessionOf);
        },

        async listSessions(filter) {
            const conditions: string[] = [];
            const params: SqlValue[] = [];
            if (filter?.eventId !== undefined) {
                params.push(filter.eventId);
                conditions.push(`event_id = $${params.length}`);
            }
            if (filter?.after !== undefined) {
                params.push(filter.after);
                conditions.push(`session_id > $${params.length}`);
            }
            let limit = '';
            if (filter?.limit !== undefined) {
                params.push(filter.limit);
                limit = `LIMIT $${params.length}`;
            }
            const found = await rows(
                `SELECT * FROM sessions ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
                 ORDER BY session_id ${limit}`,
                params
            );
            return found.map(sessionOf);
        },

        async getPeople(sessionId, personIds) {
            if (personIds === undefined) {
                return (
                    await rows('SELECT * FROM people WHERE session_id = $1 ORDER BY person_id', [sessionId])
                ).map(personOf);
            }
            const found: PersonRow[] = [];
            for (const ids of chunks([...new Set(personIds)], driver.rowsPerStatement)) {
                const page = await rows(
                    `SELECT * FROM people WHERE session_id = $1 AND person_id IN (${placeholders(ids.length, 2)})`,
                    [sessionId, ...ids]
                );
                found.push(...page.map(personOf));
            }
            return found.sort((a, b) => (a.personId < b.personId ? -1 : a.personId > b.personId ? 1 : 0));
        },

        async peopleLinkedTo(sessionId, sfIds) {
            const found: PersonRow[] = [];
            for (const ids of chunks([...new Set(sfIds)], driver.rowsPerStatement)) {
                const page = await rows(
                    `SELECT * FROM people WHERE session_id = $1 AND sf_id IN (${placeholders(ids.length, 2)})`,
                    [sessionId, ...ids]
                );
                found.push(...page.map(personOf));
            }
            return found.sort((a, b) => (a.personId < b.personId ? -1 : a.personId > b.personId ? 1 : 0));
        },

        // A session whose own failure is not due waits as a whole (its people need its Campaign); people whose
        // failure is not due do not make their session due on their own. The candidates are the distinct sessions of
        // dirty people, found by jumping from one session to the next in people_dirty (a loose index scan) instead of
        // reading every dirty person: after a large registration burst that is 200 index seeks, not 100,000 rows.
        async dirtySessionIds(now) {
            const found = await rows(
                `${DIRTY_PEOPLE_SESSIONS}
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
            return found.map((row) => text(row.session_id));
        },

        // The dirty sessions of dirtySessionIds without the due-time conditions: the same skip-scan over the people's
        // dirty index (one probe per dirty session), the sessions' dirty index, and a count per event.
        async waitingSessionsByEvent() {
            const found = await rows(
                `${DIRTY_PEOPLE_SESSIONS},
                 waiting (session_id, event_id) AS (
                     SELECT session_id, event_id FROM sessions
                     WHERE version > synced_version AND set_aside IS NULL
                     UNION
                     SELECT c.session_id, coalesce(
                         (SELECT s.event_id FROM sessions s WHERE s.session_id = c.session_id),
                         (SELECT p.event_id FROM people p WHERE p.session_id = c.session_id LIMIT 1)
                     )
                     FROM candidates c
                     WHERE c.session_id IS NOT NULL
                       AND NOT EXISTS (
                           SELECT 1 FROM sessions s WHERE s.session_id = c.session_id AND s.set_aside IS NOT NULL
                       )
                 )
                 SELECT event_id, count(DISTINCT session_id) AS sessions FROM waiting GROUP BY event_id`
            );
            return found.map((row) => ({ eventId: text(row.event_id), sessions: num(row.sessions) }));
        },

        async dirtyPeople(sessionId, now, limit) {
            return (
                await rows(
                    `SELECT * FROM people
                     WHERE session_id = $1 AND version > synced_version
                       AND (next_attempt_at IS NULL OR next_attempt_at <= $2)
                     ORDER BY registration_order, person_id
                     LIMIT $3`,
                    [sessionId, now, limit]
                )
            ).map(personOf);
        },

        // The SQL is built from which filters are present, so every variant reads the people_search index in order
        // from the cursor on and stops at the limit.
        async searchSessions(search) {
            const field = (name: string) =>
                driver.dialect === 'sqlite' ? `json_extract(s.state, '$.${name}')` : `(s.state->>'${name}')`;
            const startsAt =
                driver.dialect === 'sqlite'
                    ? `coalesce(nullif(${field('startedAt')}, 0), ${field('estimatedStartedAt')}, 0)`
                    : `coalesce(nullif(${field('startedAt')}::bigint, 0), ${field('estimatedStartedAt')}::bigint, 0)`;
            const conditions: string[] = [];
            const params: SqlValue[] = [];
            if (search.after) {
                params.push(search.after.startsAt, search.after.sessionId);
                conditions.push(`(${startsAt} < $1 OR (${startsAt} = $1 AND s.session_id > $2))`);
            }
            if (search.eventId !== undefined) {
                params.push(search.eventId);
                conditions.push(`s.event_id = $${params.length}`);
            }
            const q = (search.q ?? '').trim();
            if (q !== '') {
                // lower() folds ASCII in SQLite and all of Unicode in PostgreSQL; the text as typed also matches.
                params.push(q.toLowerCase(), q);
                const lowered = `$${params.length - 1}`;
                const typed = `$${params.length}`;
                const find = driver.dialect === 'sqlite' ? 'instr' : 'strpos';
                const contains = (column: string) =>
                    `${find}(lower(coalesce(${column}, '')), ${lowered}) > 0 OR ${find}(coalesce(${column}, ''), ${typed}) > 0`;
                conditions.push(
                    `(${['s.session_id', 's.campaign_name', field('name'), 'e.title'].map(contains).join(' OR ')})`
                );
            }
            params.push(search.limit);
            return (
                await rows(
                    `SELECT s.* FROM sessions s LEFT JOIN events e ON e.event_id = s.event_id
                     ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
                     ORDER BY ${startsAt} DESC, s.session_id LIMIT $${params.length}`,
                    params
                )
            ).map(sessionOf);
        },

        async searchPeople(search) {
            const q = (search.q ?? '').trim().toLowerCase();
            const conditions: string[] = [];
            const params: SqlValue[] = [];
            if (search.after) {
                params.push(search.after.email, search.after.sessionId, search.after.personId);
                conditions.push('(search_email, session_id, person_id) > ($1, $2, $3)');
            }
            if (search.sessionId !== undefined) {
                params.push(search.sessionId);
                conditions.push(`session_id = $${params.length}`);
            }
            if (q !== '') {
                params.push(q);
                const contains = (column: string) =>
                    driver.dialect === 'sqlite'
                        ? `instr(${column}, $${params.length}) > 0`
                        : `strpos(${column}, $${params.length}) > 0`;
                conditions.push(`(${contains('search_email')} OR ${contains('search_name')})`);
            }
            params.push(search.limit);
            return (
                await rows(
                    `SELECT * FROM people ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
                     ORDER BY search_email, session_id, person_id LIMIT $${params.length}`,
                    params
                )
            ).map(personOf);
        },

        // Each person's columns stand alone: a pass of 1,000 people is saved in short transactions (the embedded
        // store's single writer is shared with webhook acknowledgements), each row once.
        async saveSyncedPeople(people) {
            const columns = [...people]
                .sort((a, b) => byKey(a.sessionId, b.sessionId) || byKey(a.personId, b.personId))
                .map(personSyncColumns);
            for (const rows of chunks(columns, SYNCED_PEOPLE_PER_TRANSACTION)) {
                await driver.transaction((tx) =>
                    updateRows(tx, 'people', ['session_id', 'person_id'], PERSON_SYNC_TYPES, types, rows)
                );
            }
        },

        async saveSyncedSession(row) {
            const columns = sessionSyncColumns(row);
            await driver.execute(
                `UPDATE sessions SET synced_version = $2, campaign_id = $3, campaign_created_by_us = $4,
                    statuses_ready = $5, failure = $6, next_attempt_at = $7, set_aside = $8, campaign_name = $9
                 WHERE session_id = $1`,
                [
                    columns.session_id!,
                    columns.synced_version!,
                    columns.campaign_id!,
                    columns.campaign_created_by_us!,
                    columns.statuses_ready!,
                    columns.failure!,
                    columns.next_attempt_at!,
                    columns.set_aside!,
                    columns.campaign_name!
                ]
            );
        },

        // "Never synced" is 0 for every folded row (version >= 1) and version - 1 for a row still at 0 (dirty).
        async resetSessionMembers(sessionId) {
            await driver.execute(
                `UPDATE people SET synced_version = CASE WHEN version - 1 < 0 THEN version - 1 ELSE 0 END,
                    member_id = NULL, member_status = NULL
                 WHERE session_id = $1`,
                [sessionId]
            );
        },

        async sessionCounts(sessionId): Promise<SessionCounts> {
            const [row] = await rows(
                `SELECT count(*) FILTER (WHERE role <> 'team_member') AS registrants,
                        count(*) FILTER (WHERE attendance = 'attended' AND role <> 'team_member') AS attendees,
                        count(*) FILTER (WHERE attendance = 'not_attended' AND role <> 'team_member') AS no_shows,
                        count(*) FILTER (WHERE replay_watched AND role <> 'team_member') AS replay_viewers
                 FROM people WHERE session_id = $1`,
                [sessionId]
            );
            return {
                registrants: num(row?.registrants),
                attendees: num(row?.attendees),
                noShows: num(row?.no_shows),
                replayViewers: num(row?.replay_viewers)
            };
        },

        async memberStatusCounts(sessionId) {
            const found = await rows(
                `SELECT member_status, count(*) AS members FROM people
                 WHERE session_id = $1 AND member_status IS NOT NULL
                 GROUP BY member_status ORDER BY member_status`,
                [sessionId]
            );
            return Object.fromEntries(found.map((row) => [String(row.member_status), num(row.members)]));
        },

        async sessionProgress(sessionId) {
            const [row] = await rows(
                `SELECT count(*) FILTER (WHERE version > synced_version) AS dirty,
                        count(*) FILTER (WHERE failure IS NOT NULL AND version <= synced_version) AS failed
                 FROM people WHERE session_id = $1`,
                [sessionId]
            );
            return { dirty: num(row?.dirty), failed: num(row?.failed) };
        },

        async getEvent(eventId) {
            const [row] = await rows('SELECT * FROM events WHERE event_id = $1', [eventId]);
            return row ? eventOf(row) : undefined;
        },

        async putEvent(row: EventRow) {
            await insertRows(
                driver,
                'events',
                [eventColumns(row)],
                `ON CONFLICT (event_id) DO UPDATE SET
                    title = excluded.title, on_demand = excluded.on_demand,
                    registration_link = excluded.registration_link, enabled = excluded.enabled,
                    fetched_at = excluded.fetched_at`
            );
        },

        async listEvents() {
            return (await rows('SELECT * FROM events ORDER BY event_id')).map(eventOf);
        },

        // An event not seen yet gets a placeholder row so the choice is kept until its details arrive.
        async setEventEnabled(eventId, enabled) {
            await driver.execute(
                `INSERT INTO events (event_id, title, on_demand, registration_link, enabled, fetched_at)
                 VALUES ($1, NULL, FALSE, NULL, $2, NULL)
                 ON CONFLICT (event_id) DO UPDATE SET enabled = excluded.enabled`,
                [eventId, enabled]
            );
        },

        async getSetting<T>(key: string) {
            const [row] = await rows('SELECT value FROM settings WHERE key = $1', [key]);
            if (!row) return undefined;
            // SQLite hands back the JSON text; PostgreSQL the parsed JSONB value (a JSON string arrives as a string).
            return (driver.dialect === 'sqlite' ? json<T>(row.value) : row.value) as T;
        },

        // undefined has no JSON form: storing it removes the key, so getSetting answers undefined again.
        async setSetting(key, value) {
            if (value === undefined) {
                await driver.execute('DELETE FROM settings WHERE key = $1', [key]);
                return;
            }
            await driver.execute(
                `INSERT INTO settings (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
                [key, JSON.stringify(value)]
            );
        },

        async appendSyncLog(entry) {
            await driver.execute(
                `INSERT INTO sync_log (at, session_id, kind, api_calls, ok, failed, message)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
                [entry.at, entry.sessionId, entry.kind, entry.apiCalls, entry.ok, entry.failed, entry.message]
            );
        },

        // Newest first, in the order the entries were written.
        async listSyncLog(limit) {
            return (await rows('SELECT * FROM sync_log ORDER BY id DESC LIMIT $1', [limit])).map(
                syncLogEntryOf
            );
        },

        async listFailures(limit) {
            return (
                await rows(
                    `SELECT * FROM people WHERE failure IS NOT NULL
                     ORDER BY failed_at DESC, session_id, person_id LIMIT $1`,
                    [limit]
                )
            ).map(personOf);
        },

        async foldTransaction(work) {
            if (driver.dialect === 'sqlite') {
                const folded = await foldOutsideTransaction(driver, work);
                if (folded) return folded.result;
            }
            return driver.transaction((tx) => {
                const reads = foldReads(tx, driver.dialect);
                const fold: FoldTransaction = {
                    claimPendingDeliveries: reads.claimPendingDeliveries,
                    // SQLite: the transaction already holds the file's write lock. PostgreSQL: one transaction-scoped
                    // advisory lock per session, taken in key order (two folds never wait on each other in a cycle).
                    async lockSessions(sessionIds) {
                        if (driver.dialect !== 'postgres') return;
                        for (const sessionId of [...new Set(sessionIds)].sort(byKey)) {
                            await tx.execute(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
                                `livestorm-sf fold ${sessionId}`
                            ]);
                        }
                    },
                    getSessions: reads.getSessions,
                    getPeople: reads.getPeople,
                    commit: (commit) => writeFold(tx, commit)
                };
                return work(fold);
            });
        },

        // Granted when the row is absent, ours, released or expired; a lease that expired without being released is a
        // take-over, recorded with the owner it was taken from.
        async acquireSessionLease(sessionId, owner, ttlMs) {
            const { rows: granted } = await driver.execute(
                `INSERT INTO session_leases (session_id, owner, acquired_at, expires_at, released, taken_over_from)
                 VALUES ($1, $2, ${nowMs}, ${nowMs} + $3, FALSE, NULL)
                 ON CONFLICT (session_id) DO UPDATE SET
                    owner = excluded.owner,
                    acquired_at = CASE WHEN session_leases.owner = excluded.owner AND NOT session_leases.released
                        THEN session_leases.acquired_at ELSE excluded.acquired_at END,
                    expires_at = excluded.expires_at,
                    released = FALSE,
                    taken_over_from = CASE WHEN session_leases.owner <> excluded.owner AND NOT session_leases.released
                        THEN session_leases.owner ELSE NULL END
                 WHERE session_leases.owner = excluded.owner OR session_leases.released
                    OR session_leases.expires_at < excluded.acquired_at
                 RETURNING taken_over_from`,
                [sessionId, owner, ttlMs]
            );
            if (!granted[0]) return { acquired: false, takenOverFrom: null };
            return { acquired: true, takenOverFrom: textOrNull(granted[0].taken_over_from) };
        },

        async renewSessionLease(sessionId, owner, ttlMs) {
            const renewed = await driver.execute(
                `UPDATE session_leases SET expires_at = ${nowMs} + $3
                 WHERE session_id = $1 AND owner = $2 AND NOT released`,
                [sessionId, owner, ttlMs]
            );
            return renewed.changes > 0;
        },

        async releaseSessionLease(sessionId, owner) {
            await driver.execute(
                `UPDATE session_leases SET released = TRUE, expires_at = ${nowMs}
                 WHERE session_id = $1 AND owner = $2 AND NOT released`,
                [sessionId, owner]
            );
        },

        async listSessionLeases(sessionIds): Promise<SessionLease[]> {
            const found =
                sessionIds === undefined
                    ? await rows('SELECT * FROM session_leases ORDER BY session_id')
                    : sessionIds.length === 0
                      ? []
                      : await rows(
                            `SELECT * FROM session_leases WHERE session_id IN (${placeholders(sessionIds.length)})
                             ORDER BY session_id`,
                            [...new Set(sessionIds)]
                        );
            return found.map((row) => ({
                sessionId: text(row.session_id),
                owner: text(row.owner),
                acquiredAt: num(row.acquired_at),
                expiresAt: num(row.expires_at),
                released: bool(row.released)
            }));
        },

        // One statement, keys in order: two instances claiming overlapping e-mails wait on each other's rows in the
        // same order, and each key ends up with exactly one owner.
        async claimEmails(keys, owner, ttlMs) {
            const unique = [...new Set(keys)].sort(byKey);
            const held: string[] = [];
            for (const chunk of chunks(unique, driver.rowsPerStatement)) {
                const values = chunk.map((_, index) => `($${index + 3}, $1, ${nowMs} + $2)`);
                const { rows: granted } = await driver.execute(
                    `INSERT INTO email_claims (email, owner, expires_at) VALUES ${values.join(', ')}
                     ON CONFLICT (email) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
                     WHERE email_claims.owner = excluded.owner OR email_claims.expires_at < ${nowMs}
                     RETURNING email`,
                    [owner, ttlMs, ...chunk]
                );
                held.push(...granted.map((row) => text(row.email)));
            }
            return held;
        },

        async renewEmailClaims(owner, ttlMs) {
            await driver.execute(`UPDATE email_claims SET expires_at = ${nowMs} + $2 WHERE owner = $1`, [
                owner,
                ttlMs
            ]);
        },

        async releaseEmailClaims(owner) {
            await driver.execute('DELETE FROM email_claims WHERE owner = $1', [owner]);
        },

        async close() {
            await driver.close();
        }
    };
    return store;
}

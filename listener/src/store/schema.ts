// The one description of the store's schema, for both dialects: each migration is written once against the column
// types of a dialect, and the embedded store (node:sqlite) and PostgreSQL render it with their own type names.
//
// Each entry moves the schema one version forward; an applied entry is never edited, a change is a new entry. Both
// stores record the version in `schema_version`; a database whose version is higher than MIGRATIONS.length was written
// by a newer listener and is refused (see migrations.ts).

/** The SQL dialects the store speaks. */
export type DialectName = 'sqlite' | 'postgres';

/** Column type names of one dialect, used by the schema description and by typed parameter lists (CAST). */
export interface ColumnTypes {
    /** An ever-growing row id, primary key. */
    identity: string;
    /** A Livestorm or Salesforce identifier: compared byte by byte. */
    key: string;
    text: string;
    /** Milliseconds since epoch and other integers beyond 2^31. */
    bigint: string;
    integer: string;
    boolean: string;
    /** A JSON document. */
    json: string;
}

export const COLUMN_TYPES: Readonly<Record<DialectName, ColumnTypes>> = {
    // A plain INTEGER PRIMARY KEY could only hand out an id again after the newest row is deleted, and deliveries are
    // never deleted; AUTOINCREMENT would cost one more page write (sqlite_sequence) in every durable append.
    sqlite: {
        identity: 'INTEGER PRIMARY KEY',
        key: 'TEXT',
        text: 'TEXT',
        bigint: 'INTEGER',
        integer: 'INTEGER',
        boolean: 'INTEGER',
        json: 'TEXT'
    },
    // Identifiers use the "C" collation: byte order like SQLite's, and cheaper btree comparisons.
    postgres: {
        identity: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
        key: 'TEXT COLLATE "C"',
        text: 'TEXT',
        bigint: 'BIGINT',
        integer: 'INTEGER',
        boolean: 'BOOLEAN',
        json: 'JSONB'
    }
};

export interface Migration {
    /** What the step does, for the migration log. */
    name: string;
    /** The statements of the step, for the dialect's column types. */
    sql(types: ColumnTypes, dialect: DialectName): string;
}

// No foreign keys between people, sessions and events on purpose: a registration can be folded before its session or
// event is known, and the row must be storable then.
//
// Dirty selection runs every few hundred ms: the partial indexes on `version > synced_version` hold only rows with
// work to do, ordered the way dirtyPeople reads them. The role/attendance/replay columns are copies of fields of
// `state` so sessionCounts is a covering-index scan instead of JSON parsing.
export const MIGRATIONS: readonly Migration[] = [
    {
        name: 'deliveries, events, sessions, people, settings, sync log',
        sql: (t) => `
    CREATE TABLE deliveries (
        id ${t.identity},
        received_at ${t.bigint} NOT NULL,
        event ${t.text},
        body ${t.text} NOT NULL,
        body_hash ${t.text} NOT NULL UNIQUE,
        state ${t.text} NOT NULL CHECK (state IN ('pending', 'done', 'quarantined')),
        error ${t.text}
    );
    CREATE INDEX deliveries_by_state ON deliveries (state, id);

    CREATE TABLE events (
        event_id ${t.key} PRIMARY KEY,
        title ${t.text},
        on_demand ${t.boolean} NOT NULL,
        registration_link ${t.text},
        enabled ${t.boolean},
        fetched_at ${t.bigint}
    );

    CREATE TABLE sessions (
        session_id ${t.key} PRIMARY KEY,
        event_id ${t.key} NOT NULL,
        state ${t.json} NOT NULL,
        version ${t.integer} NOT NULL,
        synced_version ${t.integer} NOT NULL,
        campaign_id ${t.text},
        campaign_created_by_us ${t.boolean} NOT NULL,
        statuses_ready ${t.boolean} NOT NULL,
        failure ${t.json},
        next_attempt_at ${t.bigint}
    );
    CREATE INDEX sessions_by_event ON sessions (event_id);
    CREATE INDEX sessions_dirty ON sessions (session_id, next_attempt_at) WHERE version > synced_version;

    CREATE TABLE people (
        session_id ${t.key} NOT NULL,
        person_id ${t.key} NOT NULL,
        event_id ${t.key} NOT NULL,
        state ${t.json} NOT NULL,
        version ${t.integer} NOT NULL,
        synced_version ${t.integer} NOT NULL,
        sf_object ${t.text} CHECK (sf_object IN ('Lead', 'Contact')),
        sf_id ${t.text},
        member_id ${t.text},
        failure ${t.json},
        next_attempt_at ${t.bigint},
        failed_at ${t.bigint},
        role ${t.text} NOT NULL,
        attendance ${t.text} NOT NULL,
        replay_watched ${t.boolean} NOT NULL,
        registration_order ${t.bigint} NOT NULL,
        PRIMARY KEY (session_id, person_id)
    );
    CREATE INDEX people_dirty ON people (session_id, registration_order, person_id, next_attempt_at)
        WHERE version > synced_version;
    CREATE INDEX people_failed ON people (failed_at) WHERE failure IS NOT NULL;
    CREATE INDEX people_counts ON people (session_id, role, attendance, replay_watched);

    CREATE TABLE settings (
        key ${t.text} PRIMARY KEY,
        value ${t.json} NOT NULL
    );

    CREATE TABLE sync_log (
        id ${t.identity},
        at ${t.bigint} NOT NULL,
        session_id ${t.text},
        kind ${t.text} NOT NULL,
        api_calls ${t.integer} NOT NULL,
        ok ${t.integer} NOT NULL,
        failed ${t.integer} NOT NULL,
        message ${t.text} NOT NULL
    );`
    },
    // The person status: warnings, the member status last written and when; sessions set aside with their reason;
    // the people search reads (search_email, session_id, person_id) in order and filters on the lower-cased e-mail
    // and name held in the same index, so a page never reads the rows it skips.
    {
        name: 'person status columns, sessions set aside, people search index',
        sql: (t, dialect) => {
            const field = (name: string) =>
                dialect === 'sqlite' ? `json_extract(state, '$.${name}')` : `state->>'${name}'`;
            return `
    ALTER TABLE people ADD COLUMN warnings ${t.json} NOT NULL DEFAULT '[]';
    ALTER TABLE people ADD COLUMN member_status ${t.text};
    ALTER TABLE people ADD COLUMN written_at ${t.bigint};
    ALTER TABLE people ADD COLUMN search_email ${t.key} NOT NULL DEFAULT '';
    ALTER TABLE people ADD COLUMN search_name ${t.key} NOT NULL DEFAULT '';
    UPDATE people SET
        search_email = lower(coalesce(${field('email')}, '')),
        search_name = lower(trim(coalesce(${field('firstName')}, '') || ' ' || coalesce(${field('lastName')}, '')));
    CREATE INDEX people_search ON people (search_email, session_id, person_id, search_name);
    ALTER TABLE sessions ADD COLUMN set_aside ${t.json};`;
        }
    },
    // The Campaign's Name as last written or read, for the admin page's sessions view.
    {
        name: 'Campaign name of a session',
        sql: (t) => `
    ALTER TABLE sessions ADD COLUMN campaign_name ${t.text};`
    },
    // Several instances on one database: who writes which session (a lease renewed while the pass runs, taken over
    // once expired), and which e-mails a pass in flight is resolving or creating (so two instances never create two
    // Leads for one person). Times are the database's clock, in ms.
    {
        name: 'session leases and e-mail claims',
        sql: (t) => `
    CREATE TABLE session_leases (
        session_id ${t.key} PRIMARY KEY,
        owner ${t.text} NOT NULL,
        acquired_at ${t.bigint} NOT NULL,
        expires_at ${t.bigint} NOT NULL,
        released ${t.boolean} NOT NULL,
        taken_over_from ${t.text}
    );

    CREATE TABLE email_claims (
        email ${t.key} PRIMARY KEY,
        owner ${t.text} NOT NULL,
        expires_at ${t.bigint} NOT NULL
    );
    CREATE INDEX email_claims_by_owner ON email_claims (owner);`
    },
    // The people of one session in the people search's order (the admin page's people of a session, and
    // searchPersonStatuses with a sessionId): a page reads that session's part of the index from the cursor on instead
    // of sorting all of the session's people.
    {
        name: 'people search within a session',
        sql: () => `
    CREATE INDEX people_session_search ON people (session_id, search_email, person_id, search_name);`
    }
];

/** The schema version this listener writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;

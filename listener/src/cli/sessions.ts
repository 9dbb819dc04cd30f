// `livestorm-sf sessions list`: which sessions the listener knows, their Campaign and whether they are synced, from the
// command line. The same items as the admin page and `GET /admin/api/sessions` (admin/views.ts readSessions, which
// takes the state token and its reason from sync/person-status.ts), read from the store the running listener uses.
// Only reads: the listener may be writing the same store meanwhile.
import { DEFAULT_SESSIONS_LIMIT, MAX_SESSIONS_LIMIT, readSessions } from '../admin/views.ts';
import type { SessionsPage, SessionView } from '../admin/views.ts';
import { listenerOnDataDir } from '../store/data-dir-lock.ts';
import type { RunningListener } from '../store/store.ts';
import { InvalidCursorError } from '../sync/person-status.ts';
import type { CliCommand } from './command.ts';
import { CliError, instanceUrlFrom, withStore } from './context.ts';
import { formatTable } from './table.ts';

/**
 * The listener running on the store, for the sessions' writers: on the embedded store, the holder of the data
 * directory (a lease of anyone else was left by a stopped listener); on PostgreSQL nobody can tell from here.
 */
function runningListener(config: { databaseUrl?: string | null; dataDir: string }): RunningListener {
    if (config.databaseUrl) return { embedded: false, instanceId: null };
    const holder = listenerOnDataDir(config.dataDir);
    // A listener that is starting has not written who it is yet: no lease is called left behind meanwhile.
    if (holder === 'unknown') return { embedded: false, instanceId: null };
    return { embedded: true, instanceId: holder?.instanceId ?? null };
}

const HELP_HINT = 'Run "livestorm-sf sessions list --help" for its options.';

const when = (iso: string | null): string => (iso === null ? '—' : iso.replace('T', ' ').slice(0, 16));

/** A word as the shell reads it back: quoted unless it is plainly safe. */
function shellWord(word: string): string {
    return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `--limit` as the admin API takes it: a whole number from 1 to MAX_SESSIONS_LIMIT. */
function parseLimit(raw: string | boolean | undefined): number {
    if (raw === undefined || typeof raw === 'boolean') return DEFAULT_SESSIONS_LIMIT;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(value) || value < 1 || value > MAX_SESSIONS_LIMIT)
        throw new CliError(
            `--limit must be a whole number from 1 to ${MAX_SESSIONS_LIMIT}, not "${raw}". ${HELP_HINT}`,
            2
        );
    return value;
}

function campaignCell(session: SessionView): string {
    const campaign = session.campaign;
    if (campaign.id === null) return 'not created yet';
    return campaign.name ? `${campaign.name} (${campaign.id})` : campaign.id;
}

function membersCell(session: SessionView): string {
    const members = Object.entries(session.members);
    return members.length ? members.map(([status, count]) => `${status} ${count}`).join(', ') : 'none yet';
}

/**
 * A page of sessions as text: a table (one row per session), then the reason of every session that is not synced,
 * the Campaign links when the org's URL is known, and how to see the next page.
 * @param next the command line that prints the next page, or null on the last page
 */
export function describeSessions(page: SessionsPage, next: string | null): string {
    const rows = page.sessions.map((session) => [
        when(session.startsAt),
        session.eventTitle
            ? `${session.eventTitle}${session.sessionName ? ` — ${session.sessionName}` : ''}`
            : `event ${session.eventId}`,
        session.sessionId,
        campaignCell(session),
        session.state,
        String(session.counts.registrants),
        String(session.counts.attendees),
        String(session.counts.noShows),
        String(session.counts.replayViewers),
        String(session.waitingPeople),
        String(session.failedPeople),
        membersCell(session)
    ]);
    const lines = [
        formatTable(
            [
                'STARTS (UTC)',
                'EVENT',
                'SESSION',
                'CAMPAIGN',
                'STATE',
                'REGISTERED',
                'ATTENDED',
                'NO-SHOWS',
                'REPLAYS',
                'WAITING',
                'FAILED',
                'MEMBERS BY STATUS'
            ],
            rows
        )
    ];
    const unsynced = page.sessions.filter((session) => session.state !== 'synced');
    if (unsynced.length) {
        lines.push('', 'Not synced:');
        for (const session of unsynced)
            lines.push(`  ${session.sessionId} (${session.state}): ${session.reason}`);
        if (unsynced.some((session) => session.state === 'failed'))
            lines.push(
                '  Who was refused and why: the admin page\'s People view, or "livestorm-sf people show <e-mail>".'
            );
    }
    const linked = page.sessions.filter((session) => session.campaign.url !== null);
    if (linked.length) {
        lines.push('', 'Campaigns:');
        for (const session of linked) lines.push(`  ${session.sessionId}  ${session.campaign.url}`);
    }
    if (next) lines.push('', `More sessions: ${next}`);
    return lines.join('\n');
}

/**
 * Why nothing was listed and what to check: the filters given (and how to drop them), or, with none, that the listener
 * has received no session yet or the command reads another store than the listener's.
 * @param where the store read, in words ("the store in /srv/.data")
 */
function noSessionSentence(
    where: string,
    given: { eventId: string; q: string; cursor: string | null }
): string {
    const { eventId, q, cursor } = given;
    const filters = [
        ...(eventId ? [`of event ${eventId}`] : []),
        ...(q ? [`matching "${q}"`] : []),
        ...(cursor ? ['after the given --cursor'] : [])
    ];
    if (filters.length === 0)
        return `No session in ${where}. Either the listener has not received any session yet (check that Livestorm's webhooks point at it, e.g. session.created), or DATA_DIR / DATABASE_URL is not the running listener's: run the command from the directory where you run npm start.`;
    const checks = [
        ...(eventId ? ['the event id ("livestorm-sf events list")'] : []),
        ...(q
            ? [
                  'the text (it is looked for in the session id and name, the Campaign Name and the event title)'
              ]
            : [])
    ];
    const options = [
        ...(eventId ? ['--event'] : []),
        ...(q ? ['--search'] : []),
        ...(cursor ? ['--cursor'] : [])
    ];
    const without =
        options.length > 1 ? `${options.slice(0, -1).join(', ')} and ${options.at(-1)}` : options[0];
    return `No session ${filters.join(' ')} in ${where}. ${checks.length ? `Check ${checks.join(' and ')}, or run` : 'Run'} without ${without}.`;
}

export const sessionsList: CliCommand = {
    name: 'sessions list',
    summary: 'list sessions with their Campaign, whether each is synced, and why',
    options: {
        event: { type: 'string', help: 'only the sessions of this event', placeholder: 'event id' },
        search: {
            type: 'string',
            help: 'only sessions whose id, name, Campaign Name or event title contains this text',
            placeholder: 'text'
        },
        limit: {
            type: 'string',
            help: `how many to show (default ${DEFAULT_SESSIONS_LIMIT}, at most ${MAX_SESSIONS_LIMIT})`,
            placeholder: 'n'
        },
        cursor: {
            type: 'string',
            help: 'the next page: the value the previous page printed (nextCursor in JSON)',
            placeholder: 'value'
        },
        json: {
            type: 'boolean',
            help: 'print { "sessions": [...], "nextCursor": ... } as GET /admin/api/sessions does'
        }
    },
    details:
        "The same sessions, Campaigns and states as the admin page's Sessions view: synced, waiting, writing, failed, set_aside or disabled, with the reason. When there are more, the last line gives the command for the next page (the same options with --cursor). Campaign links are shown when SF_INSTANCE_URL (or a My Domain SF_LOGIN_URL) is set. Exit code 0 when at least one session is printed, 1 when none, 2 on a usage error, 3 when the store cannot be read.",
    async run({ values }, ctx) {
        const limit = parseLimit(values.limit);
        const eventId = typeof values.event === 'string' ? values.event.trim() : '';
        const q = typeof values.search === 'string' ? values.search.trim() : '';
        const cursor = typeof values.cursor === 'string' && values.cursor !== '' ? values.cursor : null;
        return withStore(ctx, async (store, config) => {
            const settings = await ctx.loadSettings(config.configFile);
            let page: SessionsPage;
            try {
                page = await readSessions(
                    {
                        store,
                        settings,
                        instanceUrl: () => instanceUrlFrom(ctx),
                        livestormConfigured: Boolean(ctx.env.LIVESTORM_API_TOKEN?.trim()),
                        running: runningListener(config)
                    },
                    { ...(q ? { q } : {}), ...(eventId ? { eventId } : {}), limit, cursor }
                );
            } catch (error) {
                if (error instanceof InvalidCursorError)
                    throw new CliError(
                        `--cursor "${cursor}" is not a page this listener printed: run the command again without --cursor. ${HELP_HINT}`,
                        2
                    );
                throw error;
            }
            if (values.json) {
                ctx.stdout(JSON.stringify(page, null, 2));
                return page.sessions.length ? 0 : 1;
            }
            if (page.sessions.length === 0) {
                ctx.stderr(
                    noSessionSentence(
                        config.databaseUrl
                            ? 'the database at DATABASE_URL'
                            : `the store in ${config.dataDir}`,
                        { eventId, q, cursor }
                    )
                );
                return 1;
            }
            const next =
                page.nextCursor === null
                    ? null
                    : [
                          'livestorm-sf sessions list',
                          ...(eventId ? ['--event', shellWord(eventId)] : []),
                          ...(q ? ['--search', shellWord(q)] : []),
                          ...(values.limit !== undefined ? ['--limit', String(limit)] : []),
                          '--cursor',
                          page.nextCursor
                      ].join(' ');
            ctx.stdout(describeSessions(page, next));
            return 0;
        });
    }
};

// `livestorm-sf backfill`: the explicit opt-in for sessions that ended before the listener knew them. It reads them
// and their people from the Livestorm API and folds them into the store exactly as the engine folds what it reads
// itself (a session from the API, attendance as people.attended / people.not_attended); the running listener then
// writes them to Salesforce. It never talks to Salesforce.
import { createInterface } from 'node:readline';
import cliProgress from 'cli-progress';
import { eventEnablement } from '../config/event-enablement.ts';
import { DEFAULT_LIVESTORM_API_URL, parseStoreEnv } from '../config/env.ts';
import type { Env } from '../config/env.ts';
import type { Settings } from '../config/settings.ts';
import { applyFoldItems } from '../fold/folder.ts';
import type { FoldItem } from '../fold/folder.ts';
import { createLivestormClient, LivestormApiError } from '../livestorm/client.ts';
import type {
    LivestormClient,
    LivestormClientOptions,
    LivestormEvent,
    LivestormSession
} from '../livestorm/client.ts';
import { personAttributesSchema, sessionAttributesSchema } from '../livestorm/webhook-schema.ts';
import type { SessionRow, Store } from '../store/store.ts';
import type { CliCommand } from './command.ts';
import { CliError, withStore } from './context.ts';
import type { CliContext } from './context.ts';
import { formatTable } from './table.ts';

/** Sessions a backfill takes: they took place (or were due to) and are over. Canceled ones never happened. */
const ENDED_STATUSES = new Set(['past', 'past_not_started']);
/** The code of a session the running listener set aside (past-sessions.ts), in a backfill's outcome. */
const SET_ASIDE = 'SET_ASIDE';
/** Livestorm's page size for people lists: one API call per 100 registrants. */
const PEOPLE_PER_CALL = 100;

/**
 * Store setting listing the sessions an operator backfilled: the engine's "ended before the listener started" rule
 * must not apply to them.
 */
import { BACKFILLED_SESSIONS_SETTING } from '../sync/engine.ts';
export { BACKFILLED_SESSIONS_SETTING };

export interface BackfillTarget {
    event: LivestormEvent;
    session: LivestormSession;
    /** The session as the store knows it, if at all. */
    known: SessionRow | undefined;
}

export interface BackfillPlan {
    targets: BackfillTarget[];
    /** Events left out because they are not synced (listing all events only). */
    disabledEvents: LivestormEvent[];
}

export interface SessionBackfillResult {
    sessionId: string;
    people: number;
    attended: number;
    notAttended: number;
    watchedReplay: number;
    /** True when the session had been set aside as ended before the listener started, and no longer is. */
    clearedSetAside: boolean;
}

/** Unix seconds a session started, or was due to. */
export function sessionStartSec(session: LivestormSession): number {
    return session.startedAt > 0 ? session.startedAt : session.estimatedStartedAt;
}

/** `--since 2025-01-31` as unix seconds at 00:00 UTC. */
export function parseSince(value: string): number {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
    if (!match || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
        throw new CliError(`--since must be a date written YYYY-MM-DD, e.g. 2025-01-31; got "${value}".`);
    }
    return ms / 1000;
}

/**
 * Which ended sessions a backfill would fold: those of one event, or of every synced event, since a date.
 * @throws CliError for an unknown or disabled event
 */
export async function planBackfill(
    livestorm: LivestormClient,
    store: Store,
    settings: Settings,
    filter: { eventId?: string; sinceSec?: number } = {}
): Promise<BackfillPlan> {
    const events: LivestormEvent[] = [];
    const disabledEvents: LivestormEvent[] = [];
    if (filter.eventId !== undefined) {
        let event: LivestormEvent;
        try {
            event = await livestorm.getEvent(filter.eventId);
        } catch (error) {
            if (error instanceof LivestormApiError && error.status === 404) {
                throw new CliError(`Livestorm has no event ${filter.eventId} (or the token cannot see it).`);
            }
            throw error;
        }
        const enablement = eventEnablement(
            { eventId: event.id, enabled: (await store.getEvent(event.id))?.enabled ?? null },
            settings
        );
        if (!enablement.enabled) {
            throw new CliError(
                `Event "${event.title}" (${event.id}) is not synced (${enablement.because}): enable it first with \`livestorm-sf events enable ${event.id}\`, or the listener would not write what backfill folds.`
            );
        }
        events.push(event);
    } else {
        for await (const event of livestorm.listEvents()) {
            const row = await store.getEvent(event.id);
            const enabled = eventEnablement({ eventId: event.id, enabled: row?.enabled ?? null }, settings);
            (enabled.enabled ? events : disabledEvents).push(event);
        }
    }
    const targets: BackfillTarget[] = [];
    for (const event of events) {
        const sessions: LivestormSession[] = [];
        for await (const session of livestorm.listEventSessions(event.id)) {
            if (!ENDED_STATUSES.has(session.status)) continue;
            if (filter.sinceSec !== undefined && sessionStartSec(session) < filter.sinceSec) continue;
            sessions.push(session);
        }
        const known = new Map(
            (await store.getSessions(sessions.map((session) => session.id))).map((row) => [
                row.sessionId,
                row
            ])
        );
        sessions.sort((a, b) => sessionStartSec(a) - sessionStartSec(b));
        for (const session of sessions) targets.push({ event, session, known: known.get(session.id) });
    }
    return { targets, disabledEvents };
}

/**
 * Folds one ended session and everyone registered to it, as the engine folds what it reads from the API: the
 * session with source "api", each person as attended or not attended (and watched the replay when they did).
 * @param onPerson called for each person read, for progress
 */
export async function backfillSession(
    livestorm: LivestormClient,
    store: Store,
    target: BackfillTarget,
    onPerson: () => void = () => {}
): Promise<SessionBackfillResult> {
    const { event, session } = target;
    await store.putEvent({
        eventId: event.id,
        title: event.title,
        onDemand: event.onDemand,
        registrationLink: event.registrationLink,
        enabled: (await store.getEvent(event.id))?.enabled ?? null,
        fetchedAt: Date.now()
    });
    const items: FoldItem[] = [];
    const sessionAttributes = sessionAttributesSchema.safeParse(session.raw.attributes);
    if (!sessionAttributes.success) {
        throw new CliError(
            `Livestorm sent session ${session.id} in a shape the listener cannot read: ${sessionAttributes.error.issues[0]?.message ?? 'invalid'}.`
        );
    }
    items.push({ kind: 'session', source: 'api', sessionId: session.id, attributes: sessionAttributes.data });
    const result: SessionBackfillResult = {
        sessionId: session.id,
        people: 0,
        attended: 0,
        notAttended: 0,
        watchedReplay: 0,
        clearedSetAside: false
    };
    for await (const resource of livestorm.listSessionPeople(session.id)) {
        onPerson();
        const parsed = personAttributesSchema.safeParse(resource.attributes);
        if (!parsed.success) continue;
        const attended = parsed.data.registrant_detail.attended === true;
        items.push({
            kind: 'person',
            event: attended ? 'people.attended' : 'people.not_attended',
            personId: resource.id,
            attributes: parsed.data
        });
        if (parsed.data.registrant_detail.has_viewed_replay === true) {
            items.push({
                kind: 'person',
                event: 'people.watched_replay',
                personId: resource.id,
                attributes: parsed.data
            });
            result.watchedReplay += 1;
        }
        result.people += 1;
        if (attended) result.attended += 1;
        else result.notAttended += 1;
    }
    // One commit: the session and its people land together or not at all.
    await applyFoldItems(store, items);
    const [row] = await store.getSessions([session.id]);
    if (row?.setAside) {
        await store.saveSyncedSession({ ...row, setAside: null });
        result.clearedSetAside = true;
    }
    return result;
}

async function rememberBackfilled(store: Store, sessionIds: string[]): Promise<void> {
    const previous = (await store.getSetting<string[]>(BACKFILLED_SESSIONS_SETTING)) ?? [];
    await store.setSetting(BACKFILLED_SESSIONS_SETTING, [...new Set([...previous, ...sessionIds])]);
}

export interface WaitOutcome {
    synced: string[];
    /** Sessions the listener set aside, with its reason. */
    refused: { sessionId: string; code: string; message: string }[];
    /** Sessions still waiting when the time ran out. */
    pending: string[];
}

/**
 * Polls the store until the running listener has written every session (none is dirty any more).
 * @param onProgress called with the number of sessions settled so far
 */
export async function waitUntilWritten(
    store: Store,
    sessionIds: string[],
    options: { pollMs: number; timeoutMs: number; onProgress?: (settled: number) => void }
): Promise<WaitOutcome> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
        const dirty = new Set(await store.dirtySessionIds(Date.now()));
        const rows = new Map(
            (await store.getSessions(sessionIds)).map((row) => [row.sessionId, row] as const)
        );
        const outcome: WaitOutcome = { synced: [], refused: [], pending: [] };
        for (const sessionId of sessionIds) {
            const row = rows.get(sessionId);
            if (!row || dirty.has(sessionId)) outcome.pending.push(sessionId);
            else if (row.setAside) {
                outcome.refused.push({ sessionId, code: SET_ASIDE, message: row.setAside.reason });
            } else if (row.failure) {
                outcome.refused.push({ sessionId, code: row.failure.code, message: row.failure.message });
            } else outcome.synced.push(sessionId);
        }
        options.onProgress?.(outcome.synced.length + outcome.refused.length);
        if (outcome.pending.length === 0 || Date.now() >= deadline) return outcome;
        await new Promise((resolve) => setTimeout(resolve, options.pollMs));
    }
}

export interface BackfillDeps {
    /** Where the confirmation is read; default process.stdin. */
    stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
    /** Where the progress bars are drawn; default process.stderr (no bars when it is not a terminal). */
    progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
    createLivestormClient?: (options: LivestormClientOptions) => LivestormClient;
    /** --wait: how often the store is polled, and for how long at most. */
    waitPollMs?: number;
    waitTimeoutMs?: number;
}

function livestormFrom(env: Env, deps: BackfillDeps): LivestormClient {
    const token = env.LIVESTORM_API_TOKEN?.trim();
    if (!token) {
        throw new CliError(
            'backfill reads past sessions from the Livestorm API: set LIVESTORM_API_TOKEN (Livestorm › Account settings › Integrations › Public API).'
        );
    }
    const baseUrl = env.LIVESTORM_API_URL?.trim() || DEFAULT_LIVESTORM_API_URL;
    if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
        throw new CliError(`LIVESTORM_API_URL must be an http(s) URL, e.g. ${DEFAULT_LIVESTORM_API_URL}.`);
    }
    return (deps.createLivestormClient ?? createLivestormClient)({ baseUrl, token });
}

async function confirm(ctx: CliContext, stdin: NonNullable<BackfillDeps['stdin']>, question: string) {
    const lines = createInterface({ input: stdin, terminal: false });
    try {
        ctx.stdout(`${question} [y/N]`);
        for await (const line of lines) return /^\s*y(es)?\s*$/i.test(line);
        return false;
    } finally {
        lines.close();
    }
}

function formatDate(seconds: number): string {
    return seconds > 0 ? `${new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC` : '-';
}

function storeState(target: BackfillTarget): string {
    const row = target.known;
    if (!row) return 'not in the store';
    if (row.campaignId) return `Campaign ${row.campaignId}`;
    if (row.setAside) return 'set aside (ended before the listener started)';
    return 'no Campaign yet';
}

function plural(count: number, word: string): string {
    return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function people(count: number): string {
    return `${count} ${count === 1 ? 'person' : 'people'}`;
}

function createBars(stream: NonNullable<BackfillDeps['progressStream']>) {
    return new cliProgress.MultiBar(
        {
            stream,
            format: '{name} |{bar}| {value}/{total} {detail}',
            hideCursor: true,
            clearOnComplete: false,
            barsize: 30
        },
        cliProgress.Presets.shades_classic
    );
}

export function createBackfillCommand(deps: BackfillDeps = {}): CliCommand {
    return {
        name: 'backfill',
        summary: 'sync past sessions of an event (or of every synced event) from Livestorm',
        options: {
            event: {
                type: 'string',
                help: 'only this Livestorm event (default: every synced event)',
                placeholder: 'id'
            },
            since: {
                type: 'string',
                help: 'only sessions that started on or after this day (UTC)',
                placeholder: 'YYYY-MM-DD'
            },
            yes: {
                type: 'boolean',
                help: 'do not ask for confirmation (required when stdin is not a terminal)'
            },
            wait: { type: 'boolean', help: 'wait until the running listener has written them to Salesforce' }
        },
        details:
            'The listener creates Campaigns only for sessions that are upcoming when it learns of them. backfill reads\n' +
            'ended sessions and their registrants (with attendance and replay views) from the Livestorm API and stores\n' +
            'them; the running listener writes them to Salesforce. Needs LIVESTORM_API_TOKEN. Costs one Livestorm call\n' +
            'per 100 registrants, plus the listings, out of 10,000 per 30 days.',
        async run({ values }, ctx) {
            const sinceSec = typeof values.since === 'string' ? parseSince(values.since) : undefined;
            const eventId = typeof values.event === 'string' ? values.event : undefined;
            const livestorm = livestormFrom(ctx.env, deps);
            const stdin = deps.stdin ?? process.stdin;
            const progressStream = deps.progressStream ?? process.stderr;
            const storeConfig = parseStoreEnv(ctx.env);
            return withStore(ctx, async (store) => {
                const settings = await ctx.loadSettings(storeConfig.configFile);
                const plan = await planBackfill(livestorm, store, settings, {
                    ...(eventId === undefined ? {} : { eventId }),
                    ...(sinceSec === undefined ? {} : { sinceSec })
                });
                if (plan.disabledEvents.length > 0) {
                    ctx.stdout(
                        `Skipping ${plural(plan.disabledEvents.length, 'event')} that ${plan.disabledEvents.length === 1 ? 'is' : 'are'} not synced: ${plan.disabledEvents.map((event) => `"${event.title}" (${event.id})`).join(', ')}.`
                    );
                }
                if (plan.targets.length === 0) {
                    ctx.stdout(
                        `No ended session to backfill${sinceSec === undefined ? '' : ` since ${String(values.since)}`}.`
                    );
                    return 0;
                }
                const registrants = plan.targets.reduce(
                    (sum, target) => sum + target.session.registrantsCount,
                    0
                );
                const calls = plan.targets.reduce(
                    (sum, target) =>
                        sum + Math.max(1, Math.ceil(target.session.registrantsCount / PEOPLE_PER_CALL)),
                    0
                );
                ctx.stdout(
                    formatTable(
                        ['EVENT', 'SESSION', 'STARTED', 'REGISTRANTS', 'ATTENDEES', 'IN THE STORE'],
                        plan.targets.map((target) => [
                            target.event.title,
                            target.session.id,
                            formatDate(sessionStartSec(target.session)),
                            String(target.session.registrantsCount),
                            String(target.session.attendeesCount),
                            storeState(target)
                        ])
                    )
                );
                ctx.stdout(
                    `\nbackfill will store ${plural(plan.targets.length, 'session')} and about ${plural(registrants, 'registrant')} (about ${plural(calls, 'Livestorm API call')}); the running listener then creates their Campaigns and Campaign Members.`
                );
                if (!values.yes) {
                    if (!stdin.isTTY) {
                        throw new CliError(
                            'Nothing done: standard input is not a terminal, so backfill cannot ask for confirmation. Run it again with --yes.'
                        );
                    }
                    if (!(await confirm(ctx, stdin, 'Go ahead?'))) {
                        ctx.stdout('Nothing done.');
                        return 1;
                    }
                }

                const interactive = progressStream.isTTY === true;
                const bars = interactive ? createBars(progressStream) : undefined;
                const sessionBar = bars?.create(plan.targets.length, 0, { name: 'Sessions', detail: '' });
                const peopleBar = bars?.create(registrants, 0, { name: 'People  ', detail: '' });
                const results: SessionBackfillResult[] = [];
                let peopleRead = 0;
                try {
                    for (const [index, target] of plan.targets.entries()) {
                        sessionBar?.update(index, {
                            detail: `${target.event.title} ${formatDate(sessionStartSec(target.session))}`
                        });
                        const result = await backfillSession(livestorm, store, target, () => {
                            peopleRead += 1;
                            if (peopleBar && peopleRead > peopleBar.getTotal())
                                peopleBar.setTotal(peopleRead);
                            peopleBar?.increment();
                        });
                        results.push(result);
                        await rememberBackfilled(store, [target.session.id]);
                        sessionBar?.increment();
                        if (!interactive) {
                            ctx.stdout(
                                `[${index + 1}/${plan.targets.length}] ${target.event.title}, ${formatDate(sessionStartSec(target.session))} (${target.session.id}): ${people(result.people)} stored.`
                            );
                        }
                    }
                } finally {
                    sessionBar?.update({ detail: '' });
                    bars?.stop();
                }

                const total = (pick: (result: SessionBackfillResult) => number) =>
                    results.reduce((sum, result) => sum + pick(result), 0);
                const cleared = results.filter((result) => result.clearedSetAside).length;
                ctx.stdout(
                    [
                        `Stored ${plural(results.length, 'session')} and ${people(total((r) => r.people))}: ${total((r) => r.attended)} attended, ${total((r) => r.notAttended)} did not attend, ${total((r) => r.watchedReplay)} watched the replay.`,
                        ...(cleared > 0
                            ? [
                                  `${plural(cleared, 'session')} set aside as ended before the listener started ${cleared === 1 ? 'is' : 'are'} queued again.`
                              ]
                            : []),
                        `Livestorm API calls: ${livestorm.usage().calls}${livestorm.usage().lastRemaining === undefined ? '' : ` (${livestorm.usage().lastRemaining} left this period)`}.`
                    ].join('\n')
                );
                if (!values.wait) {
                    ctx.stdout(
                        'The running listener writes them to Salesforce on its next pass (see `livestorm-sf events list` and the admin page); run with --wait to follow it.'
                    );
                    return 0;
                }

                const sessionIds = results.map((result) => result.sessionId);
                const waitBars = interactive ? createBars(progressStream) : undefined;
                const writtenBar = waitBars?.create(sessionIds.length, 0, { name: 'Written ', detail: '' });
                let outcome: WaitOutcome;
                try {
                    outcome = await waitUntilWritten(store, sessionIds, {
                        pollMs: deps.waitPollMs ?? 1000,
                        timeoutMs: deps.waitTimeoutMs ?? 30 * 60_000,
                        onProgress: (settled) => writtenBar?.update(settled)
                    });
                } finally {
                    waitBars?.stop();
                }
                ctx.stdout(`The listener wrote ${plural(outcome.synced.length, 'session')} to Salesforce.`);
                for (const refused of outcome.refused)
                    ctx.stdout(`Session ${refused.sessionId} was not written: ${refused.message}`);
                if (outcome.refused.some((refused) => refused.code === SET_ASIDE)) {
                    ctx.stdout(
                        'The running listener still sets aside sessions that ended before it was first started: turn on "syncPastSessions" (config file or admin page) and run backfill again.'
                    );
                }
                if (outcome.pending.length > 0) {
                    ctx.stdout(
                        `${plural(outcome.pending.length, 'session')} not written yet: is the listener running? Check /healthz.`
                    );
                }
                return outcome.refused.length === 0 && outcome.pending.length === 0 ? 0 : 1;
            });
        }
    };
}

export const backfill: CliCommand = createBackfillCommand();

// The admin API's answer times on a large store: a people search with 100,000 people and a sessions page with 5,000
// sessions (the full run's sizes), measured over HTTP against the listener's own app on the embedded store, the way
// an admin's browser or script asks. The store is filled directly (commitFold, as the fold writes it), without
// Salesforce: these figures are about reading, not syncing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { createApp } from '../../listener/src/app.ts';
import { parseEnv } from '../../listener/src/config/env.ts';
import { defaultSettings } from '../../listener/src/config/settings.ts';
import type { PersonState, SessionState } from '../../listener/src/store/state.ts';
import { createSqliteStore } from '../../listener/src/store/sqlite.ts';
import type { PersonRow, SessionRow } from '../../listener/src/store/store.ts';
import { createRecordingEngine } from '../../listener/test/test-doubles.ts';
import { percentile, round } from './stats.ts';

const ADMIN_TOKEN = 'bench-admin-token-0123456789';

export interface AdminBenchOptions {
    people: number;
    sessions: number;
    /** Timed requests of each kind (after a few warm-up ones). */
    requests: number;
}

export interface AdminBenchResult {
    peopleSearchP95Ms: number;
    peopleSearchP50Ms: number;
    sessionsPageP95Ms: number;
    sessionsPageP50Ms: number;
    fillSeconds: number;
}

function sessionState(sessionId: string, eventId: string, index: number): SessionState {
    const start = 1_780_000_000 + index * 3_600;
    return {
        sessionId,
        eventId,
        status: 'upcoming',
        timezone: 'Europe/Paris',
        name: index % 3 === 0 ? `Cohort ${index}` : null,
        roomLink: null,
        estimatedStartedAt: start,
        startedAt: 0,
        endedAt: 0,
        canceledAt: 0,
        createdAt: start - 86_400,
        updatedAt: start - 86_400
    };
}

function personState(sessionId: string, eventId: string, index: number): PersonState {
    return {
        personId: `person-${index}`,
        sessionId,
        eventId,
        role: 'participant',
        email: `registrant-${index}@company-${index % 997}.example.com`,
        emailProblem: null,
        firstName: `Bench${index % 1_000}`,
        lastName: `Person ${index}`,
        fields: { company: `Company ${index % 997}`, job_title: 'Engineer' },
        utm: { source: null, medium: null, campaign: null, term: null, content: null },
        referrer: null,
        joinLink: null,
        registeredAt: 1_779_000_000 + index,
        attendance: index % 3 === 0 ? 'registered' : index % 3 === 1 ? 'attended' : 'not_attended',
        engagement: {
            durationSeconds: null,
            ratePercent: null,
            messages: null,
            questions: null,
            votes: null,
            upVotes: null
        },
        replayWatched: index % 5 === 0,
        replayWatchedAt: null,
        updatedAt: 1_779_000_000 + index,
        ipCity: null,
        ipCountry: null
    } as PersonState;
}

/**
 * Fills a store with `sessions` sessions (one event per 10) and `people` people spread over them, serves the
 * listener's app over HTTP, and times `GET /admin/api/people?q=…` and `GET /admin/api/sessions` pages.
 * @returns p50 and p95 in milliseconds of each, and how long the store took to fill
 */
export async function measureAdmin(options: AdminBenchOptions): Promise<AdminBenchResult> {
    const dataDir = await mkdtemp(join(tmpdir(), 'lsf-bench-admin-'));
    const store = await createSqliteStore({ dataDir });
    const server = { close: (): Promise<void> => Promise.resolve() };
    try {
        const fillStart = performance.now();
        const sessions: SessionRow[] = [];
        for (let index = 0; index < options.sessions; index++) {
            const sessionId = `session-${index}`;
            const eventId = `event-${Math.floor(index / 10)}`;
            sessions.push({
                sessionId,
                eventId,
                state: sessionState(sessionId, eventId, index),
                version: 2,
                syncedVersion: 2,
                campaignId: `701${String(index).padStart(15, '0')}`,
                campaignCreatedByUs: true,
                campaignName: `Webinar ${Math.floor(index / 10)} - 2026-06-${String((index % 28) + 1).padStart(2, '0')}`,
                statusesReady: true,
                failure: null,
                setAside: null
            });
        }
        const events = [...new Set(sessions.map((session) => session.eventId))].map((eventId) => ({
            eventId,
            title: `Webinar ${eventId.slice(6)}`,
            onDemand: false,
            registrationLink: null,
            enabled: null,
            fetchedAt: null
        }));
        await store.commitFold({ sessions, people: [], events, doneDeliveryIds: [], quarantined: [] });
        const batch = 2_000;
        for (let first = 0; first < options.people; first += batch) {
            const people: PersonRow[] = [];
            for (let index = first; index < Math.min(first + batch, options.people); index++) {
                const session = sessions[index % sessions.length]!;
                const failed = index % 50 === 0;
                people.push({
                    sessionId: session.sessionId,
                    personId: `person-${index}`,
                    eventId: session.eventId,
                    state: personState(session.sessionId, session.eventId, index),
                    version: 1,
                    syncedVersion: 1,
                    sfObject: 'Lead',
                    sfId: failed ? null : `00Q${String(index).padStart(15, '0')}`,
                    memberId: failed ? null : `00v${String(index).padStart(15, '0')}`,
                    failure: failed
                        ? {
                              code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
                              message: 'Industry is required',
                              fields: [],
                              attempts: 1,
                              nextAttemptAt: Date.now() + 3_600_000,
                              at: Date.now()
                          }
                        : null,
                    warnings: [],
                    memberStatus: failed ? null : 'Registered',
                    writtenAt: failed ? null : Date.now()
                });
            }
            await store.commitFold({ sessions: [], people, events: [], doneDeliveryIds: [], quarantined: [] });
        }
        const fillSeconds = (performance.now() - fillStart) / 1000;

        const engine = createRecordingEngine({
            salesforce: { state: 'connected', reason: null, since: new Date().toISOString(), fix: null },
            salesforceNextAttemptAt: null
        });
        const config = parseEnv({
            SF_INSTANCE_URL: 'https://bench.my.salesforce.com',
            SF_ACCESS_TOKEN: '00Dbench!token',
            LIVESTORM_WEBHOOK_TOKEN: 'bench-webhook-token-0123456789',
            ADMIN_TOKEN,
            DATA_DIR: dataDir
        });
        const app = createApp({ config, store, engine, logger: pino({ level: 'silent' }), settings: defaultSettings() });
        const http = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
        await new Promise<void>((resolve) => http.once('listening', () => resolve()));
        server.close = () => new Promise<void>((resolve) => http.close(() => resolve()));
        const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
        const get = async (path: string): Promise<number> => {
            const started = performance.now();
            const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
            const body = (await response.json()) as unknown;
            const ms = performance.now() - started;
            if (response.status !== 200 || !body) throw new Error(`${path} answered ${response.status}`);
            return ms;
        };

        // What an admin types: a whole address (one person), a domain, a first name, nothing (the first page), and
        // the next page of a broad search.
        const peopleQueries = (index: number): string => {
            const n = (index * 7_919) % options.people;
            switch (index % 5) {
                case 0:
                    return `/admin/api/people?q=${encodeURIComponent(`registrant-${n}@company-${n % 997}.example.com`)}`;
                case 1:
                    return `/admin/api/people?q=${encodeURIComponent(`@company-${n % 997}.example`)}`;
                case 2:
                    return `/admin/api/people?q=${encodeURIComponent(`bench${n % 1_000} person`)}`;
                case 3:
                    return '/admin/api/people';
                default:
                    return '/admin/api/people?q=example.com&limit=50';
            }
        };
        const sessionQueries = (index: number): string => {
            switch (index % 3) {
                case 0:
                    return '/admin/api/sessions';
                case 1:
                    return `/admin/api/sessions?q=${encodeURIComponent(`webinar ${index % Math.max(1, Math.floor(options.sessions / 10))}`)}`;
                default:
                    return `/admin/api/sessions?eventId=event-${index % Math.max(1, Math.floor(options.sessions / 10))}`;
            }
        };
        for (let index = 0; index < 5; index++) {
            await get(peopleQueries(index));
            await get(sessionQueries(index));
        }
        const people: number[] = [];
        const sessionPages: number[] = [];
        for (let index = 0; index < options.requests; index++) people.push(await get(peopleQueries(index)));
        // The second page of the sessions list, through its cursor, is part of the sample too.
        const first = (await (
            await fetch(`${base}/admin/api/sessions`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
        ).json()) as { nextCursor: string | null };
        for (let index = 0; index < options.requests; index++) {
            sessionPages.push(
                await get(
                    index % 4 === 3 && first.nextCursor
                        ? `/admin/api/sessions?cursor=${first.nextCursor}`
                        : sessionQueries(index)
                )
            );
        }
        return {
            peopleSearchP50Ms: round(percentile(people, 50), 1),
            peopleSearchP95Ms: round(percentile(people, 95), 1),
            sessionsPageP50Ms: round(percentile(sessionPages, 50), 1),
            sessionsPageP95Ms: round(percentile(sessionPages, 95), 1),
            fillSeconds: round(fillSeconds, 1)
        };
    } finally {
        await server.close();
        await store.close();
        await rm(dataDir, { recursive: true, force: true });
    }
}

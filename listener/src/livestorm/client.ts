// Livestorm REST API client (https://api.livestorm.co/v1). Livestorm allows 5 requests in any second and
// 10,000 calls per 30 days, so every request waits for a slot of a client-side sliding window, a 429 is
// retried after its Retry-After, and 5xx / network errors are retried with backoff, all a bounded number of times.
import type { z } from 'zod';
import {
    errorDocumentSchema,
    eventResourceSchema,
    listDocumentSchema,
    personResourceSchema,
    sessionResourceSchema,
    singleDocumentSchema,
    type JsonApiEventResource,
    type JsonApiPersonResource,
    type JsonApiSessionResource
} from './api-schemas.ts';

export type { JsonApiPersonResource } from './api-schemas.ts';

export interface LivestormEvent {
    id: string;
    title: string;
    registrationLink: string | null;
    /** True when the event's scheduling_status is "on_demand". */
    onDemand: boolean;
    status: string | null;
    schedulingStatus: string | null;
    raw: JsonApiEventResource;
}

export interface LivestormSession {
    id: string;
    eventId: string;
    status: string;
    timezone: string | null;
    /** Unix seconds; 0 when unset, as Livestorm sends it. */
    estimatedStartedAt: number;
    startedAt: number;
    endedAt: number;
    canceledAt: number;
    registrantsCount: number;
    attendeesCount: number;
    raw: JsonApiSessionResource;
}

export interface LivestormClient {
    getEvent(id: string): Promise<LivestormEvent>;
    getSession(id: string): Promise<LivestormSession>;
    listEvents(): AsyncIterable<LivestormEvent>;
    listEventSessions(eventId: string, filter?: { status?: string }): AsyncIterable<LivestormSession>;
    /** The people registered to a session, as Livestorm's person resources (the attributes webhooks carry). */
    listSessionPeople(sessionId: string): AsyncIterable<JsonApiPersonResource>;
    /** Requests sent by this client, and the monthly calls Livestorm last reported as remaining. */
    usage(): { calls: number; lastRemaining?: number };
}

export interface LivestormClientOptions {
    /** Including `/v1`, e.g. https://api.livestorm.co/v1. */
    baseUrl: string;
    token: string;
    /** Default 5, Livestorm's limit. */
    requestsPerSecond?: number;
    fetch?: typeof fetch;
    /** Retries of one request after a 429, a 5xx or a network error; default 4. */
    maxRetries?: number;
    signal?: AbortSignal;
    /** A Retry-After longer than this is not waited for: the call fails (the monthly quota is spent). */
    maxRetryAfterMs?: number;
}

export type LivestormErrorKind = 'http' | 'network' | 'invalid_response';

export class LivestormApiError extends Error {
    /** HTTP status; 0 when no response was received. */
    status: number;
    kind: LivestormErrorKind;
    method: string;
    path: string;
    /** Seconds Livestorm asked to wait, on a 429. */
    retryAfterSec: number | undefined;

    constructor(
        message: string,
        details: {
            status: number;
            kind: LivestormErrorKind;
            method: string;
            path: string;
            retryAfterSec?: number;
        }
    ) {
        super(message);
        this.name = 'LivestormApiError';
        this.status = details.status;
        this.kind = details.kind;
        this.method = details.method;
        this.path = details.path;
        this.retryAfterSec = details.retryAfterSec;
    }
}

const PAGE_SIZE = 100;
const WINDOW_MS = 1000;
// Slots free a little after a full second, so clocks rounding milliseconds differently never see one call too many.
const WINDOW_MARGIN_MS = 25;

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
        if (signal?.aborted) {
            reject(signal.reason);
            return;
        }
        const timer = setTimeout(
            () => {
                signal?.removeEventListener('abort', onAbort);
                resolve();
            },
            Math.max(0, ms)
        );
        const onAbort = (): void => {
            clearTimeout(timer);
            reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
    });
}

/**
 * At most `limit` requests in any rolling second, counted from when each response arrived: a request's arrival at
 * Livestorm lies between its send and its response, so spacing sends a second after earlier responses keeps
 * arrivals apart whatever the latency.
 */
function createRequestWindow(limit: number) {
    interface Slot {
        freeAt: number;
    }
    const slots: Slot[] = [];
    let released: Array<() => void> = [];
    let queue: Promise<unknown> = Promise.resolve();

    async function take(signal?: AbortSignal): Promise<Slot> {
        for (;;) {
            signal?.throwIfAborted();
            const now = Date.now();
            for (let index = slots.length - 1; index >= 0; index--) {
                if ((slots[index] as Slot).freeAt <= now) slots.splice(index, 1);
            }
            if (slots.length < limit) {
                const slot = { freeAt: Number.POSITIVE_INFINITY };
                slots.push(slot);
                return slot;
            }
            const earliest = Math.min(...slots.map((slot) => slot.freeAt));
            const wake = new Promise<void>((resolve) => released.push(resolve));
            await (Number.isFinite(earliest)
                ? Promise.race([abortableSleep(earliest - now, signal), wake])
                : Promise.race([wake, abortableSleep(WINDOW_MS, signal)]));
        }
    }

    return {
        /** Waits for a free slot; callers are served in arrival order. */
        acquire(signal?: AbortSignal): Promise<Slot> {
            const turn = queue.then(() => take(signal));
            queue = turn.catch(() => undefined);
            return turn;
        },
        release(slot: Slot): void {
            slot.freeAt = Date.now() + WINDOW_MS + WINDOW_MARGIN_MS;
            const waiting = released;
            released = [];
            for (const wake of waiting) wake();
        }
    };
}

function retryAfterMs(header: string | null): number | undefined {
    if (header === null) return undefined;
    const seconds = Number(header);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(header);
    return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function toEvent(resource: JsonApiEventResource): LivestormEvent {
    const attributes = resource.attributes;
    return {
        id: resource.id,
        title: attributes.title ?? '',
        registrationLink: attributes.registration_link ?? null,
        onDemand: attributes.scheduling_status === 'on_demand',
        status: attributes.status ?? null,
        schedulingStatus: attributes.scheduling_status ?? null,
        raw: resource
    };
}

function toSession(resource: JsonApiSessionResource): LivestormSession {
    const attributes = resource.attributes;
    return {
        id: resource.id,
        eventId: attributes.event_id,
        status: attributes.status,
        timezone: attributes.timezone ?? null,
        estimatedStartedAt: attributes.estimated_started_at,
        startedAt: attributes.started_at,
        endedAt: attributes.ended_at,
        canceledAt: attributes.canceled_at,
        registrantsCount: attributes.registrants_count,
        attendeesCount: attributes.attendees_count,
        raw: resource
    };
}

/**
 * Creates a client for Livestorm's REST API.
 * @param options.baseUrl the API root including `/v1`
 * @param options.token the API token, sent as `Authorization: <token>` (no "Bearer")
 * @param options.requestsPerSecond client-side limit, default 5
 * @param options.maxRetries retries per request after 429 / 5xx / network errors, default 4
 * @example
 * const livestorm = createLivestormClient({ baseUrl: 'https://api.livestorm.co/v1', token });
 * const event = await livestorm.getEvent(eventId);
 */
export function createLivestormClient(options: LivestormClientOptions): LivestormClient {
    const baseUrl = options.baseUrl.replace(/\/+$/, '');
    const token = options.token;
    const doFetch = options.fetch ?? fetch;
    const maxRetries = options.maxRetries ?? 4;
    const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    const requestWindow = createRequestWindow(Math.max(1, options.requestsPerSecond ?? 5));
    let calls = 0;
    let lastRemaining: number | undefined;

    // The token is a credential: it never goes into a message, whatever a server or the network echoes back.
    const redact = (text: string): string => (token ? text.split(token).join('[redacted]') : text);

    async function request<T extends z.ZodType>(path: string, schema: T): Promise<z.output<T>> {
        const method = 'GET';
        for (let attempt = 0; ; attempt++) {
            const slot = await requestWindow.acquire(options.signal);
            let response: Response;
            try {
                calls++;
                response = await doFetch(`${baseUrl}${path}`, {
                    method,
                    headers: { Authorization: token, Accept: 'application/vnd.api+json' },
                    signal: options.signal
                });
            } catch (error) {
                requestWindow.release(slot);
                if (options.signal?.aborted) throw options.signal.reason;
                if (attempt < maxRetries) {
                    await abortableSleep(backoffMs(attempt), options.signal);
                    continue;
                }
                const reason = error instanceof Error ? error.message : String(error);
                throw new LivestormApiError(redact(`Livestorm API ${method} ${path} failed: ${reason}`), {
                    status: 0,
                    kind: 'network',
                    method,
                    path
                });
            }
            requestWindow.release(slot);

            const remaining = Number(response.headers.get('RateLimit-Monthly-Remaining') ?? Number.NaN);
            if (Number.isFinite(remaining)) lastRemaining = remaining;
            const text = await response.text().catch(() => '');

            if (response.ok) {
                let json: unknown;
                try {
                    json = JSON.parse(text);
                } catch {
                    throw invalid(method, path, 'body is not JSON');
                }
                const parsed = schema.safeParse(json);
                if (!parsed.success) {
                    const issues = parsed.error.issues
                        .slice(0, 3)
                        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
                        .join('; ');
                    throw invalid(method, path, issues);
                }
                return parsed.data;
            }

            const waitHeader = retryAfterMs(response.headers.get('Retry-After'));
            if (response.status === 429 && attempt < maxRetries && (waitHeader ?? 0) <= maxRetryAfterMs) {
                await abortableSleep(waitHeader ?? WINDOW_MS, options.signal);
                continue;
            }
            if (response.status >= 500 && attempt < maxRetries) {
                await abortableSleep(Math.max(backoffMs(attempt), waitHeader ?? 0), options.signal);
                continue;
            }
            throw new LivestormApiError(
                redact(`Livestorm API ${method} ${path} answered ${response.status}: ${errorDetail(text)}`),
                {
                    status: response.status,
                    kind: 'http',
                    method,
                    path,
                    retryAfterSec: waitHeader === undefined ? undefined : Math.ceil(waitHeader / 1000)
                }
            );
        }
    }

    function invalid(method: string, path: string, detail: string): LivestormApiError {
        return new LivestormApiError(
            redact(`Livestorm API ${method} ${path} sent an unexpected response: ${detail}`),
            {
                status: 200,
                kind: 'invalid_response',
                method,
                path
            }
        );
    }

    async function* pages<T extends z.ZodType>(
        path: string,
        resource: T,
        query: Record<string, string> = {}
    ) {
        const schema = listDocumentSchema(resource);
        for (let page = 0; ; page++) {
            const params = new URLSearchParams({
                ...query,
                'page[number]': String(page),
                'page[size]': String(PAGE_SIZE)
            });
            const document = await request(`${path}?${params.toString()}`, schema);
            const items = document.data as Array<z.output<T>>;
            for (const item of items) yield item;
            const next = document.meta?.next_page;
            const more = document.meta ? next !== null && next !== undefined : items.length === PAGE_SIZE;
            if (!more || items.length === 0) return;
        }
    }

    const id = (value: string): string => encodeURIComponent(value);

    return {
        async getEvent(eventId) {
            const document = await request(
                `/events/${id(eventId)}`,
                singleDocumentSchema(eventResourceSchema)
            );
            return toEvent(document.data);
        },
        async getSession(sessionId) {
            const document = await request(
                `/sessions/${id(sessionId)}`,
                singleDocumentSchema(sessionResourceSchema)
            );
            return toSession(document.data);
        },
        async *listEvents() {
            for await (const resource of pages('/events', eventResourceSchema)) yield toEvent(resource);
        },
        async *listEventSessions(eventId, filter = {}) {
            const query: Record<string, string> = filter.status ? { 'filter[status]': filter.status } : {};
            for await (const resource of pages(
                `/events/${id(eventId)}/sessions`,
                sessionResourceSchema,
                query
            )) {
                yield toSession(resource);
            }
        },
        async *listSessionPeople(sessionId) {
            yield* pages(`/sessions/${id(sessionId)}/people`, personResourceSchema);
        },
        usage: () => (lastRemaining === undefined ? { calls } : { calls, lastRemaining })
    };
}

function backoffMs(attempt: number): number {
    const base = Math.min(8000, 250 * 2 ** attempt);
    return base / 2 + Math.random() * (base / 2);
}

function errorDetail(text: string): string {
    try {
        const parsed = errorDocumentSchema.safeParse(JSON.parse(text));
        if (parsed.success) {
            const first = parsed.data.errors[0];
            const detail = first?.detail ?? first?.title;
            if (detail) return detail;
        }
    } catch {
        // Not JSON: fall through to the raw text.
    }
    return text.slice(0, 200) || 'no body';
}

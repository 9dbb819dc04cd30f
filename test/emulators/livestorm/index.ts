// A stand-in for Livestorm's REST API (https://api.livestorm.co/v1) over an in-memory workspace, with Livestorm's
// authentication (`Authorization: <token>`, no "Bearer"), JSON:API documents, 0-based paging, and both limits:
// 5 requests in any second and 10,000 calls per 30 days, answered with 429 + Retry-After.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { LivestormState, LivestormNotFoundError } from './state.ts';
import type { JsonApiResource } from './types.ts';

export { LivestormState, LivestormNotFoundError } from './state.ts';
export type {
    AttendanceFigures,
    CreateEventInput,
    CreateSessionInput,
    EndSessionInput,
    RegisterInput
} from './state.ts';
export type * from './types.ts';

export interface LivestormSimulatorOptions {
    /** 0 (default) picks a free port; the server binds 127.0.0.1. */
    port?: number;
    /** Expected in `Authorization: <token>`; random when absent. */
    token?: string;
    /** Default 5, Livestorm's fixed burst limit. */
    requestsPerSecond?: number;
    /** Calls allowed per 30-day period, counted from the first call; default 10,000. */
    quota?: number;
    organizationId?: string;
    /** Clock in milliseconds, default Date.now. Drives timestamps and both limits. */
    now?: () => number;
}

export interface RecordedRequest {
    /** Simulator clock (ms) when the request arrived. */
    atMs: number;
    method: string;
    path: string;
    /** Route pattern, e.g. `/v1/sessions/:id/people`. */
    route: string;
    status: number;
}

export interface LivestormSimulator {
    /** Base URL including `/v1`, e.g. http://127.0.0.1:4020/v1. */
    apiUrl: string;
    token: string;
    state: LivestormState;
    /** Authenticated calls that were served or refused by a limit, by route pattern (`/v1/events/:id`). */
    calls(): { total: number; byPath: Record<string, number> };
    /** Every request received, in arrival order, including refused ones. */
    requests(): RecordedRequest[];
    /** While true, every API request answers 503 (an outage of Livestorm's API); webhooks are not affected. */
    setUnavailable(unavailable: boolean): void;
    close(): Promise<void>;
}

const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000;
const JSON_API = 'application/vnd.api+json';
const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 100;

type Query = URLSearchParams;
type Route = {
    pattern: string;
    regex: RegExp;
    handle: (params: string[], query: Query) => unknown;
};

class HttpError extends Error {
    status: number;
    title: string;
    constructor(status: number, title: string, detail: string) {
        super(detail);
        this.status = status;
        this.title = title;
    }
}

function errorDocument(status: number, title: string, detail: string): unknown {
    return { errors: [{ title, detail, status: String(status) }] };
}

function pageOf<T extends JsonApiResource<object>>(items: T[], query: Query): { data: T[]; meta: object } {
    const number = parseNonNegativeInt(query.get('page[number]'), 0, 'page[number]');
    const requestedSize = parseNonNegativeInt(query.get('page[size]'), DEFAULT_PAGE_SIZE, 'page[size]');
    const size = Math.min(MAX_PAGE_SIZE, Math.max(1, requestedSize));
    const pageCount = Math.ceil(items.length / size);
    return {
        data: items.slice(number * size, number * size + size),
        meta: {
            current_page: number,
            previous_page: number > 0 ? number - 1 : null,
            next_page: number + 1 < pageCount ? number + 1 : null,
            record_count: items.length,
            page_count: pageCount,
            items_per_page: size
        }
    };
}

function parseNonNegativeInt(raw: string | null, fallback: number, name: string): number {
    if (raw === null || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) {
        throw new HttpError(400, 'Bad Request', `${name} must be a non-negative integer`);
    }
    return value;
}

function tokensMatch(given: string | undefined, expected: string): boolean {
    if (given === undefined) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b);
}

export async function startLivestormSimulator(
    options: LivestormSimulatorOptions = {}
): Promise<LivestormSimulator> {
    const now = options.now ?? Date.now;
    const token = options.token ?? randomBytes(24).toString('base64url');
    const requestsPerSecond = options.requestsPerSecond ?? 5;
    const quota = options.quota ?? 10_000;
    const state = new LivestormState({ organizationId: options.organizationId, now });

    const recorded: RecordedRequest[] = [];
    const callsByRoute = new Map<string, number>();
    let totalCalls = 0;
    let unavailable = false;
    // Arrival times (ms) of the calls admitted in the current rolling second.
    let admitted: number[] = [];
    let quotaPeriodStart: number | undefined;
    let quotaUsed = 0;

    const routes: Route[] = [
        {
            pattern: '/v1/ping',
            regex: /^\/v1\/ping$/,
            handle: () => ({ data: null, meta: { ping: 'pong' } })
        },
        {
            pattern: '/v1/events',
            regex: /^\/v1\/events$/,
            handle: (_params, query) => {
                const title = query.get('filter[title]')?.toLowerCase();
                const events = state
                    .listEvents()
                    .filter(
                        (event) => title === undefined || event.attributes.title.toLowerCase().includes(title)
                    );
                return pageOf(events, query);
            }
        },
        {
            pattern: '/v1/events/:id',
            regex: /^\/v1\/events\/([^/]+)$/,
            handle: ([id]) => ({ data: state.getEvent(id ?? '') })
        },
        {
            pattern: '/v1/events/:id/sessions',
            regex: /^\/v1\/events\/([^/]+)\/sessions$/,
            handle: ([id], query) => {
                const eventId = id ?? '';
                if (!state.hasEvent(eventId)) throw new LivestormNotFoundError('events', eventId);
                const status = query.get('filter[status]');
                const sessions = state
                    .listSessions(eventId)
                    .filter((session) => status === null || session.attributes.status === status);
                return pageOf(sessions, query);
            }
        },
        {
            pattern: '/v1/sessions/:id',
            regex: /^\/v1\/sessions\/([^/]+)$/,
            handle: ([id]) => ({ data: state.getSession(id ?? '') })
        },
        {
            pattern: '/v1/sessions/:id/people',
            regex: /^\/v1\/sessions\/([^/]+)\/people$/,
            handle: ([id], query) => {
                const email = query.get('filter[email]')?.trim().toLowerCase();
                const people = state
                    .sessionPeople(id ?? '')
                    .filter((person) => email === undefined || person.attributes.email === email);
                return pageOf(people, query);
            }
        },
        {
            pattern: '/v1/people/:id',
            regex: /^\/v1\/people\/([^/]+)$/,
            handle: ([id]) => ({ data: state.getPerson(id ?? '') })
        }
    ];

    function rateLimitHeaders(atMs: number): Record<string, string> {
        const intervalRemaining = Math.max(0, requestsPerSecond - admitted.length);
        const oldest = admitted[0];
        const resetSec = oldest === undefined ? 0 : Math.max(1, Math.ceil((oldest + 1000 - atMs) / 1000));
        return {
            'RateLimit-Monthly-Limit': String(quota),
            'RateLimit-Monthly-Remaining': String(Math.max(0, quota - quotaUsed)),
            'RateLimit-Interval-Limit': String(requestsPerSecond),
            'RateLimit-Interval-Remaining': String(intervalRemaining),
            'RateLimit-Reset': String(resetSec)
        };
    }

    function send(
        response: ServerResponse,
        status: number,
        body: unknown,
        headers: Record<string, string> = {}
    ): number {
        response.writeHead(status, { 'Content-Type': JSON_API, ...headers });
        response.end(JSON.stringify(body));
        return status;
    }

    function handle(request: IncomingMessage, response: ServerResponse): number {
        const atMs = now();
        const url = new URL(request.url ?? '/', 'http://127.0.0.1');
        if (unavailable) {
            return send(
                response,
                503,
                errorDocument(503, 'Service Unavailable', 'The API is temporarily unavailable')
            );
        }
        if (!tokensMatch(request.headers.authorization, token)) {
            return send(
                response,
                401,
                errorDocument(
                    401,
                    'Unauthorized',
                    'A valid API token is required in the Authorization header'
                )
            );
        }
        const route = routes.find((candidate) => candidate.regex.test(url.pathname));
        const routeName = route?.pattern ?? url.pathname;
        totalCalls++;
        callsByRoute.set(routeName, (callsByRoute.get(routeName) ?? 0) + 1);

        admitted = admitted.filter((arrival) => arrival > atMs - 1000);
        if (quotaPeriodStart === undefined || atMs - quotaPeriodStart >= THIRTY_DAYS_MS) {
            quotaPeriodStart = atMs;
            quotaUsed = 0;
        }
        if (quotaUsed >= quota) {
            const retryAfter = Math.max(1, Math.ceil((quotaPeriodStart + THIRTY_DAYS_MS - atMs) / 1000));
            return send(
                response,
                429,
                errorDocument(429, 'Too Many Requests', `The ${quota} calls of this 30-day period are spent`),
                { ...rateLimitHeaders(atMs), 'Retry-After': String(retryAfter) }
            );
        }
        if (admitted.length >= requestsPerSecond) {
            const oldest = admitted[0] ?? atMs;
            const retryAfter = Math.max(1, Math.ceil((oldest + 1000 - atMs) / 1000));
            return send(
                response,
                429,
                errorDocument(
                    429,
                    'Too Many Requests',
                    `No more than ${requestsPerSecond} requests per second`
                ),
                { ...rateLimitHeaders(atMs), 'Retry-After': String(retryAfter) }
            );
        }
        admitted.push(atMs);
        quotaUsed++;
        const headers = rateLimitHeaders(atMs);

        if (request.method !== 'GET') {
            return send(
                response,
                405,
                errorDocument(405, 'Method Not Allowed', `${request.method} is not served`),
                {
                    ...headers,
                    Allow: 'GET'
                }
            );
        }
        if (!route) {
            return send(response, 404, errorDocument(404, 'Not Found', `No route ${url.pathname}`), headers);
        }
        try {
            const match = route.regex.exec(url.pathname);
            const params = (match?.slice(1) ?? []).map((part) => decodeURIComponent(part));
            return send(response, 200, route.handle(params, url.searchParams), headers);
        } catch (error) {
            if (error instanceof LivestormNotFoundError) {
                return send(
                    response,
                    404,
                    errorDocument(
                        404,
                        'Not Found',
                        `Couldn't find ${error.resource} with id ${error.resourceId}`
                    ),
                    headers
                );
            }
            if (error instanceof HttpError) {
                return send(
                    response,
                    error.status,
                    errorDocument(error.status, error.title, error.message),
                    headers
                );
            }
            const detail = error instanceof Error ? error.message : String(error);
            return send(response, 500, errorDocument(500, 'Internal Server Error', detail), headers);
        }
    }

    const server = createServer((request, response) => {
        const atMs = now();
        // The body of a GET is ignored, but it must be read so the connection can be reused.
        request.resume();
        const status = handle(request, response);
        const url = new URL(request.url ?? '/', 'http://127.0.0.1');
        const route = routes.find((candidate) => candidate.regex.test(url.pathname));
        recorded.push({
            atMs,
            method: request.method ?? 'GET',
            path: url.pathname + url.search,
            route: route?.pattern ?? url.pathname,
            status
        });
    });
    server.keepAliveTimeout = 1000;

    await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, '127.0.0.1', () => {
            server.off('error', reject);
            resolve();
        });
    });
    const { port } = server.address() as AddressInfo;

    return {
        apiUrl: `http://127.0.0.1:${port}/v1`,
        token,
        state,
        calls: () => ({ total: totalCalls, byPath: Object.fromEntries(callsByRoute) }),
        requests: () => recorded.map((entry) => ({ ...entry })),
        setUnavailable: (value) => {
            unavailable = value;
        },
        close: () =>
            new Promise<void>((resolve, reject) => {
                server.close((error) => (error ? reject(error) : resolve()));
                server.closeAllConnections();
            })
    };
}

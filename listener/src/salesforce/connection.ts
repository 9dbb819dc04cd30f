// The listener's REST client for Salesforce: one fetch per API call, the session refreshed once on 401 (concurrent
// callers share the refresh, as jsforce's SessionRefreshDelegate does), `Sforce-Limit-Info` read from every answer,
// and errors classified so the engine knows whether to retry, pause or keep a record's failure.
import { createTokenProvider } from './auth.ts';
import { SalesforceError } from './errors.ts';
import type { ErrorKind } from './errors.ts';
import type { SalesforceAuth, SalesforceSession, TokenProvider } from './auth.ts';

export { SalesforceError } from './errors.ts';
export type { ErrorKind } from './errors.ts';

export interface ApiError {
    message: string;
    errorCode: string;
    fields?: string[];
}

export interface CompositeSubrequest {
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
    /** Relative to the versioned data root, e.g. `sobjects/Campaign` or `query?q=…`. */
    url: string;
    referenceId: string;
    body?: unknown;
    httpHeaders?: Record<string, string>;
}

export interface CompositeSubresponse {
    body: unknown;
    httpHeaders: Record<string, string>;
    httpStatusCode: number;
    referenceId: string;
}

export interface ApiUsage {
    used: number;
    limit: number;
}

export interface SalesforceConnection {
    readonly apiVersion: string;
    /** Where the mode's credentials come from, for messages. */
    readonly authDescription: string;
    instanceUrl(): Promise<string>;
    /** One API call. `path` is relative to /services/data/vNN.N/ unless it starts with /services/. */
    request<T>(
        method: CompositeSubrequest['method'],
        path: string,
        body?: unknown,
        headers?: Record<string, string>
    ): Promise<T>;
    /** One API call for up to 25 subrequests, executed in order. */
    composite(subrequests: CompositeSubrequest[], allOrNone?: boolean): Promise<CompositeSubresponse[]>;
    /** All records of a query, following nextRecordsUrl (one API call per page). */
    query<T>(soql: string): Promise<T[]>;
    apiUsage(): ApiUsage | null;
    /** API calls this connection made (token requests excluded, as Salesforce counts them). */
    callCount(): number;
}

/**
 * How long the listener waits for Salesforce to answer one API call, in ms (60 s): the whole answer, from sending the
 * request to the last byte of the body. A call still unanswered then is abandoned and fails with a SalesforceError of
 * kind 'transient' and errorCode REQUEST_TIMEOUT, which the engine handles like an unreachable org (side state
 * `retrying`, backoff, people kept waiting). Salesforce itself lets a REST call run up to 10 minutes and counts calls
 * over 20 s as long-running (reference salesforce.md §4); the listener's largest call, one composite of 5 × 200
 * records, takes seconds, tens of seconds with heavy triggers and flows. A minute is past that, and bounds how long a
 * Salesforce that stopped answering is shown as `connected`. Not configurable: no setting of DESIGN's contract covers
 * it.
 */
export const SALESFORCE_REQUEST_TIMEOUT_MS = 60_000;

export interface ConnectionOptions {
    apiVersion: string;
    fetch?: typeof fetch;
    /** Per request, from sending it to the end of the answer (ms). Default SALESFORCE_REQUEST_TIMEOUT_MS. */
    timeoutMs?: number;
    tokenProvider?: TokenProvider;
}

function firstApiError(body: unknown): ApiError | undefined {
    if (Array.isArray(body) && body.length > 0 && typeof body[0] === 'object' && body[0] !== null) {
        const first = body[0] as Partial<ApiError>;
        if (typeof first.errorCode === 'string')
            return {
                message: String(first.message ?? ''),
                errorCode: first.errorCode,
                fields: first.fields ?? []
            };
    }
    if (typeof body === 'object' && body !== null && 'error' in body) {
        const oauth = body as { error: string; error_description?: string };
        return { message: oauth.error_description ?? oauth.error, errorCode: oauth.error };
    }
    return undefined;
}

/**
 * `Sforce-Auto-Assign`: without it REST applies the org's active assignment rule to every Lead (and Case, Account)
 * created *or updated*, also indirectly through triggers and flows our writes fire (REST API Developer Guide,
 * "Assignment Rule Header", https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api/headers_autoassign.htm).
 * Every write this connection sends — each request and each composite subrequest, since a subrequest does not inherit
 * the outer request's headers — carries `FALSE` unless the caller set the header (Lead creation, from the
 * leadAssignment setting). Reads carry nothing: they neither create nor update.
 */
export const AUTO_ASSIGN_HEADER = 'Sforce-Auto-Assign';

function withAutoAssign(method: string, headers: Record<string, string> | undefined) {
    if (method === 'GET') return headers;
    const own = Object.keys(headers ?? {}).some((name) => name.toLowerCase() === 'sforce-auto-assign');
    return own ? headers : { ...headers, [AUTO_ASSIGN_HEADER]: 'FALSE' };
}

/**
 * What an error answer means for the engine. Salesforce answers 403 REQUEST_LIMIT_EXCEEDED both for the daily
 * allocation and for concurrency limits (REST "Status Codes and Error Responses"); only the message tells them apart:
 * "TotalRequests Limit exceeded." is the daily allocation, anything else ("ConcurrentRequests …",
 * "ConcurrentPerOrgLongTxn …") clears in seconds (App Limits Cheatsheet, "API Request Limits and Allocations").
 */
export function classify(status: number, errorCode: string, message = ''): ErrorKind {
    if (status === 401) return 'auth';
    if (errorCode === 'REQUEST_LIMIT_EXCEEDED')
        return /TotalRequests/i.test(message) ? 'daily_limit' : 'concurrency';
    if (status >= 500 || status === 408 || status === 429) return 'transient';
    return 'request';
}

/**
 * @param auth how to authenticate (see auth.ts)
 * @example
 * const sf = createSalesforceConnection({ mode: 'token', instanceUrl, accessToken }, { apiVersion: '66.0' });
 * const [campaign] = await sf.query<{ Id: string }>("SELECT Id FROM Campaign LIMIT 1");
 */
export function createSalesforceConnection(
    auth: SalesforceAuth,
    options: ConnectionOptions
): SalesforceConnection {
    const apiVersion = options.apiVersion;
    const fetchImpl = options.fetch ?? fetch;
    const timeoutMs = options.timeoutMs ?? SALESFORCE_REQUEST_TIMEOUT_MS;
    const tokens = options.tokenProvider ?? createTokenProvider(auth, apiVersion, { timeoutMs });
    let usage: ApiUsage | null = null;
    let calls = 0;
    let refreshing: Promise<SalesforceSession | null> | undefined;
    let session: SalesforceSession | undefined;

    const dataRoot = `/services/data/v${apiVersion}`;
    const absolutePath = (path: string) =>
        path.startsWith('/services/') ? path : `${dataRoot}/${path.replace(/^\/+/, '')}`;

    const currentSession = async () => (session ??= await tokens.current());

    const refreshSession = async (stale: SalesforceSession): Promise<SalesforceSession | null> => {
        if (session && session.accessToken !== stale.accessToken) return session;
        refreshing ??= tokens.refresh().finally(() => {
            refreshing = undefined;
        });
        const fresh = await refreshing;
        if (fresh) session = fresh;
        return fresh;
    };

    /**
     * One call and its whole answer, within timeoutMs.
     * @throws SalesforceError 'transient' REQUEST_TIMEOUT when the answer is not complete in time, CONNECTION_ERROR
     *   when the connection fails (refused, reset, DNS)
     */
    async function send(
        method: string,
        path: string,
        body: unknown,
        headers: Record<string, string>,
        active: SalesforceSession
    ): Promise<{ response: Response; text: string }> {
        calls += 1;
        // A timer of this thread's clock (not AbortSignal.timeout): the same for the request and the body it answers.
        const controller = new AbortController();
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            controller.abort();
        }, timeoutMs);
        try {
            const response = await fetchImpl(`${active.instanceUrl}${absolutePath(path)}`, {
                method,
                headers: {
                    Authorization: `Bearer ${active.accessToken}`,
                    Accept: 'application/json',
                    ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
                    ...headers
                },
                body: body === undefined ? undefined : JSON.stringify(body),
                signal: controller.signal
            });
            return { response, text: await response.text() };
        } catch (error) {
            if (timedOut)
                // The path without its query string: a query may hold registrants' e-mail addresses.
                throw new SalesforceError(
                    `Salesforce did not answer ${method} ${absolutePath(path).split('?')[0]} within ${timeoutMs / 1000} s (the listener's request timeout): the org is down or overloaded, or the network drops the connection.`,
                    'transient',
                    'REQUEST_TIMEOUT',
                    null
                );
            const reason = error instanceof Error ? error.message : String(error);
            throw new SalesforceError(
                `Salesforce at ${active.instanceUrl} cannot be reached: ${reason}`,
                'transient',
                'CONNECTION_ERROR',
                null
            );
        } finally {
            clearTimeout(timer);
        }
    }

    async function request<T>(
        method: CompositeSubrequest['method'],
        path: string,
        body?: unknown,
        headers: Record<string, string> = {}
    ): Promise<T> {
        headers = withAutoAssign(method, headers) ?? {};
        let active = await currentSession();
        let { response, text } = await send(method, path, body, headers, active);
        if (response.status === 401) {
            const fresh = await refreshSession(active);
            if (fresh) {
                active = fresh;
                ({ response, text } = await send(method, path, body, headers, active));
            }
        }
        const limitInfo = response.headers.get('sforce-limit-info');
        const match = limitInfo ? /api-usage=(\d+)\/(\d+)/.exec(limitInfo) : null;
        if (match) usage = { used: Number(match[1]), limit: Number(match[2]) };
        let parsed: unknown = undefined;
        if (text) {
            try {
                parsed = JSON.parse(text);
            } catch {
                parsed = text;
            }
        }
        if (response.ok || response.status === 300) return parsed as T;
        const apiError = firstApiError(parsed);
        const errorCode = apiError?.errorCode ?? `HTTP_${response.status}`;
        const kind = classify(response.status, errorCode, apiError?.message ?? '');
        const message =
            kind === 'auth'
                ? `Salesforce refused ${tokens.description} (${errorCode}: ${apiError?.message ?? response.statusText})`
                : `Salesforce answered ${response.status} ${errorCode} to ${method} ${absolutePath(path).split('?')[0]}: ${apiError?.message ?? String(parsed ?? response.statusText).slice(0, 200)}`;
        throw new SalesforceError(message, kind, errorCode, response.status);
    }

    return {
        apiVersion,
        authDescription: tokens.description,
        async instanceUrl() {
            return (await currentSession()).instanceUrl;
        },
        request,
        async composite(subrequests, allOrNone = false) {
            if (subrequests.length === 0) return [];
            const result = await request<{ compositeResponse: CompositeSubresponse[] }>('POST', 'composite', {
                allOrNone,
                collateSubrequests: false,
                compositeRequest: subrequests.map((sub) => {
                    const httpHeaders = withAutoAssign(sub.method, sub.httpHeaders);
                    return { ...sub, url: absolutePath(sub.url), ...(httpHeaders ? { httpHeaders } : {}) };
                })
            });
            return result.compositeResponse;
        },
        async query<T>(soql: string) {
            const records: T[] = [];
            let page = await request<{ records: T[]; nextRecordsUrl?: string; done: boolean }>(
                'GET',
                `query?q=${encodeURIComponent(soql)}`
            );
            records.push(...page.records);
            while (!page.done && page.nextRecordsUrl) {
                page = await request('GET', page.nextRecordsUrl);
                records.push(...page.records);
            }
            return records;
        },
        apiUsage: () => usage,
        callCount: () => calls
    };
}

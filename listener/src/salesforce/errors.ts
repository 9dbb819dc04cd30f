// The errors of every call to Salesforce, token requests included, classified so that the engine knows whether to
// retry, pause or keep a record's failure (connection.ts raises them for API calls, auth.ts for token requests).

export type ErrorKind =
    /** 401 that a refresh did not cure: the credentials are wrong or revoked. */
    | 'auth'
    /**
     * REQUEST_LIMIT_EXCEEDED whose message names `TotalRequests`: the org's rolling 24 h allocation is spent; pause and
     * probe `GET /limits` until usage is back under the budget (reference salesforce.md §4, §10).
     */
    | 'daily_limit'
    /**
     * REQUEST_LIMIT_EXCEEDED with any other message (`ConcurrentRequests (Concurrent API Requests) Limit exceeded.`,
     * `ConcurrentPerOrgLongTxn Limit exceeded.`): a concurrency limit that clears in seconds; retry with backoff.
     */
    | 'concurrency'
    /**
     * 5xx, connection errors, and calls unanswered within the request timeout (errorCode REQUEST_TIMEOUT, see
     * SALESFORCE_REQUEST_TIMEOUT_MS): retry with backoff.
     */
    | 'transient'
    /** Anything else: the request itself is wrong. */
    | 'request';

export class SalesforceError extends Error {
    override name = 'SalesforceError';
    readonly kind: ErrorKind;
    readonly errorCode: string;
    readonly status: number | null;
    constructor(message: string, kind: ErrorKind, errorCode: string, status: number | null) {
        super(message);
        this.kind = kind;
        this.errorCode = errorCode;
        this.status = status;
    }
}

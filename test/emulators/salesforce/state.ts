import { randomBytes } from 'node:crypto';
import type { Database, RecordErrorHook } from './engine.ts';
import type { RecordError } from './values.ts';
import { recordError } from './values.ts';

export type CallKind =
    | 'composite'
    | 'query'
    | 'sobject'
    | 'collections'
    | 'describe'
    | 'limits'
    | 'versions'
    | 'token'
    | 'other';

export interface CallLogEntry {
    method: string;
    path: string;
    kind: CallKind;
    status: number;
    subrequests?: number;
    records?: number;
}

export interface CallStats {
    /** API calls as Salesforce counts them against the daily allocation (token requests excluded). */
    total: number;
    byKind: Record<CallKind, number>;
    /** Every request received, counted or not (401, 403, injected 5xx and 414 answers included). */
    log: CallLogEntry[];
    /**
     * Record writes refused UNABLE_TO_LOCK_ROW because another call held the Campaign's lock past lockWaitMs (two
     * writers on one Campaign); injected lock faults are not counted.
     */
    lockErrors: number;
}

/**
 * The messages Salesforce sends with 403 REQUEST_LIMIT_EXCEEDED (REST API Developer Guide, "Status Codes and Error
 * Responses": 403 + REQUEST_LIMIT_EXCEEDED "you've exceeded API request limits"; the messages as integrations log
 * them, reference salesforce-examples/errors/catalog.json and salesforce.md §4 and §10). `TotalRequests` is the org's
 * rolling 24 h allocation; the other two are concurrency limits that clear in seconds: API requests running 20 s or
 * more (App Limits Cheatsheet, "API Request Limits and Allocations": 25 in production, 5 in Developer Edition) and
 * long-running Apex transactions.
 */
export const REQUEST_LIMIT_MESSAGES = {
    TotalRequests: 'TotalRequests Limit exceeded.',
    ConcurrentRequests: 'ConcurrentRequests (Concurrent API Requests) Limit exceeded.',
    ConcurrentPerOrgLongTxn: 'ConcurrentPerOrgLongTxn Limit exceeded.'
} as const;

export type RequestLimitKind = keyof typeof REQUEST_LIMIT_MESSAGES;

export interface Faults {
    /** The next `count` API calls answer `status` (default 500) without doing anything. */
    serverErrors?: { count: number; status?: number };
    /** Every token issued so far answers 401 INVALID_SESSION_ID from now on. */
    expireTokens?: boolean;
    /** The daily allocation is used up: calls answer 403 REQUEST_LIMIT_EXCEEDED. */
    exhaustLimit?: boolean;
    /**
     * API calls answer 403 REQUEST_LIMIT_EXCEEDED with the message of `kind` and do nothing: the next `count` calls,
     * or every call until the wall-clock time `untilMs` (whichever is given; both: whichever ends later). Refused calls
     * are not counted against the allocation.
     */
    requestLimit?: { kind: RequestLimitKind; count?: number; untilMs?: number };
    /** The next N record writes touching a Campaign fail with UNABLE_TO_LOCK_ROW. */
    injectLockErrors?: number;
    /** Called for every record about to be saved; a returned error fails that record. */
    recordErrors?: RecordErrorHook;
}

export interface EmulatorSettings {
    dailyApiLimit: number;
    apiVersion: string;
    clientId?: string | undefined;
    clientSecret?: string | undefined;
    jwtPublicKey?: string | undefined;
    lockWaitMs: number;
    latencyMs: number;
    perRecordLatencyMs: number;
}

export interface QueryCursor {
    records: Record<string, unknown>[];
    totalSize: number;
    batchSize: number;
    queryAll: boolean;
}

const emptyKinds = (): Record<CallKind, number> => ({
    composite: 0,
    query: 0,
    sobject: 0,
    collections: 0,
    describe: 0,
    limits: 0,
    versions: 0,
    token: 0,
    other: 0
});

/** Row locks on Campaigns, held by one API call from the first write touching the Campaign to its end. */
export class CampaignLocks {
    private readonly holders = new Map<string, object>();
    private waiters = new Set<() => void>();

    async acquire(owner: object, campaignId: string, waitMs: number): Promise<boolean> {
        const deadline = Date.now() + waitMs;
        for (;;) {
            const holder = this.holders.get(campaignId);
            if (!holder || holder === owner) {
                this.holders.set(campaignId, owner);
                return true;
            }
            const left = deadline - Date.now();
            if (left <= 0) return false;
            await new Promise<void>((resolve) => {
                const wake = (): void => {
                    clearTimeout(timer);
                    this.waiters.delete(wake);
                    resolve();
                };
                const timer = setTimeout(wake, left);
                this.waiters.add(wake);
            });
        }
    }

    releaseAll(owner: object): void {
        let released = false;
        for (const [campaignId, holder] of this.holders) {
            if (holder === owner) {
                this.holders.delete(campaignId);
                released = true;
            }
        }
        if (!released) return;
        const waiting = [...this.waiters];
        this.waiters = new Set();
        for (const wake of waiting) wake();
    }
}

export class EmulatorState {
    readonly db: Database;
    readonly settings: EmulatorSettings;
    readonly locks = new CampaignLocks();
    readonly cursors = new Map<string, QueryCursor>();
    readonly orgId = '00Dxx0000000001AAA';
    faults: Faults = {};
    apiUsed = 0;
    tokensIssued = 0;
    stats: CallStats = { total: 0, byKind: emptyKinds(), log: [], lockErrors: 0 };
    private readonly tokens = new Map<string, boolean>();
    private cursorCount = 0;

    constructor(db: Database, settings: EmulatorSettings) {
        this.db = db;
        this.settings = settings;
    }

    issueToken(): string {
        const token = `${this.orgId.slice(0, 15)}!${randomBytes(48).toString('base64url')}`;
        this.tokens.set(token, true);
        this.tokensIssued += 1;
        return token;
    }

    /** Every access token issued so far, valid or expired. */
    issuedTokens(): string[] {
        return [...this.tokens.keys()];
    }

    tokenValid(token: string | undefined): boolean {
        return token !== undefined && this.tokens.get(token) === true;
    }

    expireTokens(): void {
        for (const token of this.tokens.keys()) this.tokens.set(token, false);
    }

    resetCalls(): void {
        this.stats = { total: 0, byKind: emptyKinds(), log: [], lockErrors: 0 };
    }

    record(entry: CallLogEntry, counted: boolean): void {
        this.stats.log.push(entry);
        if (entry.kind === 'token') {
            this.stats.byKind.token += 1;
            return;
        }
        if (!counted) return;
        this.stats.total += 1;
        this.stats.byKind[entry.kind] += 1;
    }

    /** The injected REQUEST_LIMIT_EXCEEDED answering this call, if any (a count is consumed here). */
    injectedRequestLimit(now = Date.now()): RequestLimitKind | undefined {
        const fault = this.faults.requestLimit;
        if (!fault) return undefined;
        if ((fault.count ?? 0) > 0) {
            fault.count = (fault.count ?? 0) - 1;
            return fault.kind;
        }
        if (fault.untilMs !== undefined && now < fault.untilMs) return fault.kind;
        this.faults.requestLimit = undefined;
        return undefined;
    }

    limitReached(): boolean {
        return this.faults.exhaustLimit === true || this.apiUsed >= this.settings.dailyApiLimit;
    }

    limitInfo(): string {
        return `api-usage=${this.apiUsed}/${this.settings.dailyApiLimit}`;
    }

    newCursor(cursor: QueryCursor): string {
        this.cursorCount += 1;
        const id = `01gxx${String(this.cursorCount).padStart(10, '0')}`;
        this.cursors.set(id, cursor);
        return id;
    }

    /** Locks for one API call; the injected lock faults are consumed here, one per record write. */
    async lockCampaigns(owner: object, campaignIds: string[]): Promise<RecordError | undefined> {
        const lockError = (id: string): RecordError =>
            recordError(
                'UNABLE_TO_LOCK_ROW',
                `unable to obtain exclusive access to this record or 1 records: ${id}`
            );
        if ((this.faults.injectLockErrors ?? 0) > 0) {
            this.faults.injectLockErrors = (this.faults.injectLockErrors ?? 0) - 1;
            return lockError(campaignIds[0] ?? '');
        }
        for (const id of campaignIds) {
            if (!(await this.locks.acquire(owner, id, this.settings.lockWaitMs))) {
                this.stats.lockErrors += 1;
                return lockError(id);
            }
        }
        return undefined;
    }
}

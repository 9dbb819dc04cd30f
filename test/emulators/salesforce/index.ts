import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import type { AddressPicklistOptions } from './address-picklists.ts';
import type {
    AssignmentRuleOption,
    DuplicateRule,
    FlowOptions,
    RecordErrorHook,
    Row,
    ValidationRule,
    WriteOptions
} from './engine.ts';
import { Database, Transaction } from './engine.ts';
import type { ExtraField } from './schema.ts';
import { loadSchema } from './schema.ts';
import type { CallKind, CallLogEntry, CallStats, Faults, RequestLimitKind } from './state.ts';
import { EmulatorState, REQUEST_LIMIT_MESSAGES } from './state.ts';

export { REQUEST_LIMIT_MESSAGES };

export type {
    AddressPicklistOptions,
    AssignmentRuleOption,
    FlowOptions,
    CallKind,
    CallLogEntry,
    CallStats,
    DuplicateRule,
    ExtraField,
    Faults,
    RecordErrorHook,
    RequestLimitKind,
    ValidationRule
};

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface SalesforceEmulatorOptions {
    /** Default 0 (a free port); the server binds 127.0.0.1. */
    port?: number;
    /** Added to every API call, while the call holds its row locks. Default 0. */
    latencyMs?: number;
    /** Added per record written or read in the call. Default 0. */
    perRecordLatencyMs?: number;
    /** Daily API request allocation. Default 100000. */
    dailyApiLimit?: number;
    /** Newest API version served. Default: sourceApiVersion of sfdx-project.json. */
    apiVersion?: string;
    /** The package whose metadata the describe and the data follow. Default: <repo>/force-app. */
    forceAppDir?: string;
    /** When set, the token endpoint requires these client credentials. */
    clientId?: string;
    clientSecret?: string;
    /** PEM public key: when set, JWT bearer assertions must carry a valid RS256 signature. */
    jwtPublicKey?: string;
    /** Fields added to objects, e.g. a required custom field on Campaign. */
    extraFields?: Record<string, ExtraField[]>;
    validationRules?: ValidationRule[];
    duplicateRules?: DuplicateRule[];
    /** How long a write waits for a Campaign row lock held by a concurrent call. Default 0. */
    lockWaitMs?: number;
    /** Faults active from the start (the same as `inspect.setFaults` right after start-up). */
    faults?: Partial<Faults>;
    /** Lead assignment rules (at most one active), honouring `Sforce-Auto-Assign`; each creates its queue. */
    assignmentRules?: AssignmentRuleOption[];
    /** Record-triggered automation, e.g. a flow that updates a Lead when its Campaign Member is saved. */
    flows?: FlowOptions;
    /** State and Country/Territory Picklists turned on (`true` = Salesforce's defaults). */
    addressPicklists?: boolean | AddressPicklistOptions;
}

/** Direct access to the emulated org, for tests; nothing here counts as an API call. */
export interface EmulatorInspector {
    /** A copy of the call statistics, the log of every request included. */
    calls(): CallStats;
    /** `calls().total` without copying the log: for polling loops. */
    callCount(): number;
    resetCalls(): void;
    /**
     * Copies of the records of an object, computed fields included.
     * @param options.where keeps only the rows it accepts (tested on the stored row, before any copy is made)
     */
    records(sobject: string, options?: { includeDeleted?: boolean; where?: (row: Readonly<Row>) => boolean }): Row[];
    insert(sobject: string, fields: Row): string;
    update(sobject: string, id: string, fields: Row): void;
    delete(sobject: string, id: string): void;
    convertLead(leadId: string): { contactId: string; accountId: string };
    /** An admin's merge of one or two records into a master of the same type (Lead, Contact, Account). */
    merge(sobject: string, masterId: string, loserIds: string[]): void;
    /** Removes a deleted record from the recycle bin (queryAll no longer sees it). */
    purge(sobject: string, id: string): void;
    setFaults(faults: Partial<Faults>): void;
    setLatency(latencyMs: number, perRecordLatencyMs?: number): void;
    tokens(): number;
    /** The access tokens issued so far (valid or expired), e.g. to check that none is ever logged. */
    issuedTokens(): string[];
}

export interface SalesforceEmulator {
    url: string;
    instanceUrl: string;
    accessToken: string;
    inspect: EmulatorInspector;
    close(): Promise<void>;
}

function defaultApiVersion(): string {
    const project = JSON.parse(readFileSync(join(REPO_ROOT, 'sfdx-project.json'), 'utf8')) as {
        sourceApiVersion?: string;
    };
    if (!project.sourceApiVersion) throw new Error('sfdx-project.json has no sourceApiVersion');
    return project.sourceApiVersion;
}

function describeErrors(errors: { statusCode: string; message: string }[]): string {
    return errors.map((error) => `${error.statusCode}: ${error.message}`).join('; ');
}

function createInspector(state: EmulatorState): EmulatorInspector {
    const db = state.db;
    // Inspector writes are seed data: system fields may be set, no locks are taken, the same rules apply.
    const trusted = (): WriteOptions => ({
        tx: new Transaction(),
        allowSave: true,
        trusted: true
    });
    return {
        calls: () => structuredClone(state.stats),
        callCount: () => state.stats.total,
        resetCalls: () => state.resetCalls(),
        records: (sobject, options = {}) => {
            const object = db.object(sobject);
            const where = options.where;
            const rows = db.rows(object.name, options.includeDeleted ?? false);
            return (where ? rows.filter((row) => where(row)) : rows).map((row) => db.materialize(object, row));
        },
        insert: (sobject, fields) => {
            const object = db.object(sobject);
            const result = db.insert(trusted(), object.name, db.parseInput(object, fields));
            if (!result.ok) throw new Error(`insert ${object.name} failed: ${describeErrors(result.errors)}`);
            return result.id;
        },
        update: (sobject, id, fields) => {
            const object = db.object(sobject);
            const result = db.update(trusted(), object.name, id, db.parseInput(object, fields));
            if (!result.ok)
                throw new Error(`update ${object.name} ${id} failed: ${describeErrors(result.errors)}`);
        },
        delete: (sobject, id) => {
            const result = db.remove(trusted(), sobject, id);
            if (!result.ok)
                throw new Error(`delete ${sobject} ${id} failed: ${describeErrors(result.errors)}`);
        },
        convertLead: (leadId) => db.convertLead(leadId),
        merge: (sobject, masterId, loserIds) => db.merge(sobject, masterId, loserIds),
        purge: (sobject, id) => db.purge(sobject, id),
        setFaults: (faults) => {
            if (faults.expireTokens) state.expireTokens();
            state.faults = { ...state.faults, ...faults };
        },
        setLatency: (latencyMs, perRecordLatencyMs) => {
            state.settings.latencyMs = latencyMs;
            if (perRecordLatencyMs !== undefined) state.settings.perRecordLatencyMs = perRecordLatencyMs;
        },
        tokens: () => state.tokensIssued,
        issuedTokens: () => state.issuedTokens()
    };
}

/**
 * Starts the Salesforce REST emulator on 127.0.0.1.
 *
 * @example
 * const sf = await startSalesforceEmulator({ latencyMs: 50 });
 * await fetch(`${sf.url}/services/data/v66.0/limits`, { headers: { Authorization: `Bearer ${sf.accessToken}` } });
 * await sf.close();
 */
export async function startSalesforceEmulator(
    options: SalesforceEmulatorOptions = {}
): Promise<SalesforceEmulator> {
    const schema = loadSchema(
        options.forceAppDir ?? join(REPO_ROOT, 'force-app'),
        options.extraFields,
        options.addressPicklists === true ? {} : options.addressPicklists || undefined
    );
    const db = new Database(schema, {
        validationRules: options.validationRules,
        duplicateRules: options.duplicateRules,
        assignmentRules: options.assignmentRules,
        flows: options.flows
    });
    const state = new EmulatorState(db, {
        dailyApiLimit: options.dailyApiLimit ?? 100_000,
        apiVersion: options.apiVersion ?? defaultApiVersion(),
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        jwtPublicKey: options.jwtPublicKey,
        lockWaitMs: options.lockWaitMs ?? 0,
        latencyMs: options.latencyMs ?? 0,
        perRecordLatencyMs: options.perRecordLatencyMs ?? 0
    });
    let url = '';
    const app = createApp(state, () => url);
    const server = await new Promise<ReturnType<typeof serve>>((resolveServer, reject) => {
        const started = serve(
            // A URI over 16 KB must reach the app to be answered 414 like Salesforce, not 431 by Node.
            {
                fetch: app.fetch,
                port: options.port ?? 0,
                hostname: '127.0.0.1',
                serverOptions: { maxHeaderSize: 1024 * 1024 }
            },
            () => resolveServer(started)
        );
        started.once('error', reject);
    });
    const address = server.address() as AddressInfo;
    url = `http://127.0.0.1:${address.port}`;
    const accessToken = state.issueToken();
    const inspect = createInspector(state);
    if (options.faults) inspect.setFaults(options.faults);
    return {
        url,
        instanceUrl: url,
        accessToken,
        inspect,
        close: () =>
            new Promise<void>((resolveClose, reject) => {
                if ('closeAllConnections' in server) server.closeAllConnections();
                server.close((error) => (error ? reject(error) : resolveClose()));
            })
    };
}

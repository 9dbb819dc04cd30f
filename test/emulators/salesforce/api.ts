// The REST resources under /services/data/vXX.X, shared by direct requests and /composite subrequests.
import { canonicalId } from './ids.ts';
import type { Row, WriteOptions, WriteResult } from './engine.ts';
import type { Transaction } from './engine.ts';
import { describeObject } from './schema.ts';
import type { FieldDef, ObjectDef } from './schema.ts';
import { runQuery } from './soql.ts';
import type { CallKind, EmulatorState } from './state.ts';
import type { RecordError } from './values.ts';
import { coerceValue, recordError, RequestError } from './values.ts';

export interface Reply {
    status: number;
    body: unknown;
    headers?: Record<string, string>;
}

/** One API call in progress: its undo log, the owner of its row locks, the records it read or wrote. */
export interface CallContext {
    owner: object;
    tx: Transaction;
    records: number;
}

export interface ApiRequest {
    method: string;
    version: string;
    /** Path after /services/data/vXX.X, e.g. `/sobjects/Lead/00Q...`. */
    path: string;
    query: URLSearchParams;
    body: unknown;
    headers: Record<string, string>;
}

// Oldest version still served: API versions 21.0 through 30.0 were retired in Summer '25.
export const OLDEST_VERSION = 31;

/** "v66.0" → "66.0" when the org serves that version, otherwise undefined. */
export function servedVersion(segment: string, newest: string): string | undefined {
    const match = /^v(\d+)\.0$/.exec(segment);
    if (!match) return undefined;
    const major = Number(match[1]);
    return major >= OLDEST_VERSION && major <= Number.parseFloat(newest) ? `${major}.0` : undefined;
}

/** Release names of API versions: v66.0 is Spring '26, three releases a year. */
export function releaseLabel(major: number): string {
    const index = major - 66 + 78;
    const year = Math.floor(index / 3);
    const season = index % 3;
    if (season === 0) return `Spring '${String(year).padStart(2, '0')}`;
    if (season === 1) return `Summer '${String(year).padStart(2, '0')}`;
    return `Winter '${String(year + 1).padStart(2, '0')}`;
}

export function versionsList(newest: string): Record<string, string>[] {
    const versions: Record<string, string>[] = [];
    for (let major = OLDEST_VERSION; major <= Number.parseFloat(newest); major++) {
        versions.push({
            label: releaseLabel(major),
            url: `/services/data/v${major}.0`,
            version: `${major}.0`
        });
    }
    return versions;
}

const notFound = (): RequestError =>
    new RequestError(404, 'NOT_FOUND', 'The requested resource does not exist');

function segmentsOf(path: string): string[] {
    return path
        .split('/')
        .filter((segment) => segment.length > 0)
        .map((segment) => decodeURIComponent(segment));
}

/** Which counter of the inspector a request belongs to. */
export function classify(path: string): CallKind {
    const [first, second, third] = segmentsOf(path);
    if (first === 'query' || first === 'queryAll') return 'query';
    if (first === 'limits') return 'limits';
    if (first === 'composite')
        return second === 'sobjects' ? 'collections' : second === undefined ? 'composite' : 'other';
    if (first === 'sobjects') return second === undefined || third === 'describe' ? 'describe' : 'sobject';
    return 'other';
}

function methodNotAllowed(method: string, allowed: string): RequestError {
    return new RequestError(
        405,
        'METHOD_NOT_ALLOWED',
        `HTTP Method '${method}' not allowed. Allowed are ${allowed}`
    );
}

function errorsBody(errors: RecordError[]): Record<string, unknown>[] {
    return errors.map((error) => {
        const entry: Record<string, unknown> = {};
        if (error.duplicateResult) entry.duplicateResult = error.duplicateResult;
        Object.assign(entry, { message: error.message, errorCode: error.statusCode, fields: error.fields });
        return entry;
    });
}

function collectionResult(result: WriteResult, withCreated: boolean): Row {
    if (result.ok) {
        const row: Row = { id: result.id, success: true, errors: [] };
        if (withCreated) row.created = result.created ?? false;
        return row;
    }
    return {
        success: false,
        errors: result.errors.map((error) => ({
            statusCode: error.statusCode,
            message: error.message,
            fields: error.fields
        }))
    };
}

/** The `allowSave` flag of `Sforce-Duplicate-Rule-Header` (REST "Duplicate Rule Header", API 52.0+). */
function allowSave(headers: Record<string, string>, version: string): boolean {
    const header = headers['sforce-duplicate-rule-header'];
    if (!header || Number.parseFloat(version) < 52) return false;
    return header
        .split(';')
        .map((part) => part.trim().toLowerCase().replace(/\s+/g, ''))
        .includes('allowsave=true');
}

export class Api {
    private readonly state: EmulatorState;
    private readonly instanceUrl: () => string;

    /** @param instanceUrl the org's base URL once listening (absolute URLs in answers, e.g. the identity URL) */
    constructor(state: EmulatorState, instanceUrl: () => string = () => '') {
        this.state = state;
        this.instanceUrl = instanceUrl;
    }

    get newestVersion(): string {
        return this.state.settings.apiVersion;
    }

    private writeOptions(call: CallContext, request: ApiRequest): WriteOptions {
        return {
            tx: call.tx,
            allowSave: allowSave(request.headers, request.version),
            // Per request, or per composite subrequest through its httpHeaders (the outer header does not propagate,
            // the same reading as for the duplicate rule header).
            autoAssign: request.headers['sforce-auto-assign'],
            trusted: false,
            recordErrorHook: this.state.faults.recordErrors
        };
    }

    /** Runs one record write once the call holds the row locks of the Campaigns the write touches. */
    private async locked(
        call: CallContext,
        request: ApiRequest,
        sobject: string | undefined,
        input: Map<string, unknown>,
        id: string | undefined,
        write: (options: WriteOptions) => WriteResult
    ): Promise<WriteResult> {
        const db = this.state.db;
        const objectName = sobject ?? (id ? db.lookup(id)?.object.name : undefined);
        const campaigns = objectName ? db.campaignsTouched(objectName, input, id) : [];
        if (campaigns.length > 0) {
            const lockError = await this.state.lockCampaigns(call.owner, campaigns);
            if (lockError) return { ok: false, errors: [lockError] };
        }
        return write(this.writeOptions(call, request));
    }

    private existingByExternalId(object: ObjectDef, def: FieldDef, value: unknown): string | undefined {
        const matches = this.state.db.matchExternalId(object, def, value);
        return matches.length === 1 ? String(matches[0]?.Id) : undefined;
    }

    async handle(call: CallContext, request: ApiRequest): Promise<Reply> {
        try {
            return await this.route(call, request);
        } catch (error) {
            if (error instanceof RequestError) return { status: error.status, body: error.body() };
            throw error;
        }
    }

    private async route(call: CallContext, request: ApiRequest): Promise<Reply> {
        const segments = segmentsOf(request.path);
        const [first, second, third, fourth, fifth] = segments;
        const { method } = request;
        if (first === undefined) {
            if (method !== 'GET') throw methodNotAllowed(method, 'GET,HEAD');
            return { status: 200, body: this.resources(request.version) };
        }
        if (first === 'limits' && second === undefined) {
            if (method !== 'GET') throw methodNotAllowed(method, 'GET,HEAD');
            return {
                status: 200,
                body: {
                    DailyApiRequests: {
                        Max: this.state.settings.dailyApiLimit,
                        Remaining: Math.max(0, this.state.settings.dailyApiLimit - this.state.apiUsed)
                    }
                }
            };
        }
        if (first === 'query' || first === 'queryAll') {
            if (method !== 'GET') throw methodNotAllowed(method, 'GET,HEAD');
            if (third !== undefined) throw notFound();
            return second === undefined
                ? this.query(call, request, first === 'queryAll')
                : this.queryMore(call, request, second);
        }
        if (first === 'sobjects') {
            if (second === undefined) {
                if (method !== 'GET') throw methodNotAllowed(method, 'GET,HEAD');
                return { status: 200, body: this.describeGlobal(request.version) };
            }
            const object = this.state.db.schema.byLowerName.get(second.toLowerCase());
            if (!object) throw notFound();
            if (third === undefined) return this.sobjectRoot(call, request, object);
            if (third === 'describe' && fourth === undefined) {
                if (method !== 'GET') throw methodNotAllowed(method, 'GET,HEAD');
                return { status: 200, body: describeObject(object, request.version) };
            }
            if (fourth === undefined) return this.sobjectRecord(call, request, object, third);
            if (fifth === undefined) return this.externalIdRecord(call, request, object, third, fourth);
            throw notFound();
        }
        if (first === 'composite') {
            if (second === undefined) {
                if (method === 'GET') {
                    return {
                        status: 200,
                        body: { sobjects: `/services/data/v${request.version}/composite/sobjects` }
                    };
                }
                throw methodNotAllowed(method, 'GET,HEAD,POST');
            }
            if (second === 'sobjects') {
                // sObject Collections exist since API 42.0, their upsert since 46.0.
                if (Number.parseFloat(request.version) < 42) throw notFound();
                if (third === undefined) return this.collections(call, request);
                if (fourth !== undefined && fifth === undefined) {
                    if (Number.parseFloat(request.version) < 46) throw notFound();
                    if (method !== 'PATCH') throw methodNotAllowed(method, 'PATCH');
                    return this.collectionsUpsert(call, request, third, fourth);
                }
            }
        }
        throw notFound();
    }

    // Resources by Version lists relative URIs plus "identity", the absolute identity URL of the session's user
    // (https://developer.salesforce.com/docs/platform/api-rest/guide/dome-discoveryresource.md: "identity" :
    // "https://MyDomainName.my.salesforce.com/id/00D…/005…"). Every token of the emulator belongs to the
    // integration user.
    private resources(version: string): Record<string, string> {
        const base = `/services/data/v${version}`;
        return {
            sobjects: `${base}/sobjects`,
            query: `${base}/query`,
            queryAll: `${base}/queryAll`,
            limits: `${base}/limits`,
            composite: `${base}/composite`,
            identity: `${this.instanceUrl()}/id/${this.state.orgId}/${this.state.db.integrationUserId}`
        };
    }

    private describeGlobal(version: string): Record<string, unknown> {
        return {
            encoding: 'UTF-8',
            maxBatchSize: 200,
            sobjects: [...this.state.db.schema.objects.values()].map((object) => ({
                name: object.name,
                label: object.label,
                labelPlural: object.labelPlural,
                keyPrefix: object.keyPrefix,
                custom: object.custom,
                createable: !object.readOnly,
                updateable: !object.readOnly,
                deletable: !object.readOnly,
                queryable: true,
                urls: {
                    sobject: `/services/data/v${version}/sobjects/${object.name}`,
                    describe: `/services/data/v${version}/sobjects/${object.name}/describe`,
                    rowTemplate: `/services/data/v${version}/sobjects/${object.name}/{ID}`
                }
            }))
        };
    }

    private recordBody(object: ObjectDef, row: Row, version: string, fields?: string[]): Row {
        const body: Row = {
            attributes: {
                type: object.name,
                url: `/services/data/v${version}/sobjects/${object.name}/${String(row.Id)}`
            }
        };
        const defs = fields
            ? fields.map((name) => {
                  const def = object.fieldsByLowerName.get(name.trim().toLowerCase());
                  if (!def)
                      throw new RequestError(
                          400,
                          'INVALID_FIELD',
                          `No such column '${name}' on entity '${object.name}'.`
                      );
                  return def;
              })
            : object.fields;
        for (const def of defs) body[def.name] = this.state.db.value(object, row, def.name);
        if (fields && !defs.some((def) => def.name === 'Id')) body.Id = row.Id;
        return body;
    }

    private async sobjectRoot(call: CallContext, request: ApiRequest, object: ObjectDef): Promise<Reply> {
        if (request.method === 'GET') {
            return {
                status: 200,
                body: { objectDescribe: describeObject(object, request.version), recentItems: [] }
            };
        }
        if (request.method !== 'POST') throw methodNotAllowed(request.method, 'GET,HEAD,POST');
        const input = this.state.db.parseInput(object, request.body);
        call.records += 1;
        const result = await this.locked(call, request, object.name, input, undefined, (options) =>
            this.state.db.insert(options, object.name, input)
        );
        if (!result.ok) return { status: 400, body: errorsBody(result.errors) };
        return {
            status: 201,
            body: { id: result.id, success: true, errors: [] },
            headers: { Location: `/services/data/v${request.version}/sobjects/${object.name}/${result.id}` }
        };
    }

    private async sobjectRecord(
        call: CallContext,
        request: ApiRequest,
        object: ObjectDef,
        rawId: string
    ): Promise<Reply> {
        const id = canonicalId(rawId);
        const row = id ? this.state.db.get(object.name, id) : undefined;
        if (!id) {
            // A segment that is not an id is read as an external id field name (REST "sObject Rows").
            throw new RequestError(
                404,
                'NOT_FOUND',
                `Provided external ID field does not exist or is not accessible: ${rawId}`
            );
        }
        if (!row) throw notFound();
        if (request.method === 'GET') {
            if (row.IsDeleted) throw new RequestError(404, 'ENTITY_IS_DELETED', 'entity is deleted');
            call.records += 1;
            const fields = request.query.get('fields');
            return {
                status: 200,
                body: this.recordBody(object, row, request.version, fields ? fields.split(',') : undefined)
            };
        }
        if (request.method === 'PATCH') {
            const input = this.state.db.parseInput(object, request.body);
            call.records += 1;
            const result = await this.locked(call, request, object.name, input, id, (options) =>
                this.state.db.update(options, object.name, id, input)
            );
            return result.ok ? { status: 204, body: null } : { status: 400, body: errorsBody(result.errors) };
        }
        if (request.method === 'DELETE') {
            call.records += 1;
            const result = await this.locked(call, request, object.name, new Map(), id, (options) =>
                this.state.db.remove(options, object.name, id)
            );
            return result.ok ? { status: 204, body: null } : { status: 400, body: errorsBody(result.errors) };
        }
        throw methodNotAllowed(request.method, 'GET,HEAD,PATCH,DELETE');
    }

    private externalIdField(object: ObjectDef, fieldName: string): FieldDef | undefined {
        const def = object.fieldsByLowerName.get(fieldName.toLowerCase());
        return def && def.externalId ? def : undefined;
    }

    private externalValue(def: FieldDef, raw: string): unknown {
        if (['double', 'int', 'percent', 'currency'].includes(def.type)) return coerceValue(def, Number(raw));
        return raw;
    }

    private async externalIdRecord(
        call: CallContext,
        request: ApiRequest,
        object: ObjectDef,
        fieldName: string,
        rawValue: string
    ): Promise<Reply> {
        // Upsert and retrieval by a field that is not an external id answer 404 NOT_FOUND (reference rest/01).
        const def = this.externalIdField(object, fieldName);
        if (!def) throw notFound();
        const value = this.externalValue(def, rawValue);
        if (request.method === 'GET') {
            const matches = this.state.db.matchExternalId(object, def, value);
            if (matches.length === 0) throw notFound();
            if (matches.length > 1)
                return this.multipleChoices(
                    object,
                    request.version,
                    matches.map((row) => String(row.Id))
                );
            call.records += 1;
            return { status: 200, body: this.recordBody(object, matches[0] as Row, request.version) };
        }
        if (request.method !== 'PATCH') throw methodNotAllowed(request.method, 'GET,HEAD,PATCH');
        const input = this.state.db.parseInput(object, request.body);
        const inBody = input.get(def.name);
        // The reference is silent on an external id in the body that differs from the URL; refuse it.
        if (inBody !== undefined && String(inBody).toLowerCase() !== String(value).toLowerCase()) {
            throw new RequestError(
                400,
                'INVALID_FIELD',
                `${def.name} in the request body does not match the value in the URL`,
                [def.name]
            );
        }
        call.records += 1;
        const existing = this.existingByExternalId(object, def, value);
        const result = await this.locked(call, request, object.name, input, existing, (options) =>
            this.state.db.upsert(options, object.name, def, value, input)
        );
        if (!result.ok) {
            if (result.multipleMatches)
                return this.multipleChoices(object, request.version, result.multipleMatches);
            return { status: 400, body: errorsBody(result.errors) };
        }
        const location = {
            Location: `/services/data/v${request.version}/sobjects/${object.name}/${result.id}`
        };
        // API 45.0 and earlier answered an update with 204 and no body (reference rest/01).
        if (Number.parseFloat(request.version) < 46) {
            return result.created
                ? { status: 201, body: { id: result.id, success: true, errors: [] }, headers: location }
                : { status: 204, body: null };
        }
        return {
            status: result.created ? 201 : 200,
            body: { id: result.id, success: true, errors: [], created: result.created ?? false },
            headers: result.created ? location : {}
        };
    }

    private multipleChoices(object: ObjectDef, version: string, ids: string[]): Reply {
        return {
            status: 300,
            body: ids.map((id) => `/services/data/v${version}/sobjects/${object.name}/${id}`)
        };
    }

    private query(call: CallContext, request: ApiRequest, queryAll: boolean): Reply {
        const statement = request.query.get('q');
        if (statement === null || statement.trim() === '') {
            throw new RequestError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
        }
        const result = runQuery(this.state.db, statement, queryAll, request.version);
        // Sforce-Query-Options: batchSize — default and maximum 2,000, minimum 200 (reference rest/02).
        const option = /batchSize=(\d+)/i.exec(request.headers['sforce-query-options'] ?? '');
        const batchSize = option ? Math.min(2000, Math.max(200, Number(option[1]))) : 2000;
        const cursor = { records: result.records, totalSize: result.totalSize, batchSize, queryAll };
        return this.page(call, request, cursor, 0);
    }

    private page(
        call: CallContext,
        request: ApiRequest,
        cursor: { records: Row[]; totalSize: number; batchSize: number; queryAll: boolean },
        start: number,
        locator?: string
    ): Reply {
        const records = cursor.records.slice(start, start + cursor.batchSize);
        call.records += records.length;
        const next = start + cursor.batchSize;
        const body: Row = { totalSize: cursor.totalSize, done: next >= cursor.records.length, records };
        if (next < cursor.records.length) {
            const id = locator ?? this.state.newCursor(cursor);
            body.nextRecordsUrl = `/services/data/v${request.version}/${cursor.queryAll ? 'queryAll' : 'query'}/${id}-${next}`;
        }
        return { status: 200, body };
    }

    private queryMore(call: CallContext, request: ApiRequest, locator: string): Reply {
        const match = /^(01g[A-Za-z0-9]+)-(\d+)$/.exec(locator);
        const cursor = match ? this.state.cursors.get(match[1] ?? '') : undefined;
        if (!match || !cursor) throw new RequestError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
        return this.page(call, request, cursor, Number(match[2]), match[1]);
    }

    private collectionRecords(body: unknown): { allOrNone: boolean; records: Row[] } {
        if (typeof body !== 'object' || body === null || !Array.isArray((body as Row).records)) {
            throw new RequestError(400, 'JSON_PARSER_ERROR', 'The request body must have a records array');
        }
        const records = (body as Row).records as Row[];
        // "The request can contain up to 200 records" (sObject Collections); past it the call is refused.
        if (records.length > 200) {
            throw new RequestError(
                400,
                'EXCEEDED_ID_LIMIT',
                'record limit reached. cannot submit more than 200 records into this call'
            );
        }
        return { allOrNone: (body as Row).allOrNone === true, records };
    }

    private recordType(record: Row): ObjectDef {
        const attributes = record.attributes as Row | undefined;
        const type = typeof attributes?.type === 'string' ? attributes.type : undefined;
        const object = type ? this.state.db.schema.byLowerName.get(type.toLowerCase()) : undefined;
        if (!type)
            throw new RequestError(
                400,
                'INVALID_TYPE',
                'No SObject Type defined in the record (attributes.type)'
            );
        if (!object) throw new RequestError(400, 'INVALID_TYPE', `sObject type '${type}' is not supported.`);
        return object;
    }

    /** allOrNone: a failure anywhere rolls the whole collection back (ALL_OR_NONE_OPERATION_ROLLED_BACK). */
    private settle(
        call: CallContext,
        savepoint: number,
        allOrNone: boolean,
        results: WriteResult[],
        withCreated: boolean
    ): Row[] {
        const failed = results.some((result) => !result.ok);
        if (!failed || !allOrNone) return results.map((result) => collectionResult(result, withCreated));
        call.tx.rollbackTo(savepoint);
        return results.map((result) =>
            result.ok
                ? {
                      success: false,
                      errors: [
                          {
                              statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
                              message:
                                  'Record rolled back because not all records were valid and the request was using AllOrNone header',
                              fields: []
                          }
                      ]
                  }
                : collectionResult(result, withCreated)
        );
    }

    private async collections(call: CallContext, request: ApiRequest): Promise<Reply> {
        const db = this.state.db;
        if (request.method === 'DELETE') {
            const ids = (request.query.get('ids') ?? '').split(',').filter((id) => id.length > 0);
            if (ids.length === 0)
                throw new RequestError(400, 'MISSING_ARGUMENT', 'ids parameter is required');
            if (ids.length > 200) {
                throw new RequestError(
                    400,
                    'EXCEEDED_ID_LIMIT',
                    'record limit reached. cannot submit more than 200 records into this call'
                );
            }
            const savepoint = call.tx.savepoint();
            const results: WriteResult[] = [];
            for (const id of ids) {
                call.records += 1;
                results.push(
                    await this.locked(call, request, undefined, new Map(), canonicalId(id), (options) =>
                        db.remove(options, undefined, id)
                    )
                );
            }
            return {
                status: 200,
                body: this.settle(call, savepoint, request.query.get('allOrNone') === 'true', results, false)
            };
        }
        if (request.method !== 'POST' && request.method !== 'PATCH')
            throw methodNotAllowed(request.method, 'GET,POST,PATCH,DELETE');
        const { allOrNone, records } = this.collectionRecords(request.body);
        const creating = request.method === 'POST';
        const parsed = records.map((record) => {
            const object = this.recordType(record);
            if (creating) return { object, input: db.parseInput(object, record), id: undefined };
            const idKey = Object.keys(record).find((key) => key.toLowerCase() === 'id');
            const id = idKey ? record[idKey] : undefined;
            return { object, input: db.parseInput(object, record, ['attributes', 'id']), id };
        });
        const savepoint = call.tx.savepoint();
        const results: WriteResult[] = [];
        for (const { object, input, id } of parsed) {
            call.records += 1;
            if (creating) {
                results.push(
                    await this.locked(call, request, object.name, input, undefined, (options) =>
                        db.insert(options, object.name, input)
                    )
                );
                continue;
            }
            if (typeof id !== 'string' || id === '') {
                results.push({
                    ok: false,
                    errors: [recordError('MISSING_ARGUMENT', 'Id not specified in an update call', ['Id'])]
                });
                continue;
            }
            const canonical = canonicalId(id);
            if (!canonical || canonical.slice(0, 3) !== object.keyPrefix) {
                results.push({
                    ok: false,
                    errors: [
                        recordError('MALFORMED_ID', `${object.label} ID: id value of incorrect type: ${id}`, [
                            'Id'
                        ])
                    ]
                });
                continue;
            }
            results.push(
                await this.locked(call, request, object.name, input, canonical, (options) =>
                    db.update(options, object.name, canonical, input)
                )
            );
        }
        return { status: 200, body: this.settle(call, savepoint, allOrNone, results, false) };
    }

    private async collectionsUpsert(
        call: CallContext,
        request: ApiRequest,
        objectName: string,
        fieldName: string
    ): Promise<Reply> {
        const db = this.state.db;
        const object = db.schema.byLowerName.get(objectName.toLowerCase());
        if (!object) throw notFound();
        const def = this.externalIdField(object, fieldName);
        if (!def) {
            throw new RequestError(
                400,
                'INVALID_FIELD',
                `Field name provided, ${fieldName} is not an External ID or indexed field for ${object.name}`
            );
        }
        const { allOrNone, records } = this.collectionRecords(request.body);
        const parsed = records.map((record) => {
            const type = this.recordType(record);
            if (type.name !== object.name) {
                throw new RequestError(
                    400,
                    'INVALID_TYPE',
                    `Record type ${type.name} does not match ${object.name}`
                );
            }
            return db.parseInput(object, record);
        });
        const seen = new Map<string, number>();
        for (const input of parsed) {
            const key = String(input.get(def.name) ?? '').toLowerCase();
            seen.set(key, (seen.get(key) ?? 0) + 1);
        }
        const savepoint = call.tx.savepoint();
        const results: WriteResult[] = [];
        for (const input of parsed) {
            call.records += 1;
            const value = input.get(def.name);
            if (value === undefined || value === null) {
                results.push({
                    ok: false,
                    errors: [recordError('MISSING_ARGUMENT', `${def.name} not specified`, [def.name])]
                });
                continue;
            }
            if ((seen.get(String(value).toLowerCase()) ?? 0) > 1) {
                // Two records of one request with the same key would race each other: Salesforce refuses both.
                results.push({
                    ok: false,
                    errors: [
                        recordError(
                            'DUPLICATE_EXTERNAL_ID',
                            `Duplicate external id specified: ${String(value)}`,
                            [def.name]
                        )
                    ]
                });
                continue;
            }
            const existing = this.existingByExternalId(object, def, value);
            results.push(
                await this.locked(call, request, object.name, input, existing, (options) =>
                    db.upsert(options, object.name, def, value, input)
                )
            );
        }
        return { status: 200, body: this.settle(call, savepoint, allOrNone, results, true) };
    }
}

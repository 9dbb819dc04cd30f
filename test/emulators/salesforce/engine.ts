import { canonicalId, IdGenerator } from './ids.ts';
import type { AddressPicklists, AddressValue, FieldDef, ObjectDef, Schema } from './schema.ts';
import type { RecordError } from './values.ts';
import { checkValue, coerceValue, formatDate, formatDateTime, recordError, RequestError } from './values.ts';

export type Row = Record<string, unknown>;

/** A validation rule: when `when(record)` is true the save fails, like a formula that evaluates to true. */
export interface ValidationRule {
    sobject: string;
    when: (record: Readonly<Row>) => boolean;
    message: string;
    fields?: string[];
}

/** A duplicate rule matching records of `sobject` whose `fields` are all equal (case-insensitive). */
export interface DuplicateRule {
    sobject: string;
    fields: string[];
    action: 'alert' | 'block';
    name?: string;
}

/**
 * A Lead assignment rule of the org (Setup › Lead Assignment Rules). Each one here has a single entry that routes
 * the Leads it matches (`when`, default: all) to a queue created with the org; Leads no entry matches keep their
 * owner (a real org would give them the default lead owner of Lead Settings).
 */
export interface AssignmentRuleOption {
    name: string;
    /** Only one Lead rule can be active at a time (Help "Assignment Rules"). Default false. */
    active?: boolean;
    /** Name of the queue the rule assigns Leads to. */
    queue: string;
    when?: (lead: Readonly<Row>) => boolean;
}

/** Automation of the org that writes other records when ours are saved (record-triggered flows). */
export interface FlowOptions {
    /** A flow on CampaignMember creation and update that updates the member's Lead (e.g. a "last campaign" stamp). */
    campaignMemberUpdatesLead?: boolean;
}

export type RecordErrorHook = (
    sobject: string,
    record: Readonly<Row>
) => { statusCode: string; message: string; fields?: string[] } | undefined;

/**
 * The rows of one object by Id, with secondary indexes kept exact by every `set` and `delete` (writes, their undo,
 * seeding, purges): lookups an org answers from its own indexes stay cheap however many rows the emulator holds.
 * A deleted row (IsDeleted, in the recycle bin) is not indexed.
 */
export class Table extends Map<string, Row> {
    private readonly indexes = new Map<
        string,
        { keysOf: (row: Row) => string[]; entries: Map<string, Set<string>> }
    >();

    /** Indexes the rows by the keys `keysOf` gives each (none: not indexed). */
    addIndex(name: string, keysOf: (row: Row) => string[]): void {
        const index = { keysOf, entries: new Map<string, Set<string>>() };
        this.indexes.set(name, index);
        for (const [id, row] of this) this.indexRow(id, row);
    }

    /** The live rows with `key` in index `name`. */
    find(name: string, key: string): Row[] {
        const ids = this.indexes.get(name)?.entries.get(key);
        if (!ids) return [];
        return [...ids].map((id) => super.get(id)!);
    }

    override set(id: string, row: Row): this {
        const previous = super.get(id);
        if (previous) this.unindexRow(id, previous);
        super.set(id, row);
        this.indexRow(id, row);
        return this;
    }

    override delete(id: string): boolean {
        const previous = super.get(id);
        if (previous) this.unindexRow(id, previous);
        return super.delete(id);
    }

    private indexRow(id: string, row: Row): void {
        // Map's constructor may call set before the class fields exist.
        if (!this.indexes || row.IsDeleted) return;
        for (const { keysOf, entries } of this.indexes.values()) {
            for (const key of keysOf(row)) {
                const ids = entries.get(key) ?? new Set<string>();
                ids.add(id);
                entries.set(key, ids);
            }
        }
    }

    private unindexRow(id: string, row: Row): void {
        if (!this.indexes) return;
        for (const { keysOf, entries } of this.indexes.values()) {
            for (const key of keysOf(row)) {
                const ids = entries.get(key);
                ids?.delete(id);
                if (ids?.size === 0) entries.delete(key);
            }
        }
    }
}

/** CampaignMember index names: the members of a Campaign, and of a Campaign for one Lead or Contact. */
const MEMBERS_OF_CAMPAIGN = 'campaign';
const MEMBER_OF_PERSON = 'person';

/** Undo log of one API call: rolling back restores every row the call replaced. */
export class Transaction {
    private readonly undo: (() => void)[] = [];

    write(table: Map<string, Row>, id: string, row: Row): void {
        const previous = table.get(id);
        this.undo.push(() => {
            if (previous) table.set(id, previous);
            else table.delete(id);
        });
        table.set(id, row);
    }

    savepoint(): number {
        return this.undo.length;
    }

    rollbackTo(savepoint: number): void {
        while (this.undo.length > savepoint) this.undo.pop()?.();
    }
}

export interface WriteOptions {
    tx: Transaction;
    /** `Sforce-Duplicate-Rule-Header: allowSave=true` was sent with this (sub)request. */
    allowSave: boolean;
    /** Seed data written through the inspector: system fields are writable and no locks are taken. */
    trusted: boolean;
    /** The `Sforce-Auto-Assign` header of this (sub)request, as sent; undefined when absent. */
    autoAssign?: string | undefined;
    recordErrorHook?: RecordErrorHook | undefined;
}

export type WriteResult =
    | { ok: true; id: string; created?: boolean }
    | { ok: false; errors: RecordError[]; notFound?: boolean; multipleMatches?: string[] };

const fail = (...errors: RecordError[]): WriteResult => ({ ok: false, errors });

const DUPLICATE_UNKNOWN = 'duplicate value found: <unknown> duplicates value on record with id: <unknown>';

function sameText(left: unknown, right: unknown, caseSensitive = false): boolean {
    if (typeof left !== 'string' || typeof right !== 'string') return left === right;
    return caseSensitive ? left === right : left.toLowerCase() === right.toLowerCase();
}

export interface DatabaseOptions {
    validationRules?: ValidationRule[];
    duplicateRules?: DuplicateRule[];
    assignmentRules?: AssignmentRuleOption[];
    flows?: FlowOptions;
}

interface LoadedRule {
    queueId: string;
    when: ((lead: Readonly<Row>) => boolean) | undefined;
}

export class Database {
    readonly schema: Schema;
    readonly tables = new Map<string, Table>();
    readonly ids = new IdGenerator();
    readonly integrationUserId: string;
    private readonly validationRules: ValidationRule[];
    private readonly duplicateRules: DuplicateRule[];
    private readonly flows: FlowOptions;
    private readonly assignmentRules = new Map<string, LoadedRule>();

    constructor(schema: Schema, options: DatabaseOptions = {}) {
        this.schema = schema;
        this.validationRules = options.validationRules ?? [];
        this.duplicateRules = options.duplicateRules ?? [];
        this.flows = options.flows ?? {};
        for (const name of schema.objects.keys()) this.tables.set(name, new Table());
        const members = this.tables.get('CampaignMember');
        members?.addIndex(MEMBERS_OF_CAMPAIGN, (row) => (row.CampaignId ? [String(row.CampaignId)] : []));
        members?.addIndex(MEMBER_OF_PERSON, (row) =>
            [row.LeadId, row.ContactId]
                .filter((id) => id !== null && id !== undefined)
                .map((id) => `${String(row.CampaignId)}/${String(id)}`)
        );
        const now = formatDateTime(new Date());
        this.integrationUserId = this.ids.next('005');
        this.table('User').set(this.integrationUserId, {
            ...this.blankRow(this.object('User'), this.integrationUserId, now),
            Username: 'integration@livestorm-salesforce.example',
            Email: 'integration@livestorm-salesforce.example',
            FirstName: 'Livestorm',
            LastName: 'Integration',
            IsActive: true,
            UserPermissionsMarketingUser: true
        });
        this.loadAssignmentRules(options.assignmentRules ?? [], now);
        for (const record of schema.customMetadataRecords) {
            const object = schema.objects.get(record.type);
            if (!object) continue;
            const id = this.ids.next(object.keyPrefix);
            const row = this.blankRow(object, id, now);
            for (const [name, value] of Object.entries(record.values)) {
                const def = object.fieldsByLowerName.get(name.toLowerCase());
                if (def) row[def.name] = value;
            }
            Object.assign(row, {
                DeveloperName: record.developerName,
                MasterLabel: record.label,
                Label: record.label,
                QualifiedApiName: record.developerName
            });
            this.table(object.name).set(id, row);
        }
    }

    private loadAssignmentRules(rules: AssignmentRuleOption[], now: string): void {
        if (rules.filter((rule) => rule.active).length > 1) {
            // "You can have only one active rule at a time" per object (Help "Lead Assignment Rules").
            throw new Error('assignmentRules: only one Lead assignment rule can be active');
        }
        const queues = new Map<string, string>();
        for (const rule of rules) {
            let queueId = queues.get(rule.queue);
            if (!queueId) {
                queueId = this.ids.next('00G');
                queues.set(rule.queue, queueId);
                this.table('Group').set(queueId, {
                    ...this.blankRow(this.object('Group'), queueId, now),
                    Name: rule.queue,
                    DeveloperName: rule.queue.replace(/[^A-Za-z0-9]+/g, '_'),
                    Type: 'Queue'
                });
            }
            const id = this.ids.next('01Q');
            this.table('AssignmentRule').set(id, {
                ...this.blankRow(this.object('AssignmentRule'), id, now),
                Name: rule.name,
                SobjectType: 'Lead',
                Active: rule.active === true
            });
            this.assignmentRules.set(id, { queueId, when: rule.when });
        }
    }

    /**
     * `Sforce-Auto-Assign` on a Lead save (REST API Developer Guide, "Assignment Rule Header",
     * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api/headers_autoassign.htm): TRUE (case
     * insensitive) applies the active rule to created *or updated* Leads; FALSE applies none; a valid AssignmentRule Id
     * applies that rule to created Leads; absent = TRUE. The guide does not say what an unknown Id does: the stricter
     * reading fails the record (MALFORMED_ID for a malformed one, as the SOAP AssignmentRuleHeader documents).
     * Inspector writes (seed data) are never assigned.
     */
    private assign(options: WriteOptions, row: Row, creating: boolean): RecordError | undefined {
        if (options.trusted) return undefined;
        const header = options.autoAssign?.trim();
        let ruleId: string | undefined;
        if (header === undefined || header.toLowerCase() === 'true') {
            ruleId = this.rows('AssignmentRule').find((rule) => rule.Active && rule.SobjectType === 'Lead')
                ?.Id as string | undefined;
        } else if (header.toLowerCase() !== 'false') {
            const id = canonicalId(header);
            if (!id || !id.startsWith('01Q'))
                return recordError(
                    'MALFORMED_ID',
                    `Assignment rule id: id value of incorrect type: ${header}`
                );
            const rule = this.get('AssignmentRule', id);
            if (!rule || rule.SobjectType !== 'Lead')
                return recordError('INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id: ${header}`);
            if (creating) ruleId = id;
        }
        const rule = ruleId ? this.assignmentRules.get(ruleId) : undefined;
        if (rule && (rule.when?.(row) ?? true)) row.OwnerId = rule.queueId;
        return undefined;
    }

    /**
     * State and Country/Territory Picklists on save (Help "State and Country/Territory Picklist Field-Syncing Logic",
     * https://help.salesforce.com/s/articleView?id=xcloud.admin_state_country_picklists_field_syncing.htm): a valid code
     * sets the integration value and a valid integration value sets the code; a code and a text that disagree are
     * refused on update and resolved in favour of the code on create; a state outside the record's country is refused;
     * removing the country code removes the state and both texts. Anything that is not a listed code or integration
     * value fails the record with FIELD_INTEGRITY_EXCEPTION (code messages as quoted by support.storeconnect.com
     * "Resolve state and country picklist sync errors"; the text message as reported in verbb/formie#963).
     */
    private addressRules(
        object: ObjectDef,
        row: Row,
        input: Map<string, unknown>,
        previous: Row | undefined
    ): RecordError[] {
        const picklists = this.schema.addressPicklists;
        if (!picklists) return [];
        const errors: RecordError[] = [];
        for (const prefix of picklists.prefixes[object.name] ?? []) {
            const error = this.addressPart(picklists, prefix, row, input, previous);
            if (error) errors.push(error);
        }
        return errors;
    }

    private addressPart(
        picklists: AddressPicklists,
        prefix: string,
        row: Row,
        input: Map<string, unknown>,
        previous: Row | undefined
    ): RecordError | undefined {
        const creating = previous === undefined;
        const integrity = (message: string, field: string) =>
            recordError('FIELD_INTEGRITY_EXCEPTION', message, [field]);
        const [countryText, countryCode, stateText, stateCode] = [
            `${prefix}Country`,
            `${prefix}CountryCode`,
            `${prefix}State`,
            `${prefix}StateCode`
        ];
        const clear = () => {
            row[countryText] = null;
            row[countryCode] = null;
            row[stateText] = null;
            row[stateCode] = null;
        };
        const byCode = (list: AddressValue[], code: unknown) =>
            list.find((entry) => entry.code.toLowerCase() === String(code).toLowerCase());
        const byName = (list: AddressValue[], text: unknown) =>
            list.find((entry) => entry.integrationValue === text);
        // The country.
        const previousCountry = previous ? (previous[countryCode] ?? null) : null;
        if (input.has(countryCode)) {
            const code = input.get(countryCode);
            if (code === null || code === undefined) {
                clear();
                return undefined;
            }
            const country = byCode(picklists.countries, code);
            if (!country) {
                return integrity(
                    `The ${countryCode} field contains ${String(code)}, which isn't an available country/territory.`,
                    countryCode
                );
            }
            const text = input.get(countryText);
            if (!creating && input.has(countryText) && text !== null && text !== country.integrationValue) {
                return integrity(
                    `The ${countryText} and ${countryCode} values don't match: ${String(text)} is not ${country.code}.`,
                    countryText
                );
            }
            row[countryCode] = country.code;
            row[countryText] = country.integrationValue;
        } else if (input.has(countryText)) {
            const text = input.get(countryText);
            if (text === null || text === undefined) {
                clear();
                return undefined;
            }
            const country = byName(picklists.countries, text);
            if (!country) {
                return integrity(
                    "There's a problem with this country, even though it may appear correct. Please select a country/territory from the list of valid countries.",
                    countryText
                );
            }
            row[countryCode] = country.code;
        }
        // The state, always against the record's country after this save.
        const country = row[countryCode] as string | null;
        const states = country ? (picklists.states.get(country) ?? []) : [];
        if (input.has(stateCode) || input.has(stateText)) {
            const code = input.get(stateCode);
            const text = input.get(stateText);
            if (input.has(stateCode) ? code === null : text === null) {
                row[stateCode] = null;
                row[stateText] = null;
                return undefined;
            }
            if (!country) {
                // Wording not in the reference: a state needs a country first.
                return integrity(
                    `A country/territory must be specified before specifying a state value for field: ${input.has(stateCode) ? stateCode : stateText}`,
                    input.has(stateCode) ? stateCode : stateText
                );
            }
            if (input.has(stateCode)) {
                const state = byCode(states, code);
                if (!state) {
                    return integrity(
                        `The ${stateCode} field contains ${String(code)}, which isn't an available state.`,
                        stateCode
                    );
                }
                if (!creating && input.has(stateText) && text !== null && text !== state.integrationValue) {
                    return integrity(
                        `The ${stateText} and ${stateCode} values don't match: ${String(text)} is not ${state.code}.`,
                        stateText
                    );
                }
                row[stateCode] = state.code;
                row[stateText] = state.integrationValue;
            } else {
                const state = byName(states, text);
                if (!state) {
                    return integrity(
                        "There's a problem with this state, even though it may appear correct. Please select a state from the list of valid states.",
                        stateText
                    );
                }
                row[stateCode] = state.code;
            }
        } else if (country !== previousCountry && row[stateCode]) {
            // "The new state isn't in the new country. No changes are saved. You get an error message."
            if (!byCode(states, row[stateCode])) {
                return integrity(
                    `The ${stateCode} field contains ${String(row[stateCode])}, which isn't an available state.`,
                    stateCode
                );
            }
        }
        return undefined;
    }

    /** A flow fired by a saved CampaignMember updates its Lead, under the same assignment header as the request. */
    private afterMemberSaved(options: WriteOptions, member: Row, now: string): void {
        if (!this.flows.campaignMemberUpdatesLead || !member.LeadId) return;
        const lead = this.get('Lead', String(member.LeadId));
        if (!lead || lead.IsDeleted || lead.IsConverted) return;
        const updated: Row = { ...lead, LastModifiedDate: now, SystemModstamp: now };
        // "This header also gets applied when making REST API calls that indirectly result in creating or updating
        // Accounts, Cases, or Leads" (Assignment Rule Header).
        this.assign(options, updated, false);
        options.tx.write(this.table('Lead'), String(lead.Id), updated);
    }

    object(name: string): ObjectDef {
        const object = this.schema.byLowerName.get(name.toLowerCase());
        if (!object) throw new RequestError(404, 'NOT_FOUND', 'The requested resource does not exist');
        return object;
    }

    table(name: string): Table {
        const table = this.tables.get(name);
        if (!table) throw new RequestError(404, 'NOT_FOUND', 'The requested resource does not exist');
        return table;
    }

    get(sobject: string, id: string): Row | undefined {
        return this.table(sobject).get(id);
    }

    /** The record behind any id, whatever its object (the key prefix says which table). */
    lookup(id: string): { object: ObjectDef; row: Row } | undefined {
        const canonical = canonicalId(id);
        if (!canonical) return undefined;
        const object = this.schema.byKeyPrefix.get(canonical.slice(0, 3));
        const row = object ? this.table(object.name).get(canonical) : undefined;
        return object && row ? { object, row } : undefined;
    }

    rows(sobject: string, includeDeleted = false): Row[] {
        const all = [...this.table(sobject).values()];
        return includeDeleted ? all : all.filter((row) => !row.IsDeleted);
    }

    /** A field's value on a row, including the values Salesforce computes on read (Campaign roll-ups). */
    value(object: ObjectDef, row: Row, fieldName: string): unknown {
        if (object.name === 'Campaign' && fieldName.startsWith('NumberOf')) {
            const members = this.table('CampaignMember').find(MEMBERS_OF_CAMPAIGN, String(row.Id));
            if (fieldName === 'NumberOfLeads') return members.filter((m) => m.LeadId && !m.ContactId).length;
            if (fieldName === 'NumberOfContacts') return members.filter((m) => m.ContactId).length;
            if (fieldName === 'NumberOfResponses') return members.filter((m) => m.HasResponded).length;
        }
        return row[fieldName] ?? null;
    }

    /** Plain copy of a row with every field of its object, computed ones included. */
    materialize(object: ObjectDef, row: Row): Row {
        const out: Row = {};
        for (const def of object.fields) out[def.name] = this.value(object, row, def.name);
        return out;
    }

    private blankRow(object: ObjectDef, id: string, now: string): Row {
        const row: Row = {};
        for (const def of object.fields) row[def.name] = def.defaultedOnCreate ? def.defaultValue : null;
        Object.assign(row, {
            Id: id,
            IsDeleted: false,
            CreatedDate: now,
            LastModifiedDate: now,
            SystemModstamp: now
        });
        return row;
    }

    /**
     * Turns a JSON body into field values: field names are case-insensitive and come back canonical.
     * Unknown fields and values of the wrong JSON type fail the whole request, as Salesforce's
     * deserializer does ("No such column ..." INVALID_FIELD; JSON_PARSER_ERROR).
     */
    parseInput(object: ObjectDef, body: unknown, ignore: string[] = ['attributes']): Map<string, unknown> {
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
            throw new RequestError(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
        }
        const values = new Map<string, unknown>();
        for (const [key, raw] of Object.entries(body as Row)) {
            if (ignore.some((name) => name.toLowerCase() === key.toLowerCase())) continue;
            const def = object.fieldsByLowerName.get(key.toLowerCase());
            if (!def) {
                throw new RequestError(
                    400,
                    'INVALID_FIELD',
                    `No such column '${key}' on sobject of type ${object.name}`
                );
            }
            if (typeof raw === 'object' && raw !== null) {
                throw new RequestError(
                    400,
                    'JSON_PARSER_ERROR',
                    `Cannot deserialize instance of ${def.type} from START_OBJECT value`
                );
            }
            values.set(def.name, coerceValue(def, raw));
        }
        return values;
    }

    private checkAccess(
        object: ObjectDef,
        input: Map<string, unknown>,
        mode: 'create' | 'update'
    ): RecordError[] {
        const denied = [...input.keys()].filter((name) => {
            const def = object.fieldsByLowerName.get(name.toLowerCase());
            return !def || (mode === 'create' ? !def.createable : !def.updateable);
        });
        if (denied.length === 0) return [];
        return [
            recordError(
                'INVALID_FIELD_FOR_INSERT_UPDATE',
                `Unable to create/update fields: ${denied.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
                denied
            )
        ];
    }

    private checkReference(def: FieldDef, value: string): { id?: string; error?: RecordError } {
        const malformed = recordError('MALFORMED_ID', `${def.label}: id value of incorrect type: ${value}`, [
            def.name
        ]);
        const id = canonicalId(value);
        if (!id) return { error: malformed };
        const target = this.schema.byKeyPrefix.get(id.slice(0, 3));
        const knownTargets = def.referenceTo.filter((name) => this.schema.objects.has(name));
        if (knownTargets.length === 0) return { id };
        if (!target || !def.referenceTo.includes(target.name)) return { error: malformed };
        const row = this.table(target.name).get(id);
        if (!row) return { error: recordError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id') };
        if (row.IsDeleted) return { error: recordError('ENTITY_IS_DELETED', 'entity is deleted') };
        return { id };
    }

    /** Length, format, picklist, range and reference checks of the values being written. */
    private checkValues(object: ObjectDef, input: Map<string, unknown>): RecordError[] {
        const errors: RecordError[] = [];
        for (const [name, value] of input) {
            const def = object.fieldsByLowerName.get(name.toLowerCase());
            if (!def) continue;
            // CampaignMember.Status is validated against the Campaign's statuses, not a global value list.
            const checked = checkValue(def, value);
            if (checked.error) {
                errors.push(checked.error);
                continue;
            }
            input.set(name, checked.value);
            if (def.type === 'reference' && typeof value === 'string') {
                const reference = this.checkReference(def, value);
                if (reference.error) errors.push(reference.error);
                else input.set(name, reference.id);
            }
        }
        return errors;
    }

    private missingRequired(object: ObjectDef, row: Row, only?: Set<string>): RecordError[] {
        const missing = object.fields
            .filter((def) => !def.nillable && !def.calculated && def.type !== 'id' && def.type !== 'boolean')
            .filter((def) => (only ? only.has(def.name) : def.createable && !def.defaultedOnCreate))
            .filter((def) => row[def.name] === null || row[def.name] === undefined)
            .map((def) => def.name);
        if (missing.length === 0) return [];
        return [
            recordError(
                'REQUIRED_FIELD_MISSING',
                `Required fields are missing: [${missing.join(', ')}]`,
                missing
            )
        ];
    }

    private checkRules(object: ObjectDef, row: Row, allowSave: boolean): RecordError[] {
        const errors: RecordError[] = [];
        for (const rule of this.validationRules) {
            if (rule.sobject.toLowerCase() !== object.name.toLowerCase()) continue;
            if (rule.when(this.materialize(object, row))) {
                errors.push(
                    recordError('FIELD_CUSTOM_VALIDATION_EXCEPTION', rule.message, rule.fields ?? [])
                );
            }
        }
        if (errors.length > 0) return errors;
        for (const rule of this.duplicateRules) {
            if (rule.sobject.toLowerCase() !== object.name.toLowerCase()) continue;
            const fields = rule.fields.map(
                (name) => object.fieldsByLowerName.get(name.toLowerCase())?.name ?? name
            );
            if (fields.some((name) => row[name] === null || row[name] === undefined)) continue;
            const match = this.rows(object.name).find(
                (other) => other.Id !== row.Id && fields.every((name) => sameText(other[name], row[name]))
            );
            if (!match) continue;
            // allowSave only bypasses rules whose action is Alert (REST "Duplicate Rule Header").
            if (rule.action === 'alert' && allowSave) continue;
            const error = recordError('DUPLICATES_DETECTED', 'Use one of these records?');
            error.duplicateResult = {
                allowSave: rule.action === 'alert',
                duplicateRule: rule.name ?? `Emulator_${object.name}_Duplicate_Rule`,
                duplicateRuleEntityType: object.name,
                errorMessage: 'Use one of these records?',
                matchResults: [
                    {
                        entityType: object.name,
                        errors: [],
                        matchEngine: 'ExactMatchEngine',
                        matchRecords: [
                            {
                                additionalInformation: [],
                                fieldDiffs: [],
                                matchConfidence: 100.0,
                                record: { attributes: { type: object.name }, Id: match.Id }
                            }
                        ],
                        rule: `${rule.name ?? `Emulator_${object.name}`}_Match_Rule`,
                        size: 1,
                        success: true
                    }
                ]
            };
            return [error];
        }
        for (const def of object.fields) {
            if (!def.unique || row[def.name] === null || row[def.name] === undefined) continue;
            const other = this.rows(object.name).find(
                (candidate) =>
                    candidate.Id !== row.Id && sameText(candidate[def.name], row[def.name], def.caseSensitive)
            );
            if (other) {
                return [
                    recordError(
                        'DUPLICATE_VALUE',
                        `duplicate value found: ${def.name} duplicates value on record with id: ${String(other.Id)}`,
                        [def.name]
                    )
                ];
            }
        }
        return [];
    }

    /**
     * The Campaigns whose row lock a write needs: the Campaign itself, or the Campaign of a status or member
     * ("CampaignMember records … lock the related campaign", salesforce.md §2.2).
     */
    campaignsTouched(sobject: string, input: Map<string, unknown>, id?: string): string[] {
        const object = this.object(sobject);
        const existing = id ? this.lookup(id)?.row : undefined;
        if (object.name === 'Campaign') return existing ? [String(existing.Id)] : [];
        if (object.name === 'CampaignMember' || object.name === 'CampaignMemberStatus') {
            const campaignId = existing?.CampaignId ?? input.get('CampaignId');
            const canonical = typeof campaignId === 'string' ? canonicalId(campaignId) : undefined;
            return canonical ? [canonical] : [];
        }
        return [];
    }

    private finalChecks(options: WriteOptions, object: ObjectDef, row: Row): RecordError[] {
        const injected = options.recordErrorHook?.(object.name, this.materialize(object, row));
        if (injected) return [recordError(injected.statusCode, injected.message, injected.fields ?? [])];
        return [];
    }

    private statuses(campaignId: unknown): Row[] {
        return this.rows('CampaignMemberStatus').filter((status) => status.CampaignId === campaignId);
    }

    private resolveMemberStatus(row: Row, requested: unknown, explicit: boolean): RecordError | undefined {
        const statuses = this.statuses(row.CampaignId);
        let status: Row | undefined;
        if (requested === null || requested === undefined) {
            // An omitted Status takes the campaign's default; an explicit null on update is refused.
            if (explicit) {
                return recordError(
                    'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
                    'Status: bad value for restricted picklist field: null',
                    ['Status']
                );
            }
            status = statuses.find((candidate) => candidate.IsDefault);
        } else {
            // The reference leaves the behaviour for an unknown label unconfirmed (salesforce.md §1.3);
            // the stricter choice is to refuse it as a restricted picklist would.
            status = statuses.find((candidate) => sameText(candidate.Label, requested));
            if (!status) {
                return recordError(
                    'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
                    `Status: bad value for restricted picklist field: ${String(requested)}`,
                    ['Status']
                );
            }
        }
        row.Status = status?.Label ?? null;
        row.HasResponded = Boolean(status?.HasResponded);
        if (row.HasResponded && !row.FirstRespondedDate) row.FirstRespondedDate = formatDate(new Date());
        return undefined;
    }

    private memberRules(row: Row, input: Map<string, unknown>, creating: boolean): RecordError[] {
        if (creating) {
            if (!row.LeadId && !row.ContactId) {
                return [
                    recordError(
                        'REQUIRED_FIELD_MISSING',
                        'Required fields are missing: [LeadId, ContactId]',
                        ['LeadId', 'ContactId']
                    )
                ];
            }
            if (row.LeadId) {
                const lead = this.get('Lead', String(row.LeadId));
                if (lead?.IsConverted) {
                    return [recordError('CANNOT_UPDATE_CONVERTED_LEAD', 'cannot reference converted lead')];
                }
            }
            const members = this.table('CampaignMember');
            const existing = [row.LeadId, row.ContactId].some(
                (id) =>
                    id && members.find(MEMBER_OF_PERSON, `${String(row.CampaignId)}/${String(id)}`).length > 0
            );
            if (existing) return [recordError('DUPLICATE_VALUE', 'Already a campaign member.')];
        }
        if (creating || input.has('Status')) {
            const error = this.resolveMemberStatus(
                row,
                input.get('Status'),
                !creating && input.has('Status')
            );
            if (error) return [error];
        }
        return [];
    }

    private statusRules(options: WriteOptions, row: Row, previous: Row | undefined): RecordError[] {
        const siblings = this.statuses(row.CampaignId).filter((status) => status.Id !== row.Id);
        // Labels and SortOrder are unique per campaign (Object Reference "CampaignMemberStatus"; pegros doc);
        // Salesforce reports the clash with an "<unknown>" DUPLICATE_VALUE message.
        if (siblings.some((status) => sameText(status.Label, row.Label))) {
            return [recordError('DUPLICATE_VALUE', DUPLICATE_UNKNOWN, ['Label'])];
        }
        if (siblings.some((status) => status.SortOrder === row.SortOrder)) {
            return [recordError('DUPLICATE_VALUE', DUPLICATE_UNKNOWN, ['SortOrder'])];
        }
        if (previous?.IsDefault && !row.IsDefault) {
            // Since API 39.0 every campaign must keep a default status: clearing it is refused; the only way
            // to move it is to make another status the default.
            return [recordError('DUPLICATE_VALUE', DUPLICATE_UNKNOWN, ['IsDefault'])];
        }
        if (previous?.HasResponded && !row.HasResponded && !siblings.some((status) => status.HasResponded)) {
            return [recordError('DUPLICATE_VALUE', DUPLICATE_UNKNOWN, ['HasResponded'])];
        }
        void options;
        return [];
    }

    /** Side effects of saving a status: one default per campaign, members follow renames and responded flags. */
    private afterStatusSaved(tx: Transaction, row: Row, previous: Row | undefined, now: string): void {
        if (row.IsDefault) {
            for (const status of this.statuses(row.CampaignId)) {
                if (status.Id !== row.Id && status.IsDefault) {
                    tx.write(this.table('CampaignMemberStatus'), String(status.Id), {
                        ...status,
                        IsDefault: false,
                        LastModifiedDate: now,
                        SystemModstamp: now
                    });
                }
            }
        }
        if (!previous) return;
        const renamed = !sameText(previous.Label, row.Label, true);
        const respondedChanged = previous.HasResponded !== row.HasResponded;
        if (!renamed && !respondedChanged) return;
        const members = this.table('CampaignMember');
        for (const member of members.find(MEMBERS_OF_CAMPAIGN, String(row.CampaignId))) {
            if (!sameText(member.Status, previous.Label)) continue;
            const updated: Row = { ...member, Status: row.Label, HasResponded: row.HasResponded };
            if (row.HasResponded && !member.FirstRespondedDate)
                updated.FirstRespondedDate = formatDate(new Date());
            tx.write(members, String(member.Id), { ...updated, LastModifiedDate: now, SystemModstamp: now });
        }
    }

    insert(options: WriteOptions, sobject: string, input: Map<string, unknown>): WriteResult {
        const object = this.object(sobject);
        if (object.readOnly) {
            return fail(
                recordError(
                    'INVALID_TYPE_FOR_OPERATION',
                    `entity type ${object.name} does not support insert`
                )
            );
        }
        if (!options.trusted) {
            if (input.has('Id'))
                return fail(recordError('INVALID_FIELD', 'cannot specify Id in an insert call', ['Id']));
            const denied = this.checkAccess(object, input, 'create');
            if (denied.length > 0) return fail(...denied);
        }
        const now = formatDateTime(new Date());
        const id = this.ids.next(object.keyPrefix);
        const row = this.blankRow(object, id, now);
        if (row.OwnerId === null && object.fieldsByLowerName.has('ownerid'))
            row.OwnerId = this.integrationUserId;
        if (object.name === 'CampaignMember' && input.get('LeadId') && input.get('ContactId')) {
            // "Any attempt to create a single record with both results in a successful insert but only the
            // ContactId is inserted" (CampaignMember object reference, v220).
            input.delete('LeadId');
        }
        const valueErrors = this.checkValues(object, input);
        if (valueErrors.length > 0) return fail(...valueErrors);
        for (const [name, value] of input) {
            const def = object.fieldsByLowerName.get(name.toLowerCase());
            row[name] = value === null && def?.defaultedOnCreate ? def.defaultValue : value;
        }
        const addressErrors = this.addressRules(object, row, input, undefined);
        if (addressErrors.length > 0) return fail(...addressErrors);
        const missing = this.missingRequired(object, row);
        if (missing.length > 0) return fail(...missing);
        if (object.name === 'CampaignMember') {
            const errors = this.memberRules(row, input, true);
            if (errors.length > 0) return fail(...errors);
        }
        if (object.name === 'CampaignMemberStatus') {
            const errors = this.statusRules(options, row, undefined);
            if (errors.length > 0) return fail(...errors);
        }
        const ruleErrors = this.checkRules(object, row, options.allowSave);
        if (ruleErrors.length > 0) return fail(...ruleErrors);
        const finalErrors = this.finalChecks(options, object, row);
        if (finalErrors.length > 0) return fail(...finalErrors);
        if (object.name === 'Lead') {
            const assignError = this.assign(options, row, true);
            if (assignError) return fail(assignError);
        }
        options.tx.write(this.table(object.name), id, row);
        if (object.name === 'CampaignMember') this.afterMemberSaved(options, row, now);
        if (object.name === 'Campaign') this.createDefaultStatuses(options.tx, id, now);
        if (object.name === 'CampaignMemberStatus') this.afterStatusSaved(options.tx, row, undefined, now);
        return { ok: true, id };
    }

    /** Every new Campaign gets "Sent" (default) and "Responded" (responded), SortOrder 1 and 2 (salesforce.md §1.2). */
    private createDefaultStatuses(tx: Transaction, campaignId: string, now: string): void {
        const object = this.object('CampaignMemberStatus');
        const defaults = [
            { Label: 'Sent', IsDefault: true, HasResponded: false, SortOrder: 1 },
            { Label: 'Responded', IsDefault: false, HasResponded: true, SortOrder: 2 }
        ];
        for (const values of defaults) {
            const id = this.ids.next(object.keyPrefix);
            tx.write(this.table(object.name), id, {
                ...this.blankRow(object, id, now),
                CampaignId: campaignId,
                ...values
            });
        }
    }

    update(options: WriteOptions, sobject: string, rawId: string, input: Map<string, unknown>): WriteResult {
        const object = this.object(sobject);
        const id = canonicalId(rawId);
        const existing = id ? this.get(object.name, id) : undefined;
        if (!id || !existing) {
            return {
                ok: false,
                notFound: true,
                errors: [recordError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id')]
            };
        }
        if (object.readOnly) {
            return fail(
                recordError(
                    'INVALID_TYPE_FOR_OPERATION',
                    `entity type ${object.name} does not support update`
                )
            );
        }
        if (existing.IsDeleted) return fail(recordError('ENTITY_IS_DELETED', 'entity is deleted'));
        if (object.name === 'Lead' && existing.IsConverted && !options.trusted) {
            return fail(recordError('CANNOT_UPDATE_CONVERTED_LEAD', 'cannot reference converted lead'));
        }
        if (!options.trusted) {
            const denied = this.checkAccess(object, input, 'update');
            if (denied.length > 0) return fail(...denied);
        }
        const valueErrors = this.checkValues(object, input);
        if (valueErrors.length > 0) return fail(...valueErrors);
        const now = formatDateTime(new Date());
        const row: Row = { ...existing, LastModifiedDate: now, SystemModstamp: now };
        for (const [name, value] of input) row[name] = value;
        const addressErrors = this.addressRules(object, row, input, existing);
        if (addressErrors.length > 0) return fail(...addressErrors);
        const missing = this.missingRequired(object, row, new Set(input.keys()));
        if (missing.length > 0) return fail(...missing);
        if (object.name === 'CampaignMember') {
            const campaign = this.get('Campaign', String(row.CampaignId));
            if (campaign?.IsDeleted) return fail(recordError('ENTITY_IS_DELETED', 'entity is deleted'));
            const errors = this.memberRules(row, input, false);
            if (errors.length > 0) return fail(...errors);
        }
        if (object.name === 'CampaignMemberStatus') {
            const errors = this.statusRules(options, row, existing);
            if (errors.length > 0) return fail(...errors);
        }
        const ruleErrors = this.checkRules(object, row, options.allowSave);
        if (ruleErrors.length > 0) return fail(...ruleErrors);
        const finalErrors = this.finalChecks(options, object, row);
        if (finalErrors.length > 0) return fail(...finalErrors);
        if (object.name === 'Lead') {
            const assignError = this.assign(options, row, false);
            if (assignError) return fail(assignError);
        }
        options.tx.write(this.table(object.name), id, row);
        if (object.name === 'CampaignMember') this.afterMemberSaved(options, row, now);
        if (object.name === 'CampaignMemberStatus') this.afterStatusSaved(options.tx, row, existing, now);
        return { ok: true, id };
    }

    remove(options: WriteOptions, sobject: string | undefined, rawId: string): WriteResult {
        const id = canonicalId(rawId);
        if (!id) return fail(recordError('MALFORMED_ID', `malformed id ${rawId}`));
        const found = this.lookup(id);
        if (!found || (sobject && found.object.name.toLowerCase() !== sobject.toLowerCase())) {
            return {
                ok: false,
                notFound: true,
                errors: [recordError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id')]
            };
        }
        const { object, row } = found;
        if (object.readOnly) {
            return fail(
                recordError(
                    'INVALID_TYPE_FOR_OPERATION',
                    `entity type ${object.name} does not support delete`
                )
            );
        }
        if (row.IsDeleted) return fail(recordError('ENTITY_IS_DELETED', 'entity is deleted'));
        if (object.name === 'CampaignMemberStatus') {
            // "You can't delete a CampaignMemberStatus if that status is designated as the default status or if
            // the status is currently used in a Campaign" (Object Reference, Special Access Rules). The code is
            // not documented; DELETE_FAILED is the closest. Removing the last responded status would break the
            // API 39.0 invariant, refused the same way.
            const label = String(row.Label);
            if (row.IsDefault) {
                return fail(
                    recordError(
                        'DELETE_FAILED',
                        `Your attempt to delete ${label} could not be completed because it is the default campaign member status`
                    )
                );
            }
            const used = this.rows('CampaignMember').some(
                (member) => member.CampaignId === row.CampaignId && sameText(member.Status, row.Label)
            );
            if (used) {
                return fail(
                    recordError(
                        'DELETE_FAILED',
                        `Your attempt to delete ${label} could not be completed because it is used by campaign members`
                    )
                );
            }
            const otherResponded = this.statuses(row.CampaignId).some(
                (status) => status.Id !== row.Id && status.HasResponded
            );
            if (row.HasResponded && !otherResponded) {
                return fail(
                    recordError(
                        'DELETE_FAILED',
                        `Your attempt to delete ${label} could not be completed because a campaign needs at least one responded status`
                    )
                );
            }
        }
        const finalErrors = this.finalChecks(options, object, row);
        if (finalErrors.length > 0) return fail(...finalErrors);
        const now = formatDateTime(new Date());
        this.softDelete(options.tx, object.name, row, now);
        return { ok: true, id };
    }

    /** Records go to the recycle bin (IsDeleted) with the children Salesforce deletes along with them. */
    private softDelete(tx: Transaction, sobject: string, row: Row, now: string): void {
        tx.write(this.table(sobject), String(row.Id), {
            ...row,
            IsDeleted: true,
            LastModifiedDate: now,
            SystemModstamp: now
        });
        const children: [string, string][] =
            sobject === 'Campaign'
                ? [
                      ['CampaignMember', 'CampaignId'],
                      ['CampaignMemberStatus', 'CampaignId']
                  ]
                : sobject === 'Lead'
                  ? [['CampaignMember', 'LeadId']]
                  : sobject === 'Contact'
                    ? [['CampaignMember', 'ContactId']]
                    : sobject === 'Account'
                      ? [['Contact', 'AccountId']]
                      : [];
        for (const [childObject, key] of children) {
            for (const child of this.rows(childObject)) {
                if (child[key] === row.Id) this.softDelete(tx, childObject, child, now);
            }
        }
    }

    /** Records whose external id equals `value` (case-insensitive unless the field is case-sensitive). */
    matchExternalId(object: ObjectDef, def: FieldDef, value: unknown): Row[] {
        return this.rows(object.name).filter((row) => sameText(row[def.name], value, def.caseSensitive));
    }

    upsert(
        options: WriteOptions,
        sobject: string,
        def: FieldDef,
        value: unknown,
        input: Map<string, unknown>
    ): WriteResult {
        const object = this.object(sobject);
        const matches = this.matchExternalId(object, def, value);
        if (matches.length > 1) {
            const ids = matches.map((row) => String(row.Id));
            return {
                ok: false,
                multipleMatches: ids,
                errors: [
                    recordError(
                        'DUPLICATE_EXTERNAL_ID',
                        `${def.label}: more than one record found for external id field: [${ids.join(', ')}]`,
                        [def.name]
                    )
                ]
            };
        }
        const match = matches[0];
        if (match) {
            input.delete(def.name);
            const result = this.update(options, object.name, String(match.Id), input);
            return result.ok ? { ...result, created: false } : result;
        }
        input.set(def.name, value);
        const result = this.insert(options, object.name, input);
        return result.ok ? { ...result, created: true } : result;
    }

    /**
     * Merges up to two records into a master of the same type, as an admin's merge does (SOAP API `merge()`:
     * "Combines up to 3 records of the same type into 1 record … merge() deletes the other records … If a victim
     * record has related records, merge() makes the master record the new parent of the related records"; only Lead,
     * Contact and Account; "Use queryAll() to view records that have been deleted during a merge"). Each loser is
     * deleted with `MasterRecordId` set to the master (Apex "Triggers and Merge Statements"). CampaignMember rows move
     * to the master; where the master is already a member of that Campaign the loser's row is deleted instead, since a
     * Campaign holds one member per Lead or Contact (CampaignMember object reference). A converted Lead cannot be the
     * master (Help article 005123891, "Limitations of Merging Converted Leads in apex").
     */
    merge(sobject: string, masterId: string, loserIds: string[]): void {
        const object = this.object(sobject);
        if (!['Lead', 'Contact', 'Account'].includes(object.name))
            throw new Error(`${object.name} records cannot be merged`);
        if (loserIds.length < 1 || loserIds.length > 2)
            throw new Error('a merge joins one master and one or two other records');
        const master = canonicalId(masterId);
        const masterRow = master ? this.get(object.name, master) : undefined;
        if (!master || !masterRow || masterRow.IsDeleted) throw new Error(`no ${object.name} ${masterId}`);
        const losers = loserIds.map((raw) => {
            const id = canonicalId(raw);
            const row = id ? this.get(object.name, id) : undefined;
            if (!id || !row || row.IsDeleted || id === master)
                throw new Error(`no ${object.name} ${raw} to merge`);
            return row;
        });
        if (masterRow.IsConverted) throw new Error('a converted lead cannot be the master of a merge');
        const tx = new Transaction();
        const now = formatDateTime(new Date());
        const children: [string, string][] =
            object.name === 'Account'
                ? [['Contact', 'AccountId']]
                : [['CampaignMember', object.name === 'Lead' ? 'LeadId' : 'ContactId']];
        for (const loser of losers) {
            for (const [childObject, key] of children) {
                for (const child of this.rows(childObject)) {
                    if (child[key] !== loser.Id) continue;
                    const clash =
                        childObject === 'CampaignMember' &&
                        this.rows('CampaignMember').some(
                            (member) => member.CampaignId === child.CampaignId && member[key] === master
                        );
                    if (clash) {
                        this.softDelete(tx, childObject, child, now);
                        continue;
                    }
                    tx.write(this.table(childObject), String(child.Id), {
                        ...child,
                        [key]: master,
                        LastModifiedDate: now,
                        SystemModstamp: now
                    });
                }
            }
            // The loser's own children moved first: deleting it must not take them along.
            tx.write(this.table(object.name), String(loser.Id), {
                ...loser,
                IsDeleted: true,
                MasterRecordId: master,
                LastModifiedDate: now,
                SystemModstamp: now
            });
        }
        tx.write(this.table(object.name), master, {
            ...masterRow,
            LastModifiedDate: now,
            SystemModstamp: now
        });
    }

    /** Empties the recycle bin of one record: it is gone for queryAll too, and references to it are unknown ids. */
    purge(sobject: string, id: string): void {
        const canonical = canonicalId(id);
        const row = canonical ? this.get(sobject, canonical) : undefined;
        if (!canonical || !row) throw new Error(`no ${sobject} ${id}`);
        if (!row.IsDeleted) throw new Error(`${sobject} ${id} is not in the recycle bin`);
        this.table(this.object(sobject).name).delete(canonical);
    }

    /** Lead conversion as the inspector offers it: a new Account and Contact, the lead marked converted. */
    convertLead(leadId: string): { contactId: string; accountId: string } {
        const id = canonicalId(leadId);
        const lead = id ? this.get('Lead', id) : undefined;
        if (!id || !lead || lead.IsDeleted) throw new Error(`no lead ${leadId}`);
        if (lead.IsConverted) throw new Error(`lead ${leadId} is already converted`);
        const tx = new Transaction();
        const now = formatDateTime(new Date());
        const accountId = this.ids.next('001');
        tx.write(this.table('Account'), accountId, {
            ...this.blankRow(this.object('Account'), accountId, now),
            Name: lead.Company,
            Website: lead.Website,
            Phone: lead.Phone,
            Industry: lead.Industry,
            OwnerId: lead.OwnerId
        });
        const contactId = this.ids.next('003');
        tx.write(this.table('Contact'), contactId, {
            ...this.blankRow(this.object('Contact'), contactId, now),
            FirstName: lead.FirstName,
            LastName: lead.LastName,
            Email: lead.Email,
            Title: lead.Title,
            Phone: lead.Phone,
            MobilePhone: lead.MobilePhone,
            LeadSource: lead.LeadSource,
            AccountId: accountId,
            OwnerId: lead.OwnerId
        });
        tx.write(this.table('Lead'), id, {
            ...lead,
            IsConverted: true,
            Status: 'Closed - Converted',
            ConvertedContactId: contactId,
            ConvertedAccountId: accountId,
            ConvertedDate: formatDate(new Date()),
            LastModifiedDate: now,
            SystemModstamp: now
        });
        // The lead's campaign history shows the Contact from now on, and the rows keep their LeadId
        // (grouparoo PR #1051, salesforce.md §2.1).
        for (const member of this.rows('CampaignMember')) {
            if (member.LeadId === id) {
                tx.write(this.table('CampaignMember'), String(member.Id), {
                    ...member,
                    ContactId: contactId,
                    LastModifiedDate: now,
                    SystemModstamp: now
                });
            }
        }
        return { contactId, accountId };
    }
}

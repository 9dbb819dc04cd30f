// What the org looks like: field descriptions of the objects we write and the CampaignMember statuses configured in
// Livestorm_Member_Status__mdt. Read once at start (one composite call) and again only when a write reports a field
// the org does not have.
import type { SalesforceConnection } from '../salesforce/connection.ts';
import type { AttendanceState } from '../store/state.ts';

export const SYNCED_OBJECTS = ['Campaign', 'CampaignMember', 'Lead', 'Contact', 'Account'] as const;
export type SyncedObject = (typeof SYNCED_OBJECTS)[number];

export interface FieldInfo {
    name: string;
    label: string;
    type: string;
    length: number;
    createable: boolean;
    updateable: boolean;
    nillable: boolean;
    defaultedOnCreate: boolean;
    custom: boolean;
    /** Active picklist values. */
    picklistValues: string[];
    /**
     * Every picklist entry as describe lists it (inactive ones too: a dependent value's `validFor` bitset counts the
     * controlling field's entries in this order), with its label.
     */
    picklistEntries: { value: string; label: string | null; active: boolean; validFor: string | null }[];
    /** A picklist that accepts only its listed values. */
    restrictedPicklist: boolean;
}

export interface ObjectInfo {
    name: string;
    fields: Map<string, FieldInfo>;
    /** Fields a create must set: createable, not nillable, no default (standard and custom). */
    requiredOnCreate: FieldInfo[];
}

export interface MemberStatusConfig {
    state: AttendanceState;
    label: string;
    hasResponded: boolean;
    isDefault: boolean;
    sortOrder: number;
}

/** A Lead assignment rule of the org (the AssignmentRule object: Id 01Q…, Name, Active). */
export interface AssignmentRuleInfo {
    id: string;
    name: string;
    active: boolean;
}

export interface OrgMetadata {
    objects: Record<SyncedObject, ObjectInfo>;
    statuses: MemberStatusConfig[];
    statusLabel(state: AttendanceState): string;
    /** The org's Lead assignment rules; null when they cannot be read (no access to AssignmentRule). */
    leadAssignmentRules: AssignmentRuleInfo[] | null;
}

/**
 * Why the leadAssignment setting cannot be honoured in this org, in one sentence with the fix; null when it can.
 * Only a rule Id can be wrong: it must name one of the org's Lead assignment rules (15 or 18 characters, compared on
 * the first 15, which are the case-sensitive Id).
 */
export function leadAssignmentProblem(setting: string, rules: AssignmentRuleInfo[] | null): string | null {
    if (setting === 'org-rules' || setting === 'none' || rules === null) return null;
    if (rules.some((rule) => rule.id.slice(0, 15) === setting.slice(0, 15))) return null;
    const known = rules.map((rule) => `${rule.id} "${rule.name}"`).join(', ');
    return `The leadAssignment setting names the assignment rule ${setting}, which is not one of this org's Lead assignment rules${known ? ` (${known})` : ' (it has none)'}: set leadAssignment to one of their Ids, or to "org-rules" or "none" (nothing is written to Salesforce until then).`;
}

/** The statuses used when the custom metadata records cannot be read (package not deployed yet). */
export const DEFAULT_MEMBER_STATUSES: MemberStatusConfig[] = [
    { state: 'registered', label: 'Registered', hasResponded: false, isDefault: true, sortOrder: 1 },
    { state: 'attended', label: 'Attended', hasResponded: true, isDefault: false, sortOrder: 2 },
    { state: 'not_attended', label: 'Did not attend', hasResponded: false, isDefault: false, sortOrder: 3 }
];

/** A field as `sobjects/{Object}/describe` returns it (the part we read). */
export interface DescribeField {
    name: string;
    label: string;
    type: string;
    length?: number;
    createable: boolean;
    updateable: boolean;
    nillable: boolean;
    defaultedOnCreate: boolean;
    custom: boolean;
    calculated?: boolean;
    autoNumber?: boolean;
    picklistValues?: { value: string; label?: string | null; active?: boolean; validFor?: string | null }[];
    restrictedPicklist?: boolean;
}

interface StatusRecord {
    DeveloperName: string;
    Livestorm_State__c: string | null;
    Status_Label__c: string | null;
    Has_Responded__c: boolean | null;
    Is_Default__c: boolean | null;
    Sort_Order__c: number | null;
}

function objectInfo(name: string, fields: DescribeField[]): ObjectInfo {
    const map = new Map<string, FieldInfo>();
    const requiredOnCreate: FieldInfo[] = [];
    for (const field of fields) {
        const info: FieldInfo = {
            name: field.name,
            label: field.label,
            type: field.type,
            length: field.length ?? 0,
            createable: field.createable,
            updateable: field.updateable,
            nillable: field.nillable,
            defaultedOnCreate: field.defaultedOnCreate,
            custom: field.custom,
            picklistValues: (field.picklistValues ?? [])
                .filter((value) => value.active !== false)
                .map((value) => value.value),
            picklistEntries: (field.picklistValues ?? []).map((value) => ({
                value: value.value,
                label: value.label ?? null,
                active: value.active !== false,
                validFor: value.validFor ?? null
            })),
            restrictedPicklist: field.restrictedPicklist === true
        };
        map.set(field.name.toLowerCase(), info);
        if (
            field.createable &&
            !field.nillable &&
            !field.defaultedOnCreate &&
            !field.calculated &&
            !field.autoNumber &&
            field.type !== 'boolean'
        ) {
            requiredOnCreate.push(info);
        }
    }
    return { name, fields: map, requiredOnCreate };
}

/** The org's Lead assignment rules (AssignmentRule is queryable with "View Setup and Configuration"). */
export const LEAD_ASSIGNMENT_RULES_SOQL =
    "SELECT Id, Name, Active FROM AssignmentRule WHERE SobjectType = 'Lead' ORDER BY Name";

/** The rules out of the answer to LEAD_ASSIGNMENT_RULES_SOQL; null when the query failed. */
export function assignmentRulesFrom(
    response: { httpStatusCode: number; body: unknown } | undefined
): AssignmentRuleInfo[] | null {
    if (response?.httpStatusCode !== 200) return null;
    const records = (response.body as { records?: { Id: string; Name: string; Active: boolean }[] }).records;
    return (records ?? []).map((rule) => ({ id: rule.Id, name: rule.Name, active: rule.Active === true }));
}

/** Validates and orders the status records; an incomplete set falls back to the defaults for the missing states. */
export function memberStatusesFrom(records: StatusRecord[]): MemberStatusConfig[] {
    const byState = new Map<AttendanceState, MemberStatusConfig>();
    for (const record of records) {
        const state = record.Livestorm_State__c as AttendanceState | null;
        if (state !== 'registered' && state !== 'attended' && state !== 'not_attended') continue;
        const label = (record.Status_Label__c ?? '').trim().slice(0, 40);
        if (!label) continue;
        byState.set(state, {
            state,
            label,
            hasResponded: record.Has_Responded__c === true,
            isDefault: record.Is_Default__c === true,
            sortOrder: record.Sort_Order__c ?? 0
        });
    }
    const statuses = DEFAULT_MEMBER_STATUSES.map((fallback) => byState.get(fallback.state) ?? fallback);
    // Salesforce needs exactly one default and at least one responded status on every Campaign.
    if (statuses.filter((status) => status.isDefault).length !== 1) {
        statuses.forEach((status) => (status.isDefault = status.state === 'registered'));
    }
    if (!statuses.some((status) => status.hasResponded))
        statuses.find((status) => status.state === 'attended')!.hasResponded = true;
    return statuses.sort((a, b) => a.sortOrder - b.sortOrder);
}

/**
 * Reads describes and member statuses in one composite call.
 * @throws SalesforceError when the call itself fails; a missing custom metadata type falls back to the defaults
 */
export async function loadOrgMetadata(
    connection: SalesforceConnection
): Promise<OrgMetadata & { warnings: string[] }> {
    const warnings: string[] = [];
    const responses = await connection.composite([
        ...SYNCED_OBJECTS.map((name) => ({
            method: 'GET' as const,
            url: `sobjects/${name}/describe`,
            referenceId: `describe${name}`
        })),
        {
            method: 'GET',
            url: `query?q=${encodeURIComponent('SELECT DeveloperName, Livestorm_State__c, Status_Label__c, Has_Responded__c, Is_Default__c, Sort_Order__c FROM Livestorm_Member_Status__mdt')}`,
            referenceId: 'statuses'
        },
        {
            method: 'GET',
            url: `query?q=${encodeURIComponent(LEAD_ASSIGNMENT_RULES_SOQL)}`,
            referenceId: 'assignmentRules'
        }
    ]);
    const objects = {} as Record<SyncedObject, ObjectInfo>;
    for (const name of SYNCED_OBJECTS) {
        const response = responses.find((r) => r.referenceId === `describe${name}`);
        if (!response || response.httpStatusCode !== 200) {
            throw new Error(
                `describe of ${name} failed (${response?.httpStatusCode ?? 'no answer'}): ${JSON.stringify(response?.body).slice(0, 200)} — does the integration user have access to ${name}?`
            );
        }
        objects[name] = objectInfo(name, (response.body as { fields: DescribeField[] }).fields);
    }
    const statusResponse = responses.find((r) => r.referenceId === 'statuses');
    let records: StatusRecord[] = [];
    if (statusResponse?.httpStatusCode === 200)
        records = (statusResponse.body as { records: StatusRecord[] }).records;
    else
        warnings.push(
            'Livestorm_Member_Status__mdt cannot be read (is the package deployed and the permission set assigned?): using the default statuses Registered / Attended / Did not attend.'
        );
    const statuses = memberStatusesFrom(records);
    return {
        objects,
        statuses,
        statusLabel: (state) => statuses.find((status) => status.state === state)!.label,
        leadAssignmentRules: assignmentRulesFrom(responses.find((r) => r.referenceId === 'assignmentRules')),
        warnings
    };
}

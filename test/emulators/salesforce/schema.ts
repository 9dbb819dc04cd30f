import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import type { AddressPicklistOptions } from './address-picklists.ts';
import { addAddressCodeFields, addressPicklists } from './address-picklists.ts';

export type FieldType =
    | 'id'
    | 'string'
    | 'textarea'
    | 'email'
    | 'url'
    | 'phone'
    | 'picklist'
    | 'double'
    | 'int'
    | 'percent'
    | 'currency'
    | 'boolean'
    | 'date'
    | 'datetime'
    | 'reference';

export interface PicklistValue {
    value: string;
    label: string;
    defaultValue: boolean;
    /** Dependent picklists: base64 bitset of the controlling values this value is valid for. */
    validFor?: string;
}

export interface FieldDef {
    name: string;
    label: string;
    type: FieldType;
    length: number;
    precision: number;
    scale: number;
    digits: number;
    nillable: boolean;
    createable: boolean;
    updateable: boolean;
    defaultedOnCreate: boolean;
    calculated: boolean;
    custom: boolean;
    externalId: boolean;
    unique: boolean;
    caseSensitive: boolean;
    picklistValues: PicklistValue[];
    restrictedPicklist: boolean;
    referenceTo: string[];
    relationshipName: string | null;
    defaultValue: unknown;
    inlineHelpText: string | null;
    description: string | null;
    /** Dependent picklists: the controlling field (a StateCode's CountryCode). */
    controllerName: string | null;
    /** The code field of a State and Country/Territory Picklists address part: checked by the address rules. */
    addressCode?: { kind: 'country' | 'state'; prefix: string };
}

export interface ObjectDef {
    name: string;
    label: string;
    labelPlural: string;
    keyPrefix: string;
    custom: boolean;
    /** Custom metadata types are read-only through the REST API: records come from deployed metadata. */
    readOnly: boolean;
    fields: FieldDef[];
    fieldsByLowerName: Map<string, FieldDef>;
    relationshipsByLowerName: Map<string, FieldDef>;
}

/** A field added to an object for a test, e.g. a required custom field an admin created on Campaign. */
export interface ExtraField {
    name: string;
    type: Exclude<FieldType, 'id'>;
    label?: string;
    length?: number;
    precision?: number;
    scale?: number;
    required?: boolean;
    picklistValues?: string[];
    restricted?: boolean;
    referenceTo?: string;
    externalId?: boolean;
    unique?: boolean;
    caseSensitive?: boolean;
    defaultValue?: unknown;
}

export interface CustomMetadataRecord {
    type: string;
    developerName: string;
    label: string;
    values: Record<string, unknown>;
}

/** One country or state of State and Country/Territory Picklists. */
export interface AddressValue {
    code: string;
    /** The label (the ISO name unless Salesforce names it otherwise). */
    name: string;
    /** What the text field holds for this code; the name unless an admin edited it. */
    integrationValue: string;
}

/** The org's State and Country/Territory Picklists, when turned on. */
export interface AddressPicklists {
    countries: AddressValue[];
    /** States by country code; countries without states are absent. */
    states: Map<string, AddressValue[]>;
    /** Address prefixes per object: Lead '' (Country/State), Contact 'Mailing', Account 'Billing'. */
    prefixes: Record<string, string[]>;
}

export interface Schema {
    objects: Map<string, ObjectDef>;
    byLowerName: Map<string, ObjectDef>;
    byKeyPrefix: Map<string, ObjectDef>;
    customMetadataRecords: CustomMetadataRecord[];
    addressPicklists?: AddressPicklists;
}

type FieldOptions = Partial<Omit<FieldDef, 'name' | 'type'>> & { required?: boolean; values?: string[] };

function field(name: string, type: FieldType, options: FieldOptions = {}): FieldDef {
    const { required, values, ...rest } = options;
    const isText = ['string', 'textarea', 'email', 'url', 'phone', 'picklist'].includes(type);
    const defaultLength = type === 'picklist' ? 255 : type === 'id' || type === 'reference' ? 18 : 0;
    const isBoolean = type === 'boolean';
    return {
        name,
        label: rest.label ?? name,
        type,
        length: rest.length ?? (isText ? 255 : defaultLength),
        precision: rest.precision ?? 0,
        scale: rest.scale ?? 0,
        digits: type === 'int' ? (rest.precision ?? 9) : 0,
        // Booleans are never nillable but always defaulted (SOAP API "Required Fields").
        nillable: rest.nillable ?? (isBoolean ? false : !required),
        createable: rest.createable ?? true,
        updateable: rest.updateable ?? true,
        defaultedOnCreate: rest.defaultedOnCreate ?? isBoolean,
        calculated: rest.calculated ?? false,
        custom: rest.custom ?? name.endsWith('__c'),
        externalId: rest.externalId ?? false,
        unique: rest.unique ?? false,
        caseSensitive: rest.caseSensitive ?? false,
        picklistValues:
            rest.picklistValues ??
            (values ?? []).map((value) => ({
                value,
                label: value,
                defaultValue: value === rest.defaultValue
            })),
        restrictedPicklist: rest.restrictedPicklist ?? false,
        referenceTo: rest.referenceTo ?? [],
        relationshipName: rest.relationshipName ?? null,
        defaultValue: rest.defaultValue ?? (isBoolean ? false : null),
        inlineHelpText: rest.inlineHelpText ?? null,
        description: rest.description ?? null,
        controllerName: rest.controllerName ?? null,
        ...(rest.addressCode ? { addressCode: rest.addressCode } : {})
    };
}

function reference(name: string, target: string, options: FieldOptions = {}): FieldDef {
    return field(name, 'reference', {
        referenceTo: [target],
        relationshipName: name.replace(/Id$/, ''),
        ...options
    });
}

const readOnly: FieldOptions = { createable: false, updateable: false };
const createOnly: FieldOptions = { updateable: false };

function systemFields(): FieldDef[] {
    return [
        field('Id', 'id', { label: 'Record ID', nillable: false, defaultedOnCreate: true, ...readOnly }),
        field('IsDeleted', 'boolean', { label: 'Deleted', ...readOnly }),
        field('CreatedDate', 'datetime', {
            label: 'Created Date',
            nillable: false,
            defaultedOnCreate: true,
            ...readOnly
        }),
        field('LastModifiedDate', 'datetime', {
            label: 'Last Modified Date',
            nillable: false,
            defaultedOnCreate: true,
            ...readOnly
        }),
        field('SystemModstamp', 'datetime', {
            label: 'System Modstamp',
            nillable: false,
            defaultedOnCreate: true,
            ...readOnly
        })
    ];
}

const owner = (): FieldDef =>
    reference('OwnerId', 'User', {
        label: 'Owner ID',
        relationshipName: 'Owner',
        nillable: false,
        defaultedOnCreate: true
    });

// "When a record is deleted after losing a merge operation, its MasterRecordId field is set to the ID of the winning
// record" (Apex Developer Guide, "Triggers and Merge Statements"); read-only, on the merge-capable objects.
const masterRecord = (object: string): FieldDef =>
    reference('MasterRecordId', object, {
        label: 'Master Record ID',
        relationshipName: 'MasterRecord',
        ...readOnly
    });

// A Lead can be owned by a user or a queue (Object Reference "Lead": OwnerId refers to Group, User).
const leadOwner = (): FieldDef => ({ ...owner(), referenceTo: ['Group', 'User'] });

const leadSource = (): FieldDef =>
    field('LeadSource', 'picklist', {
        label: 'Lead Source',
        values: ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other']
    });

const industry = (): FieldDef =>
    field('Industry', 'picklist', {
        label: 'Industry',
        values: ['Agriculture', 'Banking', 'Consulting', 'Education', 'Finance', 'Technology', 'Other']
    });

// The standard fields the integration touches, with the lengths and properties of the Object Reference /
// Field Reference (Lead v212, CampaignMember v228, CampaignMemberStatus v220); see reference/salesforce.md §1, §2, §6.
function standardObjects(): Omit<ObjectDef, 'fieldsByLowerName' | 'relationshipsByLowerName'>[] {
    return [
        {
            name: 'Lead',
            label: 'Lead',
            labelPlural: 'Leads',
            keyPrefix: '00Q',
            custom: false,
            readOnly: false,
            fields: [
                ...systemFields(),
                field('FirstName', 'string', { label: 'First Name', length: 40 }),
                field('LastName', 'string', { label: 'Last Name', length: 80, required: true }),
                field('Company', 'string', { label: 'Company', length: 255, required: true }),
                field('Email', 'email', { label: 'Email', length: 80 }),
                field('Title', 'string', { label: 'Title', length: 128 }),
                field('Phone', 'phone', { label: 'Phone', length: 40 }),
                field('MobilePhone', 'phone', { label: 'Mobile Phone', length: 40 }),
                field('Street', 'textarea', { label: 'Street', length: 255 }),
                field('City', 'string', { label: 'City', length: 40 }),
                field('State', 'string', { label: 'State/Province', length: 80 }),
                field('PostalCode', 'string', { label: 'Zip/Postal Code', length: 20 }),
                field('Country', 'string', { label: 'Country', length: 80 }),
                field('Website', 'url', { label: 'Website', length: 255 }),
                field('Description', 'textarea', { label: 'Description', length: 32000 }),
                leadSource(),
                // Required, but defaulted from the org's default lead status (reference/salesforce.md §6).
                field('Status', 'picklist', {
                    label: 'Status',
                    nillable: false,
                    defaultedOnCreate: true,
                    defaultValue: 'Open - Not Contacted',
                    values: [
                        'Open - Not Contacted',
                        'Working - Contacted',
                        'Closed - Converted',
                        'Closed - Not Converted'
                    ]
                }),
                industry(),
                field('NumberOfEmployees', 'int', { label: 'Employees', precision: 8 }),
                field('IsConverted', 'boolean', { label: 'Converted', ...readOnly }),
                reference('ConvertedContactId', 'Contact', { label: 'Converted Contact ID', ...readOnly }),
                reference('ConvertedAccountId', 'Account', { label: 'Converted Account ID', ...readOnly }),
                field('ConvertedDate', 'date', { label: 'Converted Date', ...readOnly }),
                masterRecord('Lead'),
                leadOwner()
            ]
        },
        {
            name: 'Contact',
            label: 'Contact',
            labelPlural: 'Contacts',
            keyPrefix: '003',
            custom: false,
            readOnly: false,
            fields: [
                ...systemFields(),
                field('FirstName', 'string', { label: 'First Name', length: 40 }),
                field('LastName', 'string', { label: 'Last Name', length: 80, required: true }),
                field('Email', 'email', { label: 'Email', length: 80 }),
                reference('AccountId', 'Account', { label: 'Account ID' }),
                field('Title', 'string', { label: 'Title', length: 128 }),
                field('Phone', 'phone', { label: 'Business Phone', length: 40 }),
                field('MobilePhone', 'phone', { label: 'Mobile Phone', length: 40 }),
                field('MailingStreet', 'textarea', { label: 'Mailing Street', length: 255 }),
                field('MailingCity', 'string', { label: 'Mailing City', length: 40 }),
                field('MailingState', 'string', { label: 'Mailing State/Province', length: 80 }),
                field('MailingPostalCode', 'string', { label: 'Mailing Zip/Postal Code', length: 20 }),
                field('MailingCountry', 'string', { label: 'Mailing Country', length: 80 }),
                field('Department', 'string', { label: 'Department', length: 80 }),
                leadSource(),
                field('Description', 'textarea', { label: 'Contact Description', length: 32000 }),
                masterRecord('Contact'),
                owner()
            ]
        },
        {
            name: 'Account',
            label: 'Account',
            labelPlural: 'Accounts',
            keyPrefix: '001',
            custom: false,
            readOnly: false,
            fields: [
                ...systemFields(),
                field('Name', 'string', { label: 'Account Name', length: 255, required: true }),
                field('Website', 'url', { label: 'Website', length: 255 }),
                field('Phone', 'phone', { label: 'Account Phone', length: 40 }),
                field('BillingCity', 'string', { label: 'Billing City', length: 40 }),
                field('BillingState', 'string', { label: 'Billing State/Province', length: 80 }),
                field('BillingCountry', 'string', { label: 'Billing Country', length: 80 }),
                industry(),
                masterRecord('Account'),
                owner()
            ]
        },
        {
            name: 'Campaign',
            label: 'Campaign',
            labelPlural: 'Campaigns',
            keyPrefix: '701',
            custom: false,
            readOnly: false,
            fields: [
                ...systemFields(),
                field('Name', 'string', { label: 'Name', length: 80, required: true }),
                field('Type', 'picklist', {
                    label: 'Type',
                    values: [
                        'Conference',
                        'Webinar',
                        'Trade Show',
                        'Public Relations',
                        'Partners',
                        'Referral Program',
                        'Advertisement',
                        'Banner Ads',
                        'Direct Mail',
                        'Email',
                        'Telemarketing',
                        'Other'
                    ]
                }),
                field('Status', 'picklist', {
                    label: 'Status',
                    defaultedOnCreate: true,
                    defaultValue: 'Planned',
                    values: ['Planned', 'In Progress', 'Completed', 'Aborted']
                }),
                field('StartDate', 'date', { label: 'Start Date' }),
                field('EndDate', 'date', { label: 'End Date' }),
                field('IsActive', 'boolean', { label: 'Active' }),
                field('Description', 'textarea', { label: 'Description', length: 32000 }),
                reference('ParentId', 'Campaign', { label: 'Parent Campaign ID' }),
                field('NumberOfLeads', 'int', { label: 'Leads in Campaign', calculated: true, ...readOnly }),
                field('NumberOfContacts', 'int', {
                    label: 'Contacts in Campaign',
                    calculated: true,
                    ...readOnly
                }),
                field('NumberOfResponses', 'int', {
                    label: 'Responses in Campaign',
                    calculated: true,
                    ...readOnly
                }),
                owner()
            ]
        },
        {
            name: 'CampaignMember',
            label: 'Campaign Member',
            labelPlural: 'Campaign Members',
            keyPrefix: '00v',
            custom: false,
            readOnly: false,
            fields: [
                ...systemFields(),
                reference('CampaignId', 'Campaign', { label: 'Campaign ID', nillable: false, ...createOnly }),
                reference('LeadId', 'Lead', { label: 'Lead ID', ...createOnly }),
                reference('ContactId', 'Contact', { label: 'Contact ID', ...createOnly }),
                field('Status', 'picklist', { label: 'Status', length: 40, defaultedOnCreate: true }),
                field('HasResponded', 'boolean', { label: 'Responded', ...readOnly }),
                field('FirstRespondedDate', 'date', { label: 'First Responded Date', ...readOnly })
            ]
        },
        {
            name: 'CampaignMemberStatus',
            label: 'Campaign Member Status',
            labelPlural: 'Campaign Member Statuses',
            keyPrefix: '01Y',
            custom: false,
            readOnly: false,
            fields: [
                ...systemFields(),
                reference('CampaignId', 'Campaign', { label: 'Campaign ID', nillable: false, ...createOnly }),
                field('Label', 'string', { label: 'Member Status', length: 765, required: true }),
                field('IsDefault', 'boolean', { label: 'Default' }),
                field('HasResponded', 'boolean', { label: 'Responded' }),
                // "Create, Update" without Nillable or Defaulted on create: the client must supply it.
                field('SortOrder', 'int', { label: 'Sort Order', required: true })
            ]
        },
        {
            name: 'User',
            label: 'User',
            labelPlural: 'Users',
            keyPrefix: '005',
            custom: false,
            readOnly: false,
            fields: [
                ...systemFields(),
                field('Username', 'string', { label: 'Username', length: 80, required: true }),
                field('Email', 'email', { label: 'Email', length: 128, required: true }),
                field('FirstName', 'string', { label: 'First Name', length: 40 }),
                field('LastName', 'string', { label: 'Last Name', length: 80, required: true }),
                field('IsActive', 'boolean', { label: 'Active' }),
                field('UserPermissionsMarketingUser', 'boolean', { label: 'Marketing User' }),
                reference('ProfileId', 'Profile', { label: 'Profile ID', ...readOnly })
            ]
        },
        {
            // Queues are Groups of Type "Queue" (Object Reference "Group"); they come from the org's options here.
            name: 'Group',
            label: 'Group',
            labelPlural: 'Groups',
            keyPrefix: '00G',
            custom: false,
            readOnly: true,
            fields: [
                ...systemFields(),
                field('Name', 'string', { label: 'Name', length: 40, ...readOnly }),
                field('DeveloperName', 'string', { label: 'Developer Name', length: 80, ...readOnly }),
                field('Type', 'picklist', {
                    label: 'Type',
                    values: ['Queue', 'Regular'],
                    ...readOnly
                })
            ]
        },
        {
            // "AssignmentRule … Supported Calls: describeSObjects(), query(), retrieve()" (Object Reference): rules
            // are set up in Setup, read through the API. Key prefix 01Q.
            name: 'AssignmentRule',
            label: 'Assignment Rule',
            labelPlural: 'Assignment Rules',
            keyPrefix: '01Q',
            custom: false,
            readOnly: true,
            fields: [
                ...systemFields(),
                field('Name', 'string', { label: 'Name', length: 120, ...readOnly }),
                field('SobjectType', 'picklist', {
                    label: 'Object',
                    values: ['Case', 'Lead'],
                    ...readOnly
                }),
                field('Active', 'boolean', { label: 'Active', ...readOnly })
            ]
        }
    ];
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false });

function text(value: unknown): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'object' && '#text' in (value as Record<string, unknown>)) {
        return String((value as Record<string, unknown>)['#text']);
    }
    return String(value);
}

function asArray<T>(value: T | T[] | undefined): T[] {
    if (value === undefined) return [];
    return Array.isArray(value) ? value : [value];
}

const METADATA_TYPES: Record<string, FieldType> = {
    Text: 'string',
    TextArea: 'textarea',
    LongTextArea: 'textarea',
    Email: 'email',
    Url: 'url',
    Phone: 'phone',
    Picklist: 'picklist',
    Number: 'double',
    Percent: 'percent',
    Currency: 'currency',
    Checkbox: 'boolean',
    Date: 'date',
    DateTime: 'datetime',
    Lookup: 'reference'
};

/** A CustomField source file turned into the describe properties Salesforce derives from it. */
export function fieldFromMetadata(source: string): FieldDef {
    const parsed = xml.parse(source) as { CustomField?: Record<string, unknown> };
    const meta = parsed.CustomField;
    if (!meta) throw new Error('not a CustomField file');
    const name = text(meta.fullName) ?? '';
    const metadataType = text(meta.type) ?? '';
    const type = METADATA_TYPES[metadataType];
    if (!type) throw new Error(`unsupported field type ${metadataType} on ${name}`);
    const valueSet = meta.valueSet as Record<string, unknown> | undefined;
    const definition = valueSet?.valueSetDefinition as Record<string, unknown> | undefined;
    const picklistValues = asArray(definition?.value as Record<string, unknown>[] | undefined).map(
        (value) => ({
            value: text(value.fullName) ?? '',
            label: text(value.label) ?? text(value.fullName) ?? '',
            defaultValue: text(value.default) === 'true'
        })
    );
    const required = text(meta.required) === 'true';
    const checkboxDefault = text(meta.defaultValue) === 'true';
    return field(name, type, {
        label: text(meta.label) ?? name,
        length:
            meta.length !== undefined ? Number(text(meta.length)) : metadataType === 'Url' ? 255 : undefined,
        precision: meta.precision !== undefined ? Number(text(meta.precision)) : undefined,
        scale: meta.scale !== undefined ? Number(text(meta.scale)) : undefined,
        required,
        nillable: type === 'boolean' ? false : !required,
        defaultedOnCreate: type === 'boolean' || picklistValues.some((value) => value.defaultValue),
        defaultValue:
            type === 'boolean'
                ? checkboxDefault
                : (picklistValues.find((value) => value.defaultValue)?.value ?? null),
        custom: true,
        externalId: text(meta.externalId) === 'true',
        unique: text(meta.unique) === 'true',
        caseSensitive: text(meta.caseSensitive) === 'true',
        picklistValues,
        restrictedPicklist: text(valueSet?.restricted) === 'true',
        referenceTo: meta.referenceTo ? [text(meta.referenceTo) ?? ''] : undefined,
        relationshipName: meta.relationshipName ? `${text(meta.relationshipName)}__r` : undefined,
        inlineHelpText: text(meta.inlineHelpText) ?? null,
        description: text(meta.description) ?? null
    });
}

function fieldFromExtra(extra: ExtraField): FieldDef {
    return field(extra.name, extra.type, {
        label: extra.label ?? extra.name.replace(/__c$/, '').replace(/_/g, ' '),
        length: extra.length,
        precision:
            extra.precision ?? (['double', 'percent', 'currency'].includes(extra.type) ? 18 : undefined),
        scale: extra.scale,
        required: extra.required,
        values: extra.picklistValues,
        restrictedPicklist: extra.restricted ?? false,
        referenceTo: extra.referenceTo ? [extra.referenceTo] : undefined,
        relationshipName: extra.referenceTo ? extra.name.replace(/__c$/, '__r') : undefined,
        externalId: extra.externalId,
        unique: extra.unique,
        caseSensitive: extra.caseSensitive,
        defaultValue: extra.defaultValue,
        defaultedOnCreate: extra.defaultValue !== undefined || extra.type === 'boolean'
    });
}

function customMetadataTypeDef(name: string, objectSource: string | undefined, keyPrefix: string): ObjectDef {
    const parsed = objectSource
        ? ((xml.parse(objectSource) as { CustomObject?: Record<string, unknown> }).CustomObject ?? {})
        : {};
    return finishObject({
        name,
        label: text(parsed.label) ?? name,
        labelPlural: text(parsed.pluralLabel) ?? name,
        keyPrefix,
        custom: true,
        readOnly: true,
        fields: [
            ...systemFields(),
            field('DeveloperName', 'string', {
                label: 'Custom Metadata Record Name',
                length: 40,
                ...readOnly
            }),
            field('MasterLabel', 'string', { label: 'Label', length: 40, ...readOnly }),
            field('Label', 'string', { label: 'Label', length: 40, ...readOnly }),
            field('QualifiedApiName', 'string', { label: 'Qualified API Name', length: 70, ...readOnly })
        ]
    });
}

function finishObject(object: Omit<ObjectDef, 'fieldsByLowerName' | 'relationshipsByLowerName'>): ObjectDef {
    const fieldsByLowerName = new Map<string, FieldDef>();
    const relationshipsByLowerName = new Map<string, FieldDef>();
    for (const def of object.fields) {
        fieldsByLowerName.set(def.name.toLowerCase(), def);
        if (def.relationshipName) relationshipsByLowerName.set(def.relationshipName.toLowerCase(), def);
    }
    return { ...object, fieldsByLowerName, relationshipsByLowerName };
}

function addField(object: ObjectDef, def: FieldDef): void {
    const existing = object.fieldsByLowerName.get(def.name.toLowerCase());
    if (existing) object.fields.splice(object.fields.indexOf(existing), 1, def);
    else object.fields.push(def);
    object.fieldsByLowerName.set(def.name.toLowerCase(), def);
    if (def.relationshipName) object.relationshipsByLowerName.set(def.relationshipName.toLowerCase(), def);
}

/**
 * The org's schema: the standard fields we touch, plus what the package in forceAppDir deploys
 * (custom fields, custom metadata types and their records), plus test-only extra fields.
 */
export function loadSchema(
    forceAppDir: string,
    extraFields: Record<string, ExtraField[]> = {},
    addressOptions?: AddressPicklistOptions
): Schema {
    const objects = new Map<string, ObjectDef>();
    for (const object of standardObjects()) objects.set(object.name, finishObject(object));
    const customMetadataRecords: CustomMetadataRecord[] = [];
    const defaultDir = join(forceAppDir, 'main', 'default');
    const objectsDir = join(defaultDir, 'objects');
    let customPrefix = 0;
    if (existsSync(objectsDir)) {
        for (const objectName of readdirSync(objectsDir).sort()) {
            let object = objects.get(objectName);
            if (!object && objectName.endsWith('__mdt')) {
                const objectFile = join(objectsDir, objectName, `${objectName}.object-meta.xml`);
                customPrefix += 1;
                object = customMetadataTypeDef(
                    objectName,
                    existsSync(objectFile) ? readFileSync(objectFile, 'utf8') : undefined,
                    `m0${customPrefix}`
                );
                objects.set(objectName, object);
            }
            // Custom objects other than metadata types are not part of this package; ignore them.
            if (!object) continue;
            const fieldsDir = join(objectsDir, objectName, 'fields');
            if (!existsSync(fieldsDir)) continue;
            for (const file of readdirSync(fieldsDir).sort()) {
                if (!file.endsWith('.field-meta.xml')) continue;
                const def = fieldFromMetadata(readFileSync(join(fieldsDir, file), 'utf8'));
                // Custom metadata fields cannot be written through the REST API.
                if (object.readOnly) addField(object, { ...def, createable: false, updateable: false });
                else addField(object, def);
            }
        }
    }
    const recordsDir = join(defaultDir, 'customMetadata');
    if (existsSync(recordsDir)) {
        for (const file of readdirSync(recordsDir).sort()) {
            const match = /^(.+)\.([^.]+)\.md-meta\.xml$/.exec(file);
            if (!match) continue;
            const parsed = xml.parse(readFileSync(join(recordsDir, file), 'utf8')) as {
                CustomMetadata?: Record<string, unknown>;
            };
            const meta = parsed.CustomMetadata ?? {};
            const values: Record<string, unknown> = {};
            for (const entry of asArray(meta.values as Record<string, unknown>[] | undefined)) {
                const fieldName = text(entry.field) ?? '';
                const raw = entry.value as Record<string, unknown> | string | undefined;
                const kind = typeof raw === 'object' && raw ? String(raw['@_xsi:type'] ?? '') : '';
                const value = text(raw);
                if (typeof raw === 'object' && raw && raw['@_xsi:nil'] === 'true') values[fieldName] = null;
                else if (kind === 'xsd:boolean') values[fieldName] = value === 'true';
                else if (kind === 'xsd:double' || kind === 'xsd:int') values[fieldName] = Number(value);
                else values[fieldName] = value ?? null;
            }
            customMetadataRecords.push({
                type: `${match[1]}__mdt`,
                developerName: match[2] ?? '',
                label: text(meta.label) ?? match[2] ?? '',
                values
            });
        }
    }
    for (const [objectName, extras] of Object.entries(extraFields)) {
        const object = objects.get(objectName);
        if (!object) throw new Error(`extraFields: unknown sObject ${objectName}`);
        for (const extra of extras) addField(object, fieldFromExtra(extra));
    }
    const picklists = addressOptions ? addressPicklists(addressOptions) : undefined;
    if (picklists) for (const object of objects.values()) addAddressCodeFields(object, picklists, addField);
    const byLowerName = new Map<string, ObjectDef>();
    const byKeyPrefix = new Map<string, ObjectDef>();
    for (const object of objects.values()) {
        byLowerName.set(object.name.toLowerCase(), object);
        byKeyPrefix.set(object.keyPrefix, object);
    }
    return {
        objects,
        byLowerName,
        byKeyPrefix,
        customMetadataRecords,
        ...(picklists ? { addressPicklists: picklists } : {})
    };
}

const SOAP_TYPES: Record<FieldType, string> = {
    id: 'tns:ID',
    string: 'xsd:string',
    textarea: 'xsd:string',
    email: 'xsd:string',
    url: 'xsd:string',
    phone: 'xsd:string',
    picklist: 'xsd:string',
    double: 'xsd:double',
    int: 'xsd:int',
    percent: 'xsd:double',
    currency: 'xsd:double',
    boolean: 'xsd:boolean',
    date: 'xsd:date',
    datetime: 'xsd:dateTime',
    reference: 'tns:ID'
};

export function soapType(type: FieldType): string {
    return SOAP_TYPES[type];
}

/** The sObject Describe body (REST "sObject Describe"), limited to the properties clients read. */
export function describeObject(object: ObjectDef, version: string): Record<string, unknown> {
    const base = `/services/data/v${version}/sobjects/${object.name}`;
    return {
        name: object.name,
        label: object.label,
        labelPlural: object.labelPlural,
        keyPrefix: object.keyPrefix,
        custom: object.custom,
        customSetting: false,
        createable: !object.readOnly,
        updateable: !object.readOnly,
        deletable: !object.readOnly,
        queryable: true,
        retrieveable: true,
        searchable: !object.readOnly,
        undeletable: !object.readOnly,
        urls: { sobject: base, describe: `${base}/describe`, rowTemplate: `${base}/{ID}` },
        childRelationships: [],
        recordTypeInfos: [],
        fields: object.fields.map((def) => ({
            name: def.name,
            label: def.label,
            type: def.type,
            soapType: soapType(def.type),
            length: ['id', 'reference'].includes(def.type) ? 18 : def.length,
            byteLength: def.length * 3,
            precision: def.precision,
            scale: def.scale,
            digits: def.digits,
            nillable: def.nillable,
            createable: def.createable,
            updateable: def.updateable,
            defaultedOnCreate: def.defaultedOnCreate,
            defaultValue: def.defaultValue,
            calculated: def.calculated,
            custom: def.custom,
            externalId: def.externalId,
            unique: def.unique,
            caseSensitive: def.caseSensitive,
            idLookup: def.type === 'id' || def.externalId,
            filterable: true,
            sortable: def.type !== 'textarea' || def.length <= 255,
            picklistValues: def.picklistValues.map((value) => ({
                active: true,
                defaultValue: value.defaultValue,
                label: value.label,
                validFor: value.validFor ?? null,
                value: value.value
            })),
            restrictedPicklist: def.restrictedPicklist,
            controllerName: def.controllerName,
            dependentPicklist: def.controllerName !== null,
            referenceTo: def.referenceTo,
            relationshipName: def.relationshipName,
            inlineHelpText: def.inlineHelpText,
            autoNumber: false,
            deprecatedAndHidden: false
        }))
    };
}

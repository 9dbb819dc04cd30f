// Reads the SFDX source of the Salesforce package and states the rules it must follow. Each rule returns the list
// of problems it finds, so a test can show both that the real package is clean and that a broken copy is caught.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { XMLParser } from 'fast-xml-parser';

export const repositoryRoot = join(import.meta.dirname, '..', '..');
export const defaultPackageDir = join(repositoryRoot, 'force-app', 'main', 'default');

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" ?>';

// Elements that may repeat, by path, so that a single occurrence still parses as an array.
const REPEATED_ELEMENTS = new Set([
    'PermissionSet.customMetadataTypeAccesses',
    'PermissionSet.fieldPermissions',
    'PermissionSet.objectPermissions',
    'PermissionSet.tabSettings',
    'PermissionSet.userPermissions',
    'CustomMetadata.values',
    'CustomField.valueSet.valueSetDefinition.value',
    'LightningComponentBundle.targets.target',
    'LightningComponentBundle.targetConfigs.targetConfig',
    'LightningComponentBundle.targetConfigs.targetConfig.objects.object'
]);

const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseTagValue: false,
    trimValues: true,
    isArray: (_name, jpath) => REPEATED_ELEMENTS.has(String(jpath))
});

export type XmlNode = { [key: string]: XmlValue };
export type XmlValue = string | XmlNode | XmlValue[] | undefined;

export function parseXml(file: string): XmlNode {
    return parser.parse(readFileSync(file, 'utf8')) as XmlNode;
}

function filesEndingWith(dir: string, suffix: string): string[] {
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((name) => name.endsWith(suffix))
        .sort()
        .map((name) => join(dir, name));
}

export function text(value: XmlValue): string | undefined {
    if (typeof value === 'string') return value;
    if (value && !Array.isArray(value) && typeof value['#text'] === 'string') return value['#text'];
    return undefined;
}

function list(value: XmlValue): XmlNode[] {
    if (value === undefined) return [];
    return (Array.isArray(value) ? value : [value]) as XmlNode[];
}

export interface CustomFieldSource {
    object: string;
    name: string;
    file: string;
    field: XmlNode;
}

export function customFields(packageDir = defaultPackageDir, object?: string): CustomFieldSource[] {
    const objectsDir = join(packageDir, 'objects');
    if (!existsSync(objectsDir)) return [];
    return readdirSync(objectsDir)
        .filter((name) => object === undefined || name === object)
        .sort()
        .flatMap((objectName) =>
            filesEndingWith(join(objectsDir, objectName, 'fields'), '.field-meta.xml').map((file) => ({
                object: objectName,
                name: basename(file, '.field-meta.xml'),
                file,
                field: parseXml(file)['CustomField'] as XmlNode
            }))
        );
}

/** The Campaign and Campaign Member fields the listener writes: every custom field the package adds to them. */
export function livestormFields(packageDir = defaultPackageDir): string[] {
    return [...customFields(packageDir, 'Campaign'), ...customFields(packageDir, 'CampaignMember')].map(
        (field) => `${field.object}.${field.name}`
    );
}

export function field(packageDir: string, object: string, name: string): XmlNode {
    const found = customFields(packageDir, object).find((entry) => entry.name === name);
    if (!found) throw new Error(`${object}.${name} is not in the package`);
    return found.field;
}

export interface PicklistShape {
    restricted: boolean;
    values: string[];
    labels: string[];
}

export function picklist(fieldNode: XmlNode): PicklistShape {
    const valueSet = fieldNode['valueSet'] as XmlNode | undefined;
    const definition = valueSet?.['valueSetDefinition'] as XmlNode | undefined;
    const values = list(definition?.['value']);
    return {
        restricted: text(valueSet?.['restricted']) === 'true',
        values: values.map((value) => text(value['fullName']) ?? ''),
        labels: values.map((value) => text(value['label']) ?? '')
    };
}

export function permissionSet(packageDir: string, name: string): XmlNode {
    return parseXml(join(packageDir, 'permissionsets', `${name}.permissionset-meta.xml`))[
        'PermissionSet'
    ] as XmlNode;
}

export interface FieldPermission {
    field: string;
    readable: boolean;
    editable: boolean;
}

export function fieldPermissions(permset: XmlNode): FieldPermission[] {
    return list(permset['fieldPermissions']).map((entry) => ({
        field: text(entry['field']) ?? '',
        readable: text(entry['readable']) === 'true',
        editable: text(entry['editable']) === 'true'
    }));
}

export interface ObjectPermission {
    object: string;
    allowCreate: boolean;
    allowRead: boolean;
    allowEdit: boolean;
    allowDelete: boolean;
    viewAllRecords: boolean;
    modifyAllRecords: boolean;
}

export function objectPermissions(permset: XmlNode): ObjectPermission[] {
    return list(permset['objectPermissions']).map((entry) => ({
        object: text(entry['object']) ?? '',
        allowCreate: text(entry['allowCreate']) === 'true',
        allowRead: text(entry['allowRead']) === 'true',
        allowEdit: text(entry['allowEdit']) === 'true',
        allowDelete: text(entry['allowDelete']) === 'true',
        viewAllRecords: text(entry['viewAllRecords']) === 'true',
        modifyAllRecords: text(entry['modifyAllRecords']) === 'true'
    }));
}

export function namedEntries(permset: XmlNode, element: string, nameElement: string): Record<string, string> {
    return Object.fromEntries(
        list(permset[element]).map((entry) => [
            text(entry[nameElement]) ?? '',
            text(entry['enabled']) ?? text(entry['visibility']) ?? ''
        ])
    );
}

/** Every Livestorm field must be granted by the permission set, readable, and editable exactly when asked. */
export function fieldPermissionProblems(
    packageDir: string,
    permsetName: string,
    editable: boolean
): string[] {
    const granted = new Map(
        fieldPermissions(permissionSet(packageDir, permsetName)).map((entry) => [entry.field, entry])
    );
    return livestormFields(packageDir).flatMap((name) => {
        const permission = granted.get(name);
        if (!permission) return [`${permsetName} does not grant ${name}`];
        const problems: string[] = [];
        if (!permission.readable) problems.push(`${permsetName} cannot read ${name}`);
        if (permission.editable !== editable)
            problems.push(`${permsetName} ${editable ? 'cannot edit' : 'can edit'} ${name}`);
        return problems;
    });
}

/** A restricted picklist holding exactly these values, in this order, each label equal to its API value. */
export function picklistProblems(fieldNode: XmlNode, expected: string[]): string[] {
    const shape = picklist(fieldNode);
    const problems: string[] = [];
    if (!shape.restricted) problems.push('picklist is not restricted');
    if (JSON.stringify(shape.values) !== JSON.stringify(expected))
        problems.push(`values are ${JSON.stringify(shape.values)}, expected ${JSON.stringify(expected)}`);
    if (JSON.stringify(shape.labels) !== JSON.stringify(expected))
        problems.push(`labels are ${JSON.stringify(shape.labels)}, expected ${JSON.stringify(expected)}`);
    return problems;
}

// Metadata API limits: CustomField description 1,000 characters, inlineHelpText 510, label 40.
export function fieldDocumentationProblems(packageDir = defaultPackageDir): string[] {
    return customFields(packageDir).flatMap(({ object, name, field: node }) => {
        const id = `${object}.${name}`;
        const problems: string[] = [];
        const description = text(node['description']) ?? '';
        const help = text(node['inlineHelpText']) ?? '';
        const label = text(node['label']) ?? '';
        if (!description) problems.push(`${id} has no description`);
        if (description.length > 1000) problems.push(`${id} description is over 1,000 characters`);
        if (!help) problems.push(`${id} has no inlineHelpText`);
        if (help.length > 510) problems.push(`${id} inlineHelpText is over 510 characters`);
        if (!label || label.length > 40) problems.push(`${id} label must be 1 to 40 characters`);
        if (text(node['fullName']) !== name) problems.push(`${id} fullName does not match its file name`);
        return problems;
    });
}

// A required custom field on a standard object blocks every other integration and the UI; ours are all optional.
// A Checkbox has no required element at all: it always has a value.
export function requiredFieldProblems(packageDir = defaultPackageDir): string[] {
    return customFields(packageDir).flatMap(({ object, name, field: node }) => {
        const required = text(node['required']);
        if (required === 'true') return [`${object}.${name} is required`];
        if (text(node['type']) !== 'Checkbox' && required !== 'false')
            return [`${object}.${name} does not say required=false`];
        return [];
    });
}

export interface MemberStatusRecord {
    file: string;
    label: string;
    state: string;
    statusLabel: string;
    hasResponded: boolean;
    isDefault: boolean;
    sortOrder: number;
}

export function memberStatusRecords(packageDir = defaultPackageDir): MemberStatusRecord[] {
    return filesEndingWith(join(packageDir, 'customMetadata'), '.md-meta.xml')
        .filter((file) => basename(file).startsWith('Livestorm_Member_Status.'))
        .map((file) => {
            const record = parseXml(file)['CustomMetadata'] as XmlNode;
            const values = Object.fromEntries(
                list(record['values']).map((entry) => [text(entry['field']) ?? '', text(entry['value'])])
            );
            return {
                file: basename(file),
                label: text(record['label']) ?? '',
                state: values['Livestorm_State__c'] ?? '',
                statusLabel: values['Status_Label__c'] ?? '',
                hasResponded: values['Has_Responded__c'] === 'true',
                isDefault: values['Is_Default__c'] === 'true',
                sortOrder: Number(values['Sort_Order__c'])
            };
        });
}

// The listener turns these records into CampaignMemberStatus rows: CampaignMember.Status holds 40 characters,
// SortOrder must be unique per Campaign, and a Campaign needs one default and at least one responded status.
export function memberStatusProblems(packageDir = defaultPackageDir): string[] {
    const records = memberStatusRecords(packageDir);
    const problems: string[] = [];
    const states = records.map((record) => record.state).sort();
    if (JSON.stringify(states) !== JSON.stringify(['attended', 'not_attended', 'registered']))
        problems.push(
            `states are ${JSON.stringify(states)}, expected attended, not_attended, registered once each`
        );
    for (const record of records) {
        if (!record.statusLabel) problems.push(`${record.file} has no Status_Label__c`);
        if (record.statusLabel.length > 40)
            problems.push(`${record.file} Status_Label__c is over 40 characters`);
        if (!Number.isInteger(record.sortOrder)) problems.push(`${record.file} has no whole Sort_Order__c`);
    }
    const defaults = records.filter((record) => record.isDefault).length;
    if (defaults !== 1) problems.push(`${defaults} statuses are the default, expected exactly 1`);
    if (!records.some((record) => record.hasResponded)) problems.push('no status has Has_Responded__c');
    const orders = records.map((record) => record.sortOrder).sort((a, b) => a - b);
    if (new Set(orders).size !== orders.length)
        problems.push(`Sort_Order__c values repeat: ${orders.join(', ')}`);
    return problems;
}

export function sourceApiVersion(root = repositoryRoot): string {
    const project = JSON.parse(readFileSync(join(root, 'sfdx-project.json'), 'utf8')) as {
        sourceApiVersion?: string;
    };
    return project.sourceApiVersion ?? '';
}

export function apiVersionProblems(packageDir = defaultPackageDir, root = repositoryRoot): string[] {
    const expected = sourceApiVersion(root);
    const bundles = filesEndingWith(join(packageDir, 'lwc'), '.js-meta.xml');
    if (bundles.length === 0) return ['no Lightning component bundle found'];
    return bundles.flatMap((file) => {
        const version = text((parseXml(file)['LightningComponentBundle'] as XmlNode)['apiVersion']);
        return version === expected
            ? []
            : [`${relative(packageDir, file)} has apiVersion ${version}, sfdx-project.json says ${expected}`];
    });
}

/** The org-wide CampaignMemberStatus picklist belongs to the customer: the package must never ship it. */
export function standardValueSetProblems(packageDir = defaultPackageDir): string[] {
    return [
        ...filesEndingWith(packageDir, '.standardValueSet-meta.xml'),
        ...filesEndingWith(packageDir, '.standardValueSetTranslation-meta.xml')
    ].map((file) => `${relative(packageDir, file)} ships a StandardValueSet`);
}

export function allMetadataFiles(packageDir = defaultPackageDir): string[] {
    return filesEndingWith(packageDir, '-meta.xml');
}

// The order a retrieve writes: the top-level elements of a file sorted by name, CustomField's fullName first.
// Lightning component bundles are the exception: they keep the schema order (targets before targetConfigs).
export function formattingProblems(packageDir = defaultPackageDir): string[] {
    return allMetadataFiles(packageDir).flatMap((file) => {
        const source = readFileSync(file, 'utf8');
        const name = relative(packageDir, file);
        const problems: string[] = [];
        if (!source.startsWith(`${XML_DECLARATION}\n`))
            problems.push(`${name} does not start with ${XML_DECLARATION}`);
        if (/^\t/m.test(source)) problems.push(`${name} is indented with tabs`);
        if (file.endsWith('.js-meta.xml')) return problems;
        const topLevel = [...source.matchAll(/^ {4}<([A-Za-z]+)[\s>/]/gm)].map((match) => match[1] ?? '');
        const distinct = topLevel.filter((element, index) => element !== topLevel[index - 1]);
        const withoutFullName = distinct[0] === 'fullName' ? distinct.slice(1) : distinct;
        const sorted = [...withoutFullName].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
        if (JSON.stringify(sorted) !== JSON.stringify(withoutFullName))
            problems.push(`${name} elements are not in alphabetical order: ${withoutFullName.join(', ')}`);
        return problems;
    });
}

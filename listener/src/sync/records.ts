// Turns folded state into Salesforce record bodies: the field mapping from settings, values coerced and truncated to
// what describe says each field accepts (no truncation header exists in REST), fallbacks for required fields.
import type { FieldMapping, Settings } from '../config/settings.ts';
import type { EventRow, SessionCounts } from '../store/store.ts';
import type { PersonState, SessionState } from '../store/state.ts';
import { campaignName, localDate, truncate } from './campaign-name.ts';
import type { FieldInfo, ObjectInfo, OrgMetadata } from './org-metadata.ts';
import type { AddressPart } from './picklists.ts';
import {
    addressPartOf,
    countryCodeFor,
    leftOutWarning,
    restrictedValueFor,
    stateCodeFor
} from './picklists.ts';

export type SfValue = string | number | boolean | null;
export type SfRecord = Record<string, SfValue>;

export const REPLAY_LIVE = 'Has watched replay';
export const REPLAY_ON_DEMAND = 'Has watched on-demand';

const NUMERIC_TYPES = new Set(['double', 'int', 'percent', 'currency', 'long']);
const TEXT_TYPES = new Set([
    'string',
    'textarea',
    'email',
    'phone',
    'url',
    'picklist',
    'multipicklist',
    'combobox'
]);
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// C0 controls other than tab, line feed and carriage return, and DEL: XML 1.0 (§2.2 "Char") cannot carry them, so a
// record holding one could not be read back through the SOAP API, reports exports or Data Loader.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/**
 * Text as a field may hold it: control characters removed, a lone surrogate (half an emoji from a truncated source)
 * replaced by U+FFFD, right-to-left marks and every other character kept as they are (they are part of names).
 */
export function cleanText(value: string): string {
    return value.replace(CONTROL_CHARACTERS, '').toWellFormed();
}

function text(value: unknown): string | null {
    if (value === null || value === undefined) return null;
    if (Array.isArray(value)) return value.length ? value.join(';') : null;
    const result = String(value).trim();
    return result === '' ? null : result;
}

/** A raw value for a mapping source; instants are unix seconds, figures numbers, the rest text. */
export function sourceValue(person: PersonState, source: string): string | number | null {
    const field = (id: string) => text(person.fields[id]);
    switch (source) {
        case 'first_name':
            return person.firstName ?? field('first_name');
        case 'last_name':
            return person.lastName ?? field('last_name');
        case 'email':
            return person.email;
        case 'company':
            return field('company');
        case 'job_title':
            return field('job_title');
        case 'phone':
            return field('phone') ?? field('phone_number');
        case 'city':
            return field('city');
        case 'country':
            return field('country');
        case 'website':
            return field('website');
        case 'utm_source':
            return person.utm.source;
        case 'utm_medium':
            return person.utm.medium;
        case 'utm_campaign':
            return person.utm.campaign;
        case 'utm_term':
            return person.utm.term;
        case 'utm_content':
            return person.utm.content;
        case 'referrer':
            return person.referrer;
        case 'ip_city':
            return person.ipCity;
        case 'ip_country':
            return person.ipCountry;
        case 'connection_link':
            return person.joinLink;
        case 'registered_at':
            return person.registeredAt;
        case 'person_id':
            return person.personId;
        case 'attendance_duration':
            return person.engagement.durationSeconds;
        case 'attendance_rate':
            return person.engagement.ratePercent;
        case 'messages_count':
            return person.engagement.messages;
        case 'questions_count':
            return person.engagement.questions;
        case 'votes_count':
            return person.engagement.votes;
        case 'up_votes_count':
            return person.engagement.upVotes;
        case 'replay_watched_at':
            return person.replayWatchedAt;
        default:
            return source.startsWith('field:') ? field(source.slice('field:'.length)) : null;
    }
}

/**
 * Converts a value to what the field accepts, or undefined when it cannot hold it (the field is then left alone).
 * Instants arrive as unix seconds.
 */
export function coerce(value: string | number | boolean | null, field: FieldInfo): SfValue | undefined {
    if (value === null) return null;
    if (NUMERIC_TYPES.has(field.type)) {
        const number = typeof value === 'number' ? value : Number(value);
        return Number.isFinite(number) ? number : undefined;
    }
    if (field.type === 'boolean')
        return typeof value === 'boolean'
            ? value
            : ['true', '1', 'yes'].includes(String(value).toLowerCase());
    if (field.type === 'datetime' || field.type === 'date') {
        const seconds = typeof value === 'number' ? value : Date.parse(String(value)) / 1000;
        if (!Number.isFinite(seconds) || seconds <= 0) return undefined;
        const iso = new Date(seconds * 1000).toISOString();
        return field.type === 'date' ? iso.slice(0, 10) : iso.replace(/\.\d{3}Z$/, '.000+0000');
    }
    if (TEXT_TYPES.has(field.type) || field.type === 'reference' || field.type === 'id') {
        // An address is matched on as it is: one Salesforce would refuse is left out, never rewritten.
        const result = field.type === 'email' ? String(value) : cleanText(String(value));
        if (field.type === 'email' && !EMAIL_PATTERN.test(result)) return undefined;
        if (field.type === 'url' && field.length > 0 && result.length > field.length) return undefined;
        return field.length > 0 ? truncate(result, field.length) : result;
    }
    return String(value);
}

function isEmpty(value: unknown): boolean {
    return value === null || value === undefined || value === '';
}

/** A fallback for a required field nobody gave a value: the configured one, else one that fits the type. */
export function fallbackFor(field: FieldInfo, settings: Settings, today: string): SfValue {
    const configured = settings.fallbacks[field.name];
    if (configured !== undefined && configured !== null) return configured;
    if (field.type === 'picklist' || field.type === 'multipicklist')
        return field.picklistValues[0] ?? '[not provided]';
    if (NUMERIC_TYPES.has(field.type)) return 0;
    if (field.type === 'date') return today;
    if (field.type === 'datetime') return `${today}T00:00:00.000+0000`;
    if (field.type === 'email') return 'unknown@example.invalid';
    return truncate('[not provided]', field.length || 255);
}

function fieldOf(object: ObjectInfo, name: string): FieldInfo | undefined {
    return object.fields.get(name.toLowerCase());
}

/** Adds a sentence to a person's warnings once (a person's records are built several times in a pass). */
function warn(warnings: string[], sentence: string): void {
    if (!warnings.includes(sentence)) warnings.push(sentence);
}

/** A value of a mapping, ready to write: the field it goes to (a code field for an address part) and the value. */
interface Mapped {
    field: FieldInfo;
    value: SfValue;
    mode: FieldMapping['mode'];
}

/** A state waiting for the country of the same record. */
interface PendingState {
    field: FieldInfo;
    part: AddressPart;
    raw: string;
    mode: FieldMapping['mode'];
}

/**
 * The values of `mappings` for one person, as the org accepts them: coerced to the field's type; a country turned into
 * the org's country code when it has State and Country/Territory Picklists; a value of a restricted picklist matched
 * against the listed values and labels. A value the org does not accept is left out and explained in `warnings`:
 * it never fails the record. States come back pending: they are matched once the record's country is known.
 */
function mapValues(
    objectName: string,
    object: ObjectInfo,
    mappings: readonly FieldMapping[],
    person: PersonState,
    forCreate: boolean,
    warnings: string[]
): { mapped: Mapped[]; states: PendingState[] } {
    const mapped: Mapped[] = [];
    const states: PendingState[] = [];
    const writable = (field: FieldInfo) => (forCreate ? field.createable : field.updateable);
    for (const mapping of mappings) {
        const field = fieldOf(object, mapping.to);
        if (!field) continue;
        const raw = sourceValue(person, mapping.from);
        if (raw === null) continue;
        const part = addressPartOf(object, field);
        if (part) {
            if (!writable(part.codeField)) continue;
            const text = String(raw).trim();
            if (!text) continue;
            if (part.kind === 'state') {
                states.push({ field, part, raw: text, mode: mapping.mode });
                continue;
            }
            const code = countryCodeFor(part.codeField, text);
            if (code) mapped.push({ field: part.codeField, value: code, mode: mapping.mode });
            else warn(warnings, leftOutWarning(objectName, field, text, 'country'));
            continue;
        }
        if (!writable(field)) continue;
        let value = coerce(raw, field);
        if (value === undefined || value === null) continue;
        if (field.type === 'picklist' && field.restrictedPicklist && typeof value === 'string') {
            const listed = restrictedValueFor(field, value);
            if (!listed) {
                warn(warnings, leftOutWarning(objectName, field, value, 'picklist'));
                continue;
            }
            value = listed;
        }
        mapped.push({ field, value, mode: mapping.mode });
    }
    return { mapped, states };
}

/** The org's state code for a pending state, given the record's country code (null: none or not listed). */
function stateValue(
    objectName: string,
    state: PendingState,
    countryCode: unknown,
    warnings: string[]
): string | null {
    const country = typeof countryCode === 'string' && countryCode ? countryCode : null;
    const code = country
        ? stateCodeFor(state.part.codeField, state.part.countryCodeField, country, state.raw)
        : null;
    if (!code) warn(warnings, leftOutWarning(objectName, state.field, state.raw, 'state', country));
    return code;
}

function applyMapping(
    objectName: string,
    record: SfRecord,
    person: PersonState,
    mappings: readonly FieldMapping[],
    object: ObjectInfo,
    forCreate: boolean,
    warnings: string[]
) {
    const { mapped, states } = mapValues(objectName, object, mappings, person, forCreate, warnings);
    for (const { field, value } of mapped) record[field.name] = value;
    for (const state of states) {
        const code = stateValue(objectName, state, record[state.part.countryCodeField.name], warnings);
        if (code) record[state.part.codeField.name] = code;
    }
}

/** Fills every field Salesforce requires on create that is still empty. */
export function fillRequired(
    record: SfRecord,
    object: ObjectInfo,
    settings: Settings,
    today: string
): string[] {
    const filled: string[] = [];
    for (const field of object.requiredOnCreate) {
        if (field.type === 'reference' || field.type === 'id') continue;
        if (isEmpty(record[field.name])) {
            record[field.name] = fallbackFor(field, settings, today);
            filled.push(field.name);
        }
    }
    return filled;
}

/**
 * The body of a new Lead or Contact (AccountId set by the caller for Contacts).
 * @param warnings receives a sentence for each mapped value the org does not accept (left out of the record)
 */
export function newPersonRecord(
    object: 'Lead' | 'Contact',
    person: PersonState,
    settings: Settings,
    metadata: OrgMetadata,
    today: string,
    warnings: string[] = []
): SfRecord {
    const info = metadata.objects[object];
    const record: SfRecord = {};
    applyMapping(
        object,
        record,
        person,
        object === 'Lead' ? settings.mapping.lead : settings.mapping.contact,
        info,
        true,
        warnings
    );
    const emailField = fieldOf(info, 'Email');
    if (emailField && person.email && isEmpty(record.Email))
        record.Email = coerce(person.email, emailField) ?? null;
    const leadSource = fieldOf(info, 'LeadSource');
    if (settings.leadSource && leadSource?.createable && isEmpty(record.LeadSource)) {
        const value = leadSource.restrictedPicklist
            ? restrictedValueFor(leadSource, settings.leadSource)
            : coerce(settings.leadSource, leadSource);
        if (value) record.LeadSource = value;
        else warn(warnings, leftOutWarning(object, leadSource, settings.leadSource, 'picklist'));
    }
    fillRequired(record, info, settings, today);
    return record;
}

/**
 * The fields to write on an existing Lead or Contact: "fill" mappings only where Salesforce holds nothing,
 * "overwrite" mappings where the value differs. Null when nothing changes.
 * @param warnings receives a sentence for each mapped value the org does not accept (left out)
 */
export function enrichment(
    object: 'Lead' | 'Contact',
    existing: Record<string, unknown>,
    person: PersonState,
    settings: Settings,
    metadata: OrgMetadata,
    warnings: string[] = []
): SfRecord | null {
    const info = metadata.objects[object];
    const changes: SfRecord = {};
    const mappings = (object === 'Lead' ? settings.mapping.lead : settings.mapping.contact).filter(
        (mapping) => fieldOf(info, mapping.to)?.name !== 'Email'
    );
    const wanted = (field: FieldInfo, value: SfValue, mode: FieldMapping['mode']) => {
        const current = existing[field.name];
        return mode === 'fill' ? isEmpty(current) : current !== value;
    };
    const { mapped, states } = mapValues(object, info, mappings, person, false, warnings);
    for (const { field, value, mode } of mapped) if (wanted(field, value, mode)) changes[field.name] = value;
    for (const state of states) {
        const countryField = state.part.countryCodeField.name;
        const country = changes[countryField] ?? existing[countryField];
        if (!wanted(state.part.codeField, null, state.mode) && state.mode === 'fill') continue;
        const code = stateValue(object, state, country, warnings);
        if (code && wanted(state.part.codeField, code, state.mode)) changes[state.part.codeField.name] = code;
    }
    return Object.keys(changes).length ? changes : null;
}

/** Fields selected by the lookup so that enrichment can compare. */
export function lookupFields(
    object: 'Lead' | 'Contact',
    settings: Settings,
    metadata: OrgMetadata
): string[] {
    const info = metadata.objects[object];
    const names = new Set<string>();
    for (const mapping of object === 'Lead' ? settings.mapping.lead : settings.mapping.contact) {
        const field = fieldOf(info, mapping.to);
        if (!field) continue;
        names.add(field.name);
        // With address picklists the code fields are what is written and compared.
        const part = addressPartOf(info, field);
        if (part) names.add(part.codeField.name).add(part.countryCodeField.name);
    }
    names.delete('Id');
    names.delete('Email');
    return [...names];
}

/** Status, engagement and replay fields of a CampaignMember (create also sets CampaignId and LeadId/ContactId). */
export function memberFields(
    person: PersonState,
    settings: Settings,
    metadata: OrgMetadata,
    onDemand: boolean,
    forCreate: boolean,
    warnings: string[] = []
): SfRecord {
    const info = metadata.objects.CampaignMember;
    const record: SfRecord = { Status: metadata.statusLabel(person.attendance) };
    applyMapping('CampaignMember', record, person, settings.mapping.member, info, forCreate, warnings);
    const replay = fieldOf(info, 'Livestorm_Replay_Status__c');
    if (replay && person.replayWatched) record[replay.name] = onDemand ? REPLAY_ON_DEMAND : REPLAY_LIVE;
    return record;
}

/** When the session starts (or started), unix seconds; on-demand sessions have no schedule: their creation. */
export function sessionStart(session: SessionState): number {
    if (session.startedAt > 0) return session.startedAt;
    if (session.estimatedStartedAt > 0) return session.estimatedStartedAt;
    return session.createdAt > 0 ? session.createdAt : Math.floor(Date.now() / 1000);
}

export function isOnDemand(session: SessionState, event: EventRow | undefined): boolean {
    return (event?.onDemand ?? false) || session.status === 'on_demand';
}

function setIfField(record: SfRecord, object: ObjectInfo, name: string, value: SfValue, forCreate: boolean) {
    const field = fieldOf(object, name);
    if (!field || !(forCreate ? field.createable : field.updateable)) return;
    const coerced = value === null ? null : coerce(value, field);
    if (coerced !== undefined) record[field.name] = coerced;
}

/** The Livestorm-owned fields of a Campaign: written at creation and kept current after (never Name). */
export function campaignLivestormFields(
    session: SessionState,
    event: EventRow | undefined,
    counts: SessionCounts,
    settings: Settings,
    metadata: OrgMetadata,
    forCreate: boolean
): SfRecord {
    const info = metadata.objects.Campaign;
    const record: SfRecord = {};
    const start = sessionStart(session);
    setIfField(record, info, 'StartDate', localDate(start, session.timezone), forCreate);
    if (session.endedAt > 0)
        setIfField(record, info, 'EndDate', localDate(session.endedAt, session.timezone), forCreate);
    setIfField(record, info, 'Livestorm_Session_Id__c', session.sessionId, forCreate);
    setIfField(record, info, 'Livestorm_Event_Id__c', session.eventId, forCreate);
    if (event?.title) setIfField(record, info, 'Livestorm_Event_Title__c', event.title, forCreate);
    setIfField(record, info, 'Livestorm_Session_Start__c', start, forCreate);
    if (event?.registrationLink)
        setIfField(record, info, 'Livestorm_Registration_Link__c', event.registrationLink, forCreate);
    setIfField(
        record,
        info,
        'Livestorm_Event_Type__c',
        isOnDemand(session, event) ? 'On-demand' : 'Live',
        forCreate
    );
    setIfField(record, info, 'Livestorm_Session_Status__c', session.status, forCreate);
    setIfField(record, info, 'Livestorm_Registrants__c', counts.registrants, forCreate);
    setIfField(record, info, 'Livestorm_Attendees__c', counts.attendees, forCreate);
    setIfField(record, info, 'Livestorm_No_Shows__c', counts.noShows, forCreate);
    setIfField(record, info, 'Livestorm_Replay_Viewers__c', counts.replayViewers, forCreate);
    if (session.status === 'canceled')
        setIfField(record, info, 'Status', settings.campaign.canceledStatus, forCreate);
    return record;
}

/** A new Campaign: Livestorm fields, its Name (once), the configured defaults and fallbacks for required fields. */
export function newCampaignRecord(
    session: SessionState,
    event: EventRow | undefined,
    counts: SessionCounts,
    settings: Settings,
    metadata: OrgMetadata
): SfRecord {
    const info = metadata.objects.Campaign;
    const record: SfRecord = {};
    for (const [name, value] of Object.entries(settings.campaign.defaults))
        setIfField(record, info, name, value, true);
    if (settings.campaign.parentId) setIfField(record, info, 'ParentId', settings.campaign.parentId, true);
    Object.assign(record, campaignLivestormFields(session, event, counts, settings, metadata, true));
    const start = sessionStart(session);
    record.Name = campaignNameOf(session, event, settings);
    fillRequired(record, info, settings, localDate(start, session.timezone));
    return record;
}

/**
 * The Name of a session's Campaign from the name template; without the event title (unreadable from Livestorm),
 * `Livestorm session <first 8 characters of the session id>` stands in for it — such a Name is replaced once the
 * title is known, unless an admin renamed the Campaign meanwhile (DESIGN, "Campaign Name").
 */
export function campaignNameOf(
    session: SessionState,
    event: EventRow | undefined,
    settings: Settings
): string {
    return campaignName({
        template: settings.campaign.nameTemplate,
        eventTitle: cleanText(event?.title ?? `Livestorm session ${session.sessionId.slice(0, 8)}`),
        sessionName: session.name === null ? null : cleanText(session.name),
        startUnixSeconds: sessionStart(session),
        timezone: session.timezone
    });
}

// One sync pass of one session: the Campaign (created or found, its statuses set up), the unknown people resolved by
// e-mail in bulk, Leads/Contacts created or enriched and CampaignMembers created or updated — all through /composite
// requests wrapping sObject Collections, typically 1 call for lookups and 1 for writes per batch of up to 1,000 people.
// Only one pass runs per session at a time (one writer per Campaign: parallel member writes lock it).
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.ts';
import type {
    CompositeSubrequest,
    CompositeSubresponse,
    SalesforceConnection
} from '../salesforce/connection.ts';
import { AUTO_ASSIGN_HEADER } from '../salesforce/connection.ts';
import { soqlId, soqlList, soqlString } from '../salesforce/soql.ts';
import type { EventRow, PersonRow, SessionRow, Store, SyncFailure } from '../store/store.ts';
import { backoffDelayMs } from './backoff.ts';
import type { OrgMetadata } from './org-metadata.ts';
import { collectionResults, queryRecords, subrequestErrors, succeeded } from './results.ts';
import type { RecordError, RecordResult } from './results.ts';
import {
    campaignLivestormFields,
    campaignNameOf,
    enrichment,
    isOnDemand,
    lookupFields,
    memberFields,
    newCampaignRecord,
    newPersonRecord,
    sessionStart
} from './records.ts';
import type { SfRecord } from './records.ts';
import { localDate } from './campaign-name.ts';
import { ATTENDANCE_RANK } from '../store/state.ts';
import type { PersonState } from '../store/state.ts';

export const COLLECTION_SIZE = 200;
/**
 * The setting (one per session) holding the Name we gave a Campaign without the event title, until it is replaced by
 * the titled Name or found renamed by an admin (then it is never touched again).
 */
export const UNTITLED_CAMPAIGN_NAME_PREFIX = 'untitledCampaignName:';
export const MAX_COLLECTIONS_PER_COMPOSITE = 5;
export const MAX_SUBREQUESTS_PER_COMPOSITE = 25;
/** People handled per pass: 5 collections of 200 members. */
export const PEOPLE_PER_PASS = 1000;

/**
 * How e-mails are compared: trimmed, case-insensitively — as Salesforce matches them (it stores them lower-cased and
 * compares them case-insensitively in SOQL, reference/salesforce.md §10). One key, one Lead or Contact.
 */
export function emailKey(email: string): string {
    return email.trim().toLowerCase();
}

/**
 * E-mails being resolved or created by a pass in flight: two passes — of two sessions, in this instance or in another
 * on the same database — must not both create a Lead for one person. Claims live in the store (a row per e-mail key
 * with an owner and an expiry), are renewed with the session lease, and released when the pass ends.
 */
export class EmailClaims {
    readonly #store: Store;
    readonly #instanceId: string;
    readonly #ttlMs: number;
    /**
     * @param instanceId this instance's name: owners are per instance and pass
     * @param ttlMs a claim whose pass stopped renewing it (the instance died) lapses after this long
     */
    constructor(store: Store, instanceId: string, ttlMs: number) {
        this.#store = store;
        this.#instanceId = instanceId;
        this.#ttlMs = ttlMs;
    }
    #owner(pass: string): string {
        return `${this.#instanceId} ${pass}`;
    }
    /** Claims the e-mails for a pass; resolves to the keys (emailKey) it holds, the others are someone else's. */
    async claimAll(emails: string[], pass: string): Promise<Set<string>> {
        if (emails.length === 0) return new Set();
        return new Set(await this.#store.claimEmails(emails.map(emailKey), this.#owner(pass), this.#ttlMs));
    }
    async renew(pass: string): Promise<void> {
        await this.#store.renewEmailClaims(this.#owner(pass), this.#ttlMs);
    }
    async releaseAll(pass: string): Promise<void> {
        await this.#store.releaseEmailClaims(this.#owner(pass));
    }
}

export interface SessionSyncDeps {
    store: Store;
    salesforce: SalesforceConnection;
    settings: Settings;
    metadata: OrgMetadata;
    logger: Logger;
    claims: EmailClaims;
    now?: () => number;
    /**
     * A pipelined pass (engine.ts): people of the session's previous pass, whose last write is still in flight — left
     * to it, they are not taken again before it has saved what Salesforce answered.
     */
    exclude?: ReadonlySet<string>;
    /**
     * Waits for the session's turn to call Salesforce and resolves to the function that gives it back: one call at a
     * time per Campaign (its row lock, reference/salesforce.md §2.2), however many passes are preparing.
     */
    writeTurn?: () => Promise<() => void>;
    /** Told how many dirty people the pass took, as soon as it has read them. */
    onTaken?: (people: number) => void;
    /** Told, just before the pass sends its last write, whom it writes: the next pass may prepare meanwhile. */
    onLastWrite?: (personIds: ReadonlySet<string>) => void;
    /** Tells this pass's e-mail claims from those of another pass of the same session running beside it. Default ''. */
    passKey?: string;
}

/** The owner of a pass's e-mail claims (renewed with the session lease, released when the pass ends). */
export function claimOwner(sessionId: string, passKey = ''): string {
    return `session:${sessionId}${passKey}`;
}

export interface SessionSyncResult {
    apiCalls: number;
    synced: number;
    failed: number;
    /** More work is due right away (a retry or a recreated Campaign). */
    more: boolean;
    campaignCreated: boolean;
    campaignRecreated: boolean;
    /** Salesforce accepted a write of the session's Campaign in this pass (created, upserted or its fields updated). */
    campaignWritten: boolean;
}

/** What matching needs of a person in a pass. */
export interface Resolvable {
    row: { personId: string };
    email: string;
    resolution: Resolution | null;
}

/**
 * Errors on a person's Lead/Contact or CampaignMember that mean the record moved since we stored its id: deleted
 * (its members go with it), merged into another record (deleted, `MasterRecordId` set, members re-parented) or
 * converted (a converted Lead can be neither updated nor added to a Campaign) — reference/salesforce.md §10. The Campaign
 * being deleted gives the same codes: only reading the Campaign tells which.
 */
export const MOVED_CODES: ReadonlySet<string> = new Set([
    'ENTITY_IS_DELETED',
    'INVALID_CROSS_REFERENCE_KEY',
    'NOT_FOUND',
    'CANNOT_UPDATE_CONVERTED_LEAD'
]);

/** Where a person was in Salesforce before a write reported the record or member moved. */
export interface PreviousLink {
    object: 'Lead' | 'Contact' | null;
    id: string | null;
    memberId: string | null;
}

export interface Resolution {
    object: 'Lead' | 'Contact';
    id: string;
    /** The current field values, for enrichment; null when unknown (a converted Lead's Contact). */
    record: Record<string, unknown> | null;
}

interface Work {
    row: PersonRow;
    email: string;
    resolution: Resolution | null;
    /** Set when the stored record or member moved: where to start looking for the person. */
    previous: PreviousLink | null;
    /** Another registrant of this pass who is the same Salesforce person writes for both. */
    leader: Work | null;
    /** Set once the Lead/Contact exists. */
    sfObject: 'Lead' | 'Contact' | null;
    sfId: string | null;
    memberId: string | null;
    outcome: 'pending' | 'synced' | 'failed' | 'retry';
    error: RecordError | null;
    /** Retry without waiting (a dependency failed, not this record). */
    immediate: boolean;
    /**
     * Values left out of this write, in an admin's words (e.g. a country the org does not list): saved as the
     * person's `warnings`, replacing those of the previous write.
     */
    warnings: string[];
}

interface StatusRow {
    Id: string;
    Label: string;
    IsDefault: boolean;
    HasResponded: boolean;
    SortOrder: number;
}

const RETRY_LATER_CODES = new Set([
    'UNABLE_TO_LOCK_ROW',
    'SERVER_UNAVAILABLE',
    'REQUEST_RUNNING_TOO_LONG',
    'QUERY_TIMEOUT',
    'NO_RESPONSE'
]);

/** A record's retry delay: none for a dependency's failure (three times), else the sync's capped backoff (≤ 60 s). */
function backoffMs(attempts: number, immediate: boolean): number {
    if (immediate && attempts <= 3) return 0;
    return backoffDelayMs(attempts);
}

function failureOf(
    previous: SyncFailure | null,
    error: RecordError,
    now: number,
    immediate: boolean
): SyncFailure {
    const attempts = (previous?.attempts ?? 0) + 1;
    return {
        code: error.code,
        message: error.message,
        fields: error.fields,
        attempts,
        nextAttemptAt: now + backoffMs(attempts, immediate),
        at: now
    };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
    const chunks: T[][] = [];
    for (let index = 0; index < items.length; index += size) chunks.push(items.slice(index, index + size));
    return chunks;
}

/**
 * Encodes a query for a URL but leaves composite references (`@{ref.id}`) readable, as Salesforce expects them.
 * @param resource `queryAll` also returns deleted records, merged ones with their `MasterRecordId` (SOAP API `merge()`:
 * "Use queryAll() to view records that have been deleted during a merge").
 */
export function queryUrl(soql: string, resource: 'query' | 'queryAll' = 'query'): string {
    const encoded = soql
        .split(/(@\{[^}]+\})/)
        .map((part) => (part.startsWith('@{') ? part : encodeURIComponent(part)))
        .join('');
    return `${resource}?q=${encoded}`;
}

/** node:sqlite and record building are synchronous: passes release the event loop between their steps. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

const DUPLICATE_HEADER = { 'Sforce-Duplicate-Rule-Header': 'allowSave=true' };

/**
 * The `Sforce-Auto-Assign` value for the Leads we create, from the leadAssignment setting: "org-rules" → TRUE (the
 * org's active rule), "none" → FALSE, a rule Id → that Id ("applied for created … Leads", REST "Assignment Rule
 * Header"). Every other write carries FALSE (connection.ts).
 */
export function leadCreationAssignment(settings: Pick<Settings, 'leadAssignment'>): string {
    if (settings.leadAssignment === 'org-rules') return 'TRUE';
    if (settings.leadAssignment === 'none') return 'FALSE';
    return settings.leadAssignment;
}

/**
 * Runs one pass for a session.
 * @param sessionId Livestorm session id
 * @param event the event row (title, on-demand), if known
 */
export async function syncSession(
    deps: SessionSyncDeps,
    sessionId: string,
    event: EventRow | undefined
): Promise<SessionSyncResult> {
    const { store, salesforce, settings, metadata, logger, claims } = deps;
    const now = deps.now ?? Date.now;
    const owner = claimOwner(sessionId, deps.passKey);
    const result: SessionSyncResult = {
        apiCalls: 0,
        synced: 0,
        failed: 0,
        more: false,
        campaignCreated: false,
        campaignRecreated: false,
        campaignWritten: false
    };
    const [loaded] = await store.getSessions([sessionId]);
    if (!loaded) return result;
    let session: SessionRow = loaded;
    const onDemand = isOnDemand(session.state, event);
    const headers = settings.duplicateRuleAllowSave ? DUPLICATE_HEADER : undefined;
    /** The session's date, the fallback for required date fields. */
    let today = '';
    /** What a shared CampaignMember shows: the best state of the registrants who are one Salesforce person. */
    let memberStateOf = new Map<Work, PersonState>();
    const composite = async (subrequests: CompositeSubrequest[]) => {
        result.apiCalls += 1;
        const release = await deps.writeTurn?.();
        try {
            return await salesforce.composite(subrequests);
        } finally {
            release?.();
        }
    };

    try {
        // ---- who is in this pass
        const exclude = deps.exclude ?? new Set<string>();
        const read = await store.dirtyPeople(sessionId, now(), PEOPLE_PER_PASS + exclude.size);
        const dirty = (exclude.size ? read.filter((row) => !exclude.has(row.personId)) : read).slice(
            0,
            PEOPLE_PER_PASS
        );
        deps.onTaken?.(dirty.length);
        await yieldToEventLoop();
        const settled: PersonRow[] = [];
        const work: Work[] = [];
        // A write reported the record or member moved: find where the person went before writing again.
        const movedOf = (row: PersonRow) =>
            row.failure !== null && MOVED_CODES.has(row.failure.code) && (!!row.sfId || !!row.memberId);
        const mustResolve = (row: PersonRow) =>
            !!row.state.email &&
            !(row.state.role === 'team_member' && !settings.syncTeamMembers) &&
            (movedOf(row) || !row.sfId);
        const claimed = await claims.claimAll(
            dirty.filter(mustResolve).map((row) => row.state.email!),
            owner
        );
        for (const row of dirty) {
            if (row.state.role === 'team_member' && !settings.syncTeamMembers) {
                settled.push({ ...row, syncedVersion: row.version, failure: null });
                continue;
            }
            if (!row.state.email) {
                const error = {
                    code: 'NO_USABLE_EMAIL',
                    message: row.state.emailProblem ?? 'no usable email address',
                    fields: ['Email']
                };
                settled.push({
                    ...row,
                    syncedVersion: row.version,
                    failure: failureOf(row.failure, error, now(), false)
                });
                result.failed += 1;
                continue;
            }
            const moved = movedOf(row);
            if ((moved || !row.sfId) && !claimed.has(emailKey(row.state.email))) {
                result.more = true;
                continue;
            }
            work.push({
                row,
                email: row.state.email,
                resolution: null,
                previous: moved ? { object: row.sfObject, id: row.sfId, memberId: row.memberId } : null,
                leader: null,
                sfObject: moved ? null : row.sfObject,
                sfId: moved ? null : row.sfId,
                memberId: moved ? null : row.memberId,
                outcome: 'pending',
                error: null,
                immediate: false,
                warnings: []
            });
        }
        if (settled.length) await store.saveSyncedPeople(settled);

        const sessionDirty = session.version > session.syncedVersion;
        if (work.length === 0 && !sessionDirty && session.campaignId && session.statusesReady) return result;

        // ---- phase A: the Campaign and the lookups, one call
        const counts = await store.sessionCounts(sessionId);
        const phaseA: CompositeSubrequest[] = [];
        const needCampaign = !session.campaignId;
        const campaignRef = needCampaign ? '@{campaign.id}' : session.campaignId!;
        let untitledName: string | null = null;
        let newCampaignName: string | null = null;
        if (needCampaign) {
            const record = newCampaignRecord(session.state, event, counts, settings, metadata);
            if (!event?.title && typeof record.Name === 'string') untitledName = record.Name;
            newCampaignName = typeof record.Name === 'string' ? record.Name : null;
            const { Name: _name, ...upsertBody } = campaignLivestormFields(
                session.state,
                event,
                counts,
                settings,
                metadata,
                false
            );
            delete upsertBody.Livestorm_Session_Id__c;
            phaseA.push(
                // Create first: an existing Campaign (renamed by an admin) answers DUPLICATE_VALUE on the external id and
                // keeps its Name; the upsert after it then finds whichever exists and returns its id.
                { method: 'POST', url: 'sobjects/Campaign', referenceId: 'newCampaign', body: record },
                {
                    method: 'PATCH',
                    url: `sobjects/Campaign/Livestorm_Session_Id__c/${encodeURIComponent(sessionId)}`,
                    referenceId: 'campaign',
                    body: upsertBody
                },
                // Statuses Salesforce added to the Campaign we just created (default "Sent", responded "Responded").
                {
                    method: 'GET',
                    url: queryUrl(
                        "SELECT Id FROM CampaignMemberStatus WHERE CampaignId = '@{newCampaign.id}' AND (IsDefault = true OR HasResponded = true) ORDER BY SortOrder"
                    ),
                    referenceId: 'autoStatuses'
                }
            );
            // Ours, placed far after the automatic ones (SortOrder must be unique per Campaign); a clash is repaired
            // in the next pass from the real SortOrders.
            metadata.statuses.forEach((status, index) => {
                phaseA.push({
                    method: 'POST',
                    url: 'sobjects/CampaignMemberStatus',
                    referenceId: `status${index}`,
                    body: {
                        CampaignId: '@{newCampaign.id}',
                        Label: status.label,
                        IsDefault: status.isDefault,
                        HasResponded: status.hasResponded,
                        SortOrder: 1000 + index
                    }
                });
            });
            phaseA.push(
                {
                    method: 'DELETE',
                    url: 'sobjects/CampaignMemberStatus/@{autoStatuses.records[0].Id}',
                    referenceId: 'dropAuto0'
                },
                {
                    method: 'DELETE',
                    url: 'sobjects/CampaignMemberStatus/@{autoStatuses.records[1].Id}',
                    referenceId: 'dropAuto1'
                }
            );
        }
        if (needCampaign || !session.statusesReady) {
            phaseA.push({
                method: 'GET',
                url: queryUrl(
                    `SELECT Id, Label, IsDefault, HasResponded, SortOrder FROM CampaignMemberStatus WHERE CampaignId = ${needCampaign ? "'@{campaign.id}'" : soqlId(campaignRef)} ORDER BY SortOrder`
                ),
                referenceId: 'statuses'
            });
        }
        const unresolved = work.filter((item) => !item.sfId);
        const emails = [...new Set(unresolved.map((item) => emailKey(item.email)))];
        const relocating = work.filter((item) => item.previous);
        const previousIds = (object: 'Lead' | 'Contact') => [
            ...new Set(
                relocating
                    .filter((item) => item.previous!.object === object && item.previous!.id)
                    .map((item) => item.previous!.id!)
            )
        ];
        if (emails.length) {
            // queryAll: merged records (deleted, MasterRecordId set) lead to their master, so neither a registrant
            // whose record an admin merged nor one of the same e-mail gets a new Lead; a record moved under us is
            // read by its id in the same query. Records deleted without a merge are left out.
            const where = (ids: string[]) =>
                `(Email IN ${soqlList(emails)} AND (IsDeleted = false OR MasterRecordId != null))${ids.length ? ` OR Id IN ${soqlList(ids)}` : ''}`;
            const contactFields = [
                'Id',
                'Email',
                'AccountId',
                'CreatedDate',
                'IsDeleted',
                'MasterRecordId',
                ...lookupFields('Contact', settings, metadata)
            ];
            const leadFields = [
                'Id',
                'Email',
                'IsConverted',
                'ConvertedContactId',
                'CreatedDate',
                'IsDeleted',
                'MasterRecordId',
                ...lookupFields('Lead', settings, metadata)
            ];
            phaseA.push(
                {
                    method: 'GET',
                    url: queryUrl(
                        `SELECT ${[...new Set(contactFields)].join(', ')} FROM Contact WHERE ${where(previousIds('Contact'))} ORDER BY CreatedDate ASC, Id ASC`,
                        'queryAll'
                    ),
                    referenceId: 'contacts'
                },
                {
                    method: 'GET',
                    url: queryUrl(
                        `SELECT ${[...new Set(leadFields)].join(', ')} FROM Lead WHERE ${where(previousIds('Lead'))} ORDER BY CreatedDate ASC, Id ASC`,
                        'queryAll'
                    ),
                    referenceId: 'leads'
                }
            );
        }
        // People known to Salesforce whose membership is unknown because a create answered "Already a campaign member".
        const memberUnknown = work.filter(
            (item) => item.sfId && !item.memberId && item.row.failure?.code === 'DUPLICATE_VALUE'
        );
        // Members whose record moved: their current parent (a merge re-parents them, a conversion adds the Contact).
        const previousMemberIds = relocating
            .map((item) => item.previous!.memberId)
            .filter((id): id is string => !!id);
        if ((memberUnknown.length || previousMemberIds.length) && !needCampaign) {
            const leadIds = memberUnknown
                .filter((item) => item.sfObject === 'Lead')
                .map((item) => item.sfId!);
            const contactIds = memberUnknown
                .filter((item) => item.sfObject === 'Contact')
                .map((item) => item.sfId!);
            const clauses = [
                leadIds.length ? `LeadId IN ${soqlList(leadIds)}` : '',
                contactIds.length ? `ContactId IN ${soqlList(contactIds)}` : '',
                previousMemberIds.length ? `Id IN ${soqlList(previousMemberIds)}` : ''
            ].filter(Boolean);
            phaseA.push({
                method: 'GET',
                url: queryUrl(
                    `SELECT Id, LeadId, ContactId FROM CampaignMember WHERE CampaignId = ${soqlId(campaignRef)} AND (${clauses.join(' OR ')})`
                ),
                referenceId: 'members'
            });
        }

        let statuses: StatusRow[] | undefined;
        if (phaseA.length) {
            const responses = await composite(phaseA);
            const byRef = new Map(responses.map((response) => [response.referenceId, response]));
            if (needCampaign) {
                const created = byRef.get('newCampaign');
                const upserted = byRef.get('campaign');
                const campaignId =
                    (succeeded(upserted) ? (upserted.body as { id?: string }).id : undefined) ??
                    (succeeded(created) ? (created.body as { id?: string }).id : undefined);
                if (!campaignId) {
                    const errors = [
                        ...(succeeded(created) ? [] : subrequestErrors(created)),
                        ...(succeeded(upserted) ? [] : subrequestErrors(upserted))
                    ];
                    const meaningful =
                        errors.find(
                            (error) => error.code !== 'DUPLICATE_VALUE' && error.code !== 'PROCESSING_HALTED'
                        ) ?? errors[0]!;
                    session = { ...session, failure: failureOf(session.failure, meaningful, now(), false) };
                    await store.saveSyncedSession(session);
                    logger.warn(
                        { sessionId, error: meaningful },
                        'the Campaign cannot be created: %s',
                        meaningful.message
                    );
                    return result;
                }
                const createdByUs = succeeded(created);
                session = {
                    ...session,
                    campaignId,
                    campaignCreatedByUs: createdByUs,
                    // The Name we wrote; an existing Campaign keeps its own, known from the next read.
                    campaignName: createdByUs ? newCampaignName : session.campaignName,
                    failure: null
                };
                if (createdByUs && untitledName !== null) {
                    await store.setSetting(`${UNTITLED_CAMPAIGN_NAME_PREFIX}${sessionId}`, untitledName);
                    logger.warn(
                        { sessionId, campaignId, name: untitledName },
                        'the Campaign was named without the event title (unreadable from Livestorm): the Name is replaced once the title is known, unless an admin renames it first'
                    );
                }
                result.campaignCreated = createdByUs;
                result.campaignWritten = true;
                logger.info(
                    { sessionId, campaignId, created: createdByUs },
                    createdByUs ? 'Campaign created' : 'existing Campaign linked'
                );
            }
            statuses = queryRecords<StatusRow>(byRef.get('statuses'));
            if (statuses) {
                const labels = new Set(statuses.map((status) => status.Label.toLowerCase()));
                session = {
                    ...session,
                    statusesReady: metadata.statuses.every((status) => labels.has(status.label.toLowerCase()))
                };
            }
            const members = queryRecords<{ Id: string; LeadId: string | null; ContactId: string | null }>(
                byRef.get('members')
            );
            const contactRows = queryRecords<Record<string, unknown>>(byRef.get('contacts'));
            const leadRows = queryRecords<Record<string, unknown>>(byRef.get('leads'));
            if (emails.length && (!contactRows || !leadRows)) {
                // Without the lookups a person could only be created: never a duplicate, retry the look-up instead.
                const error = subrequestErrors(byRef.get(contactRows ? 'leads' : 'contacts'))[0]!;
                for (const item of unresolved) {
                    item.outcome = 'retry';
                    item.error = error;
                }
            }
            const dead = relocatePeople(relocating, members, contactRows, leadRows, logger, sessionId);
            resolvePeople(
                unresolved.filter((item) => !item.resolution),
                contactRows,
                leadRows,
                logger,
                sessionId,
                dead
            );
            for (const item of memberUnknown) {
                const member = members?.find(
                    (row) => row.LeadId === item.sfId || row.ContactId === item.sfId
                );
                if (member) item.memberId = member.Id;
            }
            await store.saveSyncedSession(session);
        }
        const campaignId = session.campaignId!;

        // ---- phase B: writes
        today = localDate(sessionStart(session.state), session.state.timezone);
        const statusOps: CompositeSubrequest[] = [];
        if (!session.statusesReady && statuses) {
            const existing = new Set(statuses.map((status) => status.Label.toLowerCase()));
            let sortOrder = Math.max(0, ...statuses.map((status) => status.SortOrder));
            metadata.statuses.forEach((status, index) => {
                if (existing.has(status.label.toLowerCase())) return;
                sortOrder += 1;
                statusOps.push({
                    method: 'POST',
                    url: 'sobjects/CampaignMemberStatus',
                    referenceId: `addStatus${index}`,
                    // On a Campaign we did not create the default stays the admin's.
                    body: {
                        CampaignId: campaignId,
                        Label: status.label,
                        HasResponded: status.hasResponded,
                        IsDefault: session.campaignCreatedByUs && status.isDefault,
                        SortOrder: sortOrder
                    }
                });
            });
        }

        for (const item of work) {
            if (item.resolution) {
                item.sfObject = item.resolution.object;
                item.sfId = item.resolution.id;
            }
        }
        memberStateOf = shareMembers(work, await store.peopleLinkedTo(sessionId, linkedIds(work)));
        const toCreate = work.filter(
            (item) => !item.leader && !item.sfId && !item.resolution && item.outcome === 'pending'
        );
        const createObject: 'Lead' | 'Contact' = settings.createContacts ? 'Contact' : 'Lead';
        if (createObject === 'Contact' && toCreate.length) {
            const accountOk = await assignAccounts(toCreate, deps, composite);
            if (!accountOk) result.more = true;
        }

        type Op =
            | { kind: 'create'; items: Work[]; index: number }
            | { kind: 'memberCreate'; items: Work[]; dependsOn: number | null; usedReference?: boolean }
            | { kind: 'memberUpdate'; items: Work[] }
            | { kind: 'enrich'; items: { item: Work; changes: SfRecord }[] };
        const ops: Op[] = [];
        chunk(
            toCreate.filter((item) => item.outcome === 'pending'),
            COLLECTION_SIZE
        ).forEach((items, index) => {
            ops.push({ kind: 'create', items, index });
            ops.push({ kind: 'memberCreate', items, dependsOn: index });
        });
        const knownNoMember = work.filter(
            (item) => !item.leader && item.sfId && !item.memberId && item.outcome === 'pending'
        );
        for (const items of chunk(knownNoMember, COLLECTION_SIZE))
            ops.push({ kind: 'memberCreate', items, dependsOn: null });
        const withMember = work.filter((item) => !item.leader && item.memberId && item.outcome === 'pending');
        for (const items of chunk(withMember, COLLECTION_SIZE)) ops.push({ kind: 'memberUpdate', items });
        const enrichments = work
            .filter((item) => !item.leader && item.resolution?.record)
            .map((item) => ({
                item,
                changes: enrichment(
                    item.resolution!.object,
                    item.resolution!.record!,
                    item.row.state,
                    settings,
                    metadata,
                    item.warnings
                )
            }))
            .filter((entry): entry is { item: Work; changes: SfRecord } => entry.changes !== null);
        for (const items of chunk(enrichments, COLLECTION_SIZE)) ops.push({ kind: 'enrich', items });

        // A Name we wrote without the title is replaced now that the title is known — in the same request and only if
        // the Campaign still has that Name (the query finds it; otherwise the reference fails and nothing is written).
        const untitledKey = `${UNTITLED_CAMPAIGN_NAME_PREFIX}${sessionId}`;
        const untitled = event?.title ? ((await store.getSetting<string | null>(untitledKey)) ?? null) : null;
        const titledName = untitled !== null ? campaignNameOf(session.state, event, settings) : null;
        let renamePending = untitled !== null && titledName !== null;
        const executedCreates = new Set<number>();
        // A Campaign created or upserted in phase A already holds every Livestorm field and the current counts.
        let campaignUpdated = needCampaign && work.length === 0;
        if (campaignUpdated) session = { ...session, syncedVersion: session.version };
        let campaignGone = false;
        let firstComposite = true;
        while ((ops.length || !campaignUpdated || (firstComposite && statusOps.length)) && !campaignGone) {
            // The Campaign itself, read in every write request (a single-record read: no query slot, no extra call):
            // only this read decides that the Campaign was deleted — a member's error may be its Lead's.
            const subrequests: CompositeSubrequest[] = [
                {
                    method: 'GET',
                    url: `sobjects/Campaign/${campaignId}?fields=Id,Name`,
                    referenceId: 'campaignRead'
                }
            ];
            const batch: { op: Op; referenceId: string }[] = [];
            if (firstComposite) subrequests.push(...statusOps);
            let slots = MAX_COLLECTIONS_PER_COMPOSITE;
            const renaming = renamePending && firstComposite;
            if (renaming) {
                slots -= 1;
                subrequests.push(
                    {
                        method: 'GET',
                        url: queryUrl(
                            `SELECT Id FROM Campaign WHERE Id = ${soqlId(campaignId)} AND Name = ${soqlString(untitled!)}`
                        ),
                        referenceId: 'untitled'
                    },
                    {
                        method: 'PATCH',
                        url: 'sobjects/Campaign/@{untitled.records[0].Id}',
                        referenceId: 'rename',
                        body: { Name: titledName }
                    }
                );
            }
            const inThisComposite = new Set<number>();
            for (let index = 0; index < ops.length && slots > 0;) {
                const op = ops[index]!;
                if (
                    op.kind === 'memberCreate' &&
                    op.dependsOn !== null &&
                    !executedCreates.has(op.dependsOn) &&
                    !inThisComposite.has(op.dependsOn)
                ) {
                    index += 1;
                    continue;
                }
                ops.splice(index, 1);
                slots -= 1;
                // Building 200 records is a few milliseconds of CPU: let waiting webhook requests in between.
                await yieldToEventLoop();
                const referenceId = `${op.kind}${batch.length}`;
                batch.push({ op, referenceId });
                if (op.kind === 'create') {
                    inThisComposite.add(op.index);
                    subrequests.push({
                        method: 'POST',
                        url: 'composite/sobjects',
                        referenceId,
                        httpHeaders:
                            createObject === 'Lead'
                                ? { ...headers, [AUTO_ASSIGN_HEADER]: leadCreationAssignment(settings) }
                                : headers,
                        body: {
                            allOrNone: false,
                            records: op.items.map((item) => ({
                                attributes: { type: createObject },
                                ...personBody(item, createObject)
                            }))
                        }
                    });
                } else if (op.kind === 'memberCreate') {
                    const createRef =
                        op.dependsOn !== null && inThisComposite.has(op.dependsOn)
                            ? batch.find(
                                  (entry) => entry.op.kind === 'create' && entry.op.index === op.dependsOn
                              )!.referenceId
                            : null;
                    const ready = op.items.filter((item) => createRef || item.sfId);
                    op.items = ready;
                    op.usedReference = createRef !== null;
                    if (!ready.length) {
                        batch.pop();
                        slots += 1;
                        continue;
                    }
                    subrequests.push({
                        method: 'POST',
                        url: 'composite/sobjects',
                        referenceId,
                        body: {
                            allOrNone: false,
                            records: ready.map((item, position) => {
                                const link = createRef ? `@{${createRef}[${position}].id}` : item.sfId!;
                                const object = createRef ? createObject : item.sfObject!;
                                return {
                                    attributes: { type: 'CampaignMember' },
                                    CampaignId: campaignId,
                                    [object === 'Lead' ? 'LeadId' : 'ContactId']: link,
                                    ...memberFields(
                                        stateOf(item),
                                        settings,
                                        metadata,
                                        onDemand,
                                        true,
                                        item.warnings
                                    )
                                };
                            })
                        }
                    });
                } else if (op.kind === 'memberUpdate') {
                    subrequests.push({
                        method: 'PATCH',
                        url: 'composite/sobjects',
                        referenceId,
                        body: {
                            allOrNone: false,
                            records: op.items.map((item) => ({
                                attributes: { type: 'CampaignMember' },
                                Id: item.memberId,
                                ...memberFields(
                                    stateOf(item),
                                    settings,
                                    metadata,
                                    onDemand,
                                    false,
                                    item.warnings
                                )
                            }))
                        }
                    });
                } else {
                    subrequests.push({
                        method: 'PATCH',
                        url: 'composite/sobjects',
                        referenceId,
                        httpHeaders: headers,
                        body: {
                            allOrNone: false,
                            records: op.items.map(({ item, changes }) => ({
                                attributes: { type: item.sfObject! },
                                Id: item.sfId,
                                ...changes
                            }))
                        }
                    });
                }
            }
            const last = ops.length === 0;
            if (last) {
                const countsNow = await store.sessionCounts(sessionId);
                subrequests.push({
                    method: 'PATCH',
                    url: `sobjects/Campaign/${campaignId}`,
                    referenceId: 'campaignUpdate',
                    body: campaignLivestormFields(session.state, event, countsNow, settings, metadata, false)
                });
            }
            if (subrequests.length === 1) break;
            if (last) deps.onLastWrite?.(new Set(work.map((item) => item.row.personId)));
            const responses = await composite(subrequests);
            const byRef = new Map<string, CompositeSubresponse>(
                responses.map((response) => [response.referenceId, response])
            );
            const campaignRead = byRef.get('campaignRead');
            if (campaignRead?.httpStatusCode === 404) campaignGone = true;
            const readName = succeeded(campaignRead)
                ? (campaignRead.body as { Name?: unknown }).Name
                : undefined;
            // The Name as the org has it now (admins rename Campaigns): what the admin page shows.
            if (typeof readName === 'string') session = { ...session, campaignName: readName };
            if (renaming) {
                renamePending = false;
                const found = queryRecords<{ Id: string }>(byRef.get('untitled'));
                if (succeeded(byRef.get('rename'))) {
                    await store.setSetting(untitledKey, null);
                    session = { ...session, campaignName: titledName };
                    logger.info(
                        { sessionId, campaignId, name: titledName },
                        'Campaign named after its event'
                    );
                } else if (found && found.length === 0 && !campaignGone) {
                    await store.setSetting(untitledKey, null);
                    logger.info(
                        { sessionId, campaignId },
                        'the Campaign was renamed in Salesforce: its Name is kept'
                    );
                }
            }
            if (firstComposite && statusOps.length) {
                const allAdded = statusOps.every((op) => succeeded(byRef.get(op.referenceId)));
                session = { ...session, statusesReady: allAdded };
                if (!allAdded) {
                    const error = statusOps
                        .map((op) => byRef.get(op.referenceId))
                        .filter((response) => !succeeded(response))
                        .flatMap(subrequestErrors)[0];
                    logger.warn({ sessionId, campaignId, error }, 'member statuses could not all be added');
                }
            }
            firstComposite = false;
            for (const { op, referenceId } of batch) {
                const response = byRef.get(referenceId);
                if (op.kind === 'create') {
                    executedCreates.add(op.index);
                    collectionResults(response, op.items.length).forEach((record, position) => {
                        const item = op.items[position]!;
                        if (record.success && record.id) {
                            item.sfObject = createObject;
                            item.sfId = record.id;
                        } else fail(item, record, false);
                    });
                } else if (op.kind === 'memberCreate') {
                    const referencedCreate = op.usedReference === true;
                    collectionResults(response, op.items.length).forEach((record, position) => {
                        const item = op.items[position]!;
                        if (item.outcome !== 'pending') return;
                        if (record.success && record.id) {
                            item.memberId = record.id;
                            item.outcome = 'synced';
                            return;
                        }
                        // A member whose Lead/Contact failed in the same request fails with it: retry it alone, now.
                        fail(item, record, referencedCreate && !succeeded(response));
                    });
                } else if (op.kind === 'memberUpdate') {
                    collectionResults(response, op.items.length).forEach((record, position) => {
                        const item = op.items[position]!;
                        if (record.success) {
                            item.outcome = 'synced';
                            return;
                        }
                        fail(item, record, false);
                    });
                } else {
                    collectionResults(response, op.items.length).forEach((record, position) => {
                        if (!record.success)
                            logger.warn(
                                { sessionId, record: op.items[position]!.item.sfId, errors: record.errors },
                                'enrichment of an existing record failed'
                            );
                    });
                }
            }
            if (last) {
                const update = byRef.get('campaignUpdate');
                campaignUpdated = true;
                if (!succeeded(update)) {
                    const error = subrequestErrors(update)[0]!;
                    if (campaignRead?.httpStatusCode !== 404)
                        logger.warn(
                            { sessionId, campaignId, error },
                            'the Campaign fields could not be updated'
                        );
                } else {
                    session = { ...session, syncedVersion: session.version };
                    result.campaignWritten = true;
                }
            }
        }

        // Registrants who are the same Salesforce person as another one of this pass share its outcome.
        for (const item of work) {
            const leader = item.leader;
            if (!leader) continue;
            item.sfObject = leader.sfObject;
            item.sfId = leader.sfId;
            item.memberId = leader.memberId;
            item.outcome = leader.outcome;
            item.error = leader.error;
            item.immediate = leader.immediate;
        }

        if (campaignGone) {
            logger.warn(
                { sessionId, campaignId },
                'the Campaign was deleted in Salesforce: it is recreated and its members restored'
            );
            session = {
                ...session,
                campaignId: null,
                statusesReady: false,
                campaignCreatedByUs: false,
                syncedVersion: 0
            };
            await store.saveSyncedSession(session);
            await store.saveSyncedPeople(
                work.map((item) => ({
                    ...item.row,
                    sfObject: item.sfObject,
                    sfId: item.sfId,
                    memberId: null,
                    memberStatus: null,
                    syncedVersion: 0,
                    failure: null
                }))
            );
            await store.resetSessionMembers(sessionId);
            result.more = true;
            result.campaignRecreated = true;
            return result;
        }

        await store.saveSyncedSession(session);
        for (const item of work) {
            if (item.warnings.length && item.outcome !== 'pending')
                logger.warn(
                    { sessionId, personId: item.row.personId, warnings: item.warnings },
                    'values left out of the record: %s',
                    item.warnings.join(' ')
                );
        }
        const saved: PersonRow[] = work.map((item) => {
            if (item.outcome === 'synced') {
                result.synced += 1;
                return {
                    ...item.row,
                    sfObject: item.sfObject,
                    sfId: item.sfId,
                    memberId: item.memberId,
                    syncedVersion: item.row.version,
                    failure: null,
                    warnings: item.warnings,
                    memberStatus: metadata.statusLabel(item.row.state.attendance),
                    writtenAt: now()
                };
            }
            if (item.outcome === 'pending') {
                // Not reached in this pass (a dependency was not ready): next pass, no penalty.
                result.more = true;
                return { ...item.row, sfObject: item.sfObject, sfId: item.sfId, memberId: item.memberId };
            }
            const failure = failureOf(item.row.failure, item.error!, now(), item.immediate);
            if (item.previous && !item.sfId && !item.memberId) {
                // Not found again yet: keep where the person was, for the next attempt.
                item.sfObject = item.previous.object;
                item.sfId = item.previous.id;
                item.memberId = item.previous.memberId;
            }
            if (item.outcome === 'retry') {
                if (failure.nextAttemptAt <= now()) result.more = true;
                return {
                    ...item.row,
                    sfObject: item.sfObject,
                    sfId: item.sfId,
                    memberId: item.memberId,
                    failure
                };
            }
            result.failed += 1;
            logger.warn(
                { sessionId, personId: item.row.personId, error: item.error },
                'record kept with its error: %s',
                item.error!.message
            );
            return {
                ...item.row,
                sfObject: item.sfObject,
                sfId: item.sfId,
                memberId: item.memberId,
                syncedVersion: item.row.version,
                failure,
                warnings: item.warnings
            };
        });
        // In slices, releasing the event loop between them (each slice is one synchronous transaction).
        for (const slice of chunk(saved, 250)) {
            await store.saveSyncedPeople(slice);
            await yieldToEventLoop();
        }
        return result;
    } finally {
        await claims
            .releaseAll(owner)
            .catch((error: unknown) =>
                logger.warn(
                    { sessionId, err: error },
                    'e-mail claims could not be released; they expire by themselves'
                )
            );
    }

    function stateOf(item: Work): PersonState {
        return memberStateOf.get(item) ?? item.row.state;
    }

    function personBody(item: Work, object: 'Lead' | 'Contact'): SfRecord {
        const record = newPersonRecord(object, item.row.state, settings, metadata, today, item.warnings);
        if (object === 'Contact' && accountFor.has(item)) record.AccountId = accountFor.get(item)!;
        return record;
    }

    function fail(item: Work, record: RecordResult, dependencyFailed: boolean) {
        const error = record.errors[0] ?? {
            code: 'UNKNOWN',
            message: 'Salesforce gave no reason',
            fields: []
        };
        item.error = error;
        if (MOVED_CODES.has(error.code) && (item.sfId || item.memberId)) {
            // The record or member was deleted, merged or converted since we stored it (or the Campaign is gone, which
            // the Campaign read of this request tells): the next pass looks for where the person went, starting from
            // the ids kept here. (A new record refused for such a reason — e.g. a deleted fixed Account — is an error
            // for the admin, below.)
            item.outcome = 'retry';
            item.immediate = true;
            return;
        }
        if (error.code === 'DUPLICATE_VALUE' && error.message.toLowerCase().includes('campaign member')) {
            item.outcome = 'retry';
            item.immediate = true;
            return;
        }
        if (
            dependencyFailed ||
            error.code === 'PROCESSING_HALTED' ||
            RETRY_LATER_CODES.has(error.code) ||
            error.code.startsWith('HTTP_5')
        ) {
            item.outcome = 'retry';
            item.immediate = dependencyFailed || error.code === 'PROCESSING_HALTED';
            return;
        }
        item.outcome = 'failed';
    }
}

const accountFor = new WeakMap<Work, string>();

/** Contacts need an Account: a fixed one, or one per company name (found, else created), in one call at most. */
async function assignAccounts(
    items: Work[],
    deps: SessionSyncDeps,
    composite: (subrequests: CompositeSubrequest[]) => Promise<CompositeSubresponse[]>
): Promise<boolean> {
    const strategy = deps.settings.contactAccount;
    if (strategy.strategy === 'fixed') {
        for (const item of items) accountFor.set(item, strategy.accountId);
        return true;
    }
    const companyOf = (item: Work) => {
        const value = item.row.state.fields.company;
        const text = typeof value === 'string' ? value.trim() : '';
        return (text || strategy.fallbackName).slice(0, 255);
    };
    const companies = [...new Set(items.map(companyOf))];
    const found = new Map<string, string>();
    for (const names of chunk(companies, COLLECTION_SIZE)) {
        const responses = await composite([
            {
                method: 'GET',
                url: queryUrl(
                    `SELECT Id, Name FROM Account WHERE Name IN ${soqlList(names)} ORDER BY CreatedDate ASC, Id ASC`
                ),
                referenceId: 'accounts'
            }
        ]);
        for (const account of queryRecords<{ Id: string; Name: string }>(responses[0]) ?? []) {
            if (!found.has(account.Name.toLowerCase())) found.set(account.Name.toLowerCase(), account.Id);
        }
    }
    const missing = companies.filter((name) => !found.has(name.toLowerCase()));
    for (const names of chunk(missing, COLLECTION_SIZE * MAX_COLLECTIONS_PER_COMPOSITE)) {
        const groups = chunk(names, COLLECTION_SIZE);
        const responses = await composite(
            groups.map((group, index) => ({
                method: 'POST' as const,
                url: 'composite/sobjects',
                referenceId: `accounts${index}`,
                httpHeaders: deps.settings.duplicateRuleAllowSave ? DUPLICATE_HEADER : undefined,
                body: {
                    allOrNone: false,
                    records: group.map((name) => ({ attributes: { type: 'Account' }, Name: name }))
                }
            }))
        );
        groups.forEach((group, index) => {
            collectionResults(
                responses.find((response) => response.referenceId === `accounts${index}`),
                group.length
            ).forEach((record, position) => {
                if (record.success && record.id) found.set(group[position]!.toLowerCase(), record.id);
            });
        });
    }
    let complete = true;
    for (const item of items) {
        const id = found.get(companyOf(item).toLowerCase());
        if (id) accountFor.set(item, id);
        else {
            item.outcome = 'retry';
            item.error = {
                code: 'ACCOUNT_NOT_CREATED',
                message: `the Account "${companyOf(item)}" could not be created`,
                fields: ['AccountId']
            };
            complete = false;
        }
    }
    return complete;
}

/** Ids of the Lead/Contact records of a pass: the store links other registrants of the session to the same ones. */
function linkedIds(work: readonly Work[]): string[] {
    return [...new Set(work.filter((item) => item.sfId).map((item) => item.sfId!))];
}

/**
 * One Salesforce person, one CampaignMember: registrants of a pass who resolve to the same Lead/Contact (or, when new,
 * share an e-mail compared case-insensitively) are written once, by a leader — the one that already has a member or a
 * record — and the others follow its outcome. The member shows the highest attendance of them all, the stored
 * registrants of the session linked to the same record included, and a replay watched by any of them.
 * @returns the state each leader writes on its member, when it differs from its own
 */
function shareMembers(work: Work[], linked: readonly PersonRow[]): Map<Work, PersonState> {
    const groups = new Map<string, Work[]>();
    for (const item of work) {
        if (item.outcome !== 'pending') continue;
        const key = item.sfId ?? `new:${emailKey(item.email)}`;
        groups.set(key, [...(groups.get(key) ?? []), item]);
    }
    const inPass = new Set(work.map((item) => item.row.personId));
    const states = new Map<Work, PersonState>();
    for (const [key, items] of groups) {
        const leader = items.find((item) => item.memberId) ?? items.find((item) => item.sfId) ?? items[0]!;
        for (const item of items) if (item !== leader) item.leader = leader;
        const others = linked.filter((row) => row.sfId === key && !inPass.has(row.personId));
        if (!leader.memberId) leader.memberId = others.find((row) => row.memberId)?.memberId ?? null;
        const candidates = [...items.map((item) => item.row.state), ...others.map((row) => row.state)];
        if (candidates.length === 1) continue;
        const best = candidates.reduce((top, state) =>
            ATTENDANCE_RANK[state.attendance] > ATTENDANCE_RANK[top.attendance] ? state : top
        );
        const replay = candidates.find((state) => state.replayWatched);
        states.set(leader, {
            ...best,
            replayWatched: replay !== undefined,
            replayWatchedAt: best.replayWatchedAt ?? replay?.replayWatchedAt ?? null
        });
    }
    return states;
}

/**
 * Finds where registrants went whose stored record or member moved, from one lookup request: the member's current
 * parent if it is still on the Campaign (a merge re-parents it to the master, a conversion adds the Contact), else the
 * stored record read with queryAll — a merged one leads to its `MasterRecordId`, a converted Lead to its Contact, a
 * live one is still right (only the member was removed). The rest are matched by e-mail again.
 * @returns the ids known to lead nowhere (deleted without a merge, or purged), never to be matched again
 */
export function relocatePeople(
    items: (Resolvable & { previous: PreviousLink | null; memberId: string | null })[],
    members: { Id: string; LeadId: string | null; ContactId: string | null }[] | undefined,
    contacts: Record<string, unknown>[] | undefined,
    leads: Record<string, unknown>[] | undefined,
    logger: Logger,
    sessionId: string
): Set<string> {
    const dead = new Set<string>();
    const byId = new Map<string, Record<string, unknown>>();
    for (const row of [...(contacts ?? []), ...(leads ?? [])]) byId.set(String(row.Id), row);
    for (const item of items) {
        const previous = item.previous;
        if (!previous) continue;
        const member = previous.memberId ? members?.find((row) => row.Id === previous.memberId) : undefined;
        let found: Resolution | null = null;
        let how = '';
        if (member && (member.ContactId || member.LeadId)) {
            found = member.ContactId
                ? { object: 'Contact', id: member.ContactId, record: null }
                : { object: 'Lead', id: member.LeadId!, record: null };
            item.memberId = member.Id;
            how = 'its Campaign member now belongs to this record';
        } else if (previous.id && previous.object) {
            const row = byId.get(previous.id);
            if (row?.IsConverted === true && row.ConvertedContactId) {
                found = { object: 'Contact', id: String(row.ConvertedContactId), record: null };
                how = 'the Lead was converted';
            } else if (row?.IsDeleted === true && row.MasterRecordId) {
                found = { object: previous.object, id: String(row.MasterRecordId), record: null };
                how = `the ${previous.object} was merged into another one`;
            } else if (row && row.IsDeleted !== true) {
                found = { object: previous.object, id: previous.id, record: row };
                how = 'the record is still there';
            } else dead.add(previous.id);
        }
        if (!found) continue;
        item.resolution = found;
        logger.info(
            { sessionId, personId: item.row.personId, from: previous.id, to: found.id },
            "a registrant's Salesforce record moved: %s",
            how
        );
    }
    return dead;
}

/**
 * Matches people to existing records: a Contact by e-mail first, else an unconverted Lead, else the Contact a
 * converted Lead became. Several matches: the oldest record (CreatedDate, then Id) — stable across sessions, so a
 * person is always added through the same record. Case-insensitive, as Salesforce compares e-mails. Rows read with
 * queryAll may be merged records (deleted, `MasterRecordId` set): they stand for their master, after the live ones of
 * their type; other deleted rows and the ids in `dead` are never used.
 */
export function resolvePeople(
    items: Resolvable[],
    contacts: Record<string, unknown>[] | undefined,
    leads: Record<string, unknown>[] | undefined,
    logger: Logger,
    sessionId: string,
    dead: ReadonlySet<string> = new Set()
) {
    const byEmail = <T extends Record<string, unknown>>(rows: T[] | undefined) => {
        const map = new Map<string, T[]>();
        for (const row of rows ?? []) {
            const key = emailKey(String(row.Email ?? ''));
            map.set(key, [...(map.get(key) ?? []), row]);
        }
        return map;
    };
    const live = (row: Record<string, unknown>) => row.IsDeleted !== true && !dead.has(String(row.Id));
    const merged = (row: Record<string, unknown>) =>
        row.IsDeleted === true && !!row.MasterRecordId && !dead.has(String(row.MasterRecordId));
    const contactsByEmail = byEmail(contacts);
    const leadsByEmail = byEmail(leads);
    for (const item of items) {
        const key = emailKey(item.email);
        const contactRows = contactsByEmail.get(key) ?? [];
        const leadRows = leadsByEmail.get(key) ?? [];
        const contactMatches = contactRows.filter(live);
        const mergedContacts = contactRows.filter(merged);
        const openLeads = leadRows.filter((lead) => live(lead) && lead.IsConverted !== true);
        const mergedLeads = leadRows.filter((lead) => merged(lead) && lead.IsConverted !== true);
        const converted = leadRows.filter(
            (lead) =>
                lead.IsConverted === true &&
                lead.IsDeleted !== true &&
                lead.ConvertedContactId &&
                !dead.has(String(lead.ConvertedContactId))
        );
        if (contactMatches.length + openLeads.length > 1) {
            logger.info(
                {
                    sessionId,
                    personId: item.row.personId,
                    contacts: contactMatches.length,
                    leads: openLeads.length
                },
                'several records share this e-mail: using the oldest %s',
                contactMatches.length ? 'Contact' : 'Lead'
            );
        }
        if (contactMatches[0])
            item.resolution = {
                object: 'Contact',
                id: String(contactMatches[0].Id),
                record: contactMatches[0]
            };
        else if (mergedContacts[0])
            item.resolution = {
                object: 'Contact',
                id: String(mergedContacts[0].MasterRecordId),
                record: null
            };
        else if (openLeads[0])
            item.resolution = { object: 'Lead', id: String(openLeads[0].Id), record: openLeads[0] };
        else if (mergedLeads[0])
            item.resolution = { object: 'Lead', id: String(mergedLeads[0].MasterRecordId), record: null };
        else if (converted[0])
            item.resolution = {
                object: 'Contact',
                id: String(converted[0].ConvertedContactId),
                record: null
            };
    }
}

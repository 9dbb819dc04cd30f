// Behaviour settings: the JSON config file (CONFIG_FILE). Every key is optional; the defaults reproduce Livestorm's
// own integration. Validated by zod so a typo is reported with its path instead of being silently ignored.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/**
 * Where a mapped value comes from. Standard registration fields by name (first_name, last_name, email, company,
 * job_title, phone, city, country, website), any registration field by id as `field:<id>`, the UTM values, and the
 * engagement figures Livestorm reports for a person in a session.
 */
export const MAPPING_SOURCES = [
    'first_name',
    'last_name',
    'email',
    'company',
    'job_title',
    'phone',
    'city',
    'country',
    'website',
    'utm_source',
    'utm_medium',
    'utm_campaign',
    'utm_term',
    'utm_content',
    'referrer',
    'ip_city',
    'ip_country',
    'connection_link',
    'registered_at',
    'person_id',
    'attendance_duration',
    'attendance_rate',
    'messages_count',
    'questions_count',
    'votes_count',
    'up_votes_count',
    'replay_watched_at'
] as const;
export type StandardMappingSource = (typeof MAPPING_SOURCES)[number];

const mappingSourceSchema = z.union([
    z.enum(MAPPING_SOURCES),
    // The message of a source that is neither: say every accepted form (a string outside the list lands here).
    z
        .string()
        .regex(
            /^field:.+$/,
            'must be a registration field (first_name, last_name, email, company, job_title, phone, city, country, website), "field:<field id>" for a custom registration field, a UTM value (utm_source…) or an engagement figure (attendance_duration…)'
        )
]);

const apiName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be a Salesforce field API name');

export const fieldMappingSchema = z.object({
    from: mappingSourceSchema,
    to: apiName,
    /** fill: write only when the Salesforce field is empty (existing records); overwrite: always write. */
    mode: z.enum(['fill', 'overwrite']).default('fill')
});
export type FieldMapping = z.infer<typeof fieldMappingSchema>;

const DEFAULT_LEAD_MAPPING: FieldMapping[] = [
    { from: 'first_name', to: 'FirstName', mode: 'fill' },
    { from: 'last_name', to: 'LastName', mode: 'fill' },
    { from: 'email', to: 'Email', mode: 'fill' },
    { from: 'company', to: 'Company', mode: 'fill' },
    { from: 'job_title', to: 'Title', mode: 'fill' },
    { from: 'phone', to: 'Phone', mode: 'fill' },
    { from: 'city', to: 'City', mode: 'fill' },
    { from: 'country', to: 'Country', mode: 'fill' },
    { from: 'website', to: 'Website', mode: 'fill' }
];

const DEFAULT_CONTACT_MAPPING: FieldMapping[] = [
    { from: 'first_name', to: 'FirstName', mode: 'fill' },
    { from: 'last_name', to: 'LastName', mode: 'fill' },
    { from: 'email', to: 'Email', mode: 'fill' },
    { from: 'job_title', to: 'Title', mode: 'fill' },
    { from: 'phone', to: 'Phone', mode: 'fill' },
    { from: 'city', to: 'MailingCity', mode: 'fill' },
    { from: 'country', to: 'MailingCountry', mode: 'fill' }
];

/** CampaignMember fields are ours: they are always written (mode is ignored). */
const DEFAULT_MEMBER_MAPPING: FieldMapping[] = [
    { from: 'attendance_duration', to: 'Livestorm_Attendance_Duration__c', mode: 'overwrite' },
    { from: 'attendance_rate', to: 'Livestorm_Attendance_Rate__c', mode: 'overwrite' },
    { from: 'messages_count', to: 'Livestorm_Messages_Count__c', mode: 'overwrite' },
    { from: 'questions_count', to: 'Livestorm_Questions_Count__c', mode: 'overwrite' },
    { from: 'votes_count', to: 'Livestorm_Votes_Count__c', mode: 'overwrite' },
    { from: 'up_votes_count', to: 'Livestorm_Up_Votes_Count__c', mode: 'overwrite' },
    { from: 'connection_link', to: 'Livestorm_Join_Link__c', mode: 'overwrite' },
    { from: 'registered_at', to: 'Livestorm_Registered_At__c', mode: 'overwrite' },
    { from: 'replay_watched_at', to: 'Livestorm_Replay_Watched_At__c', mode: 'overwrite' },
    { from: 'person_id', to: 'Livestorm_Person_Id__c', mode: 'overwrite' },
    { from: 'utm_source', to: 'Livestorm_UTM_Source__c', mode: 'overwrite' },
    { from: 'utm_medium', to: 'Livestorm_UTM_Medium__c', mode: 'overwrite' },
    { from: 'utm_campaign', to: 'Livestorm_UTM_Campaign__c', mode: 'overwrite' },
    { from: 'utm_term', to: 'Livestorm_UTM_Term__c', mode: 'overwrite' },
    { from: 'utm_content', to: 'Livestorm_UTM_Content__c', mode: 'overwrite' },
    { from: 'referrer', to: 'Livestorm_Referrer__c', mode: 'overwrite' }
];

const fieldValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** An AssignmentRule record Id: key prefix 01Q, 15 or 18 characters. */
export const ASSIGNMENT_RULE_ID = /^01Q[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/;

/**
 * Who owns the Leads the listener creates: "org-rules" (the org's active Lead assignment rule routes them), "none"
 * (they stay with the integration user) or the Id of one Lead assignment rule (active or not) applied to them.
 * Existing records are never reassigned, whatever this says.
 */
export const leadAssignmentSchema = z
    .string()
    .refine((value) => value === 'org-rules' || value === 'none' || ASSIGNMENT_RULE_ID.test(value), {
        message:
            'must be "org-rules", "none" or the Id of a Lead assignment rule (15 or 18 characters starting with 01Q, from Setup › Lead Assignment Rules)'
    });

export const settingsSchema = z
    .object({
        /** New events are synced unless disabled. */
        enabledByDefault: z.boolean().default(true),
        /** Per-event overrides by Livestorm event id (the command line and admin page override these). */
        events: z.record(z.string(), z.boolean()).default({}),
        /** Create Contacts instead of Leads for unknown registrants. */
        createContacts: z.boolean().default(false),
        /** Account for new Contacts: a fixed Account id, or find-or-create by the registrant's company name. */
        contactAccount: z
            .discriminatedUnion('strategy', [
                z.object({
                    strategy: z.literal('company'),
                    fallbackName: z.string().min(1).default('Livestorm registrants')
                }),
                z.object({
                    strategy: z.literal('fixed'),
                    accountId: z
                        .string()
                        .regex(/^001[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/, 'must be an Account id (001…)')
                })
            ])
            .default({ strategy: 'company', fallbackName: 'Livestorm registrants' }),
        /** Livestorm team members (hosts, speakers) are not synced unless this is on. */
        syncTeamMembers: z.boolean().default(false),
        campaign: z
            .object({
                /** Placeholders: {event title}, {YYYY-MM-DD} (session date in its timezone), {session name}. */
                nameTemplate: z.string().min(1).default('{event title} - {YYYY-MM-DD}'),
                /** Field values set on Campaigns the listener creates (Type, Status, IsActive, custom fields...). */
                defaults: z.record(apiName, fieldValue).default({ Type: 'Webinar', IsActive: true }),
                /** Status given to the Campaign of a canceled session. */
                canceledStatus: z.string().default('Aborted'),
                /** Optional parent Campaign for every session Campaign. */
                parentId: z.string().nullable().default(null)
            })
            .default({
                nameTemplate: '{event title} - {YYYY-MM-DD}',
                defaults: { Type: 'Webinar', IsActive: true },
                canceledStatus: 'Aborted',
                parentId: null
            }),
        /** Values used when a field Salesforce requires has no value (standard LastName/Company and required custom fields). */
        fallbacks: z
            .record(apiName, fieldValue)
            .default({ LastName: '[not provided]', Company: '[not provided]' }),
        mapping: z
            .object({
                lead: z.array(fieldMappingSchema).default(DEFAULT_LEAD_MAPPING),
                contact: z.array(fieldMappingSchema).default(DEFAULT_CONTACT_MAPPING),
                member: z.array(fieldMappingSchema).default(DEFAULT_MEMBER_MAPPING)
            })
            .default({
                lead: DEFAULT_LEAD_MAPPING,
                contact: DEFAULT_CONTACT_MAPPING,
                member: DEFAULT_MEMBER_MAPPING
            }),
        /** LeadSource of Leads and Contacts the listener creates (null: leave empty). */
        leadSource: z.string().nullable().default('Livestorm'),
        /** Owner of the Leads the listener creates (see leadAssignmentSchema); existing owners never change. */
        leadAssignment: leadAssignmentSchema.default('org-rules'),
        /** Pass `Sforce-Duplicate-Rule-Header: allowSave=true` so "Alert" duplicate rules do not block our writes. */
        duplicateRuleAllowSave: z.boolean().default(true),
        /** The listener pauses once the org (all integrations together) has used this share of its daily API allocation. */
        apiBudgetShare: z.number().gt(0).max(1).default(0.8),
        /** After session.ended, people still without attendance are read from Livestorm after this delay. */
        attendanceReconcileSeconds: z.number().int().min(0).default(600),
        /** Sessions that ended before the listener was first started get a Campaign only through a backfill. */
        syncPastSessions: z.boolean().default(false),
        /**
         * A burst of deliveries (12+ people of one session within this window) is written once it has been quiet
         * this long; a trickle is written after min(this, 100 ms) (sync/batch-window.ts)...
         */
        batchWindowMs: z.number().int().min(0).max(60_000).default(250),
        /**
         * ...or at the latest this long after its first unwritten change, so a long burst still shows up promptly; a
         * wave still arriving then fast enough to fill a whole pass before twice this long is written as that one pass
         * (at the latest 2 × this after its first change).
         */
        maxBatchWaitMs: z.number().int().min(0).max(300_000).default(3000),
        /** Upcoming sessions are re-read from Livestorm this often to catch reschedules and cancellations. */
        refreshIntervalMinutes: z.number().min(1).default(60),
        /** Write nothing to Salesforce; log what would be written. */
        dryRun: z.boolean().default(false)
    })
    .strict();

export type Settings = z.infer<typeof settingsSchema>;

export class SettingsError extends Error {
    override name = 'SettingsError';
}

/** The built-in defaults (no config file). */
export function defaultSettings(): Settings {
    return settingsSchema.parse({});
}

/**
 * Validates settings from any JSON value.
 * @throws SettingsError naming the first wrong keys and the file they came from
 */
export function parseSettings(json: unknown, source = 'settings'): Settings {
    const result = settingsSchema.safeParse(json);
    if (!result.success) {
        const detail = result.error.issues
            .slice(0, 5)
            .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
            .join('; ');
        throw new SettingsError(`${source} is invalid: ${detail}`);
    }
    return result.data;
}

/**
 * Reads the config file. A missing file means the built-in defaults; an unreadable or invalid one is an error.
 * @throws SettingsError
 */
export async function loadSettings(file: string): Promise<Settings> {
    let text: string;
    try {
        text = await readFile(file, 'utf8');
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return defaultSettings();
        throw new SettingsError(`CONFIG_FILE ${file} cannot be read: ${(error as Error).message}`);
    }
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (error) {
        throw new SettingsError(`CONFIG_FILE ${file} is not valid JSON: ${(error as Error).message}`);
    }
    return parseSettings(json, `CONFIG_FILE ${file}`);
}

/**
 * Writes settings to the config file atomically (a temporary file renamed over it): a crash never leaves half a file.
 * @throws SettingsError when the file cannot be written
 */
export async function saveSettings(file: string, settings: Settings): Promise<void> {
    const { writeFile, rename } = await import('node:fs/promises');
    const temporary = `${file}.${process.pid}.tmp`;
    try {
        await writeFile(temporary, `${JSON.stringify(settings, null, 4)}\n`, 'utf8');
        await rename(temporary, file);
    } catch (error) {
        throw new SettingsError(`CONFIG_FILE ${file} cannot be written: ${(error as Error).message}`);
    }
}

/** Replaces the live settings in place: every part of the listener holding the object sees the new values. */
export function applySettings(live: Settings, next: Settings): void {
    for (const key of Object.keys(live) as (keyof Settings)[]) delete live[key];
    Object.assign(live, next);
}

// `livestorm-sf doctor`: checks every Salesforce prerequisite for the user the listener connects as, with the same
// environment and credentials, and says how to fix what fails. Three Salesforce API calls at most: the versions
// list, the resources of the configured version (which also names the connected user), and one /composite with the
// describes and the queries (member statuses, Lead assignment rules, the user).
import type { DescribeField } from '../sync/org-metadata.ts';
import {
    assignmentRulesFrom,
    LEAD_ASSIGNMENT_RULES_SOQL,
    leadAssignmentProblem
} from '../sync/org-metadata.ts';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { ConfigError, parseEnv, secretValues } from '../config/env.ts';
import type { Config, Env } from '../config/env.ts';
import { SettingsError } from '../config/settings.ts';
import type { Settings } from '../config/settings.ts';
import { createSecretScrubber } from '../logger.ts';
import { createSalesforceConnection, SalesforceError } from '../salesforce/connection.ts';
import type { CompositeSubresponse, SalesforceConnection } from '../salesforce/connection.ts';
import { soqlId, soqlString } from '../salesforce/soql.ts';
import type { CliCommand } from './command.ts';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface DoctorCheck {
    /** Stable key for --json consumers, e.g. "marketing-user". */
    id: string;
    status: CheckStatus;
    /** One line: what was found. */
    message: string;
    /** For a failure: the fix, in one sentence. */
    fix?: string;
}

export interface DoctorReport {
    ok: boolean;
    checks: DoctorCheck[];
    salesforceApiCalls: number;
}

export interface DoctorOptions {
    /** The integration user's username, when the org does not say who the credentials belong to. */
    username?: string;
    /** The SFDX package whose fields are checked; default <repo>/force-app. */
    forceAppDir?: string;
    fetch?: typeof fetch;
}

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DEFAULT_FORCE_APP_DIR = join(REPO_ROOT, 'force-app');

/** Objects the listener creates or edits, with the access it needs on each. */
const OBJECT_ACCESS = [
    { object: 'Campaign', label: 'Campaigns', update: true },
    { object: 'CampaignMember', label: 'Campaign Members', update: true },
    { object: 'Lead', label: 'Leads', update: true },
    { object: 'Contact', label: 'Contacts', update: true },
    { object: 'Account', label: 'Accounts', update: false }
] as const;

/** Objects whose required custom fields block the creates the listener makes. */
const CREATED_OBJECTS = ['Campaign', 'Lead', 'Contact'] as const;

const REPLAY_STATUS_FIELD = 'Livestorm_Replay_Status__c';
const MEMBER_STATUS_TYPE = 'Livestorm_Member_Status__mdt';
const MEMBER_STATES = ['registered', 'attended', 'not_attended'] as const;
/** The length of CampaignMemberStatus.Label. */
const STATUS_LABEL_MAX = 40;

const PERMSET_FIX =
    'Assign the Livestorm Integration permission set to the integration user (npm run org:permsets -- --on-behalf-of <username>).';
const DEPLOY_FIX =
    'Deploy the package (npm run org:deploy), then assign the Livestorm Integration permission set to the integration user.';

export interface PackageFields {
    /** Livestorm field API names by object, from force-app/main/default/objects/<Object>/fields. */
    fields: Record<string, string[]>;
    /** The values of the Livestorm Replay Status picklist. */
    replayStatusValues: string[];
}

/**
 * The fields the package deploys on standard objects, read from its source so a new field is checked without a
 * code change.
 * @throws Error when the package folder cannot be read
 */
export function readPackageFields(forceAppDir: string = DEFAULT_FORCE_APP_DIR): PackageFields {
    const objectsDir = join(forceAppDir, 'main', 'default', 'objects');
    const fields: Record<string, string[]> = {};
    for (const object of readdirSync(objectsDir)) {
        // Custom metadata types are checked by their records, not by field access.
        if (object.endsWith('__mdt')) continue;
        let files: string[];
        try {
            files = readdirSync(join(objectsDir, object, 'fields'));
        } catch {
            continue;
        }
        const names = files
            .filter((file) => file.endsWith('.field-meta.xml'))
            .map((file) => file.slice(0, -'.field-meta.xml'.length))
            .sort();
        if (names.length > 0) fields[object] = names;
    }
    const replayFile = join(objectsDir, 'CampaignMember', 'fields', `${REPLAY_STATUS_FIELD}.field-meta.xml`);
    const parsed = new XMLParser({ isArray: (name) => name === 'value' }).parse(
        readFileSync(replayFile, 'utf8')
    ) as {
        CustomField?: { valueSet?: { valueSetDefinition?: { value?: { fullName?: unknown }[] } } };
    };
    const replayStatusValues = (parsed.CustomField?.valueSet?.valueSetDefinition?.value ?? []).map((value) =>
        String(value.fullName)
    );
    return { fields, replayStatusValues };
}

interface Describe {
    name: string;
    label: string;
    createable: boolean;
    updateable: boolean;
    fields: DescribeField[];
}

const pass = (id: string, message: string): DoctorCheck => ({ id, status: 'pass', message });
const fail = (id: string, message: string, fix: string): DoctorCheck => ({
    id,
    status: 'fail',
    message,
    fix
});
const skip = (id: string, message: string): DoctorCheck => ({ id, status: 'skip', message });

function errorText(body: unknown): string {
    if (Array.isArray(body) && body[0] && typeof body[0] === 'object') {
        const first = body[0] as { errorCode?: string; message?: string };
        return `${first.errorCode ?? 'ERROR'}: ${first.message ?? ''}`.trim();
    }
    return JSON.stringify(body)?.slice(0, 200) ?? 'no answer';
}

/** The user id at the end of an identity URL (https://login.salesforce.com/id/<org id>/<user id>). */
function userIdOf(identityUrl: unknown): string | undefined {
    if (typeof identityUrl !== 'string') return undefined;
    const last = identityUrl.replace(/\/+$/, '').split('/').at(-1) ?? '';
    return /^005[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/.test(last) ? last : undefined;
}

/** Whom the credentials act as when the org's answer does not say: the username the configuration names. */
function configuredUsername(config: Config, options: DoctorOptions): string | undefined {
    if (options.username) return options.username;
    if (config.salesforce.mode === 'jwt') return config.salesforce.username;
    if (config.salesforce.mode === 'sf_cli' && config.salesforce.targetOrg.includes('@')) {
        return config.salesforce.targetOrg;
    }
    return undefined;
}

function credentialFailure(config: Config, error: unknown): DoctorCheck {
    const mode = config.salesforce.mode;
    const fixes: Record<typeof mode, string> = {
        token: 'Get a fresh access token (e.g. `sf org display --target-org <alias>`) and set SF_ACCESS_TOKEN and SF_INSTANCE_URL again: a static token expires with the session and cannot be refreshed.',
        client_credentials:
            'Check SF_LOGIN_URL (your My Domain URL), SF_CLIENT_ID and SF_CLIENT_SECRET against the External Client App, and that its client credentials flow is enabled with the integration user as run-as user.',
        jwt: 'Check SF_LOGIN_URL, SF_CLIENT_ID, SF_USERNAME and SF_JWT_KEY_FILE: the app must hold the certificate of that key and the user must be pre-authorized for the app.',
        sf_cli: 'Log in again with `sf org login web --alias <SF_TARGET_ORG>` on this machine.'
    };
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof SalesforceError && error.errorCode === 'INVALID_SESSION_ID') {
        return fail(
            'credentials',
            `Salesforce refused the session (INVALID_SESSION_ID: the token is expired, revoked or belongs to another org).`,
            fixes[mode]
        );
    }
    return fail('credentials', `No Salesforce session: ${reason}`, fixes[mode]);
}

function apiAccessFailure(error: SalesforceError): DoctorCheck {
    if (error.errorCode === 'API_DISABLED_FOR_ORG') {
        return fail(
            'api-access',
            'The org has no API access (API_DISABLED_FOR_ORG): its edition does not include the REST API.',
            'Use an edition with API access (Enterprise, Unlimited, Performance, Developer) or buy the API add-on for Professional Edition.'
        );
    }
    if (error.errorCode === 'API_CURRENTLY_DISABLED') {
        return fail(
            'api-access',
            'The integration user may not use the API (API_CURRENTLY_DISABLED: the API Enabled permission is missing).',
            PERMSET_FIX
        );
    }
    return fail('api-access', `The REST API answered with an error: ${error.message}`, PERMSET_FIX);
}

function describeChecks(describes: Map<string, Describe>, failures: Map<string, string>): DoctorCheck[] {
    return OBJECT_ACCESS.map(({ object, label, update }) => {
        const id = `access-${object}`;
        const describe = describes.get(object);
        const wanted = update ? 'create and edit' : 'create';
        if (!describe) {
            return fail(
                id,
                `${label}: no access (${failures.get(object) ?? 'the describe failed'}); the listener needs ${wanted}.`,
                PERMSET_FIX
            );
        }
        const missing = [
            ...(describe.createable ? [] : ['create']),
            ...(update && !describe.updateable ? ['edit'] : [])
        ];
        if (missing.length === 0) return pass(id, `${label}: ${wanted}.`);
        const fix =
            object === 'CampaignMember'
                ? 'Campaign Member access follows from edit on Campaigns, Leads and Contacts plus the Marketing User checkbox: fix those first.'
                : PERMSET_FIX;
        return fail(id, `${label}: the integration user cannot ${missing.join(' or ')} them.`, fix);
    });
}

function packageFieldChecks(describes: Map<string, Describe>, packageFields: PackageFields): DoctorCheck[] {
    const checks: DoctorCheck[] = [];
    for (const [object, names] of Object.entries(packageFields.fields)) {
        const id = `fields-${object}`;
        const describe = describes.get(object);
        if (!describe) {
            checks.push(skip(id, `Livestorm fields on ${object}: not checked (no access to ${object}).`));
            continue;
        }
        const byName = new Map(describe.fields.map((field) => [field.name.toLowerCase(), field]));
        const absent = names.filter((name) => !byName.has(name.toLowerCase()));
        const readOnly = names.filter((name) => {
            const field = byName.get(name.toLowerCase());
            return field !== undefined && !field.updateable;
        });
        if (absent.length === 0 && readOnly.length === 0) {
            checks.push(
                pass(id, `Livestorm fields on ${describe.label}: all ${names.length} present and editable.`)
            );
            continue;
        }
        const problems = [
            ...(absent.length ? [`missing or hidden: ${absent.join(', ')}`] : []),
            ...(readOnly.length ? [`read-only: ${readOnly.join(', ')}`] : [])
        ];
        checks.push(
            fail(
                id,
                `Livestorm fields on ${describe.label}: ${problems.join('; ')}.`,
                absent.length ? DEPLOY_FIX : PERMSET_FIX
            )
        );
    }
    return checks;
}

function replayStatusCheck(describes: Map<string, Describe>, expected: string[]): DoctorCheck {
    const id = 'replay-status';
    const member = describes.get('CampaignMember');
    if (!member)
        return skip(
            id,
            'Campaign Member field "Livestorm Replay Status": not checked (no access to Campaign Members).'
        );
    const field = member.fields.find(
        (candidate) => candidate.name.toLowerCase() === REPLAY_STATUS_FIELD.toLowerCase()
    );
    if (!field) {
        return fail(
            id,
            `Campaign Member field "Livestorm Replay Status" (${REPLAY_STATUS_FIELD}) is missing or hidden.`,
            DEPLOY_FIX
        );
    }
    const values = (field.picklistValues ?? [])
        .filter((value) => value.active !== false)
        .map((value) => value.value);
    const missing = expected.filter((value) => !values.includes(value));
    if (missing.length > 0) {
        return fail(
            id,
            `"Livestorm Replay Status" lacks the value${missing.length > 1 ? 's' : ''} ${missing.map((value) => `"${value}"`).join(' and ')}.`,
            'Deploy the package again (npm run org:deploy) or add the values in Setup › Object Manager › Campaign Member › Livestorm Replay Status.'
        );
    }
    if (!field.updateable)
        return fail(id, '"Livestorm Replay Status" is read-only for the integration user.', PERMSET_FIX);
    return pass(id, `"Livestorm Replay Status" has ${expected.map((value) => `"${value}"`).join(' and ')}.`);
}

interface StatusRecord {
    DeveloperName?: string;
    Livestorm_State__c?: string | null;
    Status_Label__c?: string | null;
}

function memberStatusCheck(response: CompositeSubresponse | undefined): DoctorCheck {
    const id = 'member-statuses';
    if (!response || response.httpStatusCode !== 200) {
        return fail(
            id,
            `Livestorm Member Status (custom metadata) cannot be read: ${errorText(response?.body)}.`,
            DEPLOY_FIX
        );
    }
    const records = (response.body as { records?: StatusRecord[] }).records ?? [];
    const byState = new Map(records.map((record) => [record.Livestorm_State__c ?? '', record]));
    const missing = MEMBER_STATES.filter((state) => !byState.has(state));
    const tooLong = records.filter(
        (record) => (record.Status_Label__c ?? '').trim().length > STATUS_LABEL_MAX
    );
    const empty = records.filter((record) => (record.Status_Label__c ?? '').trim() === '');
    const problems = [
        ...(records.length !== MEMBER_STATES.length
            ? [`${records.length} records instead of ${MEMBER_STATES.length}`]
            : []),
        ...(missing.length ? [`no record for ${missing.join(', ')}`] : []),
        ...tooLong.map(
            (record) => `label of ${record.DeveloperName} is longer than ${STATUS_LABEL_MAX} characters`
        ),
        ...empty.map((record) => `label of ${record.DeveloperName} is empty`)
    ];
    if (problems.length > 0) {
        return fail(
            id,
            `Livestorm Member Status: ${problems.join('; ')}.`,
            'Fix the records in Setup › Custom Metadata Types › Livestorm Member Status › Manage Records (one per state, labels of 40 characters at most).'
        );
    }
    const labels = MEMBER_STATES.map((state) => byState.get(state)?.Status_Label__c ?? '');
    return pass(id, `Livestorm Member Status: ${records.length} records (${labels.join(', ')}).`);
}

/**
 * The leadAssignment setting against the org's Lead assignment rules: a rule Id must exist (the listener does not
 * write until it does); "org-rules" says which rule routes new Leads, if any.
 */
function leadAssignmentCheck(response: CompositeSubresponse | undefined, setting: string): DoctorCheck {
    const id = 'lead-assignment';
    const rules = assignmentRulesFrom(response);
    if (setting === 'none')
        return pass(id, 'Leads the listener creates stay with the integration user (leadAssignment "none").');
    if (rules === null) {
        return setting === 'org-rules'
            ? skip(id, `Lead assignment rules: not checked (${errorText(response?.body)}).`)
            : fail(
                  id,
                  `The assignment rule ${setting} (leadAssignment) cannot be checked: ${errorText(response?.body)}.`,
                  'Give the integration user "View Setup and Configuration", or set leadAssignment to "org-rules" or "none".'
              );
    }
    if (setting === 'org-rules') {
        const active = rules.find((rule) => rule.active);
        return pass(
            id,
            active
                ? `New Leads are routed by the org's active assignment rule "${active.name}" (${active.id}); existing owners never change.`
                : 'The org has no active Lead assignment rule: new Leads stay with the integration user.'
        );
    }
    const problem = leadAssignmentProblem(setting, rules);
    if (problem)
        return fail(id, problem, 'Copy the Id from Setup › Lead Assignment Rules into leadAssignment.');
    const rule = rules.find((candidate) => candidate.id.slice(0, 15) === setting.slice(0, 15))!;
    return pass(
        id,
        `New Leads are routed by the assignment rule "${rule.name}" (${rule.id}${rule.active ? '' : ', inactive'}); existing owners never change.`
    );
}

/**
 * Whether the org has State and Country/Territory Picklists (the code fields exist in describe): then mapped countries
 * and states are written as the org's codes, and values it does not list are left out with a warning.
 */
function addressPicklistCheck(describes: Map<string, Describe>): DoctorCheck {
    const id = 'address-picklists';
    const withCodes = ['Lead', 'Contact'].filter((object) =>
        describes.get(object)?.fields.some((field) => /CountryCode$/.test(field.name))
    );
    if (withCodes.length === 0)
        return pass(
            id,
            'Countries and states are plain text in this org: they are written as Livestorm has them.'
        );
    return pass(
        id,
        `State and Country/Territory Picklists are on (${withCodes.join(', ')}): countries and states are written as the org's codes; a value the org does not list is left out with a warning on the person.`
    );
}

function requiredFieldChecks(describes: Map<string, Describe>, settings: Settings): DoctorCheck[] {
    const checks: DoctorCheck[] = [];
    const unchecked: string[] = [];
    for (const object of CREATED_OBJECTS) {
        const describe = describes.get(object);
        if (!describe) {
            unchecked.push(object);
            continue;
        }
        const required = describe.fields.filter(
            (field) =>
                field.custom &&
                field.createable &&
                !field.nillable &&
                !field.defaultedOnCreate &&
                !field.calculated &&
                !field.autoNumber &&
                field.type !== 'boolean'
        );
        for (const field of required) {
            const id = `required-${object}.${field.name}`;
            const name = `${object}.${field.name}`;
            // The same look-ups the listener makes when it creates a record (sync/records.ts).
            const fromDefaults = object === 'Campaign' ? settings.campaign.defaults[field.name] : undefined;
            // Fallbacks are never applied to lookups: no placeholder value can point at a record.
            const fromFallbacks = field.type === 'reference' ? undefined : settings.fallbacks[field.name];
            if (fromDefaults !== undefined && fromDefaults !== null) {
                checks.push(
                    pass(
                        id,
                        `Required field ${name} is filled from campaign.defaults: ${JSON.stringify(fromDefaults)}.`
                    )
                );
            } else if (fromFallbacks !== undefined && fromFallbacks !== null) {
                checks.push(
                    pass(
                        id,
                        `Required field ${name} is filled from fallbacks: ${JSON.stringify(fromFallbacks)}.`
                    )
                );
            } else {
                const where =
                    object === 'Campaign'
                        ? `"campaign": { "defaults": { "${field.name}": … } }`
                        : field.type === 'reference'
                          ? undefined
                          : `"fallbacks": { "${field.name}": … }`;
                const consequence =
                    field.type === 'reference'
                        ? 'a lookup the listener cannot fill, so every create fails'
                        : 'the listener would write a placeholder value of its type';
                checks.push(
                    fail(
                        id,
                        `Required field ${name} (${field.label}, ${field.type}) has no default and no value in the config file: ${consequence}.`,
                        where
                            ? `Give it a value with ${where} in the config file, or a default value (or not required) in Setup › Object Manager › ${describe.label}.`
                            : `Give it a default value or make it not required in Setup › Object Manager › ${describe.label}.`
                    )
                );
            }
        }
    }
    if (checks.length === 0 && unchecked.length < CREATED_OBJECTS.length) {
        const checked = CREATED_OBJECTS.filter((object) => !unchecked.includes(object));
        checks.push(
            pass('required-fields', `No required custom field without a default on ${checked.join(', ')}.`)
        );
    }
    if (unchecked.length > 0) {
        checks.push(
            skip(
                'required-fields-unchecked',
                `Required custom fields on ${unchecked.join(', ')}: not checked (no access).`
            )
        );
    }
    return checks;
}

async function salesforceChecks(
    config: Config,
    settings: Settings,
    packageFields: PackageFields | Error,
    connection: SalesforceConnection,
    options: DoctorOptions
): Promise<DoctorCheck[]> {
    const checks: DoctorCheck[] = [];
    const apiVersion = config.salesforce.apiVersion;
    let credentialsAccepted: DoctorCheck;
    try {
        const instanceUrl = await connection.instanceUrl();
        credentialsAccepted = pass(
            'credentials',
            `Salesforce accepts ${connection.authDescription} (${instanceUrl}).`
        );
    } catch (error) {
        // A token request refused (SalesforceAuthError) or an unreadable key file or sf CLI org.
        return [credentialFailure(config, error)];
    }

    // 1. Which versions the org serves (answers without a session, so it cannot prove the credentials).
    try {
        const versions = await connection.request<{ version: string }[]>('GET', '/services/data/');
        const served = versions.map((entry) => entry.version);
        const newest = served.at(-1) ?? 'none';
        if (!served.includes(apiVersion)) {
            return [
                skip('credentials', 'Credentials: not checked until the API version is one the org serves.'),
                fail(
                    'api-version',
                    `API version ${apiVersion} is not served by this org (newest: ${newest}).`,
                    `Set SF_API_VERSION to ${newest} or lower, and deploy the package with the same version.`
                )
            ];
        }
        checks.push(
            pass('api-version', `API version ${apiVersion} is served by the org (newest: ${newest}).`)
        );
    } catch (error) {
        if (error instanceof SalesforceError && error.kind === 'transient') {
            return [
                fail(
                    'credentials',
                    `Salesforce cannot be reached: ${error.message}`,
                    'Check SF_INSTANCE_URL / SF_LOGIN_URL and the network path to Salesforce.'
                )
            ];
        }
        checks.push(
            skip('api-version', `API version ${apiVersion}: not checked (${(error as Error).message}).`)
        );
    }

    // 2. The first call that needs the session: proves the credentials and API access, and names the user.
    let identityUrl: unknown;
    try {
        const resources = await connection.request<Record<string, unknown>>('GET', '');
        identityUrl = resources.identity;
        checks.unshift(credentialsAccepted);
        checks.push(pass('api-access', 'The REST API answers.'));
    } catch (error) {
        if (error instanceof SalesforceError && error.kind === 'auth')
            return [credentialFailure(config, error), ...checks];
        checks.unshift(credentialsAccepted);
        if (error instanceof SalesforceError) return [...checks, apiAccessFailure(error)];
        throw error;
    }

    // 3. Everything else in one composite call.
    const userId = userIdOf(identityUrl);
    const username = userId ? undefined : configuredUsername(config, options);
    const userFilter = userId
        ? `Id = ${soqlId(userId)}`
        : username
          ? `Username = ${soqlString(username)}`
          : undefined;
    const describedObjects = [
        ...new Set([
            ...OBJECT_ACCESS.map((entry) => entry.object),
            ...Object.keys(packageFields instanceof Error ? {} : packageFields.fields)
        ])
    ];
    const query = (soql: string) => `query?q=${encodeURIComponent(soql)}`;
    const responses = await connection.composite([
        ...describedObjects.map((object) => ({
            method: 'GET' as const,
            url: `sobjects/${object}/describe`,
            referenceId: `describe_${object}`
        })),
        {
            method: 'GET',
            url: query(
                `SELECT DeveloperName, Livestorm_State__c, Status_Label__c FROM ${MEMBER_STATUS_TYPE}`
            ),
            referenceId: 'statuses'
        },
        { method: 'GET', url: query(LEAD_ASSIGNMENT_RULES_SOQL), referenceId: 'assignmentRules' },
        ...(userFilter
            ? [
                  {
                      method: 'GET' as const,
                      url: query(
                          `SELECT Id, Username, UserPermissionsMarketingUser FROM User WHERE ${userFilter}`
                      ),
                      referenceId: 'user'
                  }
              ]
            : [])
    ]);
    const byReference = new Map(responses.map((response) => [response.referenceId, response]));

    const userResponse = byReference.get('user');
    const users =
        userResponse?.httpStatusCode === 200
            ? ((
                  userResponse.body as {
                      records?: { Id: string; Username: string; UserPermissionsMarketingUser: boolean }[];
                  }
              ).records ?? [])
            : [];
    const user = users[0];
    if (!userFilter) {
        checks.push(
            fail(
                'integration-user',
                'The integration user cannot be determined: the org did not name it and the configuration has no username.',
                'Run `livestorm-sf doctor --username <integration user>` so Marketing User can be checked.'
            )
        );
        checks.push(skip('marketing-user', 'Marketing User: not checked (unknown user).'));
    } else if (!user) {
        checks.push(
            fail(
                'integration-user',
                `The integration user ${userId ?? username} cannot be read${userResponse && userResponse.httpStatusCode !== 200 ? ` (${errorText(userResponse.body)})` : ''}.`,
                userId ? PERMSET_FIX : 'Check the username: it must be the user the credentials connect as.'
            )
        );
        checks.push(skip('marketing-user', 'Marketing User: not checked (unknown user).'));
    } else {
        checks.push(pass('integration-user', `Integration user: ${user.Username} (${user.Id}).`));
        checks.push(
            user.UserPermissionsMarketingUser
                ? pass('marketing-user', `Marketing User is ticked on ${user.Username}.`)
                : fail(
                      'marketing-user',
                      `Marketing User is not ticked on ${user.Username}: Salesforce refuses to create Campaigns, their statuses and Campaign Members without it.`,
                      `Setup › Users › ${user.Username} › Edit › tick Marketing User (no permission set can grant it).`
                  )
        );
    }

    const describes = new Map<string, Describe>();
    const describeFailures = new Map<string, string>();
    for (const object of describedObjects) {
        const response = byReference.get(`describe_${object}`);
        if (response?.httpStatusCode === 200) describes.set(object, response.body as Describe);
        else describeFailures.set(object, errorText(response?.body));
    }
    checks.push(...describeChecks(describes, describeFailures));
    if (packageFields instanceof Error) {
        checks.push(
            fail(
                'package-fields',
                `The package's field list cannot be read: ${packageFields.message}.`,
                'Run doctor from a complete checkout of the repository (it reads force-app/).'
            )
        );
    } else {
        checks.push(...packageFieldChecks(describes, packageFields));
        checks.push(replayStatusCheck(describes, packageFields.replayStatusValues));
    }
    checks.push(memberStatusCheck(byReference.get('statuses')));
    checks.push(...requiredFieldChecks(describes, settings));
    checks.push(leadAssignmentCheck(byReference.get('assignmentRules'), settings.leadAssignment));
    checks.push(addressPicklistCheck(describes));
    return checks;
}

async function livestormCheck(config: Config, fetchImpl: typeof fetch): Promise<DoctorCheck> {
    const token = config.livestorm.apiToken;
    if (token === null) {
        return skip(
            'livestorm-api',
            'Livestorm API: not checked (LIVESTORM_API_TOKEN is not set; titles, refresh and backfill need it).'
        );
    }
    try {
        const response = await fetchImpl(`${config.livestorm.apiUrl}/ping`, {
            headers: { Authorization: token, Accept: 'application/vnd.api+json' },
            signal: AbortSignal.timeout(15_000)
        });
        await response.text().catch(() => '');
        const remaining = response.headers.get('RateLimit-Monthly-Remaining');
        const limit = response.headers.get('RateLimit-Monthly-Limit');
        const quota =
            remaining !== null
                ? ` (${remaining}${limit !== null ? ` of ${limit}` : ''} calls left this period)`
                : '';
        if (response.ok)
            return pass('livestorm-api', `Livestorm API answers at ${config.livestorm.apiUrl}${quota}.`);
        if (response.status === 401 || response.status === 403) {
            return fail(
                'livestorm-api',
                `Livestorm refused LIVESTORM_API_TOKEN (HTTP ${response.status}).`,
                'Create a token in Livestorm › Account settings › Integrations › Public API and set LIVESTORM_API_TOKEN.'
            );
        }
        if (response.status === 429) {
            return fail(
                'livestorm-api',
                `Livestorm answered 429: the API quota is spent${quota}.`,
                'Wait for the quota to reset (Retry-After), or lower the calls other tools make with this token.'
            );
        }
        return fail(
            'livestorm-api',
            `Livestorm answered HTTP ${response.status} to GET /ping.`,
            'Check LIVESTORM_API_URL (default https://api.livestorm.co/v1).'
        );
    } catch (error) {
        return fail(
            'livestorm-api',
            `Livestorm cannot be reached at ${config.livestorm.apiUrl}: ${(error as Error).message}.`,
            'Check LIVESTORM_API_URL and the network path to Livestorm.'
        );
    }
}

/**
 * Runs every check.
 * @param env the listener's environment
 * @param loadSettings reads CONFIG_FILE (the command line's loader)
 * @example const report = await runDoctor(process.env, loadSettings); process.exitCode = report.ok ? 0 : 1;
 */
export async function runDoctor(
    env: Env,
    loadSettings: (file: string) => Promise<Settings>,
    options: DoctorOptions = {}
): Promise<DoctorReport> {
    let config: Config;
    try {
        config = parseEnv(env);
    } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return {
            ok: false,
            checks: [fail('environment', error.message, 'Fix the variable and run doctor again.')],
            salesforceApiCalls: 0
        };
    }
    const checks: DoctorCheck[] = [
        pass(
            'environment',
            `Environment: Salesforce ${config.salesforce.mode.replace('_', ' ')} auth, API version ${config.salesforce.apiVersion}.`
        )
    ];
    let settings: Settings;
    try {
        settings = await loadSettings(config.configFile);
        checks.push(
            pass(
                'config-file',
                existsSync(config.configFile)
                    ? `Config file ${config.configFile} is valid.`
                    : `No config file at ${config.configFile}: the built-in defaults apply.`
            )
        );
    } catch (error) {
        if (!(error instanceof SettingsError)) throw error;
        return {
            ok: false,
            checks: [
                ...checks,
                fail('config-file', error.message, 'Fix the config file and run doctor again.')
            ],
            salesforceApiCalls: 0
        };
    }
    let packageFields: PackageFields | Error;
    try {
        packageFields = readPackageFields(options.forceAppDir);
    } catch (error) {
        packageFields = error as Error;
    }
    const connection = createSalesforceConnection(config.salesforce, {
        apiVersion: config.salesforce.apiVersion,
        timeoutMs: 30_000,
        ...(options.fetch ? { fetch: options.fetch } : {})
    });
    try {
        checks.push(...(await salesforceChecks(config, settings, packageFields, connection, options)));
    } catch (error) {
        checks.push(
            fail(
                'salesforce',
                `The checks stopped on an unexpected answer: ${(error as Error).message}`,
                'Run doctor again; if it persists, check /healthz and the listener logs.'
            )
        );
    }
    checks.push(await livestormCheck(config, options.fetch ?? fetch));
    const scrub = createSecretScrubber(secretValues(config));
    const scrubbed = checks.map((check) => ({
        ...check,
        message: scrub(check.message),
        ...(check.fix === undefined ? {} : { fix: scrub(check.fix) })
    }));
    return {
        ok: scrubbed.every((check) => check.status !== 'fail'),
        checks: scrubbed,
        salesforceApiCalls: connection.callCount()
    };
}

const MARKS: Record<CheckStatus, string> = { pass: '✔', fail: '✖', skip: '–' };

export function formatDoctorReport(report: DoctorReport): string {
    const lines = report.checks.map((check) => {
        const line = `${MARKS[check.status]} ${check.message}`;
        return check.fix ? `${line}\n    → ${check.fix}` : line;
    });
    const failed = report.checks.filter((check) => check.status === 'fail').length;
    lines.push(
        '',
        failed === 0
            ? `All checks pass (${report.salesforceApiCalls} Salesforce API call${report.salesforceApiCalls === 1 ? '' : 's'}).`
            : `${failed} check${failed === 1 ? '' : 's'} failed (${report.salesforceApiCalls} Salesforce API call${report.salesforceApiCalls === 1 ? '' : 's'}).`
    );
    return lines.join('\n');
}

export function createDoctorCommand(options: DoctorOptions = {}): CliCommand {
    return {
        name: 'doctor',
        summary: 'check every Salesforce prerequisite and explain what is missing',
        options: {
            json: { type: 'boolean', help: 'print the results as JSON' },
            username: {
                type: 'string',
                help: 'the integration user, when the org cannot tell whom the credentials belong to',
                placeholder: 'username'
            }
        },
        details:
            "Reads the listener's environment, connects to Salesforce as the listener does and checks, for the user it\n" +
            'connects as: credentials and API access, the API version, Marketing User, object access, the package fields,\n' +
            'the member status records and required custom fields; then the Livestorm API token. Exit code 0 when\n' +
            'everything passes, 1 otherwise. Uses three Salesforce API calls.',
        async run({ values }, ctx) {
            const username = typeof values.username === 'string' ? values.username : options.username;
            const report = await runDoctor(ctx.env, ctx.loadSettings, {
                ...options,
                ...(username ? { username } : {})
            });
            ctx.stdout(values.json ? JSON.stringify(report, null, 2) : formatDoctorReport(report));
            return report.ok ? 0 : 1;
        }
    };
}

export const doctor: CliCommand = createDoctorCommand();
